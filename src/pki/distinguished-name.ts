// Distinguished names: reading them from a certificate's ASN.1 and writing them as text, and parsing the subject
// strings users type (CN=receiver,O=Example). Two text forms exist because two consumers read them:
// - RFC 4514 (what Java's X500Principal.getName() returns, and what WSS4J writes into ds:X509IssuerName), so that
//   an issuer name we compute compares equal to the one a receiver on WSS4J sees;
// - the form SAP's keystore shows in SubjectDN / IssuerDN ("CN=a, OU=b, O=SAP, C=DE": Java's toString style).
import forge from 'node-forge';
import { CpiError } from '../errors';

const asn1 = forge.asn1;

/** One attribute of a relative distinguished name, in the order the certificate stores it. */
export interface DnAttribute {
  /** Dotted object identifier of the attribute type, e.g. 2.5.4.3 for CN. */
  readonly oid: string;
  /** The value as text (for string types), or undefined when the value is not a string type. */
  readonly text: string | undefined;
  /** DER of the value (tag included), for the `#hex` form of non-string values. */
  readonly valueDerHex: string;
}

/** A name as stored: a list of RDNs, most general first (C before O before CN), each a set of attributes. */
export type DnSequence = readonly (readonly DnAttribute[])[];

// RFC 4514 §3 keywords; Java's getName() knows exactly these and writes every other type as a dotted OID.
const RFC4514_KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

// Java's X500Principal.toString() (the form the SAP tenant shows) knows a few more.
const SAP_KEYWORDS: Readonly<Record<string, string>> = {
  ...RFC4514_KEYWORDS,
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.46': 'DNQ',
  '2.5.4.4': 'SURNAME',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATION',
  '2.5.4.12': 'T',
};

// What a user may type as a subject attribute (keyword → OID), for generated certificates.
const SUBJECT_INPUT_KEYWORDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  STREET: '2.5.4.9',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  SERIALNUMBER: '2.5.4.5',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
};

const STRING_TYPES = new Set<number>([
  asn1.Type.UTF8,
  asn1.Type.PRINTABLESTRING,
  asn1.Type.IA5STRING,
  20, // TeletexString (T61String)
  asn1.Type.BMPSTRING,
  28, // UniversalString
  26, // VisibleString
  27, // GeneralString
]);

function decodeStringValue(node: forge.asn1.Asn1): string | undefined {
  if (node.tagClass !== asn1.Class.UNIVERSAL || !STRING_TYPES.has(node.type) || typeof node.value !== 'string') {
    return undefined;
  }
  const raw = Buffer.from(node.value, 'binary');
  switch (node.type as number) {
    case asn1.Type.UTF8:
      return raw.toString('utf8');
    case asn1.Type.BMPSTRING:
      return raw.swap16().toString('utf16le');
    case 28: {
      let out = '';
      for (let i = 0; i + 3 < raw.length; i += 4) out += String.fromCodePoint(raw.readUInt32BE(i));
      return out;
    }
    default:
      // PrintableString, IA5String, VisibleString: ASCII; T61String in practice carries Latin-1.
      return raw.toString('latin1');
  }
}

/** Reads an X.501 Name (SEQUENCE OF SET OF AttributeTypeAndValue) from its ASN.1 node. */
export function readDnSequence(name: forge.asn1.Asn1): DnSequence {
  if (!Array.isArray(name.value)) throw new Error('Name is not a SEQUENCE');
  return name.value.map((rdn) => {
    if (!Array.isArray(rdn.value)) throw new Error('RDN is not a SET');
    return rdn.value.map((atv) => {
      const [typeNode, valueNode] = Array.isArray(atv.value) ? atv.value : [];
      if (typeNode === undefined || valueNode === undefined || typeof typeNode.value !== 'string') {
        throw new Error('AttributeTypeAndValue is malformed');
      }
      return {
        oid: asn1.derToOid(typeNode.value),
        text: decodeStringValue(valueNode),
        valueDerHex: asn1.toDer(valueNode).toHex(),
      };
    });
  });
}

function escapeRfc4514(value: string): string {
  let out = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/**
 * RFC 4514 text of a name: most specific RDN first, attributes joined by ',' and multi-valued RDNs by '+',
 * no spaces, RFC 4514 keywords only (others as dotted OID with the value's DER in #hex). This equals Java's
 * X500Principal.getName() for the usual certificates, i.e. what WSS4J writes as X509IssuerName.
 */
export function formatRfc4514(dn: DnSequence): string {
  return [...dn]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const keyword = RFC4514_KEYWORDS[a.oid];
          if (keyword === undefined || a.text === undefined) return `${a.oid}=#${a.valueDerHex}`;
          return `${keyword}=${escapeRfc4514(a.text)}`;
        })
        .join('+'),
    )
    .join(',');
}

/**
 * The name as the SAP tenant shows it in KeystoreEntry SubjectDN / IssuerDN: most specific first, joined by
 * ', ', values quoted when they contain a separator (Java's X500Principal.toString style, e.g.
 * "CN=sandbox.api.sap.com, OU=Hana Cloud Integration, O=SAP, C=DE").
 */
export function formatSapDn(dn: DnSequence): string {
  return [...dn]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const keyword = SAP_KEYWORDS[a.oid] ?? `OID.${a.oid}`;
          if (a.text === undefined) return `${keyword}=#${a.valueDerHex}`;
          const needsQuotes = /[,+=<>#;"\\\n]|^\s|\s$/.test(a.text);
          return `${keyword}=${needsQuotes ? `"${a.text.replace(/(["\\])/g, '\\$1')}"` : a.text}`;
        })
        .join(' + '),
    )
    .join(', ');
}

/** One attribute typed by a user, in the order typed (most specific first). */
export interface SubjectAttribute {
  readonly keyword: string;
  readonly oid: string;
  readonly value: string;
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] as string);
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeValue(raw: string): string {
  return raw.replace(/\\(.)/g, '$1');
}

/**
 * Parses a subject typed as RFC 4514 text, e.g. `CN=receiver,O=Example,C=DE` (most specific first; spaces
 * around separators are ignored; `\,` escapes a comma). Multi-valued RDNs ('+') are not supported.
 */
export function parseSubject(subject: string): SubjectAttribute[] {
  if (subject.trim() === '') {
    throw new CpiError('CPI_PKI_SUBJECT_INVALID', 'the subject is empty; expected e.g. CN=receiver,O=Example', [
      'subject',
    ]);
  }
  return splitUnescaped(subject, ',').map((part) => {
    if (splitUnescaped(part, '+').length > 1) {
      throw new CpiError(
        'CPI_PKI_SUBJECT_INVALID',
        `"${part.trim()}" in subject "${subject}" is a multi-valued RDN ('+'), which is not supported; escape '+' as \\+ if it belongs to the value`,
        ['subject'],
      );
    }
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new CpiError(
        'CPI_PKI_SUBJECT_INVALID',
        `"${part.trim()}" in subject "${subject}" is not of the form TYPE=value`,
        ['subject'],
      );
    }
    const keyword = part.slice(0, eq).trim().toUpperCase();
    const value = unescapeValue(part.slice(eq + 1).trim());
    const oid = SUBJECT_INPUT_KEYWORDS[keyword];
    if (oid === undefined) {
      throw new CpiError(
        'CPI_PKI_SUBJECT_INVALID',
        `attribute type "${keyword}" in subject "${subject}" is not supported; expected one of ${Object.keys(SUBJECT_INPUT_KEYWORDS).join(', ')}`,
        ['subject'],
      );
    }
    if (value === '') {
      throw new CpiError('CPI_PKI_SUBJECT_INVALID', `${keyword} in subject "${subject}" has an empty value`, [
        'subject',
      ]);
    }
    if (keyword === 'C' && !/^[A-Z]{2}$/.test(value)) {
      throw new CpiError(
        'CPI_PKI_SUBJECT_INVALID',
        `C=${value} in subject "${subject}" is not a two-letter upper-case country code (ISO 3166), e.g. C=DE`,
        ['subject'],
      );
    }
    return { keyword, oid, value };
  });
}
