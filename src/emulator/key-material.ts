// Key pairs the emulated tenant owns from the start: SAP's own key pair and the tenant's signing key pairs that the
// iFlows reference. Keys come from node:crypto; node-forge only wraps the public key in a self-signed certificate.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { createSelfSignedCertificate } from '../pki/self-signed-certificate';

export interface GeneratedKeyPair {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** The subject of a generated certificate, in the fields SAP's KeyPairGenerationRequest takes. */
export interface KeyPairSubject {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationUnit?: string;
  readonly locality?: string;
  readonly state?: string;
  readonly country?: string;
  readonly email?: string;
}

export interface KeyPairOptions {
  /** @default 365 days from now */
  readonly notAfter?: Date;
  /** @default 2048 */
  readonly modulusLength?: number;
}

/** An RSA key pair with a self-signed SHA256withRSA certificate for the subject (RSA-2048, a year, by default). */
export function generateSelfSignedKeyPair(
  commonName: string | KeyPairSubject,
  organization?: string,
  days = 365,
  options: KeyPairOptions = {},
): GeneratedKeyPair {
  const subject: KeyPairSubject = typeof commonName === 'string' ? { commonName, organization } : commonName;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: options.modulusLength ?? 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // positive serial: clear the top bit
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  certificate.serialNumber = serial.toString('hex');
  const now = Date.now();
  certificate.validity.notBefore = new Date(now - 60_000);
  certificate.validity.notAfter = options.notAfter ?? new Date(now + days * 86_400_000);
  // most significant first, as X.509 names are written (shown as "CN=…, O=…, C=…")
  const fields: Array<[string, string | undefined]> = [
    ['countryName', subject.country],
    ['stateOrProvinceName', subject.state],
    ['localityName', subject.locality],
    ['organizationName', subject.organization],
    ['organizationalUnitName', subject.organizationUnit],
    ['commonName', subject.commonName],
    ['emailAddress', subject.email],
  ];
  const name = fields.filter(([, value]) => value).map(([field, value]) => ({ name: field, value: value! }));
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), privateKeyPem: privateKey };
}

/** One RSA key for every certificate seeded by expiry: a fleet of emulators seeds thousands, and a key costs ~50 ms. */
let seedKeyPem: string | undefined;

const DAY_MS = 86_400_000;

/**
 * A self-signed RSA certificate for `CN=<alias>` whose not-after lies `expiresInDays` after `now` (negative: already
 * expired) and whose validity is `validityDays` long (default 365). Its private key is of no use to anyone: the
 * tenant holds only the certificate, as it does for a receiver's encryption certificate.
 */
export function issueCertificateExpiring(
  alias: string,
  expiresInDays: number,
  validityDays = 365,
  now = Date.now(),
): string {
  seedKeyPem ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const notAfter = new Date(now + expiresInDays * DAY_MS);
  return createSelfSignedCertificate({
    privateKeyPem: seedKeyPem,
    subject: `CN=${alias.replace(/[,+"\\<>;=#]/g, '_')},O=Emulator seed`,
    notBefore: new Date(notAfter.getTime() - validityDays * DAY_MS),
    notAfter,
  });
}
