import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { CpiError, type ErrorCode } from '../../src/errors';
import { checkEncryptionCertificate } from '../../src/pki/certificate-rules';
import { generateKeyPairWithCertificate, type GenerateKeyPairOptions } from '../../src/pki/key-pair';
import { DAY, NOW } from './fixtures';

const base: GenerateKeyPairOptions = {
  algorithm: 'RSA-2048',
  subject: 'CN=receiver,O=Example',
  validityDays: 365,
  now: NOW,
};

describe('generateKeyPairWithCertificate', () => {
  for (const [algorithm, bits] of [
    ['RSA-2048', 2048],
    ['RSA-3072', 3072],
    ['RSA-4096', 4096],
  ] as const) {
    test(`${algorithm}: a working key pair whose self-signed certificate passes the encryption rules`, () => {
      const result = generateKeyPairWithCertificate({ ...base, algorithm });
      const { info } = result;
      assert.equal(info.keyType, 'RSA');
      assert.equal(info.keySize, bits);
      // The private key belongs to the certificate, and the certificate's signature is its own.
      const fromKey = createPublicKey(createPrivateKey(result.privateKeyPem)).export({ type: 'spki', format: 'der' });
      const x509 = new X509Certificate(result.certificatePem);
      assert.deepEqual(fromKey, x509.publicKey.export({ type: 'spki', format: 'der' }));
      assert.ok(x509.verify(x509.publicKey), 'the self-signature does not verify');
      assert.match(result.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.deepEqual(checkEncryptionCertificate(info, { now: NOW }), []);
    });
  }

  test('the certificate carries the asked subject, validity, key usage, SKI and a positive serial', () => {
    const { info } = generateKeyPairWithCertificate({
      ...base,
      subject: 'CN=receiver \\, EU,OU=Payments,O=Example,C=DE',
      now: new Date(NOW.getTime() + 123), // milliseconds are dropped: X.509 times have whole seconds
    });
    assert.equal(info.subjectDn, 'CN=receiver \\, EU,OU=Payments,O=Example,C=DE');
    assert.equal(info.issuerDn, info.subjectDn);
    assert.deepEqual(info.validFrom, NOW);
    assert.deepEqual(info.validTo, new Date(NOW.getTime() + 365 * DAY));
    assert.deepEqual(info.keyUsage, ['digitalSignature', 'keyEncipherment']);
    assert.equal(info.subjectKeyIdentifierSource, 'extension');
    assert.equal(info.isCa, false);
    assert.match(info.serialNumber, /^[1-7][0-9a-f]{31}$/);
  });

  test('two calls give different keys, serials, SKIs and fingerprints', () => {
    const a = generateKeyPairWithCertificate(base).info;
    const b = generateKeyPairWithCertificate(base).info;
    assert.notEqual(a.publicKeySpkiSha256, b.publicKeySpkiSha256);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.notEqual(a.subjectKeyIdentifier, b.subjectKeyIdentifier);
    assert.notEqual(a.fingerprintSha256, b.fingerprintSha256);
  });

  test('a given serial number is used as is, kept positive', () => {
    assert.equal(generateKeyPairWithCertificate({ ...base, serialNumber: '0x00C0FFEE' }).info.serialNumber, 'c0ffee');
    assert.equal(generateKeyPairWithCertificate({ ...base, serialNumber: '80' }).info.serialNumberDecimal, '128');
  });

  const refusals: { name: string; options: Partial<GenerateKeyPairOptions>; code: ErrorCode; detail: RegExp }[] = [
    {
      name: 'an unsupported algorithm',
      options: { algorithm: 'RSA-1024' as never },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /algorithm "RSA-1024" is not supported; expected one of RSA-2048, RSA-3072, RSA-4096/,
    },
    {
      name: 'zero validity days',
      options: { validityDays: 0 },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /validityDays 0/,
    },
    {
      name: 'fractional validity days',
      options: { validityDays: 1.5 },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /validityDays 1.5/,
    },
    {
      name: 'an invalid date',
      options: { now: new Date('yesterday') },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /now "Invalid Date"/,
    },
    {
      name: 'a subject without TYPE=value',
      options: { subject: 'receiver' },
      code: 'CPI_PKI_SUBJECT_INVALID',
      detail: /"receiver" in subject "receiver" is not of the form TYPE=value/,
    },
    {
      name: 'an unknown attribute type',
      options: { subject: 'CN=a,XX=b' },
      code: 'CPI_PKI_SUBJECT_INVALID',
      detail: /attribute type "XX"/,
    },
    {
      name: 'a three-letter country',
      options: { subject: 'CN=a,C=DEU' },
      code: 'CPI_PKI_SUBJECT_INVALID',
      detail: /C=DEU .* not a two-letter/,
    },
    {
      name: 'an empty subject',
      options: { subject: ' ' },
      code: 'CPI_PKI_SUBJECT_INVALID',
      detail: /empty/,
    },
    {
      name: 'a multi-valued RDN',
      options: { subject: 'CN=a+UID=b' },
      code: 'CPI_PKI_SUBJECT_INVALID',
      detail: /multi-valued/,
    },
    {
      name: 'a serial number that is not hex',
      options: { serialNumber: 'xyz' },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /serialNumber "xyz" is not a positive hexadecimal number/,
    },
    {
      name: 'a zero serial number',
      options: { serialNumber: '000' },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /not a positive/,
    },
    {
      name: 'a serial number longer than 20 bytes',
      options: { serialNumber: 'ff'.repeat(21) },
      code: 'CPI_PKI_KEY_PAIR_OPTIONS_INVALID',
      detail: /longer than the 20 bytes/,
    },
  ];
  for (const r of refusals) {
    test(`refuses ${r.name} with ${r.code}`, () => {
      assert.throws(
        () => generateKeyPairWithCertificate({ ...base, ...r.options }),
        (e: unknown) => e instanceof CpiError && e.code === r.code && r.detail.test(e.detail),
      );
    });
  }
});
