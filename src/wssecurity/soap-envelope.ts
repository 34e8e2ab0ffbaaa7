// The parts of a SOAP 1.1 or 1.2 envelope, found by position and namespace (never by searching the tree), so
// that "the Body" always means the one child of the Envelope root that a SOAP processor would use.
import type { Document, Element } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { NS } from './namespaces';
import { child, childElements, is } from './xml-dom';

export interface EnvelopeParts {
  readonly envelope: Element;
  readonly header: Element | undefined;
  readonly body: Element;
  /** The SOAP envelope namespace (1.1 or 1.2). */
  readonly soapNs: string;
}

export function envelopeParts(doc: Document): EnvelopeParts {
  const envelope = doc.documentElement;
  const soapNs = envelope?.namespaceURI;
  if (!envelope || envelope.localName !== 'Envelope' || (soapNs !== NS.soap11 && soapNs !== NS.soap12)) {
    throw new CpiError(
      'CPI_WSS_MALFORMED_MESSAGE',
      `the root element is ${envelope?.tagName ?? 'missing'}; expected a SOAP 1.1 or 1.2 Envelope`,
    );
  }
  const kids = childElements(envelope);
  const header = child(envelope, soapNs, 'Header');
  const body = child(envelope, soapNs, 'Body');
  if (!body) throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', 'the Envelope has no Body');
  // SOAP allows only Header? then Body: anything else could hide a second "body" from a careless processor.
  const expected = header ? [header, body] : [body];
  if (kids.length !== expected.length || kids.some((k, i) => k !== expected[i])) {
    throw new CpiError(
      'CPI_WSS_MALFORMED_MESSAGE',
      'the Envelope must contain an optional Header and then the Body, nothing else',
    );
  }
  return { envelope, header, body, soapNs };
}

/** The wsse:Security header elements of an envelope. */
export function securityHeaders(parts: EnvelopeParts): Element[] {
  if (!parts.header) return [];
  return childElements(parts.header).filter((el) => is(el, NS.wsse, 'Security'));
}
