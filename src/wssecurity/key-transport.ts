// RSA key transport of the content-encryption key (CEK): RSA-OAEP both URIs, and legacy rsa-1_5 (opt-in only).
import {
  constants,
  createHash,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { ALG, DIGEST_BY_URI, MGF1_BY_URI, NS } from './namespaces';
import { base64Of, child } from './xml-dom';

/** A key transport algorithm with its parameters, as read from or written to xenc:EncryptionMethod. */
export interface KeyTransport {
  readonly algorithm: string;
  /** OAEP digest (node:crypto name). */
  readonly digest: string;
  /** MGF1 digest (node:crypto name). */
  readonly mgf1: string;
  /** OAEPparams (the OAEP label), if any. */
  readonly label?: Buffer;
}

/** Key transport choices of the sender. */
export type KeyTransportName = 'rsa-oaep-mgf1p' | 'rsa-oaep';

/** rsa-oaep-mgf1p = OAEP SHA-1/MGF1-SHA-1; rsa-oaep = XML Encryption 1.1 OAEP with SHA-256 and MGF1-SHA-256. */
export function keyTransportFor(name: KeyTransportName): KeyTransport {
  if (name === 'rsa-oaep-mgf1p') return { algorithm: ALG.rsaOaepMgf1p, digest: 'sha1', mgf1: 'sha1' };
  if (name === 'rsa-oaep') return { algorithm: ALG.rsaOaep, digest: 'sha256', mgf1: 'sha256' };
  throw new CpiError(
    'CPI_WSS_INVALID_OPTION',
    `keyTransport is "${String(name)}"; expected rsa-oaep-mgf1p or rsa-oaep`,
  );
}

const URI_BY_DIGEST: Record<string, string> = Object.fromEntries(
  Object.entries(DIGEST_BY_URI).map(([uri, name]) => [name, uri]),
);
const URI_BY_MGF1: Record<string, string> = Object.fromEntries(
  Object.entries(MGF1_BY_URI).map(([uri, name]) => [name, uri]),
);

/** Writes the xenc:EncryptionMethod of an EncryptedKey. */
export function createKeyTransportMethod(doc: Document, kt: KeyTransport): Element {
  const method = doc.createElementNS(NS.xenc, 'xenc:EncryptionMethod');
  method.setAttribute('Algorithm', kt.algorithm);
  const digest = doc.createElementNS(NS.ds, 'ds:DigestMethod');
  digest.setAttribute('Algorithm', URI_BY_DIGEST[kt.digest]!);
  method.appendChild(digest);
  if (kt.algorithm === ALG.rsaOaep) {
    const mgf = doc.createElementNS(NS.xenc11, 'xenc11:MGF');
    mgf.setAttribute('Algorithm', URI_BY_MGF1[kt.mgf1]!);
    method.appendChild(mgf);
  }
  return method;
}

/** Reads xenc:EncryptionMethod of an EncryptedKey; defaults as XML Encryption specifies (SHA-1, MGF1-SHA-1). */
export function readKeyTransportMethod(method: Element): KeyTransport {
  const algorithm = method.getAttribute('Algorithm') ?? '';
  if (algorithm === ALG.rsa15) return { algorithm, digest: 'sha1', mgf1: 'sha1' };
  if (algorithm !== ALG.rsaOaepMgf1p && algorithm !== ALG.rsaOaep) {
    throw new CpiError('CPI_WSS_UNSUPPORTED_ALGORITHM', `key transport "${algorithm}"; expected RSA-OAEP`);
  }
  const digestEl = child(method, NS.ds, 'DigestMethod');
  const digestUri = digestEl?.getAttribute('Algorithm') ?? 'http://www.w3.org/2000/09/xmldsig#sha1';
  const digest = DIGEST_BY_URI[digestUri];
  if (!digest) throw new CpiError('CPI_WSS_UNSUPPORTED_ALGORITHM', `OAEP digest "${digestUri}" is not supported`);
  let mgf1 = 'sha1';
  const mgfEl = child(method, NS.xenc11, 'MGF');
  if (mgfEl && algorithm === ALG.rsaOaep) {
    const mgfUri = mgfEl.getAttribute('Algorithm') ?? '';
    const name = MGF1_BY_URI[mgfUri];
    if (!name) throw new CpiError('CPI_WSS_UNSUPPORTED_ALGORITHM', `MGF "${mgfUri}" is not supported`);
    mgf1 = name;
  }
  const paramsEl = child(method, NS.xenc, 'OAEPparams');
  const label = paramsEl ? base64Of(paramsEl) : undefined;
  return label && label.length > 0 ? { algorithm, digest, mgf1, label } : { algorithm, digest, mgf1 };
}

/** Wraps the CEK for a receiver's public key. */
export function wrapKey(publicKey: KeyObject, kt: KeyTransport, cek: Buffer): Buffer {
  if (kt.digest !== kt.mgf1 || kt.algorithm === ALG.rsa15) {
    throw new CpiError(
      'CPI_WSS_INVALID_OPTION',
      'the sender only wraps keys with RSA-OAEP where digest and MGF1 agree',
    );
  }
  return publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: kt.digest, oaepLabel: kt.label },
    cek,
  );
}

/**
 * Unwraps the CEK. `expectedLength` is the key size of the content algorithm: a CEK of another size is refused.
 * rsa-1_5 is refused unless `allowRsa15`; then a failed unwrap yields a random key (as WSS4J does) so that the
 * failure only surfaces later as the same generic decryption error (no padding oracle).
 */
export function unwrapKey(
  privateKey: KeyObject,
  kt: KeyTransport,
  wrapped: Buffer,
  expectedLength: number,
  allowRsa15: boolean,
): Buffer {
  if (kt.algorithm === ALG.rsa15) {
    if (!allowRsa15) {
      throw new CpiError(
        'CPI_WSS_INSECURE_KEY_TRANSPORT',
        `the EncryptedKey uses ${ALG.rsa15}; expected ${ALG.rsaOaepMgf1p} or ${ALG.rsaOaep}`,
      );
    }
    return unwrapPkcs1v15(privateKey, wrapped, expectedLength);
  }
  let cek: Buffer;
  try {
    cek =
      kt.digest === kt.mgf1
        ? privateDecrypt(
            { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: kt.digest, oaepLabel: kt.label },
            wrapped,
          )
        : oaepDecode(rawRsaDecrypt(privateKey, wrapped), kt);
  } catch (error) {
    if (error instanceof CpiError) throw error;
    throw new CpiError('CPI_WSS_DECRYPTION_FAILED', 'the encrypted key does not decrypt with the selected private key');
  }
  if (cek.length !== expectedLength) {
    throw new CpiError(
      'CPI_WSS_DECRYPTION_FAILED',
      `the decrypted key has ${cek.length} bytes; the content algorithm needs ${expectedLength}`,
    );
  }
  return cek;
}

function rawRsaDecrypt(privateKey: KeyObject, wrapped: Buffer): Buffer {
  const k = modulusBytes(privateKey);
  if (wrapped.length !== k) {
    throw new CpiError('CPI_WSS_DECRYPTION_FAILED', `the encrypted key has ${wrapped.length} bytes; expected ${k}`);
  }
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, wrapped);
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let size = 0;
  for (let counter = 0; size < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    size += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * EME-OAEP decoding (RFC 8017 §7.1.2) for the case node:crypto cannot express: OAEP digest ≠ MGF1 digest
 * (rsa-oaep-mgf1p with SHA-256, xmlenc11 rsa-oaep with SHA-384 and MGF1-SHA-1). Checks are accumulated and
 * reported once, so that which check failed does not show.
 */
function oaepDecode(em: Buffer, kt: KeyTransport): Buffer {
  const hLen = createHash(kt.digest).digest().length;
  const k = em.length;
  if (k < 2 * hLen + 2) throw new Error('modulus too small');
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(kt.mgf1, maskedDb, hLen));
  const db = xor(maskedDb, mgf1(kt.mgf1, seed, k - hLen - 1));
  const lHash = createHash(kt.digest)
    .update(kt.label ?? Buffer.alloc(0))
    .digest();
  let bad = em[0]! !== 0 ? 1 : 0;
  bad |= timingSafeEqual(db.subarray(0, hLen), lHash) ? 0 : 1;
  let index = -1;
  for (let i = hLen; i < db.length; i++) {
    if (index < 0 && db[i] === 1) index = i;
    else if (index < 0 && db[i] !== 0) bad = 1;
  }
  if (bad || index < 0) throw new Error('oaep decoding error');
  return db.subarray(index + 1);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** PKCS#1 v1.5 unpadding over raw RSA (Node 20 refuses RSA_PKCS1_PADDING on decrypt, CVE-2023-46809). */
function unwrapPkcs1v15(privateKey: KeyObject, wrapped: Buffer, expectedLength: number): Buffer {
  const substitute = randomBytes(expectedLength);
  let em: Buffer;
  try {
    em = rawRsaDecrypt(privateKey, wrapped);
  } catch {
    return substitute;
  }
  const sep = em.indexOf(0, 2);
  const ok = em[0] === 0 && em[1] === 2 && sep >= 10 && em.length - sep - 1 === expectedLength;
  return ok ? em.subarray(sep + 1) : substitute;
}
