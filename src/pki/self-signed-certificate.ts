// Issues a self-signed X.509 v3 certificate for an existing RSA key. node-forge builds the certificate; Node's
// crypto signs it (forge's pure-JS RSA signing is slow for 4096-bit keys). Kept apart from key generation so
// that a certificate can be issued again for the same key (a re-certification) or with unusual properties
// (tests need a certificate without keyEncipherment, or two certificates sharing an SKI).
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CpiError } from '../errors';
import type { KeyUsage } from './certificate-info';
import { parseSubject } from './distinguished-name';

const asn1 = forge.asn1;
// Present in node-forge, missing from @types/node-forge.
const getTbsCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 })
  .getTBSCertificate;

/** Options of createSelfSignedCertificate. */
export interface SelfSignedCertificateOptions {
  /** The RSA private key as PEM (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY"), unencrypted. */
  readonly privateKeyPem: string;
  /** Subject (and issuer) DN as RFC 4514 text, most specific first, e.g. `CN=receiver,O=Example`. */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Serial number as hex. @default - 16 random bytes, positive */
  readonly serialNumber?: string;
  /**
   * Key usage bits, written as a critical extension; `null` writes no key usage extension.
   * @default ['digitalSignature', 'keyEncipherment']
   */
  readonly keyUsage?: readonly KeyUsage[] | null;
  /**
   * Subject key identifier: `true` computes it from the public key (SHA-1 of the RSAPublicKey, RFC 5280
   * method 1), a hex string writes that value, `false` writes no SKI extension.
   * @default true
   */
  readonly subjectKeyIdentifier?: boolean | string;
}

const STRING_TAG_BY_KEYWORD: Readonly<Record<string, number>> = {
  C: asn1.Type.PRINTABLESTRING,
  SERIALNUMBER: asn1.Type.PRINTABLESTRING,
  EMAILADDRESS: asn1.Type.IA5STRING,
  DC: asn1.Type.IA5STRING,
};

/** Normalises a serial number given as hex into a minimal, positive DER INTEGER body (hex). */
export function normaliseSerialNumber(serialNumber: string | undefined): string {
  if (serialNumber === undefined) {
    const random = randomBytes(16);
    random[0] = ((random[0] as number) & 0x7f) | 0x40; // positive, and never shorter than 16 bytes
    return random.toString('hex');
  }
  const hex = serialNumber.replace(/^0x/i, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex) || /^0+$/.test(hex)) {
    throw new CpiError(
      'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      `serialNumber "${serialNumber}" is not a positive hexadecimal number; expected e.g. "1a2b3c"`,
      ['serialNumber'],
    );
  }
  let minimal = hex.replace(/^0+/, '');
  if (minimal.length % 2 === 1) minimal = `0${minimal}`;
  if (parseInt(minimal.slice(0, 2), 16) & 0x80) minimal = `00${minimal}`; // keep it positive
  if (minimal.length > 40) {
    throw new CpiError(
      'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      `serialNumber "${serialNumber}" is longer than the 20 bytes RFC 5280 allows`,
      ['serialNumber'],
    );
  }
  return minimal;
}

function readRsaPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    // The reason comes from OpenSSL and never contains key material.
    throw new CpiError(
      'CPI_PKI_PRIVATE_KEY_INVALID',
      `the private key PEM cannot be read (${(error as Error).message})`,
      ['privateKeyPem'],
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CpiError(
      'CPI_PKI_PRIVATE_KEY_INVALID',
      `the private key is of type ${key.asymmetricKeyType}; expected an RSA key`,
      ['privateKeyPem'],
    );
  }
  return key;
}

/** Issues a self-signed certificate (sha256WithRSAEncryption) for the given RSA key; returns it as PEM. */
export function createSelfSignedCertificate(options: SelfSignedCertificateOptions): string {
  const privateKey = readRsaPrivateKey(options.privateKeyPem);
  if (!(options.notBefore.getTime() < options.notAfter.getTime())) {
    throw new CpiError(
      'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      `notAfter ${options.notAfter.toISOString()} is not after notBefore ${options.notBefore.toISOString()}`,
    );
  }
  // RFC 4514 text lists the most specific RDN first; the certificate stores the most general first.
  const attributes = parseSubject(options.subject)
    .reverse()
    .map((a) => ({ type: a.oid, value: a.value, valueTagClass: STRING_TAG_BY_KEYWORD[a.keyword] ?? asn1.Type.UTF8 }));

  const cert = forge.pki.createCertificate();
  const spkiPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  cert.publicKey = forge.pki.publicKeyFromPem(spkiPem);
  cert.serialNumber = normaliseSerialNumber(options.serialNumber);
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  // forge's typings miss valueTagClass, which decides the ASN.1 string type of each value.
  cert.setSubject(attributes as unknown as forge.pki.CertificateField[]);
  cert.setIssuer(attributes as unknown as forge.pki.CertificateField[]);

  const extensions: object[] = [{ name: 'basicConstraints', cA: false }];
  const keyUsage = options.keyUsage === undefined ? ['digitalSignature', 'keyEncipherment'] : options.keyUsage;
  if (keyUsage !== null) {
    extensions.push({ name: 'keyUsage', critical: true, ...Object.fromEntries(keyUsage.map((u) => [u, true])) });
  }
  const ski = options.subjectKeyIdentifier ?? true;
  if (ski === true) {
    extensions.push({ name: 'subjectKeyIdentifier' });
  } else if (typeof ski === 'string') {
    if (!/^([0-9a-fA-F]{2})+$/.test(ski)) {
      throw new CpiError('CPI_PKI_KEY_PAIR_OPTIONS_INVALID', `subjectKeyIdentifier "${ski}" is not hex bytes`);
    }
    extensions.push({
      id: '2.5.29.14',
      value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, forge.util.hexToBytes(ski)),
    });
  }
  cert.setExtensions(extensions);

  // Sign the TBSCertificate with Node's crypto, then let forge serialise the whole certificate.
  const sha256WithRsa = forge.pki.oids['sha256WithRSAEncryption'] as string;
  cert.signatureOid = sha256WithRsa;
  cert.siginfo.algorithmOid = sha256WithRsa;
  cert.md = forge.md.sha256.create();
  const tbsDer = Buffer.from(asn1.toDer(getTbsCertificate(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbsDer, privateKey).toString('binary');
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}
