import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPrivateKey, privateDecrypt, publicEncrypt, X509Certificate } from 'node:crypto';
import { DOMParser, XMLSerializer, type Element } from '@xmldom/xmldom';
import {
  GENERIC_FAULT_TEXT,
  genericSoapFault,
  signAndEncrypt,
  soapEnvelope,
  verifyAndDecrypt,
  loadKeyring,
} from '../../src/wssecurity/index';
import { isCpiError, type ErrorCode } from '../../src/errors';
import { DN_TABLE, certificateWithIssuer } from '../pki/dn-table';
import { makeKeyPair, SAMPLE_BODY } from './fixtures';

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

const tenant = makeKeyPair('tenant-signer');
const other = makeKeyPair('someone else');
const oldKey = makeKeyPair('soap.receiver.example 2025');
const newKey = makeKeyPair('soap.receiver.example 2026');
const keyring = [
  { ...oldKey, id: 'receiver-old' },
  { ...newKey, id: 'receiver-new' },
];

function secure(options: Partial<Parameters<typeof signAndEncrypt>[1]> = {}): string {
  return signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
    encryptionCertificatePem: newKey.certificatePem,
    signing: tenant,
    ...options,
  });
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

/** Edits a message through the DOM and serializes it again. */
function edit(message: string, change: (doc: ReturnType<DOMParser['parseFromString']>) => void): string {
  const doc = new DOMParser().parseFromString(message, 'text/xml');
  change(doc);
  return new XMLSerializer().serializeToString(doc);
}

function first(doc: ReturnType<DOMParser['parseFromString']>, ns: string, name: string): Element {
  return doc.getElementsByTagNameNS(ns, name)[0]!;
}

describe('verifyAndDecrypt', () => {
  test('during a renewal decrypts messages for the old and the new certificate with the matching key', () => {
    const toOld = secure({ encryptionCertificatePem: oldKey.certificatePem });
    const toNew = secure();
    assert.equal(verifyAndDecrypt(toOld, keyring, [tenant.certificatePem]).keyId, 'receiver-old');
    const result = verifyAndDecrypt(toNew, keyring, [tenant.certificatePem]);
    assert.equal(result.keyId, 'receiver-new');
    assert.equal(result.keyUsed, new X509Certificate(newKey.certificatePem).fingerprint256);
    assert.equal(result.signerFingerprint, new X509Certificate(tenant.certificatePem).fingerprint256);
  });

  for (const [form, asked] of [
    [
      'IssuerSerial',
      () => [
        `serial=${BigInt(`0x${new X509Certificate(oldKey.certificatePem).serialNumber}`)}`,
        'issuer="CN=soap.receiver.example 2025',
      ],
    ],
    ['SubjectKeyIdentifier', () => ['SKI=']],
    [
      'Thumbprint',
      () => [
        `thumbprintSHA1=${new X509Certificate(oldKey.certificatePem).fingerprint.replace(/:/g, '').toLowerCase()}`,
      ],
    ],
    ['BinarySecurityToken', () => [`sha256=${new X509Certificate(oldKey.certificatePem).fingerprint256}`]],
  ] as const) {
    test(`after the old key is removed refuses an old-key message (${form}), naming what it asked for and the keys held`, () => {
      const toOld = secure({ encryptionCertificatePem: oldKey.certificatePem, keyIdentifier: form });
      refuses('CPI_WSS_NO_MATCHING_KEY', () => verifyAndDecrypt(toOld, [keyring[1]!], [tenant.certificatePem]), [
        ...asked(),
        'receiver-new',
        new X509Certificate(newKey.certificatePem).fingerprint256,
      ]);
    });
  }

  test('matches an IssuerSerial as WSS4J does: a flattened multi-valued RDN or "E=" for the e-mail address names no key', () => {
    // The issuer "CN=Multi CA,OU=Ops+L=Berlin,O=Example,C=DE" and one with an e-mail address, each under the same
    // serial as a second key: only the exact principal (Java's X500Principal.equals) may select a key.
    const [email, multi] = [DN_TABLE[0]!, DN_TABLE[1]!].map((entry) => ({
      ...newKey,
      id: entry.name,
      certificatePem: certificateWithIssuer(entry, newKey.privateKeyPem, { serialHex: '0abc' }),
    }));
    const keys = [email!, multi!];
    const withIssuerName = (certificatePem: string, issuerName: string) =>
      secure({ encryptionCertificatePem: certificatePem }).replace(
        /<ds:X509IssuerName>[^<]*<\/ds:X509IssuerName>/,
        `<ds:X509IssuerName>${issuerName}</ds:X509IssuerName>`,
      );
    assert.equal(
      verifyAndDecrypt(secure({ encryptionCertificatePem: multi!.certificatePem }), keys, [tenant.certificatePem])
        .keyId,
      multi!.id,
    );
    assert.equal(
      verifyAndDecrypt(secure({ encryptionCertificatePem: email!.certificatePem }), keys, [tenant.certificatePem])
        .keyId,
      email!.id,
    );
    refuses('CPI_WSS_NO_MATCHING_KEY', () =>
      verifyAndDecrypt(withIssuerName(multi!.certificatePem, 'CN=Multi CA,OU=Ops,L=Berlin,O=Example,C=DE'), keys, [
        tenant.certificatePem,
      ]),
    );
    refuses(
      'CPI_WSS_MALFORMED_MESSAGE',
      () =>
        verifyAndDecrypt(
          withIssuerName(email!.certificatePem, 'E=pki@example.org,CN=Example Issuing CA,O=Example PKI,C=DE'),
          keys,
          [tenant.certificatePem],
        ),
      ['E=pki@example.org'],
    );
  });

  test('the generic SOAP fault reveals nothing of the error detail', () => {
    const fault = genericSoapFault('1.1');
    assert.ok(fault.includes('wsse:InvalidSecurity'), "fault.includes('wsse:InvalidSecurity')");
    assert.ok(
      fault.includes(GENERIC_FAULT_TEXT.replace('<', '&lt;').replace('>', '&gt;')),
      "fault.includes(GENERIC_FAULT_TEXT.replace('<', '&lt;').replace('>', '&gt;'))",
    );
    assert.ok(!/serial|sha256|receiver/i.test(fault), '!/serial|sha256|receiver/i.test(fault)');
    assert.ok(genericSoapFault('1.2').includes('env:Sender'), "genericSoapFault('1.2').includes('env:Sender')");
  });

  test('refuses rsa-1_5 key transport by default and accepts it only with allowRsa15', () => {
    // Re-wrap the CEK of a valid message with PKCS#1 v1.5, as a legacy (Basic128Rsa15) sender would.
    const message = secure({ algorithmSuite: 'Basic128' });
    const legacy = edit(message, (doc) => {
      const ek = first(doc, XENC, 'EncryptedKey');
      const method = first(doc, XENC, 'EncryptionMethod');
      const value = ek.getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
      const cek = privateDecrypt(
        { key: createPrivateKey(newKey.privateKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(value.textContent!, 'base64'),
      );
      value.textContent = publicEncrypt(
        { key: newKey.certificatePem, padding: constants.RSA_PKCS1_PADDING },
        cek,
      ).toString('base64');
      method.setAttribute('Algorithm', 'http://www.w3.org/2001/04/xmlenc#rsa-1_5');
      while (method.firstChild) method.removeChild(method.firstChild);
    });
    refuses('CPI_WSS_INSECURE_KEY_TRANSPORT', () => verifyAndDecrypt(legacy, keyring, [tenant.certificatePem]), [
      'rsa-1_5',
    ]);
    const result = verifyAndDecrypt(legacy, keyring, [tenant.certificatePem], { allowRsa15: true });
    assert.equal(result.body, SAMPLE_BODY);
  });

  test('refuses any DOCTYPE (XXE), even an internal one', () => {
    const message = secure();
    const withDoctype = `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${message}`;
    refuses('CPI_WSS_DOCTYPE_FORBIDDEN', () => verifyAndDecrypt(withDoctype, keyring, [tenant.certificatePem]));
  });

  test('refuses duplicate IDs', () => {
    const message = edit(secure(), (doc) => {
      const ts = first(
        doc,
        'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
        'Timestamp',
      );
      const copy = doc.createElementNS('urn:x', 'x:Copy');
      copy.setAttribute(
        'Id',
        ts.getAttributeNS('http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd', 'Id')!,
      );
      first(doc, SOAP, 'Header').appendChild(copy);
    });
    refuses('CPI_WSS_DUPLICATE_ID', () => verifyAndDecrypt(message, keyring, [tenant.certificatePem]), ['TS-']);
  });

  test('refuses a DataReference that does not point at an EncryptedData', () => {
    const message = edit(secure(), (doc) => {
      const ts = first(
        doc,
        'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
        'Timestamp',
      );
      const id = ts.getAttributeNS(
        'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
        'Id',
      );
      first(doc, XENC, 'DataReference').setAttribute('URI', `#${id}`);
    });
    refuses('CPI_WSS_BAD_REFERENCE', () => verifyAndDecrypt(message, keyring, [tenant.certificatePem]), [
      'wsu:Timestamp',
    ]);
  });

  test('catches a CBC bit flip (silently changed plaintext) through the signature', () => {
    // With AES-CBC, flipping a bit of the IV flips the same bit of the first plaintext block: no decryption error.
    const message = signAndEncrypt(soapEnvelope('<v>Amount 100.00</v>'), {
      encryptionCertificatePem: newKey.certificatePem,
      signing: tenant,
      algorithmSuite: 'Basic256',
    });
    const tampered = edit(message, (doc) => {
      const ed = first(doc, XENC, 'EncryptedData');
      const value = ed.getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
      const octets = Buffer.from(value.textContent!, 'base64');
      octets[10]! ^= 0x08; // IV byte 10: '1' → '9', "Amount 900.00"
      value.textContent = octets.toString('base64');
    });
    const unsigned = verifyAndDecrypt(
      edit(tampered, (doc) => {
        const sig = first(doc, 'http://www.w3.org/2000/09/xmldsig#', 'Signature');
        sig.parentNode!.removeChild(sig);
      }),
      keyring,
      [],
      { requireSignature: false },
    );
    assert.equal(unsigned.body, '<v>Amount 900.00</v>', 'without the signature the change goes unnoticed');
    refuses('CPI_WSS_SIGNATURE_INVALID', () => verifyAndDecrypt(tampered, keyring, [tenant.certificatePem]), [
      'digest',
    ]);
  });

  test('refuses truncated or garbled ciphertext with one generic decryption error', () => {
    const gcm = secure();
    const truncated = edit(gcm, (doc) => {
      const value = first(doc, XENC, 'EncryptedData').getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
      value.textContent = Buffer.from(value.textContent!, 'base64').subarray(0, 20).toString('base64');
    });
    refuses('CPI_WSS_DECRYPTION_FAILED', () => verifyAndDecrypt(truncated, keyring, [tenant.certificatePem]));
    const garbledKey = edit(gcm, (doc) => {
      const value = first(doc, XENC, 'EncryptedKey').getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
      const octets = Buffer.from(value.textContent!, 'base64');
      octets[10]! ^= 0xff;
      value.textContent = octets.toString('base64');
    });
    refuses('CPI_WSS_DECRYPTION_FAILED', () => verifyAndDecrypt(garbledKey, keyring, [tenant.certificatePem]));
    const cbcTruncated = edit(secure({ algorithmSuite: 'Basic128' }), (doc) => {
      const value = first(doc, XENC, 'EncryptedData').getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
      value.textContent = Buffer.from(value.textContent!, 'base64').subarray(0, 37).toString('base64');
    });
    refuses('CPI_WSS_DECRYPTION_FAILED', () => verifyAndDecrypt(cbcTruncated, keyring, [tenant.certificatePem]));
  });

  test('refuses an unsigned message unless signatures are optional', () => {
    const unsigned = secure({ signing: undefined });
    refuses('CPI_WSS_SIGNATURE_MISSING', () => verifyAndDecrypt(unsigned, keyring, [tenant.certificatePem]));
    const result = verifyAndDecrypt(unsigned, keyring, [], { requireSignature: false });
    assert.equal(result.body, SAMPLE_BODY);
    assert.equal(result.signerFingerprint, undefined);
  });

  test('refuses a signer that is not pinned, even though the message carries its certificate', () => {
    const byOther = secure({ signing: other });
    refuses('CPI_WSS_SIGNER_NOT_TRUSTED', () => verifyAndDecrypt(byOther, keyring, [tenant.certificatePem]), [
      new X509Certificate(other.certificatePem).fingerprint256,
      new X509Certificate(tenant.certificatePem).fingerprint256,
    ]);
  });

  test('refuses signature wrapping: the signed Body moved into the header, a new Body put in its place', () => {
    const { envelope } = verifyAndDecrypt(secure(), keyring, [tenant.certificatePem]);
    const wrapped = edit(envelope, (doc) => {
      const ek = first(doc, XENC, 'EncryptedKey');
      ek.parentNode!.removeChild(ek);
      const body = first(doc, SOAP, 'Body');
      const wrapper = doc.createElementNS('urn:attacker', 'a:Wrapper');
      first(doc, SOAP, 'Header').appendChild(wrapper);
      const evil = doc.createElementNS(SOAP, 'soapenv:Body');
      evil.appendChild(doc.createElementNS('urn:example:orders', 'm:TransferAllFunds'));
      body.parentNode!.replaceChild(evil, body);
      wrapper.appendChild(body);
    });
    // Signature verification itself succeeds (the moved Body is intact); the position check must refuse.
    refuses('CPI_WSS_BODY_NOT_SIGNED', () =>
      verifyAndDecrypt(wrapped, keyring, [tenant.certificatePem], { requireSignature: true }),
    );
  });

  test('refuses an expired timestamp and one from the future', () => {
    const message = secure();
    const later = new Date(Date.now() + 3600_000);
    refuses(
      'CPI_WSS_TIMESTAMP_INVALID',
      () => verifyAndDecrypt(message, keyring, [tenant.certificatePem], { now: later }),
      ['Expires'],
    );
    const earlier = new Date(Date.now() - 3600_000);
    refuses(
      'CPI_WSS_TIMESTAMP_INVALID',
      () => verifyAndDecrypt(message, keyring, [tenant.certificatePem], { now: earlier }),
      ['Created'],
    );
  });

  test('refuses two Security headers and a message that is not a SOAP envelope', () => {
    const twice = edit(secure(), (doc) => {
      first(doc, SOAP, 'Header').appendChild(doc.createElementNS(WSSE, 'wsse:Security'));
    });
    refuses('CPI_WSS_SECURITY_HEADER', () => verifyAndDecrypt(twice, keyring, [tenant.certificatePem]), ['2']);
    refuses('CPI_WSS_MALFORMED_MESSAGE', () => verifyAndDecrypt('<a><b></a>', keyring, []));
    refuses('CPI_WSS_MALFORMED_MESSAGE', () => verifyAndDecrypt('<x:Envelope xmlns:x="urn:x"/>', keyring, []));
  });

  test('hands back the whole decrypted envelope when asked: Body in clear, header kept, no EncryptedData left', () => {
    const result = verifyAndDecrypt(secure(), keyring, [tenant.certificatePem]);
    const doc = new DOMParser().parseFromString(result.envelope, 'text/xml');
    assert.equal(new XMLSerializer().serializeToString(first(doc, SOAP, 'Body').firstChild!), SAMPLE_BODY);
    assert.equal(doc.getElementsByTagNameNS(XENC, 'EncryptedData').length, 0);
    assert.equal(doc.getElementsByTagNameNS(WSSE, 'Security').length, 1);
  });

  test('reuses a loaded keyring across messages', () => {
    const loaded = loadKeyring(keyring);
    assert.equal(verifyAndDecrypt(secure(), loaded, [tenant.certificatePem]).keyId, 'receiver-new');
    assert.equal(verifyAndDecrypt(secure(), loaded, [tenant.certificatePem]).keyId, 'receiver-new');
  });

  test('refuses a keyring entry whose private key does not belong to its certificate', () => {
    refuses(
      'CPI_WSS_INVALID_OPTION',
      () => loadKeyring([{ privateKeyPem: oldKey.privateKeyPem, certificatePem: newKey.certificatePem }]),
      [new X509Certificate(newKey.certificatePem).fingerprint256],
    );
  });
});
