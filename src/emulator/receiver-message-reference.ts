// Which certificate a refused message was encrypted for, so that the receiver can count refusals per key (e.g.
// "12 messages still arrive for the retired key"). Read from the first EncryptedKey's SecurityTokenReference in
// any of the four WS-Security forms. Used only to label counters; key selection itself is src/wssecurity's job.
import { createHash } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { CertificateInfo } from '../pki/certificate-info';
import { colonHex } from '../rules/fingerprint';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

export type MessageReference =
  | { readonly kind: 'certificate'; readonly fingerprintSha256: string }
  | { readonly kind: 'issuer-serial'; readonly issuer: string; readonly serial: string }
  | { readonly kind: 'ski'; readonly hex: string }
  | { readonly kind: 'thumbprint-sha1'; readonly hex: string };

const plainHex = (s: string) => s.replace(/:/g, '').toLowerCase();

function first(parent: Element, ns: string, local: string): Element | undefined {
  return parent.getElementsByTagNameNS(ns, local)[0] ?? undefined;
}

/** The reference of the message's first EncryptedKey, or undefined when there is none or it cannot be read. */
export function messageReference(xml: string): MessageReference | undefined {
  try {
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml');
    const ek = doc.getElementsByTagNameNS(XENC, 'EncryptedKey')[0];
    const str = ek && first(ek, WSSE, 'SecurityTokenReference');
    if (!str) return undefined;
    const serialEl = first(str, DS, 'X509SerialNumber');
    if (serialEl)
      return {
        kind: 'issuer-serial',
        issuer: first(str, DS, 'X509IssuerName')?.textContent?.trim() ?? '',
        serial: serialEl.textContent?.trim() ?? '',
      };
    const identifier = first(str, WSSE, 'KeyIdentifier');
    if (identifier) {
      const hex = Buffer.from(identifier.textContent ?? '', 'base64').toString('hex');
      const type = identifier.getAttribute('ValueType') ?? '';
      if (type.endsWith('ThumbprintSHA1')) return { kind: 'thumbprint-sha1', hex };
      if (type.endsWith('X509SubjectKeyIdentifier')) return { kind: 'ski', hex };
      return undefined;
    }
    const uri = first(str, WSSE, 'Reference')?.getAttribute('URI') ?? '';
    if (!uri.startsWith('#')) return undefined;
    const tokens = Array.from(doc.getElementsByTagNameNS(WSSE, 'BinarySecurityToken'));
    const bst = tokens.find(
      (t) => t.getAttributeNS(WSU, 'Id') === uri.slice(1) || t.getAttribute('Id') === uri.slice(1),
    );
    if (!bst) return undefined;
    const der = Buffer.from((bst.textContent ?? '').replace(/\s/g, ''), 'base64');
    return { kind: 'certificate', fingerprintSha256: colonHex(createHash('sha256').update(der).digest()) };
  } catch {
    return undefined;
  }
}

/** True when the reference names this certificate. */
export function referenceMatches(ref: MessageReference, cert: CertificateInfo): boolean {
  switch (ref.kind) {
    case 'certificate':
      return ref.fingerprintSha256 === cert.fingerprintSha256;
    case 'issuer-serial':
      // Serial numbers of generated keys are 16 random bytes; the issuer is shown in the label, not compared.
      try {
        return BigInt(ref.serial) === BigInt(cert.serialNumberDecimal);
      } catch {
        return false;
      }
    case 'ski':
      return ref.hex === cert.subjectKeyIdentifier;
    case 'thumbprint-sha1':
      return ref.hex === plainHex(cert.fingerprintSha1);
  }
}

/** A counter label for a reference that names none of the receiver's keys. */
export function referenceLabel(ref: MessageReference | undefined): string {
  if (!ref) return 'unidentified';
  switch (ref.kind) {
    case 'certificate':
      return `sha256:${ref.fingerprintSha256}`;
    case 'issuer-serial':
      return `issuer-serial:${ref.issuer}#${ref.serial}`;
    case 'ski':
      return `ski:${ref.hex}`;
    case 'thumbprint-sha1':
      return `thumbprint-sha1:${ref.hex}`;
  }
}
