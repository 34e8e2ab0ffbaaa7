import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { certificateFacts, dnKey, parseDn } from '../../src/wssecurity/certificate-facts';
import { isCpiError } from '../../src/errors';
import { makeKeyPair } from './fixtures';

describe('parseDn / dnKey', () => {
  // Toolkits write the same issuer differently; all of these must select the same key.
  const reference = dnKey(
    parseDn('CN=Example Test CA,O=Example Receiver GmbH\\, Trust Services,C=DE,E=ca@example.com'),
  );
  const sameIssuer: [string, string][] = [
    ['RFC 2253 order reversed', 'E=ca@example.com,C=DE,O=Example Receiver GmbH\\, Trust Services,CN=Example Test CA'],
    [
      'Java style ", " separators and EMAILADDRESS',
      'EMAILADDRESS=ca@example.com, CN=Example Test CA, O=Example Receiver GmbH\\, Trust Services, C=DE',
    ],
    [
      'dotted OID with #hex (IA5String) value',
      '1.2.840.113549.1.9.1=#160e6361406578616d706c652e636f6d,CN=Example Test CA,O=Example Receiver GmbH\\, Trust Services,C=DE',
    ],
    ['quoted value and case', 'cn=example test ca,o="Example Receiver GmbH, Trust Services",c=de,e=CA@example.com'],
    ['hex-escaped comma', 'CN=Example Test CA,O=Example Receiver GmbH\\2C Trust Services,C=DE,E=ca@example.com'],
  ];
  for (const [name, dn] of sameIssuer) {
    test(`treats ${name} as the same issuer`, () => assert.equal(dnKey(parseDn(dn)), reference));
  }

  test('tells different issuers apart', () => {
    assert.notEqual(dnKey(parseDn('CN=Example Test CA,O=Example Receiver GmbH,C=DE,E=ca@example.com')), reference);
  });

  test('refuses an unreadable DN with a message naming it', () => {
    assert.throws(
      () => parseDn('no equals sign'),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_MALFORMED_MESSAGE' && e.detail.includes('no equals sign'),
    );
    assert.throws(
      () => parseDn('XYZ=1'),
      (e) => isCpiError(e) && e.detail.includes('XYZ'),
    );
  });
});

describe('certificateFacts', () => {
  test('reads issuer, serial, fingerprints and the SKI extension of a certificate', () => {
    const pair = makeKeyPair('facts');
    const x509 = new X509Certificate(pair.certificatePem);
    const facts = certificateFacts(pair.certificatePem);
    assert.equal(facts.fingerprint256, x509.fingerprint256);
    assert.equal(facts.thumbprintSha1.toString('hex').toUpperCase(), x509.fingerprint.replace(/:/g, ''));
    assert.equal(facts.serial, BigInt(`0x${x509.serialNumber}`));
    assert.equal(facts.issuerRfc4514, 'CN=facts,O=Example Receiver GmbH\\, Trust Services,C=DE');
    assert.equal(facts.issuerKey, dnKey(parseDn(facts.issuerRfc4514)));
    assert.ok(facts.skiFromExtension);
    assert.equal(facts.ski.length, 20);
  });

  test('derives the SKI as SHA-1 of the RSAPublicKey when the extension is missing (RFC 5280 method 1)', () => {
    const pair = makeKeyPair('no ski', { ski: false });
    const without = certificateFacts(pair.certificatePem);
    assert.equal(without.skiFromExtension, false);
    const rsaPublicKey = new X509Certificate(pair.certificatePem).publicKey.export({ type: 'pkcs1', format: 'der' });
    assert.deepEqual(without.ski, createHash('sha1').update(rsaPublicKey).digest());
  });

  test('refuses text that is not a certificate', () => {
    assert.throws(
      () => certificateFacts('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_INVALID_OPTION',
    );
  });
});
