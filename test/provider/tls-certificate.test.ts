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
