// Live interop with Apache WSS4J 1.6 (Debian libwss4j-java; the SAP tenant runtime uses WSS4J): our sender →
// WSS4J receiver and WSS4J sender → our receiver, for every key identifier form. All jobs of one direction run
// in one JVM (test/wssecurity/java/Wss4jTool.java, batch mode) to keep this file fast.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import {
  KEY_IDENTIFIER_FORMS,
  signAndEncrypt,
  soapEnvelope,
  verifyAndDecrypt,
  type KeyIdentifierForm,
  type SignAndEncryptOptions,
} from '../../src/wssecurity/index';
import { makeKeyPair, makePkcs12, SAMPLE_BODY } from './fixtures';
import { compileWss4jHarness, type Wss4jHarness, type Wss4jJobResult } from './wss4j-harness';
import { skipWithout } from '../support/reference-systems';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const PASSWORD = 'changeit';

const tenant = makeKeyPair('tenant signer');
const receiverOld = makeKeyPair('soap.receiver.example old');
const receiverNew = makeKeyPair('soap.receiver.example new');
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The Body's first element in exclusive canonical form: attribute order and prefix declarations normalised. */
function canonicalBody(envelopeOrFragment: string, isFragment = false): string {
  const xml = isFragment ? `<w>${envelopeOrFragment}</w>` : envelopeOrFragment;
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const container = isFragment
    ? doc.documentElement!
    : doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Body')[0]!;
  let el = container.firstChild;
  while (el && el.nodeType !== 1) el = el.nextSibling;
  assert.ok(el, 'the Body holds an element');
  return new ExclusiveCanonicalization().process(el as never, {}) as string;
}

const OURS_TO_WSS4J: { form: KeyIdentifierForm; name: string; options: Partial<SignAndEncryptOptions> }[] = [];
const OUR_SETS: { name: string; options: Partial<SignAndEncryptOptions> }[] = [
  { name: 'aes256-gcm', options: {} },
  { name: 'aes128-gcm', options: { contentEncryption: 'aes128-gcm' } },
  { name: 'Basic256 (aes256-cbc)', options: { algorithmSuite: 'Basic256' } },
  { name: 'Basic128 (aes128-cbc)', options: { algorithmSuite: 'Basic128' } },
];
for (const form of KEY_IDENTIFIER_FORMS) for (const set of OUR_SETS) OURS_TO_WSS4J.push({ form, ...set });
// Known limitation of WSS4J 1.6 (kept as the last job; asserted separately below).
OURS_TO_WSS4J.push({ form: 'IssuerSerial', name: 'xmlenc11 rsa-oaep SHA-256', options: { keyTransport: 'rsa-oaep' } });
const XMLENC11_OAEP_JOB = OURS_TO_WSS4J.length - 1;
// wsu:Created 200 s and 400 s ago, each with a one-hour Expires: WSS4J's own 300 s limit on Created decides.
const TIMESTAMP_AGES_S = [200, 400];

const WSS4J_SETS: { name: string; sym: string; kt: string; digest?: string }[] = [
  { name: 'aes256-gcm', sym: `${XENC11}aes256-gcm`, kt: `${XENC}rsa-oaep-mgf1p` },
  { name: 'aes128-cbc', sym: `${XENC}aes128-cbc`, kt: `${XENC}rsa-oaep-mgf1p` },
  {
    name: 'aes256-cbc, OAEP SHA-256 digest with MGF1-SHA-1',
    sym: `${XENC}aes256-cbc`,
    kt: `${XENC}rsa-oaep-mgf1p`,
    digest: `${XENC}sha256`,
  },
];
const WSS4J_TO_OURS: { form: KeyIdentifierForm; set: (typeof WSS4J_SETS)[number] }[] = [];
for (const form of KEY_IDENTIFIER_FORMS) for (const set of WSS4J_SETS) WSS4J_TO_OURS.push({ form, set });

describe('WSS4J 1.6 interop', { skip: skipWithout('wss4j') }, () => {
  let received: Wss4jJobResult[] = [];
  let sent: Wss4jJobResult[] = [];
  let opened: Wss4jHarness | undefined;

  before(() => {
    const harness = compileWss4jHarness();
    opened = harness;
    const receiverP12 = harness.file('receiver.p12', makePkcs12(receiverNew, 'receiver', PASSWORD));
    const tenantP12 = harness.file('tenant.p12', makePkcs12(tenant, 'tenant', PASSWORD));
    const tenantPem = harness.file('tenant.pem', tenant.certificatePem);
    const receiverPem = harness.file('receiver.pem', receiverNew.certificatePem);
    const plain = harness.file('plain.xml', soapEnvelope(SAMPLE_BODY));
    received = harness.batch([
      ...OURS_TO_WSS4J.map((c, i) => ({
        command: 'receive' as const,
        args: {
          '--keystore': receiverP12,
          '--storepass': PASSWORD,
          '--trust': tenantPem,
          '--in': harness.file(
            `ours-${i}.xml`,
            signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
              encryptionCertificatePem: receiverNew.certificatePem,
              keyIdentifier: c.form,
              signing: tenant,
              ...c.options,
            }),
          ),
        },
      })),
      ...TIMESTAMP_AGES_S.map((age) => ({
        command: 'receive' as const,
        args: {
          '--keystore': receiverP12,
          '--storepass': PASSWORD,
          '--trust': tenantPem,
          '--in': harness.file(
            `created-${age}s-ago.xml`,
            signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
              encryptionCertificatePem: receiverNew.certificatePem,
              signing: tenant,
              now: new Date(Date.now() - age * 1000),
              timestampTtlSeconds: 3600,
            }),
          ),
        },
      })),
    ]);
    sent = harness.batch(
      WSS4J_TO_OURS.map((c) => ({
        command: 'send' as const,
        args: {
          '--keystore': tenantP12,
          '--storepass': PASSWORD,
          '--alias': 'tenant',
          '--enc-cert': receiverPem,
          '--key-id': c.form,
          '--sym': c.set.sym,
          '--kt': c.set.kt,
          ...(c.set.digest ? { '--digest': c.set.digest } : {}),
          '--in': plain,
        },
      })),
    );
  });
  after(() => opened?.close());

  describe('our sender → WSS4J receiver', () => {
    test('WSS4J 1.6 refuses XML Encryption 1.1 rsa-oaep key transport: use rsa-oaep-mgf1p (the default) for such receivers', () => {
      const result = received[XMLENC11_OAEP_JOB]!;
      assert.match(result.error ?? '', /not supported: http:\/\/www\.w3\.org\/2009\/xmlenc11#rsa-oaep/);
    });

    test('WSS4J refuses a wsu:Created older than 300 s even when Expires is an hour later (timestampTtlSeconds does not help)', () => {
      const [young, old] = received.slice(OURS_TO_WSS4J.length);
      assert.equal(young!.error, undefined, young!.error);
      assert.match(old!.error ?? '', /security semantics of the message have expired/);
    });

    OURS_TO_WSS4J.slice(0, XMLENC11_OAEP_JOB).forEach((c, i) => {
      test(`WSS4J verifies and decrypts our ${c.form} message with ${c.name}`, () => {
        const result = received[i]!;
        assert.equal(result.error, undefined, result.error);
        const sign = result.report.find((l) => l.startsWith('SIGN '));
        assert.ok(sign, `WSS4J reports a verified signature: ${result.report.join(' | ')}`);
        assert.ok(
          sign.includes(`cert-sha256=${fingerprint(tenant.certificatePem)}`),
          'sign.includes(`cert-sha256=${fingerprint(tenant.certificatePem)}`)',
        );
        assert.match(sign, /parts=.*Body,.*Timestamp|parts=.*Timestamp,.*Body/);
        const encr = result.report.find((l) => l.startsWith('ENCR '));
        assert.ok(encr?.includes(`cert-sha256=${fingerprint(receiverNew.certificatePem)}`), encr);
        assert.equal(canonicalBody(result.output!), canonicalBody(SAMPLE_BODY, true));
      });
    });
  });

  describe('WSS4J sender → our receiver', () => {
    WSS4J_TO_OURS.forEach((c, i) => {
      test(`we verify and decrypt WSS4J's ${c.form} message with ${c.set.name}, picking the new key`, () => {
        const result = sent[i]!;
        assert.equal(result.error, undefined, result.error);
        const message = result.output!;
        assert.ok(message.includes(c.set.sym), 'WSS4J used the requested content algorithm');
        const verified = verifyAndDecrypt(
          message,
          [
            { ...receiverOld, id: 'old' },
            { ...receiverNew, id: 'new' },
          ],
          [tenant.certificatePem],
        );
        assert.equal(verified.keyId, 'new');
        const expected = {
          IssuerSerial: 'issuerSerial',
          BinarySecurityToken: 'certificate',
          SubjectKeyIdentifier: 'ski',
          Thumbprint: 'thumbprint',
        }[c.form];
        assert.equal(verified.matchedBy, expected);
        assert.equal(verified.signerFingerprint, fingerprint(tenant.certificatePem));
        assert.equal(canonicalBody(verified.body, true), canonicalBody(SAMPLE_BODY, true));
      });
    });
  });
});
