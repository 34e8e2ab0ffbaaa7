// The provider's own one-time TLS certificate for go-plugin's AutoMTLS. ECDSA P-256, signed with node:crypto: a
// few milliseconds, where an RSA key or a certificate library would cost a large share of the start-up budget
// (Terraform starts the provider 3-5 times per command).
// Terraform's client verifies it with ServerName "localhost" and trusts nothing else, so it must carry
// SAN DNS:localhost and EKU serverAuth.
// Every field but the serial, the validity and the public key is the same in every launch, and those three have
// a fixed length, so the certificate is written into a DER template instead of encoded field by field (which
// cost about 1.3 ms of every launch, most of it in first calls of small functions and Date#toISOString).
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** SEQUENCE of AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), in the certificate and its TBS. */
const ECDSA_WITH_SHA256 = '300a 0608 2a8648ce3d040302';
/** O=cpi-renewal, CN=localhost: issuer and subject. */
const NAME = '302a 3114 3012 0603 55040a 0c0b 6370692d72656e6577616c 3112 3010 0603 550403 0c09 6c6f63616c686f7374';
/** An EC P-256 SubjectPublicKeyInfo (uncompressed point) is always this long. */
const SPKI_LENGTH = 91;
/** TBSCertificate: SEQUENCE of 342 bytes, version v3, a 16-byte serial follows. */
const TBS_START = hex('3082 0156  a003 020102  0210');
const TBS_ALGORITHM_AND_ISSUER = hex(ECDSA_WITH_SHA256 + NAME);
/** Validity: SEQUENCE of two UTCTimes of 13 characters each. */
const VALIDITY_START = hex('301e 170d');
const UTC_TIME = hex('170d');
const SUBJECT = hex(NAME);
/**
 * [3] extensions: basicConstraints CA (critical); keyUsage digitalSignature, keyEncipherment, keyAgreement,
 * keyCertSign (critical, as go-plugin's own template); extKeyUsage serverAuth, clientAuth; subjectAltName
 * DNS:localhost, IP:127.0.0.1.
 */
const EXTENSIONS = hex(
  'a35e 305c' +
    '300f 0603 551d13 0101ff 0405 3003 0101ff' +
    '300e 0603 551d0f 0101ff 0404 0302 02ac' +
    '301d 0603 551d25 0416 3014 0608 2b06010505070301 0608 2b06010505070302' +
    '301a 0603 551d11 0413 3011 8209 6c6f63616c686f7374 8704 7f000001',
);
const SIGNATURE_ALGORITHM = hex(ECDSA_WITH_SHA256);

/** UTCTime text YYMMDDHHMMSSZ, which RFC 5280 allows for the years 1950-2049 only. */
function utcTime(d: Date): Buffer {
  const year = d.getUTCFullYear();
  if (!(year >= 1950 && year < 2050)) throw new RangeError(`no UTCTime for ${String(d)}`);
  const fields = [
    year % 100,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
  return Buffer.from(`${fields.map((n) => String(n).padStart(2, '0')).join('')}Z`, 'ascii');
}

export interface TlsIdentity {
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  readonly privateKeyPem: string;
}

export function createTlsIdentity(now = new Date()): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  if (spki.length !== SPKI_LENGTH) throw new Error(`an EC P-256 public key of ${spki.length} bytes`);
  // A positive 16-byte integer whose first byte is not zero: DER's minimal encoding is then exactly 16 bytes.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const tbs = Buffer.concat([
    TBS_START,
    serial,
    TBS_ALGORITHM_AND_ISSUER,
    VALIDITY_START,
    utcTime(new Date(now.getTime() - 60_000)),
    UTC_TIME,
    utcTime(new Date(now.getTime() + 24 * 3600_000)),
    SUBJECT,
    spki,
    EXTENSIONS,
  ]);
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value, 70-72 bytes
  const bitString = [0x03, signature.length + 1, 0x00]; // BIT STRING, no unused bits
  const length = tbs.length + SIGNATURE_ALGORITHM.length + bitString.length + signature.length;
  const certificateDer = Buffer.concat([
    Buffer.from([0x30, 0x82, length >> 8, length & 0xff]),
    tbs,
    SIGNATURE_ALGORITHM,
    Buffer.from(bitString),
    signature,
  ]);
  const body = certificateDer.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    certificateDer,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
