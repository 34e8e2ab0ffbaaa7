import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import forge from 'node-forge';
import { CpiError, type ErrorCode } from '../../src/errors';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { createSelfSignedCertificate, type SelfSignedCertificateOptions } from '../../src/pki/self-signed-certificate';
import { DAY, NOW, rsaKey } from './fixtures';

const base: SelfSignedCertificateOptions = {
  privateKeyPem: rsaKey('a'),
  subject: 'CN=receiver,O=Example',
  notBefore: NOW,
  notAfter: new Date(NOW.getTime() + 30 * DAY),
};

describe('createSelfSignedCertificate', () => {
  test('certifies an existing key again: same public key, new serial and fingerprint (a re-certification)', () => {
    const first = parseCertificatePem(createSelfSignedCertificate(base));
    const second = parseCertificatePem(createSelfSignedCertificate(base));
    assert.equal(first.publicKeySpkiSha256, second.publicKeySpkiSha256);
    assert.equal(first.subjectKeyIdentifier, second.subjectKeyIdentifier);
    assert.notEqual(first.serialNumber, second.serialNumber);
    assert.notEqual(first.fingerprintSha256, second.fingerprintSha256);
  });

  test('accepts a PKCS#1 key and signs with sha256WithRSAEncryption', () => {
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    });
    const pem = createSelfSignedCertificate({ ...base, privateKeyPem: pkcs1 as string });
    const x509 = new X509Certificate(pem);
    assert.ok(x509.verify(x509.publicKey), 'x509.verify(x509.publicKey)');
    assert.equal(forge.pki.certificateFromPem(pem).signatureOid, forge.pki.oids['sha256WithRSAEncryption']);
  });

  test('writes key usage and SKI as asked: absent, explicit, or computed', () => {
    const none = parseCertificatePem(
      createSelfSignedCertificate({ ...base, keyUsage: null, subjectKeyIdentifier: false }),
    );
    assert.equal(none.keyUsage, undefined);
    assert.equal(none.subjectKeyIdentifierSource, 'computed');
    const explicit = parseCertificatePem(
      createSelfSignedCertificate({
        ...base,
        keyUsage: ['keyEncipherment', 'dataEncipherment'],
        subjectKeyIdentifier: '0102ab',
      }),
    );
    assert.deepEqual(explicit.keyUsage, ['keyEncipherment', 'dataEncipherment']);
    assert.equal(explicit.subjectKeyIdentifier, '0102ab');
    assert.equal(explicit.subjectKeyIdentifierSource, 'extension');
  });

  const refusals: { name: string; options: Partial<SelfSignedCertificateOptions>; code: ErrorCode; detail: RegExp }[] =
    [
      {
        name: 'an EC key',
        options: {
          privateKeyPem: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }) as string,
        },
        code: 'CPI_PKI_PRIVATE_KEY_INVALID',
        detail: /of type ec; expected an RSA key/,
      },
      {
        name: 'text that is no key',
        options: { privateKeyPem: 'nope' },
        code: 'CPI_PKI_PRIVATE_KEY_INVALID',
        detail: /cannot be read/,
      },
      {
        name: 'notAfter before notBefore',
        options: { notAfter: new Date(NOW.getTime() - 1000) },
        code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
        detail: /is not after notBefore/,
      },
      {
        name: 'an SKI that is not hex bytes',
        options: { subjectKeyIdentifier: 'abc' },
        code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
        detail: /subjectKeyIdentifier "abc"/,
      },
    ];
  for (const r of refusals) {
    test(`refuses ${r.name} with ${r.code}`, () => {
      assert.throws(
        () => createSelfSignedCertificate({ ...base, ...r.options }),
        (e: unknown) => e instanceof CpiError && e.code === r.code && r.detail.test(e.detail),
      );
    });
  }
});
