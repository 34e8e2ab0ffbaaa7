// Distinguished names: reading them from a certificate's ASN.1, writing them as text, reading the text other
// toolkits write, and parsing the subject strings users type (CN=receiver,O=Example). Two text forms are
// written because two consumers read them:
// - Java's X500Principal.getName() (RFC 2253 as the JDK implements it), which WSS4J writes into
//   ds:X509IssuerName and compares, after reading it back, with X500Principal.equals (the canonical form);
// - the form SAP's keystore shows in SubjectDN / IssuerDN ("CN=a, OU=b, O=SAP, C=DE": Java's toString style).
// The rules here follow JDK 17's sun.security.x509 AVA/RDN/X500Name behaviour, checked against a JDK by
// test/pki/java/IssuerNames.java, quirks included (e.g. a BMPString value is shown as its bytes read as UTF-8).
import forge from 'node-forge';
import { CpiError } from '../errors';

const asn1 = forge.asn1;

/** One attribute of a relative distinguished name, in the order the certificate stores it. */
export interface DnAttribute {
  /** Dotted object identifier of the attribute type, e.g. 2.5.4.3 for CN. */
  readonly oid: string;
  /** The value as text (for string types), or undefined when the value is not a string type. */
  readonly text: string | undefined;
  /** DER of the value (tag included), for the `#hex` form and for Java's reading of the value's bytes. */
  readonly valueDerHex: string;
}

/** A name as stored: a list of RDNs, most general first (C before O before CN), each a set of attributes. */
export type DnSequence = readonly (readonly DnAttribute[])[];

// The keywords JDK 17 writes in RFC 2253 output (getName() and the canonical form); every other attribute type,
// e-mail address, serialNumber and title included, is written as a dotted OID with the value's DER in #hex.
const RFC2253_KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const EMAIL_OID = '1.2.840.113549.1.9.1';
const DC_OID = '0.9.2342.19200300.100.1.25';

// Java's X500Principal.toString() (the form the SAP tenant shows) knows a few more.
const SAP_KEYWORDS: Readonly<Record<string, string>> = {
  ...RFC2253_KEYWORDS,
  [EMAIL_OID]: 'EMAILADDRESS',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.46': 'DNQ',
  '2.5.4.4': 'SURNAME',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATION',
  '2.5.4.12': 'T',
};

// Every keyword new X500Principal(String) accepts (JDK 17 AVAKeyword table), upper case.
const JAVA_INPUT_KEYWORDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  C: '2.5.4.6',
  L: '2.5.4.7',
  S: '2.5.4.8',
  ST: '2.5.4.8',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  IP: '1.3.6.1.4.1.42.2.11.2.1',
  STREET: '2.5.4.9',
  DC: DC_OID,
  DNQUALIFIER: '2.5.4.46',
  DNQ: '2.5.4.46',
  SURNAME: '2.5.4.4',
  GIVENNAME: '2.5.4.42',
  INITIALS: '2.5.4.43',
  GENERATION: '2.5.4.44',
  EMAIL: EMAIL_OID,
  EMAILADDRESS: EMAIL_OID,
  UID: '0.9.2342.19200300.100.1.1',
  SERIALNUMBER: '2.5.4.5',
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
  DC: DC_OID,
  UID: '0.9.2342.19200300.100.1.1',
  SERIALNUMBER: '2.5.4.5',
  EMAILADDRESS: EMAIL_OID,
};

const TAG = {
  UTF8: 12,
  PRINTABLE: 19,
  TELETEX: 20,
  IA5: 22,
  GENERAL: 27,
  BMP: 30,
} as const;

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

// The string types getName() shows as text; the canonical form only PrintableString and UTF8String.
const JAVA_TEXT_TAGS = new Set<number>([TAG.PRINTABLE, TAG.TELETEX, TAG.IA5, TAG.GENERAL, TAG.BMP, TAG.UTF8]);
const JAVA_CANONICAL_TEXT_TAGS = new Set<number>([TAG.PRINTABLE, TAG.UTF8]);

function decodeStringValue(node: forge.asn1.Asn1): string | undefined {
  if (node.tagClass !== asn1.Class.UNIVERSAL || !STRING_TYPES.has(node.type) || typeof node.value !== 'string') {
    return undefined;
  }
  const raw = Buffer.from(node.value, 'binary');
  switch (node.type as number) {
    case asn1.Type.UTF8:
      return raw.toString('utf8');
    case asn1.Type.BMPSTRING:
      return node.value; // forge's DER reader has already decoded the UTF-16 code units
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

/** Tag and content bytes of a value's DER. */
function splitDer(valueDerHex: string): { tag: number; content: Buffer } {
  const der = Buffer.from(valueDerHex, 'hex');
  const first = der[1] ?? 0;
  const lengthBytes = first & 0x80 ? first & 0x7f : 0;
  return { tag: der[0] ?? 0, content: der.subarray(2 + lengthBytes) };
}

function encodeDer(tag: number, content: Buffer): string {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : Buffer.concat([Buffer.from([0x80 | byteLength(n)]), bigEndian(n, byteLength(n))]);
  return Buffer.concat([Buffer.from([tag]), length, content]).toString('hex');
}

function byteLength(n: number): number {
  let bytes = 1;
  while (n >= 256 ** bytes) bytes++;
  return bytes;
}

function bigEndian(n: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = bytes - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

// DerValue.isPrintableStringChar.
const isPrintableChar = (c: string): boolean => /^[A-Za-z0-9 '()+,\-./:=?]$/.test(c);

/** One attribute as getName() writes it (AVA.toRFC2253String). */
function javaAttribute(a: DnAttribute): string {
  const keyword = RFC2253_KEYWORDS[a.oid];
  const { tag, content } = splitDer(a.valueDerHex);
  if (keyword === undefined || !JAVA_TEXT_TAGS.has(tag)) return `${keyword ?? a.oid}=#${a.valueDerHex}`;
  // Java reads every text type's bytes as UTF-8 here (a BMPString too).
  const text = content.toString('utf8');
  const escaped: string[] = [];
  for (const c of text) {
    for (const unit of c.length === 1 ? [c] : c.split('')) {
      if (',=+<>#;"\\'.includes(unit)) escaped.push(`\\${unit}`);
      else if (unit === '\0') escaped.push('\\00');
      else escaped.push(unit);
    }
  }
  // Leading and trailing spaces and carriage returns are escaped.
  const edge = (u: string) => u === ' ' || u === '\r';
  let lead = 0;
  while (lead < escaped.length && edge(escaped[lead] as string)) lead++;
  let trail = escaped.length - 1;
  while (trail >= 0 && edge(escaped[trail] as string)) trail--;
  const value = escaped.map((u, i) => (i < lead || i > trail ? `\\${u}` : u)).join('');
  return `${keyword}=${value}`;
}

/** One attribute in Java's canonical form (AVA.toRFC2253CanonicalString). */
function canonicalAttribute(a: DnAttribute): string {
  const keyword = RFC2253_KEYWORDS[a.oid];
  const { tag, content } = splitDer(a.valueDerHex);
  let out: string;
  if (keyword === undefined || !JAVA_CANONICAL_TEXT_TAGS.has(tag)) {
    out = `${keyword ?? a.oid}=#${a.valueDerHex}`;
  } else {
    const text = content.toString('utf8');
    let value = '';
    let previousWhite = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      const special = ',+<>;"\\'.includes(c);
      if (isPrintableChar(c) || special || (i === 0 && c === '#')) {
        if (special || (i === 0 && c === '#')) value += '\\';
        if (c !== ' ') {
          previousWhite = false;
          value += c;
        } else if (!previousWhite) {
          previousWhite = true;
          value += c;
        }
      } else {
        previousWhite = false;
        value += c;
      }
    }
    out = `${keyword}=${javaTrim(value)}`;
  }
  return out.toUpperCase().toLowerCase().normalize('NFKD');
}

/** String.trim(): every character up to U+0020 at either end. */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/**
 * Java's X500Principal.getName(): RFC 2253 text, most specific RDN first, attributes of a multi-valued RDN joined
 * by '+' in the order the name holds them, no spaces; CN, C, L, ST, O, OU, STREET, DC and UID as keywords, every
 * other type (e-mail address included) as dotted OID with the value's DER in lower-case #hex; Java's escaping.
 * This is what WSS4J writes as X509IssuerName, so an issuer name we write reads back as the same principal.
 */
export function formatRfc2253(dn: DnSequence): string {
  return [...dn]
    .reverse()
    .map((rdn) => rdn.map(javaAttribute).join('+'))
    .join(',');
}

/**
 * Java's X500Principal.getName(CANONICAL), the text X500Principal.equals compares: as formatRfc2253, but
 * multi-valued RDNs sorted, only PrintableString and UTF8String values as text (others #hex), spaces collapsed
 * and trimmed, lower case, Unicode NFKD.
 */
export function canonicalRfc2253(dn: DnSequence): string {
  return [...dn]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => ({ a, keyword: RFC2253_KEYWORDS[a.oid], canonical: canonicalAttribute(a) }))
        .sort((x, y) => {
          if (x.keyword !== undefined && y.keyword !== undefined)
            return x.canonical < y.canonical ? -1 : x.canonical > y.canonical ? 1 : 0;
          if (x.keyword !== undefined) return -1;
          if (y.keyword !== undefined) return 1;
          return compareOids(x.a.oid, y.a.oid);
        })
        .map((x) => x.canonical)
        .join('+'),
    )
    .join(',');
}

/** A name another toolkit wrote that Java cannot read; `message` says where and why. */
export class DnSyntaxError extends Error {}

/**
 * Reads a name as new X500Principal(String) does (RFC 2253 and RFC 1779: ',' or ';' between RDNs, '+' inside
 * one, quoted values, backslash escapes including UTF-8 hex pairs, #hex DER values, `OID.` prefixes and the
 * keywords Java knows, e.g. EMAILADDRESS but not E). Values get the ASN.1 type Java gives them: IA5String for
 * e-mail addresses and DC, PrintableString when every character allows it, else UTF8String. Throws
 * DnSyntaxError where Java throws IllegalArgumentException.
 */
export function parseJavaDn(text: string): DnSequence {
  if (text === '') return [];
  const rdns = splitOutsideQuotes(text, ',;').map((rdn) => splitOutsideQuotes(rdn, '+').map(parseJavaAttribute));
  return rdns.reverse();
}

function splitOutsideQuotes(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] as string);
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && separators.includes(c)) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

const SPECIAL_ESCAPES = ',=\n+<>#;\\" ';

function parseJavaAttribute(part: string): DnAttribute {
  const eq = part.indexOf('=');
  if (eq < 0) throw new DnSyntaxError(`"${part}" has no "=" between attribute type and value`);
  let keyword = part.slice(0, eq).toUpperCase().trim();
  let oid = JAVA_INPUT_KEYWORDS[keyword];
  if (oid === undefined) {
    if (keyword.startsWith('OID.')) keyword = keyword.slice(4);
    if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(keyword)) {
      throw new DnSyntaxError(
        `attribute type "${part.slice(0, eq).trim()}" is neither a keyword Java knows (CN, C, L, ST, O, OU, STREET, DC, UID, EMAILADDRESS, SERIALNUMBER, ...) nor a dotted OID`,
      );
    }
    oid = keyword;
  }
  let i = eq + 1;
  while (part[i] === ' ' || part[i] === '\n') i++;
  if (i >= part.length) return attribute(oid, TAG.PRINTABLE, Buffer.alloc(0));
  if (part[i] === '#') {
    const hex = part.slice(i + 1).replace(/[ \n]+$/, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(hex))
      throw new DnSyntaxError(`"${part}" has a #hex value that is not whole bytes of hex`);
    let node: forge.asn1.Asn1;
    try {
      node = asn1.fromDer(forge.util.createBuffer(Buffer.from(hex, 'hex').toString('binary')));
    } catch (error) {
      throw new DnSyntaxError(`"${part}" has a #hex value that is not DER (${(error as Error).message})`);
    }
    return { oid, text: decodeStringValue(node), valueDerHex: hex.toLowerCase() };
  }
  let value = '';
  let printable = true;
  const pendingBytes: number[] = [];
  const flush = () => {
    if (pendingBytes.length > 0) value += Buffer.from(pendingBytes.splice(0)).toString('utf8');
  };
  if (part[i] === '"') {
    i++;
    for (; i < part.length && part[i] !== '"'; i++) {
      let c = part[i] as string;
      if (c === '\\') {
        c = part[++i] ?? '';
        if (!SPECIAL_ESCAPES.includes(c)) {
          const pair = part.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(pair))
            throw new DnSyntaxError(`"${part}" escapes "${c}", which needs no escape`);
          pendingBytes.push(parseInt(pair, 16));
          printable = false;
          i++;
          continue;
        }
      }
      flush();
      printable &&= isPrintableChar(c);
      value += c;
    }
    flush();
    if (part[i] !== '"') throw new DnSyntaxError(`"${part}" has a quoted value without its closing quote`);
    if (part.slice(i + 1).trim() !== '') throw new DnSyntaxError(`"${part}" has text after its quoted value`);
  } else {
    let spaces = 0;
    for (; i < part.length; i++) {
      let c = part[i] as string;
      let escaped = false;
      if (c === '\\') {
        escaped = true;
        c = part[++i] ?? '';
        if (!SPECIAL_ESCAPES.includes(c)) {
          const pair = part.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(pair))
            throw new DnSyntaxError(`"${part}" escapes "${c}", which needs no escape`);
          value += ' '.repeat(spaces);
          spaces = 0;
          pendingBytes.push(parseInt(pair, 16));
          printable = false;
          i++;
          continue;
        }
      }
      flush();
      printable &&= isPrintableChar(c);
      if (c === ' ' && !escaped) {
        spaces++; // trailing unescaped spaces are dropped
      } else {
        value += ' '.repeat(spaces) + c;
        spaces = 0;
      }
    }
    flush();
  }
  if (oid === EMAIL_OID || oid === DC_OID)
    return attribute(
      oid,
      TAG.IA5,
      Buffer.from(
        value.replace(/[^ -~\t\n\r]/g, (c) => (c.charCodeAt(0) < 0x80 ? c : '?')),
        'latin1',
      ),
    );
  if (printable) return attribute(oid, TAG.PRINTABLE, Buffer.from(value, 'latin1'));
  return attribute(oid, TAG.UTF8, Buffer.from(value, 'utf8'));
}

function attribute(oid: string, tag: number, content: Buffer): DnAttribute {
  return {
    oid,
    text: tag === TAG.UTF8 ? content.toString('utf8') : content.toString('latin1'),
    valueDerHex: encodeDer(tag, content),
  };
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
