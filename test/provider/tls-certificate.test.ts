import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as tls from 'node:tls';
import { createTlsIdentity } from '../../src/provider/tls-certificate';

describe('provider TLS identity', () => {
  test('is a self-signed ECDSA certificate that Terraform accepts for "localhost"', () => {
    const identity = createTlsIdentity();
    const cert = new crypto.X509Certificate(identity.certificatePem);
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
    assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'EKU serverAuth');
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  });

  test('is valid from a minute before its launch for a day, with a positive serial of 16 bytes', () => {
    const now = new Date('2031-02-03T04:05:06.789Z');
    const cert = new crypto.X509Certificate(createTlsIdentity(now).certificatePem);
    assert.equal(new Date(cert.validFrom).toISOString(), '2031-02-03T04:04:06.000Z');
    assert.equal(new Date(cert.validTo).toISOString(), '2031-02-04T04:05:06.000Z');
    assert.match(cert.serialNumber, /^[4-7][0-9A-F]{31}$/);
    assert.notEqual(cert.serialNumber, new crypto.X509Certificate(createTlsIdentity(now).certificatePem).serialNumber);
  });

  test('refuses a clock whose validity UTCTime cannot hold, instead of writing a broken certificate', () => {
    assert.throws(() => createTlsIdentity(new Date('2049-12-31T23:59:00Z')), RangeError);
    assert.throws(() => createTlsIdentity(new Date(Number.NaN)), RangeError);
  });

  // Regression: a random serial with a leading zero byte was encoded non-minimally, and OpenSSL refused the
  // certificate ("illegal padding") in about one launch of thirty.
  test('is accepted by OpenSSL every time, whatever the random serial', () => {
    for (let i = 0; i < 300; i++) {
      const identity = createTlsIdentity();
      assert.doesNotThrow(() =>
        tls.createSecureContext({ cert: identity.certificatePem, key: identity.privateKeyPem }),
      );
    }
  });
});
