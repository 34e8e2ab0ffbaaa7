import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CpiError } from '../../src/errors';
import type { CertificateInfo } from '../../src/pki/certificate-info';
import {
  assertNoErrors,
  checkEncryptionCertificate,
  checkRenewal,
  firstError,
  type CertificateFinding,
} from '../../src/pki/certificate-rules';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { certificate, DAY, EC_P384_CERTIFICATE_PEM, NOW } from './fixtures';

function codes(findings: readonly CertificateFinding[]): string[] {
  return findings.map((f) => `${f.severity}:${f.code}`);
}

describe('checkEncryptionCertificate', () => {
  const at = (offsetDays: number) => new Date(NOW.getTime() + offsetDays * DAY);
  const cases: { name: string; info: () => CertificateInfo; now?: Date; warnDays?: number; expect: string[] }[] = [
    { name: 'a fresh RSA-2048 certificate with keyEncipherment', info: () => certificate(), expect: [] },
    {
      name: 'no key usage extension (every use allowed)',
      info: () => certificate({ keyUsage: null }),
      expect: [],
    },
    {
      name: 'a certificate not valid yet',
      info: () => certificate({ notBefore: at(2), notAfter: at(400) }),
      expect: ['error:CPI_PKI_CERT_NOT_YET_VALID'],
    },
    {
      name: 'an expired certificate',
      info: () => certificate({ notBefore: at(-400), notAfter: at(-1) }),
      expect: ['error:CPI_PKI_CERT_EXPIRED'],
    },
    {
      name: 'a certificate expiring in 10 days (default warning window 30 days)',
      info: () => certificate({ notAfter: at(10) }),
      expect: ['warning:CPI_PKI_CERT_EXPIRING_SOON'],
    },
    {
      name: 'a certificate expiring in 10 days with a 7-day warning window',
      info: () => certificate({ notAfter: at(10) }),
      warnDays: 7,
      expect: [],
    },
    {
      name: 'a 1024-bit RSA key',
      info: () => certificate({ key: 'weak', bits: 1024 }),
      expect: ['error:CPI_PKI_RSA_KEY_TOO_SMALL'],
    },
    {
      name: 'key usage without keyEncipherment',
      info: () => certificate({ keyUsage: ['digitalSignature', 'nonRepudiation'] }),
      expect: ['error:CPI_PKI_NO_KEY_ENCIPHERMENT'],
    },
    {
      name: 'every problem at once, errors in their fixed order, the warning last',
      info: () => certificate({ key: 'weak', bits: 1024, keyUsage: ['digitalSignature'], notAfter: at(5) }),
      expect: [
        'error:CPI_PKI_RSA_KEY_TOO_SMALL',
        'error:CPI_PKI_NO_KEY_ENCIPHERMENT',
        'warning:CPI_PKI_CERT_EXPIRING_SOON',
      ],
    },
    {
      name: 'an expired 1024-bit certificate: expiry decides',
      info: () => certificate({ key: 'weak', bits: 1024, notBefore: at(-400), notAfter: at(-1) }),
      expect: ['error:CPI_PKI_CERT_EXPIRED', 'error:CPI_PKI_RSA_KEY_TOO_SMALL'],
    },
  ];
  for (const c of cases) {
    test(`finds [${c.expect.join(', ')}] for ${c.name}`, () => {
      const findings = checkEncryptionCertificate(c.info(), {
        now: c.now ?? NOW,
        expiryWarningDays: c.warnDays,
      });
      assert.deepEqual(codes(findings), c.expect);
    });
  }

  test('an EC certificate is refused: the tenant encrypts the content key with RSA key transport only', () => {
    const ec = parseCertificatePem(EC_P384_CERTIFICATE_PEM);
    const findings = checkEncryptionCertificate(ec, { now: new Date(ec.validFrom.getTime() + DAY) });
    assert.ok(codes(findings).includes('error:CPI_PKI_KEY_TYPE_UNSUITABLE'), codes(findings).join());
    assert.match(findings.find((f) => f.code === 'CPI_PKI_KEY_TYPE_UNSUITABLE')!.detail, /EC key/);
  });

  test('minValidityDays turns too little validity left into an error instead of a warning', () => {
    const info = certificate({ notAfter: at(10) });
    assert.deepEqual(codes(checkEncryptionCertificate(info, { now: NOW, minValidityDays: 30 })), [
      'error:CPI_PKI_CERT_VALIDITY_TOO_SHORT',
    ]);
    assert.deepEqual(codes(checkEncryptionCertificate(info, { now: NOW, minValidityDays: 5 })), [
      'warning:CPI_PKI_CERT_EXPIRING_SOON',
    ]);
    const [finding] = checkEncryptionCertificate(info, { now: NOW, minValidityDays: 30 });
    assert.match(finding!.detail, /at least 30 days/);
  });

  test('validity boundaries: valid exactly at validFrom and at validTo, expired one millisecond later', () => {
    const info = certificate({ notBefore: at(-1), notAfter: at(100) });
    assert.deepEqual(codes(checkEncryptionCertificate(info, { now: info.validFrom, expiryWarningDays: 0 })), []);
    assert.deepEqual(codes(checkEncryptionCertificate(info, { now: info.validTo, expiryWarningDays: 0 })), []);
    assert.deepEqual(codes(checkEncryptionCertificate(info, { now: new Date(info.validTo.getTime() + 1) })), [
      'error:CPI_PKI_CERT_EXPIRED',
    ]);
    assert.deepEqual(codes(checkEncryptionCertificate(info, { now: new Date(info.validFrom.getTime() - 1) })), [
      'error:CPI_PKI_CERT_NOT_YET_VALID',
    ]);
  });

  test('details name the certificate and the values compared', () => {
    const info = certificate({ key: 'weak', bits: 1024 });
    const [finding] = checkEncryptionCertificate(info, { now: NOW, label: 'the new certificate' });
    assert.ok(finding !== undefined, 'finding !== undefined');
    assert.match(
      finding.detail,
      /^the new certificate \(subject "CN=receiver,O=Example,C=DE", serial [0-9a-f]+, SHA-256/,
    );
    assert.match(finding.detail, /1024-bit RSA key; expected at least 2048 bits/);
  });
});

describe('checkRenewal', () => {
  const at = (offsetDays: number) => new Date(NOW.getTime() + offsetDays * DAY);
  const oldCert = () => certificate({ key: 'old', serialNumber: '0a', notBefore: at(-300), notAfter: at(60) });
  const cases: {
    name: string;
    old?: () => CertificateInfo;
    next: () => CertificateInfo;
    allowSameKey?: boolean;
    expect: string[];
  }[] = [
    {
      name: 'a new key with a fresh serial, valid now and for longer',
      next: () => certificate({ key: 'new', serialNumber: '0b', notAfter: at(700) }),
      expect: [],
    },
    {
      name: 'the old certificate handed over again',
      next: oldCert,
      expect: [
        'error:CPI_PKI_RENEWAL_SAME_CERTIFICATE',
        'error:CPI_PKI_RENEWAL_SAME_KEY',
        'error:CPI_PKI_RENEWAL_SAME_ISSUER_SERIAL',
        'warning:CPI_PKI_RENEWAL_SHORTER_VALIDITY',
      ],
    },
    {
      name: 'a re-certification of the old key',
      next: () => certificate({ key: 'old', serialNumber: '0b', notAfter: at(700) }),
      expect: ['error:CPI_PKI_RENEWAL_SAME_KEY'],
    },
    {
      name: 'a re-certification of the old key with allowSameKey (same SKI is then harmless)',
      next: () => certificate({ key: 'old', serialNumber: '0b', notAfter: at(700) }),
      allowSameKey: true,
      expect: [],
    },
    {
      name: 'a new key under the same issuer and serial number',
      next: () => certificate({ key: 'new', serialNumber: '0a', notAfter: at(700) }),
      expect: ['error:CPI_PKI_RENEWAL_SAME_ISSUER_SERIAL'],
    },
    {
      name: 'the same serial number from a different issuer',
      next: () => certificate({ key: 'new', serialNumber: '0a', subject: 'CN=receiver-2025', notAfter: at(700) }),
      expect: [],
    },
    {
      name: 'a new key carrying the old SKI',
      old: () => certificate({ key: 'old', serialNumber: '0a', notAfter: at(60), subjectKeyIdentifier: 'aabbcc' }),
      next: () => certificate({ key: 'new', serialNumber: '0b', notAfter: at(700), subjectKeyIdentifier: 'aabbcc' }),
      expect: ['error:CPI_PKI_RENEWAL_SAME_SKI'],
    },
    {
      name: 'a new certificate not valid until tomorrow',
      next: () => certificate({ key: 'new', serialNumber: '0b', notBefore: at(1), notAfter: at(700) }),
      expect: ['error:CPI_PKI_CERT_NOT_YET_VALID'],
    },
    {
      name: 'a new certificate that has already expired',
      next: () => certificate({ key: 'new', serialNumber: '0b', notBefore: at(-30), notAfter: at(-1) }),
      expect: ['error:CPI_PKI_CERT_EXPIRED', 'warning:CPI_PKI_RENEWAL_SHORTER_VALIDITY'],
    },
    {
      name: 'a new certificate that expires before the old one',
      next: () => certificate({ key: 'new', serialNumber: '0b', notAfter: at(30) }),
      expect: ['warning:CPI_PKI_RENEWAL_SHORTER_VALIDITY'],
    },
  ];
  for (const c of cases) {
    test(`finds [${c.expect.join(', ')}] for ${c.name}`, () => {
      const findings = checkRenewal((c.old ?? oldCert)(), c.next(), { now: NOW, allowSameKey: c.allowSameKey });
      assert.deepEqual(codes(findings), c.expect);
    });
  }

  test('the SKI detail says where each SKI came from', () => {
    const findings = checkRenewal(
      certificate({ key: 'old', serialNumber: '0a', subjectKeyIdentifier: 'aabbcc' }),
      certificate({ key: 'new', serialNumber: '0b', subjectKeyIdentifier: 'aabbcc' }),
      { now: NOW },
    );
    assert.match(
      firstError(findings)?.detail ?? '',
      /subject key identifier aabbcc \(old: extension, new: extension\)/,
    );
  });
});

describe('firstError and assertNoErrors', () => {
  const warning: CertificateFinding = { severity: 'warning', code: 'CPI_PKI_CERT_EXPIRING_SOON', detail: 'soon' };
  const error1: CertificateFinding = { severity: 'error', code: 'CPI_PKI_RSA_KEY_TOO_SMALL', detail: '1024 bits' };
  const error2: CertificateFinding = { severity: 'error', code: 'CPI_PKI_NO_KEY_ENCIPHERMENT', detail: 'no kE' };

  test('the first error decides, warnings never do', () => {
    assert.equal(firstError([warning, error1, error2]), error1);
    assert.equal(firstError([warning]), undefined);
    assert.doesNotThrow(() => assertNoErrors([warning]));
  });

  test('assertNoErrors throws the first error as a CpiError on the given attribute', () => {
    assert.throws(
      () => assertNoErrors([warning, error2, error1], ['certificate_pem']),
      (e: unknown) =>
        e instanceof CpiError &&
        e.code === 'CPI_PKI_NO_KEY_ENCIPHERMENT' &&
        e.detail === 'no kE' &&
        e.attribute?.[0] === 'certificate_pem',
    );
  });
});
