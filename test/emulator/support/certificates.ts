// Test certificates: self-signed ones, and a small CA with certificates it issued (for the trust-path rule).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface TestCertificate {
  readonly pem: string;
  readonly privateKeyPem: string;
  readonly der: Buffer;
}

function keyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** A certificate for `commonName`, self-signed unless an issuer is given. */
export function makeCertificate(
  commonName: string,
  issuer?: TestCertificate & { commonName: string },
  isCa = false,
): TestCertificate & { commonName: string } {
  const keys = keyPair();
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  const serial = randomBytes(12);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  certificate.serialNumber = serial.toString('hex');
  certificate.validity.notBefore = new Date(Date.now() - 3_600_000);
  certificate.validity.notAfter = new Date(Date.now() + 400 * 86_400_000);
  certificate.setSubject([
    { name: 'countryName', value: 'DE' },
    { name: 'organizationName', value: 'Receiver Org' },
    { name: 'commonName', value: commonName },
  ]);
  certificate.setIssuer(
    issuer
      ? forge.pki.certificateFromPem(issuer.pem).subject.attributes
      : [
          { name: 'countryName', value: 'DE' },
          { name: 'organizationName', value: 'Receiver Org' },
          { name: 'commonName', value: commonName },
        ],
  );
  certificate.setExtensions([
    { name: 'basicConstraints', cA: isCa },
    { name: 'keyUsage', keyCertSign: isCa, digitalSignature: true, keyEncipherment: true },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(issuer?.privateKeyPem ?? keys.privateKey), forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(certificate);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), 'binary');
  return { pem, privateKeyPem: keys.privateKey, der, commonName };
}
