// Reads one X.509 certificate from PEM into the facts the renewal needs: the fingerprints the SAP tenant shows,
// the key identifiers a WS-Security receiver picks its key by (issuer + serial, SKI, SHA-1 thumbprint), validity,
// key type and size, and key usage. Node's X509Certificate (OpenSSL) validates the DER; node-forge's ASN.1 reader
// supplies the fields Node 20 does not expose (SKI, key usage bits, raw serial, dates).
import { createHash, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { CpiError } from '../errors';
import { colonHex } from '../rules/fingerprint';
import { derToPem, readCertificateBlock } from './certificate-pem';
import { formatRfc2253, formatSapDn, readDnSequence } from './distinguished-name';

const asn1 = forge.asn1;
// @types/node-forge lacks the options argument; decodeBitStrings: false keeps BIT STRING bytes as they are.
const fromDer = asn1.fromDer as unknown as (
  input: forge.util.ByteStringBuffer,
  options: { strict?: boolean; decodeBitStrings?: boolean },
) => forge.asn1.Asn1;

/** Key usage bits of RFC 5280 §4.2.1.3, by name. */
export type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsage[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

const EXTENDED_KEY_USAGE_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

/** Key algorithm of the certificate's public key, named as the SAP tenant names KeyType where it overlaps. */
export type KeyType = 'RSA' | 'RSASSA-PSS' | 'EC' | 'DSA' | 'Ed25519' | 'Ed448' | 'X25519' | 'X448' | 'DH';

/** Everything the renewal needs to know about one certificate. Values are plain data, safe to log. */
export interface CertificateInfo {
  /** The certificate as normalised PEM: one CERTIFICATE block, 64-character lines, '\n', trailing newline. */
  readonly pem: string;
  /** The certificate's DER bytes. */
  readonly der: Buffer;
  /** SHA-256 over the DER, colon-separated upper-case hex, as the tenant shows FingerprintSha256. */
  readonly fingerprintSha256: string;
  /** SHA-1 over the DER, colon-separated upper-case hex (FingerprintSha1; also WS-Security's ThumbprintSHA1). */
  readonly fingerprintSha1: string;
  /**
   * Serial number as lower-case hex without leading zeros ("0" for zero; a negative serial, which RFC 5280
   * forbids but some CAs issued, keeps its sign: "-1f"). The tenant shows the same number as "0x…".
   */
  readonly serialNumber: string;
  /** Serial number in decimal, as WS-Security writes ds:X509SerialNumber. */
  readonly serialNumberDecimal: string;
  /** Issuer DN in RFC 4514 form (most specific first, ',' without spaces), equal to Java's getName(). */
  readonly issuerDn: string;
  /** Subject DN in RFC 4514 form, as issuerDn. */
  readonly subjectDn: string;
  /** Issuer DN as the SAP tenant shows IssuerDN ("CN=a, O=b, C=DE"). */
  readonly sapIssuerDn: string;
  /** Subject DN as the SAP tenant shows SubjectDN. */
  readonly sapSubjectDn: string;
  /** Start of validity (notBefore). */
  readonly validFrom: Date;
  /** End of validity (notAfter, inclusive). */
  readonly validTo: Date;
  readonly keyType: KeyType;
  /** Key size in bits: RSA/DSA modulus length, EC curve size (0 for a curve this code does not know). */
  readonly keySize: number;
  /** Named curve for EC keys (e.g. prime256v1), else undefined. */
  readonly ellipticCurve: string | undefined;
  /** Subject key identifier, lower-case hex without separators. */
  readonly subjectKeyIdentifier: string;
  /**
   * Where subjectKeyIdentifier came from: the certificate's SKI extension, or, when absent, computed as WSS4J
   * does (SHA-1 over the subjectPublicKey BIT STRING contents, RFC 5280 §4.2.1.2 method 1).
   */
  readonly subjectKeyIdentifierSource: 'extension' | 'computed';
  /** Key usage bits that are set, or undefined when the certificate has no key usage extension. */
  readonly keyUsage: readonly KeyUsage[] | undefined;
  /** Extended key usages by name (dotted OID when unknown), or undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** True when the basic constraints extension says cA=TRUE (whatever the key usage says). */
  readonly isCa: boolean;
  /** SHA-256 over the SubjectPublicKeyInfo DER, lower-case hex: equal values mean the same public key. */
  readonly publicKeySpkiSha256: string;
}

function children(node: forge.asn1.Asn1 | undefined, what: string): forge.asn1.Asn1[] {
  if (node === undefined || !Array.isArray(node.value)) throw new Error(`${what} is not a constructed ASN.1 value`);
  return node.value;
}

function bytes(node: forge.asn1.Asn1 | undefined, what: string): string {
  if (node === undefined || typeof node.value !== 'string') throw new Error(`${what} is not a primitive ASN.1 value`);
  return node.value;
}

function readTime(node: forge.asn1.Asn1 | undefined): Date {
  const text = bytes(node, 'Time');
  if (node?.type === asn1.Type.UTCTIME) return asn1.utcTimeToDate(text);
  if (node?.type === asn1.Type.GENERALIZEDTIME) return asn1.generalizedTimeToDate(text);
  throw new Error('Time is neither UTCTime nor GeneralizedTime');
}

function readSerial(raw: string): { hex: string; decimal: string } {
  const buf = Buffer.from(raw, 'binary');
  if (buf.length === 0) return { hex: '0', decimal: '0' };
  let value = BigInt(`0x${buf.toString('hex')}`);
  // DER INTEGER is two's complement.
  if ((buf[0] as number) & 0x80) value -= 1n << BigInt(buf.length * 8);
  const hex = value < 0n ? `-${(-value).toString(16)}` : value.toString(16);
  return { hex, decimal: value.toString(10) };
}

/** Bits of a DER BIT STRING (read without decoding its contents), MSB first. */
function bitStringBits(raw: string): boolean[] {
  const buf = Buffer.from(raw, 'binary');
  const unused = buf[0] ?? 0;
  const bits: boolean[] = [];
  for (let i = 1; i < buf.length; i++) {
    for (let b = 7; b >= 0; b--) bits.push((((buf[i] as number) >> b) & 1) === 1);
  }
  return bits.slice(0, Math.max(0, bits.length - unused));
}

const KEY_TYPES: Readonly<Record<string, KeyType>> = {
  rsa: 'RSA',
  'rsa-pss': 'RSASSA-PSS',
  ec: 'EC',
  dsa: 'DSA',
  ed25519: 'Ed25519',
  ed448: 'Ed448',
  x25519: 'X25519',
  x448: 'X448',
  dh: 'DH',
};

const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/**
 * Parses exactly one X.509 certificate given as PEM. Text around the block (e.g. `openssl x509 -text` output)
 * is ignored. Refuses, with a stable code: text without a PEM block (CPI_PKI_NOT_PEM); any PRIVATE KEY block,
 * without echoing it (CPI_PKI_PRIVATE_KEY_PASTED); several certificates, i.e. a chain
 * (CPI_PKI_CERTIFICATE_CHAIN); a block of another kind (CPI_PKI_NOT_A_CERTIFICATE); damaged base64
 * (CPI_PKI_PEM_BASE64_INVALID); bytes that are not an X.509 certificate (CPI_PKI_CERTIFICATE_UNREADABLE).
 */
export function parseCertificatePem(pem: string): CertificateInfo {
  return certificateInfoFromDer(readCertificateBlock(pem));
}

/** Reads certificate facts from DER bytes (refuses what parseCertificatePem refuses for unreadable bytes). */
export function certificateInfoFromDer(der: Buffer): CertificateInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (error) {
    throw new CpiError(
      'CPI_PKI_CERTIFICATE_UNREADABLE',
      `the ${der.length} bytes inside the CERTIFICATE block are not an X.509 certificate (${(error as Error).message})`,
    );
  }
  if (x509.raw.length !== der.length) {
    throw new CpiError(
      'CPI_PKI_CERTIFICATE_UNREADABLE',
      `${der.length - x509.raw.length} bytes follow the end of the certificate inside the CERTIFICATE block`,
    );
  }
  try {
    return describe(x509);
  } catch (error) {
    if (error instanceof CpiError) throw error;
    throw new CpiError(
      'CPI_PKI_CERTIFICATE_UNREADABLE',
      `the certificate's structure could not be read (${(error as Error).message})`,
    );
  }
}

function describe(x509: X509Certificate): CertificateInfo {
  const der = Buffer.from(x509.raw);
  const root = fromDer(forge.util.createBuffer(der.toString('binary')), {
    strict: true,
    decodeBitStrings: false,
  });
  const tbs = children(children(root, 'Certificate')[0], 'TBSCertificate');
  // The version field is [0] EXPLICIT and optional (absent in v1 certificates).
  const offset = tbs[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC && tbs[0].type === 0 ? 1 : 0;
  const serial = readSerial(bytes(tbs[offset], 'serialNumber'));
  const issuer = readDnSequence(tbs[offset + 2] as forge.asn1.Asn1);
  const [notBefore, notAfter] = children(tbs[offset + 3], 'Validity');
  const subject = readDnSequence(tbs[offset + 4] as forge.asn1.Asn1);
  const spki = children(tbs[offset + 5], 'SubjectPublicKeyInfo');
  const subjectPublicKey = Buffer.from(bytes(spki[1], 'subjectPublicKey'), 'binary').subarray(1);

  const extensions = new Map<string, forge.asn1.Asn1>();
  const extensionsNode = tbs.slice(offset + 6).find((n) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  if (extensionsNode !== undefined) {
    for (const ext of children(children(extensionsNode, 'extensions')[0], 'Extensions')) {
      const parts = children(ext, 'Extension');
      const oid = asn1.derToOid(bytes(parts[0], 'extnID'));
      const value = parts[parts.length - 1];
      extensions.set(oid, fromDer(forge.util.createBuffer(bytes(value, 'extnValue')), { decodeBitStrings: false }));
    }
  }

  const skiNode = extensions.get('2.5.29.14');
  const subjectKeyIdentifier =
    skiNode !== undefined
      ? Buffer.from(bytes(skiNode, 'SubjectKeyIdentifier'), 'binary').toString('hex')
      : createHash('sha1').update(subjectPublicKey).digest('hex');

  const kuNode = extensions.get('2.5.29.15');
  const keyUsage =
    kuNode === undefined
      ? undefined
      : bitStringBits(bytes(kuNode, 'KeyUsage')).flatMap((set, i) => {
          const name = KEY_USAGE_BITS[i];
          return set && name !== undefined ? [name] : [];
        });

  const ekuNode = extensions.get('2.5.29.37');
  const extendedKeyUsage =
    ekuNode === undefined
      ? undefined
      : children(ekuNode, 'ExtKeyUsageSyntax').map((n) => {
          const oid = asn1.derToOid(bytes(n, 'KeyPurposeId'));
          return EXTENDED_KEY_USAGE_NAMES[oid] ?? oid;
        });

  // basicConstraints cA as written; Node's x509.ca is OpenSSL's X509_check_ca, which also looks at key usage.
  const bcNode = extensions.get('2.5.29.19');
  const bcFirst = bcNode !== undefined ? children(bcNode, 'BasicConstraints')[0] : undefined;
  const isCa = bcFirst?.type === asn1.Type.BOOLEAN && bytes(bcFirst, 'cA') !== '\x00';

  const publicKey = x509.publicKey;
  const keyType = KEY_TYPES[publicKey.asymmetricKeyType ?? ''];
  if (keyType === undefined) {
    throw new CpiError(
      'CPI_PKI_CERTIFICATE_UNREADABLE',
      `the certificate's public key algorithm "${publicKey.asymmetricKeyType}" is not supported`,
    );
  }
  const details = publicKey.asymmetricKeyDetails ?? {};
  const curve = details.namedCurve;
  const keySize =
    details.modulusLength ??
    (curve !== undefined ? (CURVE_BITS[curve] ?? 0) : keyType === 'Ed25519' || keyType === 'X25519' ? 256 : 0);

  return {
    pem: derToPem(der),
    der,
    fingerprintSha256: colonHex(createHash('sha256').update(der).digest()),
    fingerprintSha1: colonHex(createHash('sha1').update(der).digest()),
    serialNumber: serial.hex,
    serialNumberDecimal: serial.decimal,
    issuerDn: formatRfc2253(issuer),
    subjectDn: formatRfc2253(subject),
    sapIssuerDn: formatSapDn(issuer),
    sapSubjectDn: formatSapDn(subject),
    validFrom: readTime(notBefore),
    validTo: readTime(notAfter),
    keyType,
    keySize,
    ellipticCurve: curve,
    subjectKeyIdentifier,
    subjectKeyIdentifierSource: skiNode !== undefined ? 'extension' : 'computed',
    keyUsage,
    extendedKeyUsage,
    isCa,
    publicKeySpkiSha256: createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}
