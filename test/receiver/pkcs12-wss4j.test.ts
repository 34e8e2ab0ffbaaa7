// Apache WSS4J 1.6 (what the SAP tenant runtime and Java receivers on CXF use) reading the active keystore this
// backend wrote: it decrypts a message encrypted for a key the backend generated, and no longer once the key is
// retired to the archive. Needs Java and libwss4j-java, as test/wssecurity/wss4j.test.ts does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { signAndEncrypt, soapEnvelope } from '../../src/wssecurity/index';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { compileWss4jHarness, type Wss4jHarness, type Wss4jJobResult } from '../wssecurity/wss4j-harness';
import { skipWithout } from '../support/reference-systems';

const PASSWORD = 'changeit';
const BODY = '<ord:Order xmlns:ord="urn:example:orders"><ord:Id>4711</ord:Id></ord:Order>';

describe('WSS4J reads the PKCS#12 keystore written by Pkcs12Backend', { skip: skipWithout('wss4j') }, () => {
  let whileActive: Wss4jJobResult[] = [];
  let afterRetire: Wss4jJobResult[] = [];
  let fingerprint = '';
  let dir: string | undefined;
  let opened: Wss4jHarness | undefined;

  before(async () => {
    const keystoreDir = (dir = mkdtempSync(join(tmpdir(), 'p12-wss4j-')));
    const backend = new Pkcs12Backend({
      keystorePath: join(keystoreDir, 'receiver.p12'),
      archivePath: join(keystoreDir, 'archive.p12'),
      password: PASSWORD,
    });
    const key = await backend.generateKey({
      name: 'orders-2026',
      algorithm: 'RSA-2048',
      subject: 'CN=orders-2026,O=Receiver',
      validityDays: 365,
    });
    fingerprint = key.fingerprintSha256.replace(/:/g, '').toLowerCase();
    const tenant = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=tenant signer',
      validityDays: 5,
      now: new Date(Date.now() - 60_000),
    });
    const harness = compileWss4jHarness();
    opened = harness;
    const trust = harness.file('tenant.pem', tenant.certificatePem);
    const message = (form: 'IssuerSerial' | 'BinarySecurityToken') =>
      harness.file(
        `msg-${form}.xml`,
        signAndEncrypt(soapEnvelope(BODY), {
          encryptionCertificatePem: key.certificatePem,
          keyIdentifier: form,
          signing: tenant,
        }),
      );
    const messages = [message('IssuerSerial'), message('BinarySecurityToken')];
    const activeCopy = join(harness.workDir, 'active-copy.p12');
    copyFileSync(join(keystoreDir, 'receiver.p12'), activeCopy);
    await backend.setKeyState('orders-2026', 'retired', {});
    // One JVM for all jobs: the first two read the keystore as it was while the key was active.
    const results = harness.batch([
      ...messages.map((m) => ({
        command: 'receive' as const,
        args: { '--keystore': activeCopy, '--storepass': PASSWORD, '--trust': trust, '--in': m },
      })),
      ...messages.map((m) => ({
        command: 'receive' as const,
        args: { '--keystore': join(keystoreDir, 'receiver.p12'), '--storepass': PASSWORD, '--trust': trust, '--in': m },
      })),
    ]);
    whileActive = results.slice(0, 2);
    afterRetire = results.slice(2);
  });
  after(() => {
    opened?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('WSS4J decrypts with the generated key (IssuerSerial and BST references) and verifies the tenant signature', () => {
    for (const result of whileActive) {
      assert.equal(result.error, undefined, result.report.join('\n'));
      assert.ok(
        result.report.some((l) => l.startsWith('ENCR') && l.toLowerCase().replace(/:/g, '').includes(fingerprint)),
        result.report.join('\n'),
      );
      assert.ok(
        result.report.some((l) => l.startsWith('SIGN')),
        "result.report.some((l) => l.startsWith('SIGN'))",
      );
      assert.match(result.output ?? '', /<ord:Id>4711<\/ord:Id>/);
    }
  });

  test('after retirement the active keystore no longer decrypts messages for that key', () => {
    for (const result of afterRetire)
      assert.match(
        result.error ?? '',
        /No certificates were found for decryption|Cannot find key for alias/,
        'WSS4J must refuse: the key is only in the archive',
      );
  });
});
