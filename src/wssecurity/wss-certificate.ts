// A certificate as WS-Security uses it: what src/pki reads from it (the one X.509 reader), plus the forms the
// key identifiers compare (serial as a number, SKI and SHA-1 thumbprint as bytes, the issuer's WSS4J match key)
// and its public key. Memoised: a keyring is consulted for every message.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CpiError, isCpiError } from '../errors';
import { certificateInfoFromDer, parseCertificatePem, type CertificateInfo } from '../pki/certificate-info';
import { issuerNameKey } from './issuer-name';

export interface WssCertificate extends CertificateInfo {
  readonly publicKey: KeyObject;
  /** Serial number as a number (ds:X509SerialNumber is its decimal form). */
  readonly serial: bigint;
  /** Subject key identifier bytes (extension, or computed as WSS4J does). */
  readonly ski: Buffer;
  /** SHA-1 over the DER (wsse:KeyIdentifier ThumbprintSHA1). */
  readonly thumbprintSha1: Buffer;
  /** The issuer name's key as WSS4J compares issuer names (see issuer-name.ts). */
  readonly issuerKey: string;
}

const cache = new Map<string, WssCertificate>();
const CACHE_LIMIT = 256;

/** Reads a certificate given as PEM or DER; refuses anything else with CPI_WSS_INVALID_OPTION. */
export function readCertificate(certificate: string | Buffer): WssCertificate {
  const key = typeof certificate === 'string' ? certificate : certificate.toString('base64');
  const hit = cache.get(key);
  if (hit) return hit;
  let info: CertificateInfo;
  try {
    info = typeof certificate === 'string' ? parseCertificatePem(certificate) : certificateInfoFromDer(certificate);
  } catch (error) {
    if (!isCpiError(error)) throw error;
    throw new CpiError('CPI_WSS_INVALID_OPTION', `not an X.509 certificate (PEM or DER): ${error.detail}`);
  }
  const read: WssCertificate = {
    ...info,
    publicKey: createPublicKey(info.pem),
    serial: BigInt(info.serialNumberDecimal),
    ski: Buffer.from(info.subjectKeyIdentifier, 'hex'),
    thumbprintSha1: Buffer.from(info.fingerprintSha1.replace(/:/g, ''), 'hex'),
    issuerKey: issuerNameKey(info.issuerDn),
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, read);
  return read;
}
