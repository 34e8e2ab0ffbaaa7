import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, sign as rsaSign, type KeyObject } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { canonicalize, createSignature, verifySignature } from '../../src/wssecurity/xml-signature';
import { indexIds, parseStrict, serialize } from '../../src/wssecurity/xml-dom';
import { isCpiError, type ErrorCode } from '../../src/errors';
import { makeKeyPair } from './fixtures';

const DS = 'http://www.w3.org/2000/09/xmldsig#';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

const signer = makeKeyPair('tenant-signer');
const stranger = makeKeyPair('someone else');
const privateKey = createPrivateKey(signer.privateKeyPem);
const publicKey = createPublicKey(signer.privateKeyPem);

const ENVELOPE =
  `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsu="${WSU}" xmlns:m="urn:example:orders">` +
  `<soapenv:Header><wsse:Security xmlns:wsse="${WSSE}"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>2026-01-01T00:00:00Z</wsu:Created></wsu:Timestamp></wsse:Security></soapenv:Header>` +
  `<soapenv:Body wsu:Id="B-1"><m:Order qty="2">Spade &amp; shovel<m:Note>Grüße</m:Note></m:Order></soapenv:Body></soapenv:Envelope>`;

function byId(doc: Document, id: string): Element {
  return indexIds(doc).get(id)!;
}

/** A message signed by createSignature over Body and Timestamp, the Signature placed before the Timestamp. */
function signedMessage(): string {
  const doc = parseStrict(ENVELOPE);
  const ts = byId(doc, 'TS-1');
  const str = doc.createElementNS(WSSE, 'wsse:SecurityTokenReference');
  const signature = createSignature(doc, {
    references: [
      { element: byId(doc, 'B-1'), id: 'B-1' },
      { element: ts, id: 'TS-1' },
    ],
    privateKey,
    keyInfo: str,
  });
  ts.parentNode!.insertBefore(signature, ts);
  return serialize(doc);
}

function signatureOf(doc: Document): Element {
  return doc.getElementsByTagNameNS(DS, 'Signature')[0]!;
}

function verify(xml: string, key: KeyObject = publicKey) {
  const doc = parseStrict(xml);
  return { doc, references: verifySignature(signatureOf(doc), key, indexIds(doc)) };
}

/** Applies a change to the message, then signs its SignedInfo again, as a sender holding the key could. */
function resigned(xml: string, change: (doc: Document, signature: Element) => void): string {
  const doc = parseStrict(xml);
  const signature = signatureOf(doc);
  change(doc, signature);
  const signedInfo = signature.getElementsByTagNameNS(DS, 'SignedInfo')[0]!;
  const value = rsaSign('sha256', Buffer.from(canonicalize(signedInfo, EXC_C14N)), privateKey).toString('base64');
  signature.getElementsByTagNameNS(DS, 'SignatureValue')[0]!.textContent = value;
  return serialize(doc);
}

function refuses(code: ErrorCode, run: () => unknown, detailIncludes: string[] = []): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(isCpiError(e), `expected a CpiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const part of detailIncludes)
      assert.ok(e.detail.includes(part), `detail "${e.detail}" should include "${part}"`);
    return true;
  });
}

describe('createSignature and verifySignature', () => {
  test('a signature over Body and Timestamp verifies with the signer key and names exactly the elements it covers', () => {
    const { doc, references } = verify(signedMessage());
    assert.deepEqual(
      references.map((r) => r.uri),
      ['#B-1', '#TS-1'],
    );
    assert.equal(
      references[0]!.element,
      doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Body')[0],
    );
    assert.equal(references[1]!.element, doc.getElementsByTagNameNS(WSU, 'Timestamp')[0]);
  });

  test('verifies what xml-crypto signs: exclusive C14N with an InclusiveNamespaces PrefixList, and inclusive C14N 1.0', () => {
    const sig = new SignedXml({ privateKey: signer.privateKeyPem, idMode: 'wssecurity' });
    sig.signatureAlgorithm = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
    sig.canonicalizationAlgorithm = EXC_C14N;
    sig.addReference({
      xpath: "//*[local-name(.)='Body']",
      transforms: [EXC_C14N],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      inclusiveNamespacesPrefixList: ['soapenv', 'm'],
    });
    sig.addReference({
      xpath: "//*[local-name(.)='Timestamp']",
      transforms: ['http://www.w3.org/TR/2001/REC-xml-c14n-20010315'],
      digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1',
    });
    sig.computeSignature(ENVELOPE, { location: { reference: "//*[local-name(.)='Security']", action: 'append' } });
    const signedXml = sig.getSignedXml();
    assert.ok(signedXml.includes('PrefixList="soapenv m"'), 'the reference carries an InclusiveNamespaces PrefixList');
    const { doc, references } = verify(signedXml);
    assert.deepEqual(
      references.map((r) => r.element.localName),
      ['Body', 'Timestamp'],
    );
    // The PrefixList declarations C14N adds while it runs are gone again: the message reads as before.
    assert.equal(serialize(doc), serialize(parseStrict(signedXml)));
  });

  test('refuses a changed signed element, naming the digest', () => {
    const tampered = signedMessage().replace('qty="2"', 'qty="200"');
    refuses('CPI_WSS_SIGNATURE_INVALID', () => verify(tampered), ['digest', '#B-1']);
  });

  test('refuses a changed SignedInfo (a DigestValue made to match a changed Body) without the signer key', () => {
    const signed = signedMessage();
    const doc = parseStrict(signed.replace('qty="2"', 'qty="200"'));
    const body = byId(doc, 'B-1');
    const digest = doc.getElementsByTagNameNS(DS, 'DigestValue')[0]!;
    digest.textContent = createHash('sha256').update(canonicalize(body, EXC_C14N)).digest('base64');
    refuses('CPI_WSS_SIGNATURE_INVALID', () => verify(serialize(doc)), ['SignatureValue']);
  });

  test('refuses a signature made with another key than the pinned one', () => {
    refuses('CPI_WSS_SIGNATURE_INVALID', () => verify(signedMessage(), createPublicKey(stranger.privateKeyPem)), [
      'SignatureValue',
    ]);
  });

  for (const [what, uri, code, detail] of [
    ['the whole document (empty URI)', '', 'CPI_WSS_BAD_REFERENCE', 'expected "#<id>"'],
    ['an XPointer', "#xpointer(id('B-1'))", 'CPI_WSS_BAD_REFERENCE', 'expected "#<id>"'],
    ['an ID that is not in the message', '#B-2', 'CPI_WSS_BAD_REFERENCE', 'not in the message'],
  ] as const) {
    test(`refuses a signed Reference to ${what}`, () => {
      const message = resigned(signedMessage(), (doc) => {
        doc.getElementsByTagNameNS(DS, 'Reference')[0]!.setAttribute('URI', uri);
      });
      refuses(code, () => verify(message), [detail]);
    });
  }

  test('refuses a signed Reference into the Signature itself', () => {
    const message = resigned(signedMessage(), (doc, signature) => {
      signature.getElementsByTagNameNS(DS, 'KeyInfo')[0]!.setAttribute('Id', 'KI-1');
      doc.getElementsByTagNameNS(DS, 'Reference')[1]!.setAttribute('URI', '#KI-1');
    });
    refuses('CPI_WSS_SIGNATURE_INVALID', () => verify(message), ['points into the Signature']);
  });

  for (const [what, change, detail] of [
    [
      'the enveloped-signature transform',
      (doc: Document) =>
        doc.getElementsByTagNameNS(DS, 'Transform')[0]!.setAttribute('Algorithm', `${DS}enveloped-signature`),
      'enveloped-signature',
    ],
    [
      'an HMAC signature method',
      (doc: Document) =>
        doc.getElementsByTagNameNS(DS, 'SignatureMethod')[0]!.setAttribute('Algorithm', `${DS}hmac-sha1`),
      'hmac-sha1',
    ],
    [
      'an MD5 digest',
      (doc: Document) =>
        doc
          .getElementsByTagNameNS(DS, 'DigestMethod')[0]!
          .setAttribute('Algorithm', 'http://www.w3.org/2001/04/xmldsig-more#md5'),
      'md5',
    ],
  ] as const) {
    test(`refuses ${what} as an unsupported algorithm`, () => {
      const message = resigned(signedMessage(), change);
      refuses('CPI_WSS_UNSUPPORTED_ALGORITHM', () => verify(message), [detail]);
    });
  }

  test('refuses a Signature with two SignedInfo elements', () => {
    const doc = parseStrict(signedMessage());
    const signature = signatureOf(doc);
    const signedInfo = signature.getElementsByTagNameNS(DS, 'SignedInfo')[0]!;
    signature.insertBefore(signedInfo.cloneNode(true), signedInfo);
    refuses('CPI_WSS_SIGNATURE_INVALID', () => verify(serialize(doc)), ['2 SignedInfo']);
  });

  test('ignores a comment added inside a signed element (same-document references are digested without comments)', () => {
    const withComment = signedMessage().replace('<m:Note>', '<!-- routed by proxy 7 --><m:Note>');
    assert.equal(verify(withComment).references.length, 2);
  });
});
