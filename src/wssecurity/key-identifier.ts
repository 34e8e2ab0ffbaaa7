// The four ways a WS-Security message names the certificate whose key it used (X.509 Token Profile 1.1), both
// directions: the sender writes one; the receiver reads whatever a KeyInfo holds and matches it against its keys.
// Identifiers in a message come from the sender, possibly an attacker: they only ever pick one of OUR keys.
import type { Document, Element } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { issuerNameKey } from './issuer-name';
import { readCertificate, type WssCertificate } from './wss-certificate';
import { NS, WSS } from './namespaces';
import { base64Of, child, children, is, resolveLocal, textOf } from './xml-dom';

/**
 * How the EncryptedKey names the receiver certificate:
 * - `IssuerSerial`: issuer DN and serial number (ds:X509IssuerSerial)
 * - `BinarySecurityToken`: the certificate itself in a wsse:BinarySecurityToken, referenced directly
 * - `SubjectKeyIdentifier`: the certificate's subject key identifier (wsse:KeyIdentifier)
 * - `Thumbprint`: SHA-1 over the certificate (wsse:KeyIdentifier ThumbprintSHA1)
 */
export type KeyIdentifierForm = 'IssuerSerial' | 'BinarySecurityToken' | 'SubjectKeyIdentifier' | 'Thumbprint';

export const KEY_IDENTIFIER_FORMS: readonly KeyIdentifierForm[] = [
  'IssuerSerial',
  'BinarySecurityToken',
  'SubjectKeyIdentifier',
  'Thumbprint',
];

/** What a message says about the certificate it refers to; any subset may be present. */
export interface KeyReference {
  certificate?: WssCertificate;
  issuerSerial?: { issuer: string; issuerKey: string; serial: bigint };
  ski?: Buffer;
  thumbprint?: Buffer;
  keyName?: string;
}

/** How a key was matched, reported back to the caller and in logs. */
export type MatchedBy = 'certificate' | 'issuerSerial' | 'ski' | 'thumbprint';

/** Creates the wsse:BinarySecurityToken element carrying a certificate. */
export function createBinarySecurityToken(doc: Document, facts: WssCertificate, id: string): Element {
  const bst = doc.createElementNS(NS.wsse, 'wsse:BinarySecurityToken');
  bst.setAttribute('EncodingType', WSS.base64Binary);
  bst.setAttribute('ValueType', WSS.x509v3);
  bst.setAttributeNS(NS.wsu, 'wsu:Id', id);
  bst.appendChild(doc.createTextNode(facts.der.toString('base64')));
  return bst;
}

/**
 * Creates the wsse:SecurityTokenReference of the given form; `bstId` is the wsu:Id of the BinarySecurityToken
 * (only for the `BinarySecurityToken` form, where the caller inserts that token before the reference).
 */
export function createSecurityTokenReference(
  doc: Document,
  form: KeyIdentifierForm,
  facts: WssCertificate,
  bstId?: string,
): Element {
  const str = doc.createElementNS(NS.wsse, 'wsse:SecurityTokenReference');
  switch (form) {
    case 'BinarySecurityToken': {
      const ref = doc.createElementNS(NS.wsse, 'wsse:Reference');
      ref.setAttribute('URI', `#${bstId}`);
      ref.setAttribute('ValueType', WSS.x509v3);
      str.appendChild(ref);
      break;
    }
    case 'IssuerSerial': {
      const data = doc.createElementNS(NS.ds, 'ds:X509Data');
      const is = doc.createElementNS(NS.ds, 'ds:X509IssuerSerial');
      const name = doc.createElementNS(NS.ds, 'ds:X509IssuerName');
      name.appendChild(doc.createTextNode(facts.issuerDn));
      const serial = doc.createElementNS(NS.ds, 'ds:X509SerialNumber');
      serial.appendChild(doc.createTextNode(facts.serial.toString(10)));
      is.appendChild(name);
      is.appendChild(serial);
      data.appendChild(is);
      str.appendChild(data);
      break;
    }
    case 'SubjectKeyIdentifier':
    case 'Thumbprint': {
      const ki = doc.createElementNS(NS.wsse, 'wsse:KeyIdentifier');
      ki.setAttribute('EncodingType', WSS.base64Binary);
      ki.setAttribute('ValueType', form === 'Thumbprint' ? WSS.thumbprintSha1 : WSS.ski);
      ki.appendChild(doc.createTextNode((form === 'Thumbprint' ? facts.thumbprintSha1 : facts.ski).toString('base64')));
      str.appendChild(ki);
      break;
    }
    default:
      throw new CpiError(
        'CPI_WSS_INVALID_OPTION',
        `keyIdentifier is "${String(form)}"; expected one of ${KEY_IDENTIFIER_FORMS.join(', ')}`,
      );
  }
  return str;
}

/**
 * Reads the key reference of a ds:KeyInfo (or of a bare wsse:SecurityTokenReference): STR Reference to a
 * BinarySecurityToken, STR KeyIdentifier (SKI, ThumbprintSHA1, X509v3), X509Data (IssuerSerial, SKI, Certificate),
 * KeyName. `ids` resolves same-message references.
 */
export function readKeyReference(keyInfo: Element, ids: Map<string, Element>): KeyReference {
  const ref: KeyReference = {};
  const strs = is(keyInfo, NS.wsse, 'SecurityTokenReference')
    ? [keyInfo]
    : children(keyInfo, NS.wsse, 'SecurityTokenReference');
  for (const str of strs) {
    const reference = child(str, NS.wsse, 'Reference');
    if (reference) {
      const target = resolveLocal(ids, reference.getAttribute('URI'), 'the SecurityTokenReference');
      if (!is(target, NS.wsse, 'BinarySecurityToken')) {
        throw new CpiError(
          'CPI_WSS_BAD_REFERENCE',
          `the SecurityTokenReference points at ${target.tagName}; expected a wsse:BinarySecurityToken`,
        );
      }
      const valueType = target.getAttribute('ValueType');
      if (valueType !== WSS.x509v3) {
        throw new CpiError(
          'CPI_WSS_UNSUPPORTED_ALGORITHM',
          `BinarySecurityToken ValueType "${valueType}"; expected ${WSS.x509v3}`,
        );
      }
      ref.certificate = messageCertificate(base64Of(target));
    }
    for (const ki of children(str, NS.wsse, 'KeyIdentifier')) {
      const valueType = ki.getAttribute('ValueType');
      if (valueType === WSS.ski) ref.ski = base64Of(ki);
      else if (valueType === WSS.thumbprintSha1) ref.thumbprint = base64Of(ki);
      else if (valueType === WSS.x509v3) ref.certificate = messageCertificate(base64Of(ki));
      else
        throw new CpiError('CPI_WSS_UNSUPPORTED_ALGORITHM', `KeyIdentifier ValueType "${valueType}" is not supported`);
    }
    readX509Data(str, ref);
  }
  readX509Data(keyInfo, ref);
  const keyName = child(keyInfo, NS.ds, 'KeyName');
  if (keyName) ref.keyName = textOf(keyName);
  return ref;
}

function readX509Data(parent: Element, ref: KeyReference): void {
  for (const data of children(parent, NS.ds, 'X509Data')) {
    const issuerSerial = child(data, NS.ds, 'X509IssuerSerial');
    if (issuerSerial) {
      const issuer = textOf(requireText(issuerSerial, 'X509IssuerName'));
      const serialText = textOf(requireText(issuerSerial, 'X509SerialNumber'));
      ref.issuerSerial = { issuer, issuerKey: issuerNameKey(issuer), serial: parseSerial(serialText) };
    }
    const ski = child(data, NS.ds, 'X509SKI');
    if (ski) ref.ski = base64Of(ski);
    const cert = children(data, NS.ds, 'X509Certificate')[0];
    if (cert) ref.certificate = messageCertificate(base64Of(cert));
  }
}

function requireText(parent: Element, localName: string): Element {
  const el = child(parent, NS.ds, localName);
  if (!el) throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `X509IssuerSerial has no ${localName}`);
  return el;
}

/** XML Signature serials are decimal; some old stacks wrote hex, which is accepted when it is unambiguous. */
function parseSerial(text: string): bigint {
  if (/^\d+$/.test(text)) return BigInt(text);
  if (/^(0x)?[0-9a-fA-F]+$/.test(text)) return BigInt(text.startsWith('0x') ? text : `0x${text}`);
  throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `X509SerialNumber "${text}" is not a number`);
}

function messageCertificate(der: Buffer): WssCertificate {
  try {
    return readCertificate(der);
  } catch {
    throw new CpiError(
      'CPI_WSS_MALFORMED_MESSAGE',
      'the certificate in the message is not a readable X.509 certificate',
    );
  }
}

/** Which part of the reference matches this certificate, if any. */
export function matchReference(ref: KeyReference, facts: WssCertificate): MatchedBy | undefined {
  if (ref.certificate) {
    if (ref.certificate.fingerprintSha256 === facts.fingerprintSha256) return 'certificate';
    // A re-issued certificate for the same key still names our key pair.
    if (ref.certificate.publicKeySpkiSha256 === facts.publicKeySpkiSha256) return 'certificate';
  }
  if (ref.issuerSerial && ref.issuerSerial.serial === facts.serial && ref.issuerSerial.issuerKey === facts.issuerKey) {
    return 'issuerSerial';
  }
  if (ref.ski && ref.ski.equals(facts.ski)) return 'ski';
  if (ref.thumbprint && ref.thumbprint.equals(facts.thumbprintSha1)) return 'thumbprint';
  return undefined;
}

/** True when the reference names nothing we can match on. */
export function isEmptyReference(ref: KeyReference): boolean {
  return !ref.certificate && !ref.issuerSerial && !ref.ski && !ref.thumbprint;
}

/** Human-readable statement of what a message asked for, for error details and logs. */
export function describeReference(ref: KeyReference): string {
  const parts: string[] = [];
  if (ref.certificate) {
    parts.push(`certificate subject="${ref.certificate.subjectDn}" sha256=${ref.certificate.fingerprintSha256}`);
  }
  if (ref.issuerSerial)
    parts.push(`issuer="${ref.issuerSerial.issuer}" serial=${ref.issuerSerial.serial.toString(10)}`);
  if (ref.ski) parts.push(`SKI=${ref.ski.toString('base64')}`);
  if (ref.thumbprint) parts.push(`thumbprintSHA1=${ref.thumbprint.toString('hex')}`);
  if (ref.keyName) parts.push(`keyName="${ref.keyName}"`);
  return parts.length > 0 ? parts.join(', ') : 'no key identifier';
}

/** Short description of a certificate we hold, for error details. */
export function describeHeld(facts: WssCertificate, id?: string): string {
  return `${id ? `${id} ` : ''}[subject="${facts.subjectDn}", issuer="${facts.issuerDn}", serial=${facts.serial.toString(10)}, sha256=${facts.fingerprintSha256}]`;
}
