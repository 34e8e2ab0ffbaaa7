// Limits a receiver checks on the raw message text before it parses anything or touches a private key, so that
// an unauthenticated sender cannot make it spend seconds of CPU (one RSA operation per EncryptedKey, parser cost
// per element, namespace resolution per declaration). One linear scan of the text; the strict parser that follows
// still decides whether the message is well-formed, this only bounds what it may be asked to do.
import { CpiError } from '../errors';

/** What a message may hold at most, counted on its text before parsing. */
export interface MessageLimits {
  /** Size of the message in UTF-16 code units (about bytes for the ASCII of a SOAP message). */
  readonly maxBytes: number;
  /** Nesting depth of elements. */
  readonly maxDepth: number;
  /**
   * Elements outside any encryption: a "Sign and Encrypt" message has a few dozen, its Body content travels as
   * base64 inside CipherValue; the decrypted content is parsed only after the signature was checked.
   */
  readonly maxElements: number;
  /** Namespace declarations (xmlns, xmlns:p) in the whole message. */
  readonly maxNamespaceDeclarations: number;
  /** xenc:EncryptedKey elements: each costs one private-key operation. */
  readonly maxEncryptedKeys: number;
}

/** Generous for CPI's messages (one EncryptedKey, about 40 elements), small enough to refuse in milliseconds. */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = {
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 32,
  maxElements: 2000,
  maxNamespaceDeclarations: 256,
  maxEncryptedKeys: 2,
};

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUOTE = 0x22;
const APOS = 0x27;

/** Throws CPI_WSS_MESSAGE_LIMIT naming the first limit the message exceeds. */
export function checkMessageLimits(xml: string, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): void {
  const exceeded = (what: string, limit: number, more = ''): never => {
    throw new CpiError('CPI_WSS_MESSAGE_LIMIT', `the message holds more than ${limit} ${what}${more}`);
  };
  if (xml.length > limits.maxBytes) exceeded('bytes', limits.maxBytes, ` (${xml.length})`);
  let depth = 0;
  let elements = 0;
  let declarations = 0;
  let encryptedKeys = 0;
  let i = xml.indexOf('<');
  while (i !== -1) {
    const next = xml.charCodeAt(i + 1);
    if (xml.startsWith('<!--', i)) {
      i = skipTo(xml, '-->', i);
    } else if (xml.startsWith('<![CDATA[', i)) {
      i = skipTo(xml, ']]>', i);
    } else if (next === 0x3f /* ? */ || next === 0x21 /* ! */) {
      i = skipTo(xml, '>', i);
    } else if (next === SLASH) {
      depth--;
      i = skipTo(xml, '>', i);
    } else {
      // A start tag: find its end outside quoted attribute values, which may hold '>'.
      let j = i + 1;
      let quote = 0;
      for (; j < xml.length; j++) {
        const c = xml.charCodeAt(j);
        if (quote) {
          if (c === quote) quote = 0;
        } else if (c === QUOTE || c === APOS) quote = c;
        else if (c === GT || c === LT) break;
        else if (c === 0x78 /* x */ && isSpace(xml.charCodeAt(j - 1)) && xml.startsWith('xmlns', j)) {
          // counted as the tag is read, so that a tag with thousands of declarations stops at the limit
          if (++declarations > limits.maxNamespaceDeclarations)
            exceeded('namespace declarations', limits.maxNamespaceDeclarations);
        }
      }
      if (j >= xml.length || xml.charCodeAt(j) !== GT) return; // unterminated: the parser refuses it
      if (++elements > limits.maxElements) exceeded('elements', limits.maxElements);
      if (xml.charCodeAt(j - 1) !== SLASH && ++depth > limits.maxDepth)
        exceeded('levels of nested elements', limits.maxDepth);
      let nameEnd = i + 1;
      while (nameEnd < j && !isNameEnd(xml.charCodeAt(nameEnd))) nameEnd++;
      if (xml.startsWith('EncryptedKey', nameEnd - 12) && (nameEnd - 12 === i + 1 || xml[nameEnd - 13] === ':')) {
        if (++encryptedKeys > limits.maxEncryptedKeys) exceeded('EncryptedKey elements', limits.maxEncryptedKeys);
      }
      i = j;
    }
    if (i === -1) return;
    i = xml.indexOf('<', i + 1);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNameEnd(c: number): boolean {
  return isSpace(c) || c === SLASH || c === GT;
}

function skipTo(xml: string, end: string, from: number): number {
  const at = xml.indexOf(end, from);
  return at === -1 ? -1 : at + end.length - 1;
}
