import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { signAndEncrypt, soapEnvelope, verifyAndDecrypt, KEY_IDENTIFIER_FORMS } from '../../src/wssecurity/index';
import type { SignAndEncryptOptions } from '../../src/wssecurity/index';
import { isCpiError } from '../../src/errors';
import { makeKeyPair, SAMPLE_BODY } from './fixtures';

const tenant = makeKeyPair('tenant-signer');
const receiverOld = makeKeyPair('soap.receiver.example old');
const receiverNew = makeKeyPair('soap.receiver.example new');
const unrelated = makeKeyPair('unrelated');
const noSki = makeKeyPair('receiver without SKI extension', { ski: false });

const ALGORITHM_SETS: { name: string; options: Partial<SignAndEncryptOptions>; content: string; transport: string }[] =
  [
    {
      name: 'default (aes256-gcm, rsa-oaep-mgf1p)',
      options: {},
      content: 'xmlenc11#aes256-gcm',
      transport: 'xmlenc#rsa-oaep-mgf1p',
    },
    {
      name: 'aes128-gcm',
      options: { contentEncryption: 'aes128-gcm' },
      content: 'xmlenc11#aes128-gcm',
      transport: 'xmlenc#rsa-oaep-mgf1p',
    },
    {
      name: 'Basic256',
      options: { algorithmSuite: 'Basic256' },
      content: 'xmlenc#aes256-cbc',
      transport: 'xmlenc#rsa-oaep-mgf1p',
    },
    {
      name: 'Basic128',
      options: { algorithmSuite: 'Basic128' },
      content: 'xmlenc#aes128-cbc',
      transport: 'xmlenc#rsa-oaep-mgf1p',
    },
    {
      name: 'Basic256Sha256',
      options: { algorithmSuite: 'Basic256Sha256' },
      content: 'xmlenc#aes256-cbc',
      transport: 'xmlenc#rsa-oaep-mgf1p',
    },
    {
      name: 'xmlenc11 rsa-oaep SHA-256',
      options: { keyTransport: 'rsa-oaep' },
      content: 'xmlenc11#aes256-gcm',
      transport: 'xmlenc11#rsa-oaep',
    },
  ];

function parse(xml: string) {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

describe('signAndEncrypt', () => {
  for (const form of KEY_IDENTIFIER_FORMS) {
    for (const set of ALGORITHM_SETS) {
      test(`round-trips through verifyAndDecrypt with ${form} and ${set.name}, choosing the right key of three`, () => {
        const message = signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
          encryptionCertificatePem: receiverNew.certificatePem,
          keyIdentifier: form,
          signing: tenant,
          ...set.options,
        });
        assert.ok(message.includes(set.content), `content algorithm ${set.content} in the message`);
        assert.ok(message.includes(set.transport), `key transport ${set.transport} in the message`);
        assert.ok(!message.includes('Spade'), 'the body is not readable in the message');
        const result = verifyAndDecrypt(
          message,
          [
            { ...receiverOld, id: 'old' },
            { ...receiverNew, id: 'new' },
            { ...unrelated, id: 'unrelated' },
          ],
          [tenant.certificatePem],
        );
        assert.equal(result.body, SAMPLE_BODY);
        assert.equal(result.keyId, 'new');
        const expectedMatch = {
          IssuerSerial: 'issuerSerial',
          BinarySecurityToken: 'certificate',
          SubjectKeyIdentifier: 'ski',
          Thumbprint: 'thumbprint',
        }[form];
        assert.equal(result.matchedBy, expectedMatch);
        assert.ok(result.signerFingerprint, 'result.signerFingerprint');
      });
    }
  }

  test('writes the WSS4J header order: EncryptedKey, signing BST, Signature, Timestamp; Body content replaced by EncryptedData', () => {
    const message = signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
      encryptionCertificatePem: receiverNew.certificatePem,
      signing: tenant,
    });
    const doc = parse(message);
    const security = doc.getElementsByTagNameNS(
      'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
      'Security',
    )[0]!;
    const names: string[] = [];
    for (let n = security.firstChild; n; n = n.nextSibling)
      if (n.nodeType === 1) names.push((n as unknown as { localName: string }).localName);
    assert.deepEqual(names, ['EncryptedKey', 'BinarySecurityToken', 'Signature', 'Timestamp']);
    const body = doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Body')[0]!;
    assert.equal(body.childNodes.length, 1);
    assert.equal((body.firstChild as unknown as { localName: string }).localName, 'EncryptedData');
  });

  test('puts the receiver certificate in a BinarySecurityToken before the EncryptedKey for the BinarySecurityToken form', () => {
    const message = signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
      encryptionCertificatePem: receiverNew.certificatePem,
      keyIdentifier: 'BinarySecurityToken',
    });
    const bst = message.indexOf('BinarySecurityToken');
    assert.ok(bst > 0 && bst < message.indexOf('EncryptedKey'), "bst > 0 && bst < message.indexOf('EncryptedKey')");
  });

  test('matches SubjectKeyIdentifier for a certificate without the SKI extension (SHA-1 of the public key, as WSS4J)', () => {
    const message = signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
      encryptionCertificatePem: noSki.certificatePem,
      keyIdentifier: 'SubjectKeyIdentifier',
    });
    const result = verifyAndDecrypt(message, [receiverNew, noSki], [], { requireSignature: false });
    assert.equal(result.body, SAMPLE_BODY);
    assert.equal(result.matchedBy, 'ski');
  });

  test('keeps a SOAP 1.2 envelope and an existing Header', () => {
    const envelope = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Header><x:Trace xmlns:x="urn:t">1</x:Trace></env:Header><env:Body>${SAMPLE_BODY}</env:Body></env:Envelope>`;
    const message = signAndEncrypt(envelope, { encryptionCertificatePem: receiverNew.certificatePem, signing: tenant });
    assert.ok(
      message.includes('<x:Trace xmlns:x="urn:t">1</x:Trace>'),
      'message.includes(\'<x:Trace xmlns:x="urn:t">1</x:Trace>\')',
    );
    assert.ok(message.includes('env:mustUnderstand="true"'), 'message.includes(\'env:mustUnderstand="true"\')');
    const result = verifyAndDecrypt(message, [receiverNew], [tenant.certificatePem]);
    assert.equal(result.body, SAMPLE_BODY);
  });

  test('encrypts each message with a fresh key and IV', () => {
    const options = { encryptionCertificatePem: receiverNew.certificatePem };
    const a = signAndEncrypt(soapEnvelope(SAMPLE_BODY), options);
    const b = signAndEncrypt(soapEnvelope(SAMPLE_BODY), options);
    const cipher = (m: string) => [...m.matchAll(/<xenc:CipherValue>([^<]+)</g)].map((x) => x[1]);
    assert.notDeepEqual(cipher(a)[0], cipher(b)[0]);
    assert.notDeepEqual(cipher(a)[1], cipher(b)[1]);
  });

  test('keeps a carriage return in the Body (written &#13;) through signing, encryption, decryption and verification', () => {
    // Regression: written raw into the plaintext, a CR reads back as a line feed and the Body digest breaks.
    const body = '<m:Note xmlns:m="urn:example:orders" a="x&#13;y">line 1&#13;\nline 2</m:Note>';
    const message = signAndEncrypt(soapEnvelope(body), {
      encryptionCertificatePem: receiverNew.certificatePem,
      signing: tenant,
    });
    const result = verifyAndDecrypt(message, [receiverNew], [tenant.certificatePem]);
    const text = parse(result.body).documentElement!.textContent;
    assert.equal(text, 'line 1\r\nline 2');
    assert.equal(parse(result.body).documentElement!.getAttribute('a'), 'x\ry');
  });

  test('refuses a signing key that does not load, also after a good key was used (the key cache holds only loaded keys)', () => {
    const options = { encryptionCertificatePem: receiverNew.certificatePem, signing: tenant };
    signAndEncrypt(soapEnvelope(SAMPLE_BODY), options);
    assert.throws(
      () =>
        signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
          ...options,
          signing: { ...tenant, privateKeyPem: tenant.privateKeyPem.slice(0, 200) },
        }),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_INVALID_OPTION' && e.detail.includes('signing.privateKeyPem'),
    );
  });

  test('refuses a receiver certificate that has expired (CPI itself would not)', () => {
    const expired = makeKeyPair('expired', { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    assert.throws(
      () => signAndEncrypt(soapEnvelope(SAMPLE_BODY), { encryptionCertificatePem: expired.certificatePem }),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_CERTIFICATE_NOT_VALID' && e.detail.includes('2021-01-01'),
    );
  });

  test('refuses an unknown key identifier form and an envelope that already has a Security header', () => {
    assert.throws(
      () =>
        signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
          encryptionCertificatePem: receiverNew.certificatePem,
          keyIdentifier: 'KeyName' as never,
        }),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_INVALID_OPTION' && e.detail.includes('KeyName'),
    );
    const secured = signAndEncrypt(soapEnvelope(SAMPLE_BODY), { encryptionCertificatePem: receiverNew.certificatePem });
    assert.throws(
      () => signAndEncrypt(secured, { encryptionCertificatePem: receiverNew.certificatePem }),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_INVALID_OPTION',
    );
  });
});
