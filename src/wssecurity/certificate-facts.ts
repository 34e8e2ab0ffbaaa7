// The facts about an X.509 certificate that WS-Security key identifiers refer to: fingerprints, issuer + serial,
// subject key identifier. node:crypto's X509Certificate gives most; the DER walk (forge's ASN.1 reader) gives the
// issuer as OID/value pairs and the SKI extension, which X509Certificate does not expose.
import { X509Certificate, createHash } from 'node:crypto';
import forge from 'node-forge';
import { CpiError } from '../errors';

/** Facts about one certificate, computed once. */
export interface CertificateFacts {
  readonly x509: X509Certificate;
  readonly der: Buffer;
  /** SHA-256 over the DER, colon-separated upper-case hex (the form node:crypto prints). */
  readonly fingerprint256: string;
  /** SHA-1 over the DER (ThumbprintSHA1). */
  readonly thumbprintSha1: Buffer;
  /** Subject key identifier: the extension value, else SHA-1 of the RSAPublicKey (RFC 5280 method 1, as WSS4J). */
  readonly ski: Buffer;
  /** True when `ski` came from the certificate's extension. */
  readonly skiFromExtension: boolean;
  /** Issuer as a sorted multiset of `oid=normalised value`. */
  readonly issuerKey: string;
  /** Issuer in RFC 4514 order and escaping (most specific RDN first), for messages. */
  readonly issuerRfc4514: string;
  readonly serial: bigint;
  readonly subject: string;
}

const cache = new Map<string, CertificateFacts>();
const CACHE_LIMIT = 256;

/** Facts of a certificate given as PEM or DER; cached because keyrings are consulted for every message. */
export function certificateFacts(certificate: string | Buffer): CertificateFacts {
  const key = typeof certificate === 'string' ? certificate : certificate.toString('base64');
  const hit = cache.get(key);
  if (hit) return hit;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certificate);
  } catch (error) {
    throw new CpiError('CPI_WSS_INVALID_OPTION', `not an X.509 certificate (PEM or DER): ${(error as Error).message}`);
  }
  const der = x509.raw;
  const { issuer, skiExtension } = readTbs(der);
  const ski =
    skiExtension ??
    createHash('sha1')
      .update(x509.publicKey.export({ type: 'pkcs1', format: 'der' }))
      .digest();
  const facts: CertificateFacts = {
    x509,
    der,
    fingerprint256: x509.fingerprint256,
    thumbprintSha1: createHash('sha1').update(der).digest(),
    ski,
    skiFromExtension: skiExtension !== undefined,
    issuerKey: dnKey(issuer),
    issuerRfc4514: formatRfc4514(issuer),
    serial: BigInt(`0x${x509.serialNumber}`),
    subject: x509.subject.split('\n').reverse().join(', '),
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, facts);
  return facts;
}

/** One attribute of a distinguished name. */
export interface DnAttribute {
  readonly oid: string;
  readonly value: string;
}

const OID_BY_KEYWORD: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SURNAME: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  S: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  TITLE: '2.5.4.12',
  GIVENNAME: '2.5.4.42',
  GN: '2.5.4.42',
  INITIALS: '2.5.4.43',
  DNQUALIFIER: '2.5.4.46',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
  EMAIL: '1.2.840.113549.1.9.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
};
const KEYWORD_BY_OID = new Map(
  ['CN', 'SN', 'SERIALNUMBER', 'C', 'L', 'ST', 'STREET', 'O', 'OU', 'T', 'GIVENNAME', 'DC', 'UID', 'E'].map((k) => [
    OID_BY_KEYWORD[k]!,
    k,
  ]),
);

/** Normalised, order-insensitive key of a DN: toolkits differ in RDN order, escaping and e-mail spelling. */
export function dnKey(attributes: readonly DnAttribute[]): string {
  return attributes
    .map((a) => `${a.oid}=${a.value.trim().replace(/\s+/g, ' ').toLowerCase()}`)
    .sort()
    .join('\n');
}

/**
 * Parses a DN string as XML Signature's X509IssuerName carries it (RFC 2253/4514; also the `, `-separated form
 * Java prints and `OID=#hex` values). Throws CPI_WSS_MALFORMED_MESSAGE when it cannot be read.
 */
export function parseDn(text: string): DnAttribute[] {
  const out: DnAttribute[] = [];
  let i = 0;
  const s = text;
  const fail = (why: string): never => {
    throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `cannot read the distinguished name "${text}": ${why}`);
  };
  while (i < s.length) {
    while (s[i] === ' ') i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) fail(`no "=" after position ${i}`);
    const type = s.slice(i, eq).trim();
    const oid = /^\d+(\.\d+)+$/.test(type) ? type : OID_BY_KEYWORD[type.toUpperCase().replace(/^OID\./, '')];
    if (!oid) fail(`unknown attribute type "${type}"`);
    i = eq + 1;
    while (s[i] === ' ') i++;
    let value: string;
    if (s[i] === '#') {
      const m = /^#([0-9a-fA-F]+)/.exec(s.slice(i));
      if (!m) fail('bad #hex value');
      value = decodeDerString(Buffer.from(m![1]!, 'hex'));
      i += m![0].length;
    } else if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) fail('unterminated quoted value');
      value = s.slice(i + 1, end);
      i = end + 1;
    } else {
      const bytes: number[] = [];
      while (i < s.length && s[i] !== ',' && s[i] !== ';' && s[i] !== '+') {
        if (s[i] === '\\') {
          const hex = /^[0-9a-fA-F]{2}/.exec(s.slice(i + 1, i + 3));
          if (hex) {
            bytes.push(parseInt(hex[0], 16));
            i += 3;
          } else {
            bytes.push(...Buffer.from(s[i + 1] ?? '', 'utf8'));
            i += 2;
          }
        } else {
          bytes.push(...Buffer.from(s[i]!, 'utf8'));
          i++;
        }
      }
      value = Buffer.from(bytes).toString('utf8');
    }
    out.push({ oid: oid!, value });
    while (s[i] === ' ') i++;
    if (i < s.length) {
      if (s[i] !== ',' && s[i] !== ';' && s[i] !== '+') fail(`unexpected "${s[i]}" at position ${i}`);
      i++;
    }
  }
  if (out.length === 0) fail('it is empty');
  return out;
}

/** RFC 4514 string of a DN given in certificate order (least specific first). */
export function formatRfc4514(attributes: readonly DnAttribute[]): string {
  return [...attributes]
    .reverse()
    .map((a) => {
      const escaped = a.value
        .replace(/([,+"\\<>;])/g, '\\$1')
        .replace(/^([ #])/, '\\$1')
        .replace(/ $/, '\\ ');
      return `${KEYWORD_BY_OID.get(a.oid) ?? a.oid}=${escaped}`;
    })
    .join(',');
}

type Asn1 = forge.asn1.Asn1;

function readTbs(der: Buffer): { issuer: DnAttribute[]; skiExtension: Buffer | undefined } {
  const cert = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = (cert.value as Asn1[])[0]!.value as Asn1[];
  // tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki, [1], [2], [3] ext
  const offset = tbs[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const issuer = readName(tbs[offset + 2]!);
  let skiExtension: Buffer | undefined;
  for (const item of tbs.slice(offset + 6)) {
    if (item.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || item.type !== 3) continue;
    for (const ext of (item.value as Asn1[])[0]!.value as Asn1[]) {
      const parts = ext.value as Asn1[];
      if (forge.asn1.derToOid(parts[0]!.value as string) !== '2.5.29.14') continue;
      const octets = parts[parts.length - 1]!.value as string;
      const inner = forge.asn1.fromDer(forge.util.createBuffer(octets));
      skiExtension = Buffer.from(inner.value as string, 'binary');
    }
  }
  return { issuer, skiExtension };
}

function readName(name: Asn1): DnAttribute[] {
  const out: DnAttribute[] = [];
  for (const rdn of name.value as Asn1[]) {
    for (const atv of rdn.value as Asn1[]) {
      const [type, value] = atv.value as Asn1[];
      out.push({ oid: forge.asn1.derToOid(type!.value as string), value: asn1String(value!) });
    }
  }
  return out;
}

function asn1String(node: Asn1): string {
  const raw = Buffer.from(node.value as string, 'binary');
  if (node.type === forge.asn1.Type.BMPSTRING) return raw.swap16().toString('utf16le');
  if (node.type === forge.asn1.Type.UTF8) return raw.toString('utf8');
  return raw.toString('latin1');
}

function decodeDerString(der: Buffer): string {
  try {
    return asn1String(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))));
  } catch {
    return der.toString('hex');
  }
}
