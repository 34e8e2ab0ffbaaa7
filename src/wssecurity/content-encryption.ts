// Symmetric encryption of the Body content: AES-GCM (XML Encryption 1.1), AES-CBC and 3DES-CBC (1.0).
// CipherValue layouts: GCM = IV(12) ‖ ciphertext ‖ tag(16); CBC = IV ‖ ciphertext with ISO 10126 padding.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CpiError } from '../errors';
import { ALG } from './namespaces';

interface ContentAlgorithm {
  readonly cipher: string;
  readonly keyLength: number;
  readonly ivLength: number;
  readonly gcm: boolean;
}

const ALGORITHMS: Readonly<Record<string, ContentAlgorithm>> = {
  [ALG.aes128gcm]: { cipher: 'aes-128-gcm', keyLength: 16, ivLength: 12, gcm: true },
  [ALG.aes192gcm]: { cipher: 'aes-192-gcm', keyLength: 24, ivLength: 12, gcm: true },
  [ALG.aes256gcm]: { cipher: 'aes-256-gcm', keyLength: 32, ivLength: 12, gcm: true },
  [ALG.aes128cbc]: { cipher: 'aes-128-cbc', keyLength: 16, ivLength: 16, gcm: false },
  [ALG.aes192cbc]: { cipher: 'aes-192-cbc', keyLength: 24, ivLength: 16, gcm: false },
  [ALG.aes256cbc]: { cipher: 'aes-256-cbc', keyLength: 32, ivLength: 16, gcm: false },
  [ALG.tripledesCbc]: { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8, gcm: false },
};

/** Content encryption choices of the sender. */
export type ContentEncryptionName = 'aes256-gcm' | 'aes128-gcm' | 'aes256-cbc' | 'aes128-cbc';

const URI_BY_NAME: Readonly<Record<ContentEncryptionName, string>> = {
  'aes256-gcm': ALG.aes256gcm,
  'aes128-gcm': ALG.aes128gcm,
  'aes256-cbc': ALG.aes256cbc,
  'aes128-cbc': ALG.aes128cbc,
};

export function contentAlgorithmUri(name: ContentEncryptionName): string {
  const uri = URI_BY_NAME[name];
  if (!uri) {
    throw new CpiError(
      'CPI_WSS_INVALID_OPTION',
      `contentEncryption is "${String(name)}"; expected one of ${Object.keys(URI_BY_NAME).join(', ')}`,
    );
  }
  return uri;
}

function algorithm(uri: string): ContentAlgorithm {
  const alg = ALGORITHMS[uri];
  if (!alg) throw new CpiError('CPI_WSS_UNSUPPORTED_ALGORITHM', `content encryption "${uri}" is not supported`);
  return alg;
}

/** Key length in bytes that the content algorithm needs. */
export function contentKeyLength(uri: string): number {
  return algorithm(uri).keyLength;
}

/** Encrypts with a fresh random IV (GCM IV reuse would be fatal) and returns the CipherValue octets. */
export function encryptContent(uri: string, key: Buffer, plaintext: Buffer): Buffer {
  const alg = algorithm(uri);
  const iv = randomBytes(alg.ivLength);
  const cipher = createCipheriv(alg.cipher, key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return alg.gcm
    ? Buffer.concat([iv, body, (cipher as unknown as { getAuthTag(): Buffer }).getAuthTag()])
    : Buffer.concat([iv, body]);
}

/** Decrypts CipherValue octets; any failure (short input, bad tag, bad padding) is one generic error. */
export function decryptContent(uri: string, key: Buffer, data: Buffer): Buffer {
  const alg = algorithm(uri);
  const fail = (): never => {
    throw new CpiError('CPI_WSS_DECRYPTION_FAILED', 'the encrypted data is truncated, garbled or not for this key');
  };
  if (key.length !== alg.keyLength) fail();
  try {
    if (alg.gcm) {
      if (data.length < alg.ivLength + 16) fail();
      const decipher = createDecipheriv(alg.cipher as 'aes-256-gcm', key, data.subarray(0, alg.ivLength));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(alg.ivLength, data.length - 16)), decipher.final()]);
    }
    const blockSize = alg.ivLength;
    const body = data.subarray(alg.ivLength);
    if (body.length === 0 || body.length % blockSize !== 0) fail();
    const decipher = createDecipheriv(alg.cipher, key, data.subarray(0, alg.ivLength));
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(body), decipher.final()]);
    // ISO 10126: only the last byte (the pad length) is defined; PKCS#7 senders fill the rest the same way.
    const pad = padded[padded.length - 1]!;
    if (pad < 1 || pad > blockSize) fail();
    return padded.subarray(0, padded.length - pad);
  } catch (error) {
    if (error instanceof CpiError) throw error;
    return fail();
  }
}
