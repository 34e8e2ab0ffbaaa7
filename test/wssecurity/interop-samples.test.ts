// Third-party XML Encryption / WS-Security samples (Apache Santuario's W3C, Merlin and Phaos vectors; Apigee's
// Santuario-based WS-Security callout) decrypted by our receiver and compared with the published plaintexts.
// Provenance and licences: test/fixtures/interop/README.md. Unsupported samples and why: test/wssecurity/README.md.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import forge from 'node-forge';
import { DOMParser, XMLSerializer, type Node } from '@xmldom/xmldom';
import { decryptEncryptedData, verifyAndDecrypt, type KeyringEntry } from '../../src/wssecurity/index';
import { isCpiError } from '../../src/errors';

const interop = path.join(__dirname, '../fixtures/interop');
const read = (file: string) => readFileSync(path.join(interop, file));
const text = (file: string) => read(file).toString('utf8');

function pkcs8Pem(der: Buffer): string {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

function fromPkcs12(file: string, password: string): KeyringEntry {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(read(file).toString('binary')), password);
  // These keystores hold a plain keyBag, others a shrouded one: take whichever bag has the key.
  const bags = p12.safeContents.flatMap((c) => c.safeBags);
  const key = bags.find((b) => b.key)?.key;
  const cert = bags.find((b) => b.cert)?.cert;
  assert.ok(key && cert, `${file} holds a key and a certificate`);
  return { privateKeyPem: forge.pki.privateKeyToPem(key), certificatePem: forge.pki.certificateToPem(cert), id: file };
}

// One keyring holding every sample recipient: each message must pick its own key from its reference.
const keyring: KeyringEntry[] = [
  fromPkcs12('santuario-w3c-xmlenc11/RSA-2048_SHA256WithRSA.p12', 'passwd'),
  fromPkcs12('santuario-w3c-xmlenc11/RSA-3072_SHA256WithRSA.p12', 'passwd'),
  fromPkcs12('santuario-w3c-xmlenc11/RSA-4096_SHA256WithRSA.p12', 'passwd'),
  {
    privateKeyPem: pkcs8Pem(read('santuario-merlin/rsa.p8')),
    certificatePem: text('santuario-merlin/merlin-hughes.cert.pem'),
    id: 'merlin',
  },
  {
    privateKeyPem: pkcs8Pem(read('santuario-phaos/rsa-priv-key.der')),
    certificatePem: text('santuario-phaos/rsa-test-ca.cert.pem'),
    id: 'phaos',
  },
  {
    privateKeyPem: text('apigee-wssec/keys/pair2.key.pem'),
    certificatePem: text('apigee-wssec/keys/pair2.cert.pem'),
    id: 'apigee-pair2',
  },
];

/** Parses, drops whitespace-only text and the XML declaration, serializes: a layout-insensitive form. */
function normalized(xml: string): string {
  const doc = new DOMParser().parseFromString(xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>/, ''), 'text/xml');
  const strip = (node: Node) => {
    for (let n = node.firstChild; n;) {
      const next = n.nextSibling;
      if (n.nodeType === 3 && !(n.nodeValue ?? '').trim()) node.removeChild(n);
      else strip(n);
      n = next;
    }
  };
  strip(doc);
  return new XMLSerializer().serializeToString(doc.documentElement!);
}

/** The first element of the Body, serialized on its own. */
function bodyElement(xml: string): string {
  const doc = new DOMParser().parseFromString(normalized(xml), 'text/xml');
  const body = doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Body')[0]!;
  let el = body.firstChild;
  while (el && el.nodeType !== 1) el = el.nextSibling;
  return new XMLSerializer().serializeToString(el!);
}

interface PlainSample {
  file: string;
  expected: string;
  key: string;
  rsa15?: boolean;
}

const PLAIN_SAMPLES: PlainSample[] = [
  {
    file: 'santuario-w3c-xmlenc11/cipherText__RSA-2048__aes128-gcm__rsa-oaep-mgf1p.xml',
    expected: 'santuario-w3c-xmlenc11/plaintext.xml',
    key: 'santuario-w3c-xmlenc11/RSA-2048_SHA256WithRSA.p12',
  },
  {
    file: 'santuario-w3c-xmlenc11/cipherText__RSA-3072__aes192-gcm__rsa-oaep-mgf1p__Sha256.xml',
    expected: 'santuario-w3c-xmlenc11/plaintext.xml',
    key: 'santuario-w3c-xmlenc11/RSA-3072_SHA256WithRSA.p12',
  },
  {
    file: 'santuario-w3c-xmlenc11/cipherText__RSA-3072__aes256-gcm__rsa-oaep__Sha384-MGF_Sha1.xml',
    expected: 'santuario-w3c-xmlenc11/plaintext.xml',
    key: 'santuario-w3c-xmlenc11/RSA-3072_SHA256WithRSA.p12',
  },
  {
    file: 'santuario-w3c-xmlenc11/cipherText__RSA-4096__aes256-gcm__rsa-oaep__Sha512-MGF_Sha1_PSource.xml',
    expected: 'santuario-w3c-xmlenc11/plaintext.xml',
    key: 'santuario-w3c-xmlenc11/RSA-4096_SHA256WithRSA.p12',
  },
  {
    file: 'santuario-merlin/encrypt-data-tripledes-cbc-rsa-oaep-mgf1p.xml',
    expected: 'santuario-merlin/plaintext.txt',
    key: 'merlin',
  },
  {
    file: 'santuario-merlin/encrypt-data-tripledes-cbc-rsa-oaep-mgf1p-sha256.xml',
    expected: 'santuario-merlin/plaintext.txt',
    key: 'merlin',
  },
  {
    file: 'santuario-merlin/encrypt-element-aes128-cbc-rsa-1_5.xml',
    expected: 'santuario-merlin/plaintext.xml',
    key: 'merlin',
    rsa15: true,
  },
  {
    file: 'santuario-phaos/enc-element-aes128-kt-rsa_oaep_sha1.xml',
    expected: 'santuario-phaos/payment.xml',
    key: 'phaos',
  },
  {
    file: 'santuario-phaos/enc-element-aes192-kt-rsa_oaep_sha1.xml',
    expected: 'santuario-phaos/payment.xml',
    key: 'phaos',
  },
  {
    file: 'santuario-phaos/enc-element-3des-kt-rsa_oaep_sha256.xml',
    expected: 'santuario-phaos/payment.xml',
    key: 'phaos',
  },
  {
    file: 'santuario-phaos/enc-text-aes256-kt-rsa_oaep_sha1.xml',
    expected: 'santuario-phaos/payment.xml',
    key: 'phaos',
  },
  {
    file: 'santuario-phaos/enc-element-aes128-kt-rsa1_5.xml',
    expected: 'santuario-phaos/payment.xml',
    key: 'phaos',
    rsa15: true,
  },
  {
    file: 'santuario-phaos/enc-content-aes256-kt-rsa1_5.xml',
    expected: 'santuario-phaos/payment.xml',
    key: 'phaos',
    rsa15: true,
  },
];

const SOAP_SAMPLES: { file: string; rsa15: boolean }[] = [
  { file: 'apigee-wssec/encrypted-request-oaep.xml', rsa15: false },
  { file: 'apigee-wssec/encrypted-request.xml', rsa15: true },
  { file: 'apigee-wssec/encrypted-request-with-cek-in-header.xml', rsa15: true },
  { file: 'apigee-wssec/encrypted-request-with-cek-under-data.xml', rsa15: true },
  { file: 'apigee-wssec/test-encryptedSoap0.xml', rsa15: true },
];

describe('interop samples (plain XML Encryption)', () => {
  for (const sample of PLAIN_SAMPLES) {
    test(`decrypts ${sample.file} to the published plaintext with the right key${sample.rsa15 ? ' (rsa-1_5 only when allowed)' : ''}`, () => {
      const xml = text(sample.file);
      if (sample.rsa15) {
        assert.throws(
          () => decryptEncryptedData(xml, keyring),
          (e) => isCpiError(e) && e.code === 'CPI_WSS_INSECURE_KEY_TRANSPORT',
        );
      }
      const result = decryptEncryptedData(xml, keyring, { allowRsa15: sample.rsa15 ?? false });
      assert.equal(result.keyId, sample.key);
      const expected = text(sample.expected);
      if (sample.expected.endsWith('.txt')) assert.equal(result.plaintext, expected);
      else assert.equal(normalized(result.plaintext), normalized(expected));
    });
  }
});

describe('interop samples (WS-Security SOAP, Apigee callout on Santuario xmlsec)', () => {
  const expected = bodyElement(text('apigee-wssec/request1.xml'));
  for (const sample of SOAP_SAMPLES) {
    test(`decrypts ${sample.file} to the body of request1.xml with key pair2${sample.rsa15 ? ' (rsa-1_5 only when allowed)' : ''}`, () => {
      const xml = text(sample.file);
      const options = { requireSignature: false, allowRsa15: sample.rsa15 };
      if (sample.rsa15) {
        assert.throws(
          () => verifyAndDecrypt(xml, keyring, [], { requireSignature: false }),
          (e) => isCpiError(e) && e.code === 'CPI_WSS_INSECURE_KEY_TRANSPORT',
        );
      }
      const result = verifyAndDecrypt(xml, keyring, [], options);
      assert.equal(result.keyId, 'apigee-pair2');
      assert.equal(result.matchedBy, 'certificate');
      assert.equal(bodyElement(result.envelope), expected);
    });
  }

  test('an unsigned sample is refused when a signature is required (the default)', () => {
    assert.throws(
      () => verifyAndDecrypt(text('apigee-wssec/encrypted-request-oaep.xml'), keyring, []),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_SIGNATURE_MISSING',
    );
  });
});
