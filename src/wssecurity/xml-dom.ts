// Strict parsing and namespace-checked traversal on @xmldom/xmldom. Never XPath built from message strings:
// every lookup here walks children and compares namespace URI and local name (signature wrapping defence).
import { DOMParser, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { NS } from './namespaces';

const ELEMENT_NODE = 1;
const DOCUMENT_TYPE_NODE = 10;

/**
 * Parses a message strictly: any DOCTYPE is refused (SOAP forbids DTDs; XXE defence) and every parser error or
 * warning is fatal, so that a half-parsed document is never processed.
 */
export function parseStrict(xml: string): Document {
  // Cheap pre-check before the parser sees it; the DOM check below catches what this one misses.
  if (/<!DOCTYPE/i.test(xml)) {
    throw new CpiError('CPI_WSS_DOCTYPE_FORBIDDEN', 'the message contains "<!DOCTYPE"; expected none');
  }
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `the XML does not parse: ${(error as Error).message}`);
  }
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === DOCUMENT_TYPE_NODE) {
      throw new CpiError('CPI_WSS_DOCTYPE_FORBIDDEN', 'the message contains a DOCTYPE node; expected none');
    }
  }
  if (!doc.documentElement) throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', 'the message has no root element');
  return doc;
}

/**
 * Serializes a node. A carriage return can only be in the DOM through a character reference, and xmldom writes
 * it raw into text, where the next parser would read a line feed: it is written as `&#xD;` (as xml-crypto does),
 * so that signed content reads back unchanged.
 */
export function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node).replace(/\r/g, '&#xD;');
}

export function isElement(node: Node | null | undefined): node is Element {
  return !!node && node.nodeType === ELEMENT_NODE;
}

/** True when the element has this namespace URI and local name. */
export function is(el: Node | null | undefined, ns: string, localName: string): boolean {
  return isElement(el) && el.namespaceURI === ns && el.localName === localName;
}

export function childElements(parent: Node): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n)) out.push(n);
  return out;
}

export function children(parent: Node, ns: string, localName: string): Element[] {
  return childElements(parent).filter((c) => is(c, ns, localName));
}

/** The single child with this name, or undefined; more than one is a malformed message. */
export function child(parent: Node, ns: string, localName: string): Element | undefined {
  const found = children(parent, ns, localName);
  if (found.length > 1) {
    throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `more than one ${localName} element under ${nameOf(parent)}`);
  }
  return found[0];
}

export function requireChild(parent: Node, ns: string, localName: string): Element {
  const found = child(parent, ns, localName);
  if (!found) throw new CpiError('CPI_WSS_MALFORMED_MESSAGE', `${nameOf(parent)} has no ${localName} element`);
  return found;
}

/** All descendant elements in document order (iterative, so deep documents do not overflow the stack). */
export function descendants(root: Node): Element[] {
  const out: Element[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (isElement(node) && node !== root) out.push(node);
    const kids: Node[] = [];
    for (let n = node.firstChild; n; n = n.nextSibling) if (isElement(n)) kids.push(n);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}

export function textOf(el: Element): string {
  return (el.textContent ?? '').trim();
}

/** Base64 text of an element, whitespace and encoded CRs (`&#13;`) removed. */
export function base64Of(el: Element): Buffer {
  return Buffer.from((el.textContent ?? '').replace(/\s+/g, ''), 'base64');
}

export function nameOf(node: Node): string {
  return isElement(node) ? node.tagName : node.nodeName;
}

/**
 * Makes `node` and its subtree (attributes included) belong to `doc`, so that it can be moved there instead of
 * copied with importNode. xmldom keeps a document's childNodes lists up to date only for its own nodes.
 */
export function adoptInto<T extends Node>(doc: Document, node: T): T {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    (n as { ownerDocument: Document }).ownerDocument = doc;
    if (isElement(n)) {
      for (let i = 0; i < n.attributes.length; i++)
        (n.attributes.item(i) as { ownerDocument: Document }).ownerDocument = doc;
    }
    for (let c = n.firstChild; c; c = c.nextSibling) stack.push(c);
  }
  return node;
}

/** The ID an element carries: wsu:Id, or an unqualified Id / ID / id attribute. */
export function idOf(el: Element): string | undefined {
  const wsuId = el.getAttributeNS(NS.wsu, 'Id');
  if (wsuId) return wsuId;
  for (const name of ['Id', 'ID', 'id']) {
    const attr = el.getAttributeNode(name);
    if (attr && !attr.namespaceURI) return attr.value;
  }
  return undefined;
}

/**
 * Indexes every element by its ID and refuses the message when two elements share one; also counts any
 * attribute whose local name is Id in any namespace, because xml-crypto resolves references that way.
 */
export function indexIds(doc: Document): Map<string, Element> {
  return indexSubtree(doc, new Map<string, Element>());
}

/** Adds the IDs of `root` (when an element) and its descendants to `byId`, refusing duplicates; returns `byId`. */
export function indexSubtree(root: Node, byId: Map<string, Element>): Map<string, Element> {
  for (const el of isElement(root) ? [root, ...descendants(root)] : descendants(root)) {
    for (const id of idsOf(el)) {
      if (byId.has(id))
        throw new CpiError('CPI_WSS_DUPLICATE_ID', `the ID "${id}" is carried by more than one element`);
      byId.set(id, el);
    }
  }
  return byId;
}

/** Removes the IDs of `root` and its descendants from `byId` (the subtree is about to leave the document). */
export function unindexSubtree(root: Element, byId: Map<string, Element>): void {
  for (const el of [root, ...descendants(root)]) for (const id of idsOf(el)) if (byId.get(id) === el) byId.delete(id);
}

function idsOf(el: Element): Set<string> {
  const ids = new Set<string>();
  const attrs = el.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs.item(i)!;
    const local = a.localName ?? a.name;
    if (local === 'Id' || local === 'ID' || local === 'id') ids.add(a.value);
  }
  return ids;
}

/** Resolves a same-document reference `#id`; anything else is refused. */
export function resolveLocal(ids: Map<string, Element>, uri: string | null, what: string): Element {
  if (!uri || !uri.startsWith('#') || uri.length < 2) {
    throw new CpiError('CPI_WSS_BAD_REFERENCE', `${what} has URI "${uri ?? ''}"; expected "#<id>" of this message`);
  }
  const target = ids.get(uri.slice(1));
  if (!target) throw new CpiError('CPI_WSS_BAD_REFERENCE', `${what} points at "${uri}", which is not in the message`);
  return target;
}

/** The namespace declarations in scope at `el` (nearest wins), as prefix → URI ('' for the default). */
export function inScopeNamespaces(el: Node): Map<string, string> {
  const found = new Map<string, string>();
  for (let n: Node | null = el; n && isElement(n); n = n.parentNode) {
    const attrs = n.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i)!;
      if (a.namespaceURI !== NS.xmlns) continue;
      const prefix = a.prefix === 'xmlns' ? (a.localName ?? '') : '';
      if (!found.has(prefix)) found.set(prefix, a.value);
    }
  }
  return found;
}
