// What a receiver does with the tenant's "Sign and Encrypt" message: pick its private key from the message's key
// reference, decrypt, verify the signature against pinned signer certificates, and hand back the Body.
// Header elements are processed in document order, as WSS4J does, so sign-then-encrypt (EncryptedKey first)
// verifies the signature over the decrypted Body, and encrypt-then-sign verifies it over the ciphertext.
import type { Element } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { readCertificate, type WssCertificate } from './wss-certificate';
import {
  contentAlgorithmOf,
  decryptEncryptedDataElement,
  unwrapEncryptedKey,
  type DecryptContext,
  type UnwrappedKey,
} from './decrypt-encrypted-data';
import {
  describeHeld,
  describeReference,
  matchReference,
  readKeyReference,
  type KeyReference,
  type MatchedBy,
} from './key-identifier';
import { loadKeyring, type KeyringEntry, type LoadedKeyring } from './keyring';
import { NS } from './namespaces';
import { envelopeParts, securityHeaders } from './soap-envelope';
import {
  child,
  childElements,
  children,
  descendants,
  idOf,
  indexIds,
  is,
  parseStrict,
  resolveLocal,
  serialize,
  textOf,
} from './xml-dom';
import { verifySignature } from './xml-signature';

/** Options of {@link verifyAndDecrypt}. */
export interface VerifyAndDecryptOptions {
  /** Refuse messages without a signature. @default true */
  readonly requireSignature?: boolean;
  /** Accept rsa-1_5 key transport (Bleichenbacher/Marvin padding-oracle risk). @default false */
  readonly allowRsa15?: boolean;
  /** The clock for timestamp checks. @default - the current time */
  readonly now?: Date;
  /** Tolerated clock difference to the sender, in seconds. @default 300 */
  readonly clockSkewSeconds?: number;
}

/** What the receiver got out of a message. */
export interface VerifiedMessage {
  /** The decrypted Body content (the Body's children serialized). */
  readonly body: string;
  /** The whole envelope after decryption (serialized when first read). */
  readonly envelope: string;
  /** SHA-256 fingerprint of the certificate whose private key decrypted the message. */
  readonly keyUsed: string;
  /** The keyring entry's id. */
  readonly keyId: string;
  /** Which part of the message's key reference selected the key. */
  readonly matchedBy: MatchedBy;
  /** SHA-256 fingerprint of the pinned certificate that verified the signature; undefined when unsigned. */
  readonly signerFingerprint: string | undefined;
}

/**
 * Verifies and decrypts a WS-Security SOAP message.
 *
 * @param message the SOAP envelope as received
 * @param keyring the receiver's decryption keys (old and new during a renewal)
 * @param trustedSigners PEM certificates pinned as the only acceptable signers
 * @throws CpiError with a CPI_WSS_* code; answer the caller with {@link genericSoapFault}, log the error itself
 */
export function verifyAndDecrypt(
  message: string,
  keyring: readonly KeyringEntry[] | LoadedKeyring,
  trustedSigners: readonly string[],
  options: VerifyAndDecryptOptions = {},
): VerifiedMessage {
  const doc = parseStrict(message);
  const parts = envelopeParts(doc);
  const headers = securityHeaders(parts);
  if (headers.length !== 1) {
    throw new CpiError(
      'CPI_WSS_SECURITY_HEADER',
      `the message has ${headers.length} wsse:Security headers; expected 1`,
    );
  }
  const security = headers[0]!;
  const ctx: DecryptContext = {
    ids: indexIds(doc),
    keyring: loadKeyring(keyring),
    allowRsa15: options.allowRsa15 ?? false,
  };
  const pinned = trustedSigners.map((pem) => readCertificate(pem));
  const now = options.now ?? new Date();
  const skewMs = (options.clockSkewSeconds ?? 300) * 1000;

  let decryptedWith: UnwrappedKey | undefined;
  let signerFingerprint: string | undefined;
  const done = new Set<Element>();
  const decrypt = (ek: Element, eds: Element[], extraRef?: KeyReference) => {
    const unwrapped = unwrapEncryptedKey(ek, ctx, contentAlgorithmOf(eds[0]!), extraRef);
    for (const ed of eds) {
      if (decryptEncryptedDataElement(ed, unwrapped.cek)) {
        throw new CpiError(
          'CPI_WSS_UNSUPPORTED_ALGORITHM',
          `EncryptedData Type "${ed.getAttribute('Type')}" in a SOAP message`,
        );
      }
      done.add(ed);
    }
    decryptedWith ??= unwrapped;
  };

  for (const el of childElements(security)) {
    if (is(el, NS.xenc, 'EncryptedKey')) {
      decrypt(el, referencedEncryptedData(el, ctx, parts.body, done));
      // Decrypted content may carry IDs of its own: they must be unique too.
      ctx.ids.clear();
      for (const [id, target] of indexIds(doc)) ctx.ids.set(id, target);
    } else if (is(el, NS.ds, 'Signature')) {
      if (signerFingerprint)
        throw new CpiError('CPI_WSS_SIGNATURE_INVALID', 'the header holds more than one Signature');
      signerFingerprint = verifyBodySignature(el, parts.body, pinned, ctx.ids);
    } else if (is(el, NS.wsu, 'Timestamp')) {
      checkTimestamp(el, now, skewMs);
    } else if (is(el, NS.xenc, 'ReferenceList') || is(el, NS.xenc, 'EncryptedData')) {
      throw new CpiError(
        'CPI_WSS_UNSUPPORTED_ALGORITHM',
        `a top-level xenc:${el.localName} in the Security header is not supported`,
      );
    }
  }

  // Non-standard but real (Santuario-based senders): EncryptedKey inside EncryptedData/KeyInfo, with the token
  // reference next to it.
  for (const ed of descendants(parts.body).filter((e) => is(e, NS.xenc, 'EncryptedData') && !done.has(e))) {
    const keyInfo = child(ed, NS.ds, 'KeyInfo');
    const ek = keyInfo ? children(keyInfo, NS.xenc, 'EncryptedKey')[0] : undefined;
    if (!ek || !keyInfo) {
      throw new CpiError(
        'CPI_WSS_BAD_REFERENCE',
        `the EncryptedData ${idOf(ed) ?? ''} in the Body is not referenced by any EncryptedKey`,
      );
    }
    decrypt(ek, [ed], readKeyReference(keyInfo, ctx.ids));
  }

  if (!decryptedWith)
    throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', 'the message has no EncryptedKey: the Body is not encrypted');
  if (!signerFingerprint && (options.requireSignature ?? true)) {
    throw new CpiError('CPI_WSS_SIGNATURE_MISSING', 'the wsse:Security header holds no ds:Signature');
  }
  let body = '';
  for (let n = parts.body.firstChild; n; n = n.nextSibling) body += serialize(n);
  let envelope: string | undefined;
  return {
    body,
    // Serialized on first use: receivers mostly need the Body only, and this is a tenth of the receive time.
    get envelope() {
      return (envelope ??= serialize(doc));
    },
    keyUsed: decryptedWith.key.facts.fingerprintSha256,
    keyId: decryptedWith.key.id,
    matchedBy: decryptedWith.matchedBy,
    signerFingerprint,
  };
}

/** The EncryptedData elements an EncryptedKey's ReferenceList names; each must be an xenc:EncryptedData. */
function referencedEncryptedData(ek: Element, ctx: DecryptContext, body: Element, done: Set<Element>): Element[] {
  const list = child(ek, NS.xenc, 'ReferenceList');
  if (!list) {
    // Lenient rule for senders that omit the ReferenceList: only when the Body holds exactly one EncryptedData.
    const candidates = descendants(body).filter((e) => is(e, NS.xenc, 'EncryptedData') && !done.has(e));
    if (candidates.length !== 1) {
      throw new CpiError(
        'CPI_WSS_BAD_REFERENCE',
        `the EncryptedKey has no ReferenceList and the Body holds ${candidates.length} EncryptedData elements; expected exactly 1`,
      );
    }
    return candidates;
  }
  const refs = childElements(list);
  if (refs.length === 0) throw new CpiError('CPI_WSS_BAD_REFERENCE', 'the EncryptedKey has an empty ReferenceList');
  return refs.map((dr) => {
    if (!is(dr, NS.xenc, 'DataReference')) {
      throw new CpiError('CPI_WSS_BAD_REFERENCE', `the ReferenceList holds ${dr.tagName}; expected xenc:DataReference`);
    }
    const target = resolveLocal(ctx.ids, dr.getAttribute('URI'), 'the DataReference');
    if (!is(target, NS.xenc, 'EncryptedData')) {
      throw new CpiError(
        'CPI_WSS_BAD_REFERENCE',
        `the DataReference ${dr.getAttribute('URI')} points at ${target.tagName}; expected xenc:EncryptedData`,
      );
    }
    if (done.has(target))
      throw new CpiError('CPI_WSS_BAD_REFERENCE', `the EncryptedData ${dr.getAttribute('URI')} is referenced twice`);
    return target;
  });
}

/**
 * Verifies the Signature with a pinned certificate (never one the message brings along) and checks that it
 * covers the Body of this envelope: by ID, which is unique in the message, and the Body is the Envelope's own.
 */
function verifyBodySignature(
  signature: Element,
  body: Element,
  pinned: readonly WssCertificate[],
  ids: Map<string, Element>,
): string {
  const keyInfo = child(signature, NS.ds, 'KeyInfo');
  const ref = keyInfo ? readKeyReference(keyInfo, ids) : {};
  const signer = pinned.find((facts) => matchReference(ref, facts));
  if (!signer) {
    throw new CpiError(
      'CPI_WSS_SIGNER_NOT_TRUSTED',
      `the signature names ${describeReference(ref)}; pinned signer certificates: ${pinned.map((p) => describeHeld(p)).join('; ') || 'none'}`,
    );
  }
  const references = verifySignature(signature, signer.publicKey, ids);
  const bodyId = idOf(body);
  // By identity: the ID index is duplicate-free, and `body` is the Envelope's own Body.
  if (!bodyId || !references.some((r) => r.element === body)) {
    throw new CpiError(
      'CPI_WSS_BODY_NOT_SIGNED',
      `the signature references ${references.map((r) => r.uri || '""').join(', ')}; the Body has ID "${bodyId ?? ''}"`,
    );
  }
  return signer.fingerprintSha256;
}

function checkTimestamp(ts: Element, now: Date, skewMs: number): void {
  const read = (name: string): Date | undefined => {
    const el = child(ts, NS.wsu, name);
    if (!el) return undefined;
    const date = new Date(textOf(el));
    if (Number.isNaN(date.getTime()))
      throw new CpiError('CPI_WSS_TIMESTAMP_INVALID', `wsu:${name} "${textOf(el)}" is not a date`);
    return date;
  };
  const created = read('Created');
  const expires = read('Expires');
  if (created && created.getTime() - skewMs > now.getTime()) {
    throw new CpiError(
      'CPI_WSS_TIMESTAMP_INVALID',
      `wsu:Created ${created.toISOString()} lies after now (${now.toISOString()})`,
    );
  }
  if (expires && expires.getTime() + skewMs < now.getTime()) {
    throw new CpiError(
      'CPI_WSS_TIMESTAMP_INVALID',
      `wsu:Expires ${expires.toISOString()} lies before now (${now.toISOString()})`,
    );
  }
}
