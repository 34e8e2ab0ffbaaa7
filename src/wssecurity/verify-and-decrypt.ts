// What a receiver does with the tenant's "Sign and Encrypt" message: pick its private key from the message's key
// reference, decrypt, verify the signature against pinned signer certificates, and hand back the Body.
// Header elements are processed in document order, as WSS4J does, so sign-then-encrypt (EncryptedKey first)
// verifies the signature over the decrypted Body, and encrypt-then-sign verifies it over the ciphertext.
// Order of the checks (docs in SECURITY.md): limits on the raw text, one parse and one ID index, then, before any
// private-key operation, the sender: a pinned signer, a valid SignatureValue over SignedInfo, a signed, fresh
// Timestamp and a signature not seen before (the replay cache). Only then is anything decrypted.
import { createHash } from 'node:crypto';
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
import { ALG, NS } from './namespaces';
import { checkMessageLimits, DEFAULT_MESSAGE_LIMITS, type MessageLimits } from './message-limits';
import type { ReplayCache } from './replay-cache';
import { envelopeParts, securityHeaders } from './soap-envelope';
import {
  child,
  childElements,
  children,
  descendants,
  idOf,
  indexIds,
  indexSubtree,
  is,
  parseStrict,
  resolveLocal,
  serialize,
  textOf,
  unindexSubtree,
} from './xml-dom';
import { verifyReferences, verifySignedInfo, type VerifiedReference, type VerifiedSignedInfo } from './xml-signature';

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
  /**
   * Oldest accepted wsu:Created, in seconds before now (plus the clock skew). A signed message must carry
   * exactly one wsu:Timestamp, a child of wsse:Security, with wsu:Created, covered by the signature.
   * @default 300
   */
  readonly maxAgeSeconds?: number;
  /** Accept 3DES content encryption and SHA-1 signatures and digests (older senders). @default false */
  readonly allowLegacyAlgorithms?: boolean;
  /** Limits checked on the message text before parsing. @default DEFAULT_MESSAGE_LIMITS */
  readonly limits?: Partial<MessageLimits>;
  /**
   * Remembers every signature whose SignedInfo verified, before decrypting: a replay, or a second decryption
   * attempt with the same signature, is refused. @default - none (every receiver endpoint should pass one)
   */
  readonly replayCache?: ReplayCache;
}

const SHA1_URIS = new Set(['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1']);

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
  checkMessageLimits(message, { ...DEFAULT_MESSAGE_LIMITS, ...options.limits });
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
  // One index for the whole message; decrypted content is added to it as it is spliced in.
  const ctx: DecryptContext = {
    ids: indexIds(doc),
    keyring: loadKeyring(keyring),
    allowRsa15: options.allowRsa15 ?? false,
  };
  const legacy = options.allowLegacyAlgorithms ?? false;
  const now = options.now ?? new Date();
  const skewMs = (options.clockSkewSeconds ?? 300) * 1000;
  const maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
  const requireSignature = options.requireSignature ?? true;

  // The sender first: nothing below costs a private-key operation until the signature over SignedInfo, the
  // Timestamp and the replay cache have accepted the message.
  const signatures = children(security, NS.ds, 'Signature');
  if (signatures.length > 1)
    throw new CpiError('CPI_WSS_SIGNATURE_INVALID', 'the header holds more than one Signature');
  if (signatures.length === 0 && requireSignature) {
    throw new CpiError('CPI_WSS_SIGNATURE_MISSING', 'the wsse:Security header holds no ds:Signature');
  }
  const signature = signatures[0];
  const timestamps = descendants(doc).filter((e) => is(e, NS.wsu, 'Timestamp'));
  let signed: { info: VerifiedSignedInfo; signer: WssCertificate } | undefined;
  if (signature) {
    const pinned = trustedSigners.map((pem) => readCertificate(pem));
    const signer = pinnedSigner(signature, pinned, ctx.ids);
    if (!legacy) refuseSha1(signature);
    const info = verifySignedInfo(signature, signer.publicKey);
    const timestamp = signedTimestamp(timestamps, security, info, ctx.ids);
    const createdMs = checkTimestamp(timestamp, now, skewMs, maxAgeMs);
    options.replayCache?.admit(
      createHash('sha256').update(info.signatureValue).digest('hex'),
      createdMs + maxAgeMs + 2 * skewMs,
      now.getTime(),
    );
    signed = { info, signer };
  } else {
    for (const ts of timestamps) checkTimestamp(ts, now, skewMs, undefined);
  }

  let decryptedWith: UnwrappedKey | undefined;
  let references: VerifiedReference[] | undefined;
  const done = new Set<Element>();
  const decrypt = (ek: Element, eds: Element[], extraRef?: KeyReference) => {
    const contentAlgorithm = contentAlgorithmOf(eds[0]!);
    for (const ed of eds) {
      if (!legacy && contentAlgorithmOf(ed) === ALG.tripledesCbc) {
        throw new CpiError(
          'CPI_WSS_LEGACY_ALGORITHM',
          `EncryptedData ${idOf(ed) ?? ''} uses ${ALG.tripledesCbc}; expected AES (allowLegacyAlgorithms accepts 3DES)`,
        );
      }
    }
    const unwrapped = unwrapEncryptedKey(ek, ctx, contentAlgorithm, extraRef);
    for (const ed of eds) {
      const parent = ed.parentNode!;
      const before = ed.previousSibling;
      const after = ed.nextSibling;
      unindexSubtree(ed, ctx.ids);
      if (decryptEncryptedDataElement(ed, unwrapped.cek)) {
        throw new CpiError(
          'CPI_WSS_UNSUPPORTED_ALGORITHM',
          `EncryptedData Type "${ed.getAttribute('Type')}" in a SOAP message`,
        );
      }
      // Decrypted content may carry IDs of its own: they must be unique too.
      for (let n = before ? before.nextSibling : parent.firstChild; n && n !== after; n = n.nextSibling)
        indexSubtree(n, ctx.ids);
      done.add(ed);
    }
    decryptedWith ??= unwrapped;
  };

  for (const el of childElements(security)) {
    if (is(el, NS.xenc, 'EncryptedKey')) {
      decrypt(el, referencedEncryptedData(el, ctx, parts.body, done));
    } else if (el === signature && signed) {
      // Encrypt-then-sign: the signature covers what is in the message now, before decryption.
      references = verifyReferences(signed.info, ctx.ids);
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

  let signerFingerprint: string | undefined;
  if (signed) {
    signerFingerprint = checkBodySigned(
      references ?? verifyReferences(signed.info, ctx.ids),
      parts.body,
      signed.signer,
    );
  }
  if (!decryptedWith)
    throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', 'the message has no EncryptedKey: the Body is not encrypted');
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

/** The pinned certificate the Signature's KeyInfo names (never one the message brings along). */
function pinnedSigner(
  signature: Element,
  pinned: readonly WssCertificate[],
  ids: Map<string, Element>,
): WssCertificate {
  const keyInfo = child(signature, NS.ds, 'KeyInfo');
  const ref = keyInfo ? readKeyReference(keyInfo, ids) : {};
  const signer = pinned.find((facts) => matchReference(ref, facts));
  if (!signer) {
    throw new CpiError(
      'CPI_WSS_SIGNER_NOT_TRUSTED',
      `the signature names ${describeReference(ref)}; pinned signer certificates: ${pinned.map((p) => describeHeld(p)).join('; ') || 'none'}`,
    );
  }
  return signer;
}

/** Refuses SHA-1 in SignatureMethod or any DigestMethod, before the signature costs anything. */
function refuseSha1(signature: Element): void {
  const methods = descendants(signature).filter((e) => is(e, NS.ds, 'SignatureMethod') || is(e, NS.ds, 'DigestMethod'));
  const used = methods.map((m) => m.getAttribute('Algorithm') ?? '').find((uri) => SHA1_URIS.has(uri));
  if (used) {
    throw new CpiError(
      'CPI_WSS_LEGACY_ALGORITHM',
      `the signature uses ${used}; expected SHA-256 or SHA-512 (allowLegacyAlgorithms accepts SHA-1)`,
    );
  }
}

/**
 * The one wsu:Timestamp of the message: a child of wsse:Security, and covered by the signature (its digest is
 * checked here, before anything is decrypted: the Timestamp is never encrypted).
 */
function signedTimestamp(
  timestamps: readonly Element[],
  security: Element,
  info: VerifiedSignedInfo,
  ids: Map<string, Element>,
): Element {
  if (timestamps.length !== 1 || timestamps[0]!.parentNode !== security) {
    throw new CpiError(
      'CPI_WSS_TIMESTAMP_INVALID',
      `the message holds ${timestamps.length} wsu:Timestamp element(s)${timestamps.length === 1 ? ' outside wsse:Security' : ''}; expected exactly one, a child of wsse:Security`,
    );
  }
  const timestamp = timestamps[0]!;
  const covering = info.references.filter((r) => ids.get((r.getAttribute('URI') ?? '').slice(1)) === timestamp);
  if (covering.length === 0) {
    throw new CpiError('CPI_WSS_TIMESTAMP_INVALID', 'the wsu:Timestamp is not covered by the signature');
  }
  verifyReferences({ ...info, references: covering }, ids);
  return timestamp;
}

/**
 * Checks that the signature covers the Body of this envelope: by ID, which is unique in the message, and the
 * Body is the Envelope's own.
 */
function checkBodySigned(references: readonly VerifiedReference[], body: Element, signer: WssCertificate): string {
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

/**
 * Checks Created and Expires against now; with `maxAgeMs`, Created is required and may be at most that old.
 * Returns Created (ms), or now when the timestamp has none.
 */
function checkTimestamp(ts: Element, now: Date, skewMs: number, maxAgeMs: number | undefined): number {
  const read = (name: string): Date | undefined => {
    const el = child(ts, NS.wsu, name);
    if (!el) return undefined;
    const date = new Date(textOf(el));
    if (Number.isNaN(date.getTime()))
      throw new CpiError('CPI_WSS_TIMESTAMP_INVALID', `wsu:${name} "${textOf(el).slice(0, 40)}" is not a date`);
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
  if (maxAgeMs !== undefined) {
    if (!created) throw new CpiError('CPI_WSS_TIMESTAMP_INVALID', 'the wsu:Timestamp has no wsu:Created');
    if (created.getTime() + maxAgeMs + skewMs < now.getTime()) {
      throw new CpiError(
        'CPI_WSS_TIMESTAMP_INVALID',
        `wsu:Created ${created.toISOString()} is more than ${maxAgeMs / 1000} s before now (${now.toISOString()})`,
      );
    }
  }
  return created?.getTime() ?? now.getTime();
}
