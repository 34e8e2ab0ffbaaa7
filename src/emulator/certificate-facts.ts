// What the tenant reports about a certificate (KeystoreEntry fields), read with node:crypto. The signature
// algorithm and X.509 version are not exposed by Node 20's X509Certificate, so they come from a tiny DER walk.
// Deliberately independent of src/pki/certificate-info.ts (the product's one X.509 reader): the emulator plays the
// SAP tenant, which computes these facts itself, so a test that compares the provider's view (src/pki) with the
// tenant's (this file) is checking two readers against each other. It is a test oracle: do not import src/pki here.
import { X509Certificate } from 'node:crypto';
import { ODataError } from './odata';

/** The certificate fields of a KeystoreEntry, in the tenant's formats. */
export interface CertificateFacts {
  readonly keyType: string;
  readonly keySize: number | null;
  readonly ellipticCurve: string | null;
  readonly validNotBefore: number;
  readonly validNotAfter: number;
  /** `0x` + upper-case hex without leading zeros, as the tenant writes it. */
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly version: number;
  /** Colon-separated upper-case hex. */
  readonly fingerprintSha1: string;
  readonly fingerprintSha256: string;
  readonly fingerprintSha512: string;
}

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5withRSA',
  '1.2.840.113549.1.1.5': 'SHA1withRSA',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'SHA256withRSA',
  '1.2.840.113549.1.1.12': 'SHA384withRSA',
  '1.2.840.113549.1.1.13': 'SHA512withRSA',
  '1.2.840.10045.4.1': 'SHA1withECDSA',
  '1.2.840.10045.4.3.2': 'SHA256withECDSA',
  '1.2.840.10045.4.3.3': 'SHA384withECDSA',
  '1.2.840.10045.4.3.4': 'SHA512withECDSA',
  '1.2.840.10040.4.3': 'SHA1withDSA',
  '2.16.840.1.101.3.4.3.2': 'SHA256withDSA',
  '1.3.101.112': 'Ed25519',
};

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 };

interface DerNode {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function readNode(der: Buffer, offset: number): DerNode {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function children(der: Buffer, node: DerNode): DerNode[] {
  const nodes: DerNode[] = [];
  for (let offset = node.start; offset < node.end;) {
    const child = readNode(der, offset);
    nodes.push(child);
    offset = child.end;
  }
  return nodes;
}

function decodeOid(bytes: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

function signatureAndVersion(der: Buffer): { signatureAlgorithm: string; version: number } {
  const [tbs, algorithm] = children(der, readNode(der, 0));
  const oidNode = children(der, algorithm!)[0]!;
  const oid = decodeOid(der.subarray(oidNode.start, oidNode.end));
  const first = children(der, tbs!)[0]!;
  // version is [0] EXPLICIT INTEGER, absent for v1
  const version = first.tag === 0xa0 ? der[children(der, first)[0]!.start]! + 1 : 1;
  return { signatureAlgorithm: SIGNATURE_ALGORITHMS[oid] ?? oid, version };
}

/** Node writes DNs one RDN per line in DER order; the tenant (Java) writes them most-specific first, comma-joined. */
function javaStyleDn(nodeDn: string): string {
  return nodeDn.split('\n').filter(Boolean).reverse().join(', ');
}

/**
 * Reads a certificate upload as the tenant accepts it: binary DER, base64 DER without header, or PEM
 * (docs/design/sap-api.md#certificate-formats). Throws 415 when the body is none of these.
 */
export function parseCertificateUpload(body: Buffer): X509Certificate {
  const text = body.toString('latin1').trim();
  let der: Buffer = body;
  if (text.startsWith('-----BEGIN')) {
    const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
    der = Buffer.from(match?.[1] ?? '', 'base64');
  } else if (/^[A-Za-z0-9+/=\s]+$/.test(text) && body[0] !== 0x30) {
    der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  }
  try {
    const certificate = new X509Certificate(der);
    signatureAndVersion(certificate.raw);
    return certificate;
  } catch {
    throw new ODataError(
      415,
      'The request body is not an X.509 certificate; send DER, base64-encoded DER, or PEM (Content-Type application/pkix-cert)',
    );
  }
}

const cache = new Map<string, CertificateFacts>();

/** The KeystoreEntry facts of a PEM certificate (memoised: listings read the same certificates often). */
export function keystoreEntryFacts(pem: string): CertificateFacts {
  const cached = cache.get(pem);
  if (cached) return cached;
  const certificate = new X509Certificate(pem);
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const keyType = (key.asymmetricKeyType ?? 'unknown').replace('rsa-pss', 'rsa').toUpperCase();
  const curve = details.namedCurve ?? null;
  const facts: CertificateFacts = {
    keyType,
    keySize: details.modulusLength ?? (curve ? (CURVE_BITS[curve] ?? null) : null),
    ellipticCurve: curve,
    validNotBefore: Date.parse(certificate.validFrom),
    validNotAfter: Date.parse(certificate.validTo),
    serialNumber: `0x${certificate.serialNumber.toUpperCase().replace(/^0+(?=.)/, '')}`,
    ...signatureAndVersion(certificate.raw),
    subjectDN: javaStyleDn(certificate.subject),
    issuerDN: javaStyleDn(certificate.issuer),
    fingerprintSha1: certificate.fingerprint,
    fingerprintSha256: certificate.fingerprint256,
    fingerprintSha512: certificate.fingerprint512,
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(pem, facts);
  return facts;
}

/** Whether `certificate` was issued and signed by `issuer`: the emulator's notion of a trust path. */
export function isIssuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}
