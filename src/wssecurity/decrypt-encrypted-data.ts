// Decryption of xenc:EncryptedKey and xenc:EncryptedData elements, shared by the WS-Security receiver and the
// plain XML Encryption entry point decryptEncryptedData (used for third-party interop samples).
import type { Document, Element } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { contentKeyLength, decryptContent } from './content-encryption';
import {
  describeReference,
  isEmptyReference,
  readKeyReference,
  type KeyReference,
  type MatchedBy,
} from './key-identifier';
import { readKeyTransportMethod, unwrapKey } from './key-transport';
import {
  describeKeyring,
  findKey,
  loadKeyring,
  type KeyringEntry,
  type LoadedKey,
  type LoadedKeyring,
} from './keyring';
import { ALG, NS } from './namespaces';
import {
  adoptInto,
  base64Of,
  child,
  children,
  descendants,
  idOf,
  indexIds,
  inScopeNamespaces,
  is,
  parseStrict,
  requireChild,
  resolveLocal,
  serialize,
} from './xml-dom';

/** What decryption needs from its surroundings. */
export interface DecryptContext {
  readonly ids: Map<string, Element>;
  readonly keyring: LoadedKeyring;
  readonly allowRsa15: boolean;
}

/** The content-encryption key of an EncryptedKey and the keyring entry that unwrapped it. */
export interface UnwrappedKey {
  readonly cek: Buffer;
  readonly key: LoadedKey;
  readonly matchedBy: MatchedBy;
}

/** The content algorithm URI of an EncryptedData. */
export function contentAlgorithmOf(ed: Element): string {
  return requireChild(ed, NS.xenc, 'EncryptionMethod').getAttribute('Algorithm') ?? '';
}

/**
 * Selects our private key from the EncryptedKey's reference (plus `extraRef`, for senders that put the token
 * reference beside the EncryptedKey) and unwraps the CEK for content algorithm `contentAlgorithm`.
 */
export function unwrapEncryptedKey(
  ek: Element,
  ctx: DecryptContext,
  contentAlgorithm: string,
  extraRef: KeyReference = {},
): UnwrappedKey {
  // The algorithm is checked before the key: rsa-1_5 is refused whoever it was meant for.
  const kt = readKeyTransportMethod(requireChild(ek, NS.xenc, 'EncryptionMethod'));
  const keyLength = contentKeyLength(contentAlgorithm);
  const keyInfo = child(ek, NS.ds, 'KeyInfo');
  const ref: KeyReference = { ...extraRef, ...(keyInfo ? stripEmpty(readKeyReference(keyInfo, ctx.ids)) : {}) };
  const found = findKey(ctx.keyring, ref);
  if (!found) {
    const what = isEmptyReference(ref) ? 'names no certificate we can match' : `asks for ${describeReference(ref)}`;
    throw new CpiError(
      'CPI_WSS_NO_MATCHING_KEY',
      `the EncryptedKey${idOf(ek) ? ` ${idOf(ek)}` : ''} ${what}; ${describeKeyring(ctx.keyring)}`,
    );
  }
  const wrapped = base64Of(requireChild(requireChild(ek, NS.xenc, 'CipherData'), NS.xenc, 'CipherValue'));
  const cek = unwrapKey(found.key.privateKey, kt, wrapped, keyLength, ctx.allowRsa15);
  return { cek, key: found.key, matchedBy: found.matchedBy };
}

function stripEmpty(ref: KeyReference): KeyReference {
  return Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined)) as KeyReference;
}

/**
 * Decrypts an EncryptedData with the CEK. Type Element or Content: the plaintext replaces the EncryptedData in
 * the document (and undefined is returned). Any other Type (e.g. MimeType="text/plain" data), or an
 * EncryptedData that is the document root: the octets are returned and the document is left as it is.
 */
export function decryptEncryptedDataElement(ed: Element, cek: Buffer): Buffer | undefined {
  const cipherData = requireChild(ed, NS.xenc, 'CipherData');
  if (child(cipherData, NS.xenc, 'CipherReference')) {
    throw new CpiError('CPI_WSS_UNSUPPORTED_ALGORITHM', 'CipherReference (detached cipher data) is not supported');
  }
  const plaintext = decryptContent(
    contentAlgorithmOf(ed),
    cek,
    base64Of(requireChild(cipherData, NS.xenc, 'CipherValue')),
  );
  const type = ed.getAttribute('Type');
  // The document root itself encrypted (W3C vectors): the plaintext is the whole new document.
  const isRoot = ed.parentNode?.nodeType === 9;
  if ((type !== ALG.typeElement && type !== ALG.typeContent) || isRoot) return plaintext;
  replaceWithXml(ed, plaintext.toString('utf8'));
  return undefined;
}

/**
 * Parses the plaintext in a wrapper that re-declares the namespaces in scope at the EncryptedData, so that
 * prefixes the plaintext inherits from its old context resolve as before, then splices it in.
 */
function replaceWithXml(ed: Element, xml: string): void {
  const parent = ed.parentNode;
  const doc = ed.ownerDocument;
  if (!parent || !doc) throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', 'the EncryptedData has no parent');
  const decls = [...inScopeNamespaces(parent)]
    .filter(([prefix]) => prefix !== 'xml')
    .map(([prefix, uri]) => `${prefix ? `xmlns:${prefix}` : 'xmlns'}="${escapeAttr(uri)}"`)
    .join(' ');
  const body = xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>/, '');
  let wrapper: Element;
  try {
    wrapper = parseStrict(`<wss-plaintext ${decls}>${body}</wss-plaintext>`).documentElement!;
  } catch (error) {
    if (error instanceof CpiError && error.code === 'CPI_WSS_DOCTYPE_FORBIDDEN') throw error;
    // Garbled plaintext (wrong key with CBC, or a changed message): one generic error.
    throw new CpiError('CPI_WSS_DECRYPTION_FAILED', 'the decrypted data is not well-formed XML');
  }
  // Moved, not imported: xmldom's importNode copies node by node and cost as much as the parse itself.
  while (wrapper.firstChild) parent.insertBefore(adoptInto(doc, wrapper.firstChild), ed);
  parent.removeChild(ed);
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

/** Options of {@link decryptEncryptedData}. */
export interface DecryptEncryptedDataOptions {
  /** Accept rsa-1_5 key transport (Bleichenbacher/Marvin risk). @default false */
  readonly allowRsa15?: boolean;
}

/** Result of {@link decryptEncryptedData}. */
export interface DecryptedDocument {
  /** The document with every EncryptedData replaced; when the root itself was encrypted, its plaintext. */
  readonly plaintext: string;
  /** SHA-256 fingerprint of the certificate whose private key decrypted (of the first EncryptedData). */
  readonly keyUsed: string;
  readonly keyId: string;
  readonly matchedBy: MatchedBy;
}

/**
 * Decrypts a plain XML Encryption document (no SOAP, no WS-Security header): each xenc:EncryptedData whose
 * KeyInfo carries an xenc:EncryptedKey, or that an EncryptedKey's ReferenceList names.
 */
export function decryptEncryptedData(
  xml: string,
  keyring: readonly KeyringEntry[] | LoadedKeyring,
  options: DecryptEncryptedDataOptions = {},
): DecryptedDocument {
  const doc = parseStrict(xml);
  const ctx: DecryptContext = {
    ids: indexIds(doc),
    keyring: loadKeyring(keyring),
    allowRsa15: options.allowRsa15 ?? false,
  };
  const eds = descendants(doc).filter((el) => is(el, NS.xenc, 'EncryptedData'));
  if (eds.length === 0) throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', 'the document has no xenc:EncryptedData');
  let first: UnwrappedKey | undefined;
  for (const ed of eds) {
    if (!ed.parentNode) continue; // inside an EncryptedData decrypted earlier
    const unwrapped = unwrapEncryptedKey(findEncryptedKeyFor(ed, doc, ctx), ctx, contentAlgorithmOf(ed));
    first ??= unwrapped;
    const octets = decryptEncryptedDataElement(ed, unwrapped.cek);
    if (octets) {
      if (ed === doc.documentElement) return result(octets.toString('utf8'), unwrapped);
      throw new CpiError(
        'CPI_WSS_UNSUPPORTED_ALGORITHM',
        `EncryptedData Type "${ed.getAttribute('Type')}" inside a document`,
      );
    }
  }
  return result(serialize(doc as Document), first!);
}

function result(plaintext: string, unwrapped: UnwrappedKey): DecryptedDocument {
  return {
    plaintext,
    keyUsed: unwrapped.key.facts.fingerprintSha256,
    keyId: unwrapped.key.id,
    matchedBy: unwrapped.matchedBy,
  };
}

function findEncryptedKeyFor(ed: Element, doc: Document, ctx: DecryptContext): Element {
  const keyInfo = child(ed, NS.ds, 'KeyInfo');
  const inline = keyInfo ? children(keyInfo, NS.xenc, 'EncryptedKey')[0] : undefined;
  if (inline) return inline;
  const id = idOf(ed);
  for (const ek of descendants(doc).filter((el) => is(el, NS.xenc, 'EncryptedKey'))) {
    const list = child(ek, NS.xenc, 'ReferenceList');
    if (!list) continue;
    for (const dr of children(list, NS.xenc, 'DataReference')) {
      if (id && dr.getAttribute('URI') === `#${id}`) {
        resolveLocal(ctx.ids, dr.getAttribute('URI'), 'the DataReference');
        return ek;
      }
    }
  }
  throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `no EncryptedKey found for EncryptedData ${id ?? '(without Id)'}`);
}
