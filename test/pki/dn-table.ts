// Issuer names that real CAs use and that toolkits write differently: the table the DN tests run against Java's
// X500Principal and the WSS4J interop tests run against Apache WSS4J. Each entry is a Name as DER stores it
// (RDNs most general first, each RDN a SET of attributes with the ASN.1 string type the CA chose); a
// certificate with that issuer is made for any RSA key.
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import forge from 'node-forge';

const asn1 = forge.asn1;
const T = asn1.Type;
const TELETEX = 20;

/** One attribute of a Name: type, ASN.1 string tag and value. */
export interface TableAttribute {
  readonly oid: string;
  readonly tag: number;
  readonly value: string;
}

export interface DnTableEntry {
  readonly name: string;
  /** RDNs in DER order (most general first); an RDN of two attributes is multi-valued. */
  readonly rdns: readonly (readonly TableAttribute[])[];
}

const at = (oid: string, tag: number, value: string): TableAttribute => ({ oid, tag, value });
const C = (v: string) => at('2.5.4.6', T.PRINTABLESTRING, v);
const O = (v: string, tag: number = T.UTF8) => at('2.5.4.10', tag, v);
const CN = (v: string, tag: number = T.UTF8) => at('2.5.4.3', tag, v);

export const DN_TABLE: readonly DnTableEntry[] = [
  {
    name: 'e-mail address (PKCS#9 emailAddress, IA5String)',
    rdns: [
      [C('DE')],
      [O('Example PKI')],
      [CN('Example Issuing CA')],
      [at('1.2.840.113549.1.9.1', T.IA5STRING, 'pki@example.org')],
    ],
  },
  {
    name: 'multi-valued RDN (OU+L)',
    rdns: [
      [C('DE')],
      [O('Example')],
      [at('2.5.4.11', T.UTF8, 'Ops'), at('2.5.4.7', T.UTF8, 'Berlin')],
      [CN('Multi CA')],
    ],
  },
  {
    name: 'UTF-8 values outside ASCII',
    rdns: [[C('CH')], [O('Ärzte & Söhne AG')], [CN('Zoë Ünïcode 日本 CA')]],
  },
  {
    name: 'characters RFC 2253 escapes (, + " \\ < > ; = # and edge spaces)',
    rdns: [
      [C('DE')],
      [at('2.5.4.11', T.UTF8, ' padded ')],
      [O('Example, Trust+Services "EU" <a>;b\\c=d')],
      [CN('#1 CA #2')],
    ],
  },
  {
    name: 'domain components (DC, IA5String)',
    rdns: [
      [at('0.9.2342.19200300.100.1.25', T.IA5STRING, 'org')],
      [at('0.9.2342.19200300.100.1.25', T.IA5STRING, 'example')],
      [CN('DC CA')],
    ],
  },
  {
    name: 'serialNumber, title and UID attributes',
    rdns: [
      [C('DE')],
      [O('Example')],
      [at('2.5.4.5', T.PRINTABLESTRING, 'HRB 12345')],
      [at('2.5.4.12', T.UTF8, 'Chief')],
      [at('0.9.2342.19200300.100.1.1', T.UTF8, 'ca-1')],
      [CN('Serial CA')],
    ],
  },
  {
    name: 'unknown attribute types (EV jurisdiction, businessCategory)',
    rdns: [
      [at('1.3.6.1.4.1.311.60.2.1.3', T.PRINTABLESTRING, 'DE')],
      [at('2.5.4.15', T.UTF8, 'Private Organization')],
      [O('Example EV')],
      [CN('EV CA')],
    ],
  },
  {
    name: 'BMPString, TeletexString and PrintableString values',
    rdns: [
      [C('DE')],
      [O('Teletex Org', TELETEX)],
      [at('2.5.4.11', T.BMPSTRING, 'Bmp Unit')],
      [CN('Printable CA', T.PRINTABLESTRING)],
    ],
  },
];

function encodeValue(a: TableAttribute): string {
  // forge writes a BMPString from the JS string itself (two bytes per UTF-16 unit); others from bytes.
  if (a.tag === T.BMPSTRING) return a.value;
  return Buffer.from(a.value, a.tag === T.UTF8 ? 'utf8' : 'latin1').toString('binary');
}

/** The Name of an entry as forge ASN.1 (the SET members in the order listed). */
export function nameAsn1(rdns: DnTableEntry['rdns']): forge.asn1.Asn1 {
  return asn1.create(
    asn1.Class.UNIVERSAL,
    T.SEQUENCE,
    true,
    rdns.map((rdn) =>
      asn1.create(
        asn1.Class.UNIVERSAL,
        T.SET,
        true,
        rdn.map((a) =>
          asn1.create(asn1.Class.UNIVERSAL, T.SEQUENCE, true, [
            asn1.create(asn1.Class.UNIVERSAL, T.OID, false, asn1.oidToDer(a.oid).getBytes()),
            asn1.create(asn1.Class.UNIVERSAL, a.tag, false, encodeValue(a)),
          ]),
        ),
      ),
    ),
  );
}

// Present in node-forge, missing from @types/node-forge.
const getTbsCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 })
  .getTBSCertificate;

/**
 * A certificate for `privateKeyPem` whose issuer is the entry's Name (subject CN=<subject>), signed with the
 * same key: only the names matter, nothing checks the signature against the issuer.
 */
export function certificateWithIssuer(
  entry: DnTableEntry,
  privateKeyPem: string,
  options: { subject?: string; serialHex?: string; notBefore?: Date; notAfter?: Date } = {},
): string {
  const key = createPrivateKey(privateKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = options.serialHex ?? '5eed0123456789ab';
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: options.subject ?? 'receiver' }]);
  cert.setIssuer([{ shortName: 'CN', value: 'placeholder' }]);
  cert.setExtensions([
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.signatureOid = forge.pki.oids['sha256WithRSAEncryption'] as string;
  (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid = cert.signatureOid;
  const tbs = getTbsCertificate(cert);
  const fields = tbs.value as forge.asn1.Asn1[];
  // tbsCertificate: [0] version, serialNumber, signature, issuer, ...
  fields[3] = nameAsn1(entry.rdns);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, key);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, T.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, T.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, T.OID, false, asn1.oidToDer(cert.signatureOid).getBytes()),
      asn1.create(asn1.Class.UNIVERSAL, T.NULL, false, ''),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, T.BITSTRING, false, `\x00${signature.toString('binary')}`),
  ]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary');
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
}
