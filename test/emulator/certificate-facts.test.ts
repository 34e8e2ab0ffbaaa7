import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { keystoreEntryFacts, isIssuedBy, parseCertificateUpload } from '../../src/emulator/certificate-facts';
import { ODataError } from '../../src/emulator/odata';
import { makeCertificate } from './support/certificates';

const ca = makeCertificate('Facts CA', undefined, true);
const leaf = makeCertificate('facts.example.test', ca);

describe('certificate facts', () => {
  test('reports the KeystoreEntry fields in the tenant formats', () => {
    const facts = keystoreEntryFacts(leaf.pem);
    const x509 = new X509Certificate(leaf.pem);
    assert.equal(facts.keyType, 'RSA');
    assert.equal(facts.keySize, 2048);
    assert.equal(facts.signatureAlgorithm, 'SHA256withRSA');
    assert.equal(facts.version, 3);
    assert.equal(facts.subjectDN, 'CN=facts.example.test, O=Receiver Org, C=DE');
    assert.equal(facts.issuerDN, 'CN=Facts CA, O=Receiver Org, C=DE');
    assert.equal(facts.serialNumber, `0x${x509.serialNumber.toUpperCase().replace(/^0+/, '')}`);
    assert.match(facts.fingerprintSha1, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    assert.match(facts.fingerprintSha512, /^([0-9A-F]{2}:){63}[0-9A-F]{2}$/);
    assert.equal(facts.validNotAfter, Date.parse(x509.validTo));
  });

  test('accepts PEM, binary DER and base64 DER; refuses anything else with 415', () => {
    const fingerprint = new X509Certificate(leaf.pem).fingerprint256;
    for (const body of [Buffer.from(leaf.pem), leaf.der, Buffer.from(leaf.der.toString('base64'))]) {
      assert.equal(parseCertificateUpload(body).fingerprint256, fingerprint);
    }
    for (const body of [
      Buffer.from('not a certificate'),
      Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]),
      Buffer.alloc(0),
    ]) {
      assert.throws(
        () => parseCertificateUpload(body),
        (e: unknown) => e instanceof ODataError && e.status === 415,
      );
    }
  });

  test('recognises a certificate issued by a CA, and not by an unrelated certificate', () => {
    assert.equal(isIssuedBy(new X509Certificate(leaf.pem), new X509Certificate(ca.pem)), true);
    assert.equal(isIssuedBy(new X509Certificate(leaf.pem), new X509Certificate(makeCertificate('Other').pem)), false);
  });
});
