import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readCertificate } from '../../src/wssecurity/wss-certificate';
import { issuerNameKey } from '../../src/wssecurity/issuer-name';
import { isCpiError } from '../../src/errors';
import { makeKeyPair } from './fixtures';

describe('issuerNameKey: issuer names match exactly when WSS4J (X500Principal.equals) says so', () => {
  const held = issuerNameKey(
    '1.2.840.113549.1.9.1=#160e6361406578616d706c652e636f6d,CN=Example Test CA,O=Example Receiver GmbH\\, Trust Services,OU=Ops+L=Berlin,C=DE',
  );
  const same: [string, string][] = [
    [
      'Java toString style: ", " separators, EMAILADDRESS keyword, quoted value',
      'EMAILADDRESS=ca@example.com, CN=Example Test CA, O="Example Receiver GmbH, Trust Services", OU=Ops + L=Berlin, C=DE',
    ],
    [
      'other case, a hex-escaped comma, attributes of the multi-valued RDN swapped',
      'EMAILADDRESS=ca@example.com,cn=example test ca,o=Example Receiver GmbH\\2C Trust Services,l=berlin+ou=ops,c=de',
    ],
  ];
  for (const [name, dn] of same) test(`takes ${name}`, () => assert.equal(issuerNameKey(dn), held));

  const different: [string, string][] = [
    [
      'the multi-valued RDN flattened into two RDNs',
      '1.2.840.113549.1.9.1=#160e6361406578616d706c652e636f6d,CN=Example Test CA,O=Example Receiver GmbH\\, Trust Services,OU=Ops,L=Berlin,C=DE',
    ],
    [
      'the RDNs in certificate order (least specific first)',
      'C=DE,OU=Ops+L=Berlin,O=Example Receiver GmbH\\, Trust Services,CN=Example Test CA,1.2.840.113549.1.9.1=#160e6361406578616d706c652e636f6d',
    ],
    [
      'the e-mail address as a UTF8String (#hex of another type)',
      '1.2.840.113549.1.9.1=#0c0e6361406578616d706c652e636f6d,CN=Example Test CA,O=Example Receiver GmbH\\, Trust Services,OU=Ops+L=Berlin,C=DE',
    ],
  ];
  for (const [name, dn] of different) test(`refuses ${name}`, () => assert.notEqual(issuerNameKey(dn), held));

  test('refuses "E=" (Java: improperly specified input name) with a message naming the name and the fix', () => {
    assert.throws(
      () => issuerNameKey('E=ca@example.com,CN=Example Test CA'),
      (e) =>
        isCpiError(e) &&
        e.code === 'CPI_WSS_MALFORMED_MESSAGE' &&
        e.detail.includes('"E=ca@example.com,CN=Example Test CA"') &&
        e.detail.includes('1.2.840.113549.1.9.1=#16'),
    );
    assert.throws(
      () => issuerNameKey('no equals sign'),
      (e) => isCpiError(e) && e.detail.includes('no equals sign'),
    );
  });
});

describe('readCertificate', () => {
  test('reads issuer, serial, fingerprints and the SKI extension of a certificate through src/pki', () => {
    const pair = makeKeyPair('facts');
    const x509 = new X509Certificate(pair.certificatePem);
    const facts = readCertificate(pair.certificatePem);
    assert.equal(facts.fingerprintSha256, x509.fingerprint256);
    assert.equal(facts.thumbprintSha1.toString('hex').toUpperCase(), x509.fingerprint.replace(/:/g, ''));
    assert.equal(facts.serial, BigInt(`0x${x509.serialNumber}`));
    assert.equal(facts.issuerDn, 'CN=facts,O=Example Receiver GmbH\\, Trust Services,C=DE');
    assert.equal(facts.issuerKey, issuerNameKey(facts.issuerDn));
    assert.equal(facts.subjectKeyIdentifierSource, 'extension');
    assert.equal(facts.ski.length, 20);
    assert.ok(facts.publicKey.equals(x509.publicKey), 'facts.publicKey.equals(x509.publicKey)');
  });

  test('derives the SKI as SHA-1 of the RSAPublicKey when the extension is missing (RFC 5280 method 1)', () => {
    const pair = makeKeyPair('no ski', { ski: false });
    const without = readCertificate(pair.certificatePem);
    assert.equal(without.subjectKeyIdentifierSource, 'computed');
    const rsaPublicKey = new X509Certificate(pair.certificatePem).publicKey.export({ type: 'pkcs1', format: 'der' });
    assert.deepEqual(without.ski, createHash('sha1').update(rsaPublicKey).digest());
  });

  test('refuses text that is not a certificate', () => {
    assert.throws(
      () => readCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
      (e) => isCpiError(e) && e.code === 'CPI_WSS_INVALID_OPTION',
    );
  });
});
