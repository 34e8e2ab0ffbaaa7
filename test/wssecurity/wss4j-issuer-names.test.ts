// Live interop with Apache WSS4J 1.6 for every issuer DN of test/pki/dn-table.ts (e-mail address, multi-valued
// RDN, UTF-8, escaped characters, DC, serialNumber/title/UID, unknown OIDs, BMP/Teletex values) × every key
// identifier form, both directions: WSS4J finds its key for what we write, and our receiver picks the right key
// of two (the other has the same serial number under another issuer) for what WSS4J writes, exactly when WSS4J's
// own receiver does. The one message WSS4J cannot read back is its own IssuerSerial for a name whose value ends in
// a space: Santuario's RFC2253Parser.normalize drops the escaped trailing space and leaves "\," behind, which names
// another issuer; our sender writes getName() unchanged, which WSS4J reads.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { isCpiError } from '../../src/errors';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import {
  KEY_IDENTIFIER_FORMS,
  signAndEncrypt,
  soapEnvelope,
  verifyAndDecrypt,
  type KeyIdentifierForm,
} from '../../src/wssecurity/index';
import { DN_TABLE, certificateWithIssuer } from '../pki/dn-table';
import { makeKeyPair, makePkcs12, SAMPLE_BODY, type TestKeyPair } from './fixtures';
import { compileWss4jHarness, type Wss4jJobResult } from './wss4j-harness';
import { skipWithout } from '../support/reference-systems';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const PASSWORD = 'changeit';
const SERIAL = '7f00c0ffee';

const tenant = makeKeyPair('tenant signer');
const base = makeKeyPair('issuer table receiver');
const decoyKey = makeKeyPair('issuer table decoy');
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

const receivers: TestKeyPair[] = DN_TABLE.map((entry) => ({
  name: entry.name,
  privateKeyPem: base.privateKeyPem,
  certificatePem: certificateWithIssuer(entry, base.privateKeyPem, { serialHex: SERIAL }),
}));
// Same serial number, another issuer: an IssuerSerial must not pick it.
const decoy: TestKeyPair = {
  name: 'decoy',
  privateKeyPem: decoyKey.privateKeyPem,
  certificatePem: certificateWithIssuer(
    { name: 'decoy', rdns: [[{ oid: '2.5.4.3', tag: 12, value: 'Decoy CA' }]] },
    decoyKey.privateKeyPem,
    { serialHex: SERIAL },
  ),
};

const CASES = DN_TABLE.flatMap((entry, d) => KEY_IDENTIFIER_FORMS.map((form) => ({ entry, d, form })));

const skip = skipWithout('wss4j');

describe('WSS4J 1.6 interop for every issuer DN of the table × key identifier form', { timeout: 120_000, skip }, () => {
  let received: Wss4jJobResult[] = [];
  let sent: Wss4jJobResult[] = [];
  let wss4jReadsItsOwn: Wss4jJobResult[] = [];

  before(() => {
    const harness = compileWss4jHarness();
    const tenantP12 = harness.file('tenant.p12', makePkcs12(tenant, 'tenant', PASSWORD));
    const tenantPem = harness.file('tenant.pem', tenant.certificatePem);
    const plain = harness.file('plain.xml', soapEnvelope(SAMPLE_BODY));
    const keystores = receivers.map((r, d) => harness.file(`receiver-${d}.p12`, makePkcs12(r, 'receiver', PASSWORD)));
    const certs = receivers.map((r, d) => harness.file(`receiver-${d}.pem`, r.certificatePem));
    const results = harness.batch([
      ...CASES.map(({ d, form }, i) => ({
        command: 'receive' as const,
        args: {
          '--keystore': keystores[d]!,
          '--storepass': PASSWORD,
          '--trust': tenantPem,
          '--in': harness.file(
            `ours-${i}.xml`,
            signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
              encryptionCertificatePem: receivers[d]!.certificatePem,
              keyIdentifier: form,
              signing: tenant,
            }),
          ),
        },
      })),
      ...CASES.map(({ d, form }) => ({
        command: 'send' as const,
        args: {
          '--keystore': tenantP12,
          '--storepass': PASSWORD,
          '--alias': 'tenant',
          '--enc-cert': certs[d]!,
          '--key-id': form,
          '--sym': `${XENC}aes256-cbc`,
          '--kt': `${XENC}rsa-oaep-mgf1p`,
          '--in': plain,
        },
      })),
    ]);
    received = results.slice(0, CASES.length);
    sent = results.slice(CASES.length);
    wss4jReadsItsOwn = harness.batch(
      CASES.map(({ d }, i) => ({
        command: 'receive' as const,
        args: {
          '--keystore': keystores[d]!,
          '--storepass': PASSWORD,
          '--trust': tenantPem,
          '--in': harness.file(`theirs-${i}.xml`, sent[i]!.output ?? ''),
        },
      })),
    );
  });

  CASES.forEach(({ entry, d, form }, i) => {
    test(`${entry.name}, ${form}: WSS4J decrypts what we send`, () => {
      const result = received[i]!;
      assert.equal(
        result.error,
        undefined,
        `${result.error} (issuer ${parseCertificatePem(receivers[d]!.certificatePem).issuerDn})`,
      );
      const encr = result.report.find((l) => l.startsWith('ENCR '));
      assert.ok(encr?.includes(`cert-sha256=${fingerprint(receivers[d]!.certificatePem)}`), encr);
      assert.match(result.output ?? '', /Spade &amp; shovel/);
    });

    test(`${entry.name}, ${form}: we decrypt what WSS4J sends, with the right key of two, when WSS4J itself does`, () => {
      const result = sent[i]!;
      assert.equal(result.error, undefined, result.error);
      const decrypt = () =>
        verifyAndDecrypt(
          result.output!,
          [
            { ...decoy, id: 'decoy' },
            { ...receivers[d]!, id: 'receiver' },
          ],
          [tenant.certificatePem],
        );
      const own = wss4jReadsItsOwn[i]!;
      if (own.error !== undefined) {
        assert.ok(
          entry.name.includes('edge spaces') && form === 'IssuerSerial',
          `WSS4J cannot read its own: ${own.error}`,
        );
        assert.match(own.error, /No certificates were found for decryption/);
        assert.throws(decrypt, (e) => isCpiError(e) && e.code === 'CPI_WSS_NO_MATCHING_KEY');
        return;
      }
      const verified = decrypt();
      assert.equal(verified.keyId, 'receiver');
      const expected = {
        IssuerSerial: 'issuerSerial',
        BinarySecurityToken: 'certificate',
        SubjectKeyIdentifier: 'ski',
        Thumbprint: 'thumbprint',
      } satisfies Record<KeyIdentifierForm, string>;
      assert.equal(verified.matchedBy, expected[form]);
      assert.match(verified.body, /Spade &amp; shovel/);
    });
  });
});
