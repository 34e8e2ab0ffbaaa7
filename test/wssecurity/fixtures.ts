// Test key pairs and certificates: keys from node:crypto (fast, native), certificates signed by node-forge.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface TestKeyPair {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly name: string;
}

export interface TestCertificateOptions {
  readonly bits?: number;
  /** Add the subjectKeyIdentifier extension. @default true */
  readonly ski?: boolean;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Sign with this issuer instead of self-signing. */
  readonly issuer?: TestKeyPair;
}

/** A key pair and certificate; the issuer DN holds an escaped comma, as real CA names do. */
export function makeKeyPair(name: string, options: TestCertificateOptions = {}): TestKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: options.bits ?? 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // Positive serial with the top bit set, to exercise big serials.
  cert.serialNumber = `7f${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  const subject = [
    { shortName: 'C', value: 'DE' },
    { shortName: 'O', value: 'Example Receiver GmbH, Trust Services' },
    { shortName: 'CN', value: name },
  ];
  cert.setSubject(subject);
  let signingKey = key;
  if (options.issuer) {
    const issuerCert = forge.pki.certificateFromPem(options.issuer.certificatePem);
    cert.setIssuer(issuerCert.subject.attributes);
    signingKey = forge.pki.privateKeyFromPem(options.issuer.privateKeyPem) as forge.pki.rsa.PrivateKey;
  } else {
    cert.setIssuer(subject);
  }
  const extensions: object[] = [{ name: 'keyUsage', digitalSignature: true, keyEncipherment: true }];
  if (options.ski ?? true) extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(signingKey, forge.md.sha256.create());
  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert), name };
}

/** PKCS#12 (3DES, as Java 17 reads it) holding one key entry under `alias`. */
export function makePkcs12(pair: TestKeyPair, alias: string, password: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(pair.privateKeyPem),
    [forge.pki.certificateFromPem(pair.certificatePem)],
    password,
    { algorithm: '3des', friendlyName: alias, generateLocalKeyId: true },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

export const SAMPLE_BODY =
  '<m:PurchaseOrder xmlns:m="urn:example:orders"><m:Item sku="A-1" qty="2">Spade &amp; shovel</m:Item><m:Note>Grüße</m:Note></m:PurchaseOrder>';
