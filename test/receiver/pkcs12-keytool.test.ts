// The PKCS#12 backend in a keystore it shares with others, checked with Java's keytool, OpenSSL and WSS4J: keytool
// writes a receiver keystore (JDK 17 default format, and the legacy format) holding a foreign key entry with a
// two-certificate chain, an EC key entry and trusted certificates; every backend operation keeps what it does not own: keytool
// lists the same entries, types, chains and aliases; the file keeps its MAC and encryption algorithms and
// iterations (openssl pkcs12 -info); a foreign entry moved to the archive and back keeps its full chain; and a
// WSS4J receiver that trusts the tenant through the same keystore still verifies signatures after a renewal.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCpiError } from '../../src/errors';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { signAndEncrypt, soapEnvelope } from '../../src/wssecurity/index';
import { runJavaTool } from '../pki/fixtures';
import { makeKeyPair } from '../wssecurity/fixtures';
import { compileWss4jHarness, type Wss4jJobResult } from '../wssecurity/wss4j-harness';
import { skipWithout } from '../support/reference-systems';

// keytool writes the keystore, openssl reads its protection, a WSS4J receiver uses it
const skip = skipWithout('java', 'wss4j', 'openssl');

const PASSWORD = 'changeit';
const BODY = '<ord:Order xmlns:ord="urn:example:orders"><ord:Id>4711</ord:Id></ord:Order>';

/** What keytool -list -v says: alias → entry type and the SHA-256 fingerprints of its chain. */
type Listing = Record<string, { type: string; chain: string[] }>;

function keytool(...args: string[]): string {
  const run = runJavaTool('keytool', args);
  assert.equal(run.status, 0, `keytool ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

function list(path: string): Listing {
  if (!existsSync(path)) return {};
  const out = keytool('-list', '-v', '-keystore', path, '-storetype', 'PKCS12', '-storepass', PASSWORD);
  const listing: Listing = {};
  let current: { type: string; chain: string[] } | undefined;
  for (const line of out.split('\n')) {
    const alias = /^Alias name: (.*)$/.exec(line);
    if (alias) listing[alias[1]!] = current = { type: '', chain: [] };
    const type = /^Entry type: (.*)$/.exec(line);
    if (type && current) current.type = type[1]!;
    const sha = /^\s+SHA256: (.*)$/.exec(line);
    if (sha && current) current.chain.push(sha[1]!);
  }
  return listing;
}

/** MAC, key and certificate protection lines of `openssl pkcs12 -info` (algorithms and iterations). */
function protection(path: string): string[] {
  const run = spawnSync(
    'openssl',
    ['pkcs12', '-legacy', '-info', '-noout', '-in', path, '-passin', `pass:${PASSWORD}`],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  return [
    ...new Set(
      `${run.stdout}${run.stderr}`.split('\n').filter((l) => /^(MAC:|Shrouded Keybag:|PKCS7 Encrypted data:)/.test(l)),
    ),
  ];
}

const tenant = makeKeyPair('tenant signer');

/** A receiver keystore as keytool makes it: partner (key, chain of 2), tenant-ca and tenant (trusted). */
function keytoolKeystore(dir: string, legacy: boolean): string {
  const ca = join(dir, 'ca.p12');
  const made = join(dir, 'made.p12');
  const common = ['-storetype', 'PKCS12', '-storepass', PASSWORD];
  keytool(
    '-genkeypair',
    '-alias',
    'ca',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-dname',
    'CN=Partner CA',
    '-ext',
    'bc:c',
    '-validity',
    '30',
    '-keystore',
    ca,
    ...common,
  );
  keytool('-exportcert', '-rfc', '-alias', 'ca', '-keystore', ca, '-file', join(dir, 'ca.pem'), ...common);
  keytool(
    '-genkeypair',
    '-alias',
    'partner',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-dname',
    'CN=partner',
    '-validity',
    '30',
    '-keystore',
    made,
    ...common,
  );
  keytool('-certreq', '-alias', 'partner', '-keystore', made, '-file', join(dir, 'partner.csr'), ...common);
  keytool(
    '-gencert',
    '-rfc',
    '-alias',
    'ca',
    '-keystore',
    ca,
    '-infile',
    join(dir, 'partner.csr'),
    '-outfile',
    join(dir, 'partner.pem'),
    ...common,
  );
  keytool(
    '-importcert',
    '-noprompt',
    '-alias',
    'tenant-ca',
    '-keystore',
    made,
    '-file',
    join(dir, 'ca.pem'),
    ...common,
  );
  keytool(
    '-importcert',
    '-noprompt',
    '-alias',
    'partner',
    '-keystore',
    made,
    '-file',
    join(dir, 'partner.pem'),
    ...common,
  );
  writeFileSync(join(dir, 'tenant.pem'), tenant.certificatePem);
  keytool(
    '-importcert',
    '-noprompt',
    '-alias',
    'tenant',
    '-keystore',
    made,
    '-file',
    join(dir, 'tenant.pem'),
    ...common,
  );
  // A key of another type (a TLS key): not a receiver key, but it must survive every change.
  keytool(
    '-genkeypair',
    '-alias',
    'tls',
    '-keyalg',
    'EC',
    '-groupname',
    'secp256r1',
    '-dname',
    'CN=tls',
    '-validity',
    '30',
    '-keystore',
    made,
    ...common,
  );
  const receiver = join(dir, 'receiver.p12');
  keytool(
    ...(legacy ? ['-J-Dkeystore.pkcs12.legacy'] : []),
    '-importkeystore',
    '-srckeystore',
    made,
    '-srcstoretype',
    'PKCS12',
    '-srcstorepass',
    PASSWORD,
    '-destkeystore',
    receiver,
    '-deststoretype',
    'PKCS12',
    '-deststorepass',
    PASSWORD,
  );
  return receiver;
}

for (const format of ['JDK 17 default', 'legacy (keystore.pkcs12.legacy)'] as const) {
  describe(`Pkcs12Backend in a keytool-made keystore, ${format} format`, { timeout: 600_000, skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'p12-keytool-'));
    const archive = join(dir, 'archive.p12');
    let receiver = '';
    let original: Listing = {};
    let originalProtection: string[] = [];
    const seen: Record<string, { active: Listing; archive: Listing; protection: string[] }> = {};
    let whileActive: Wss4jJobResult | undefined;
    let listed: string[] = [];

    before(async () => {
      receiver = keytoolKeystore(dir, format.startsWith('legacy'));
      original = list(receiver);
      originalProtection = protection(receiver);
      const backend = new Pkcs12Backend({ keystorePath: receiver, archivePath: archive, password: PASSWORD });
      const look = (step: string) => {
        seen[step] = { active: list(receiver), archive: list(archive), protection: protection(receiver) };
      };
      const key = await backend.generateKey({
        name: 'orders-2026',
        algorithm: 'RSA-2048',
        subject: 'CN=orders-2026,O=Receiver',
        validityDays: 365,
      });
      look('generate');
      const harness = compileWss4jHarness();
      const message = harness.file(
        'message.xml',
        signAndEncrypt(soapEnvelope(BODY), { encryptionCertificatePem: key.certificatePem, signing: tenant }),
      );
      const activeCopy = join(dir, 'active-after-generate.p12');
      copyFileSync(receiver, activeCopy);
      [whileActive] = harness.batch([
        {
          command: 'receive',
          args: { '--keystore': activeCopy, '--storepass': PASSWORD, '--trust': 'keystore', '--in': message },
        },
      ]);
      await backend.setKeyState('orders-2026', 'retired', {});
      look('retire ours');
      await backend.setKeyState('partner', 'retired', {});
      look('retire partner');
      await backend.setKeyState('partner', 'active', {});
      look('activate partner');
      await backend.deleteKey('orders-2026', { now: new Date(), earlyDestructionReason: 'test: compromised' });
      look('delete ours');
      listed = (await backend.listKeys()).map((k) => k.name);
      await assert.rejects(
        backend.generateKey({ name: 'tenant-ca', algorithm: 'RSA-2048', subject: 'CN=x', validityDays: 5 }),
        (e) => isCpiError(e) && e.code === 'CPI_RECEIVER_KEY_EXISTS',
      );
    });

    test('the backend lists the RSA key entries as keys (not the EC key, not the trusted certificates) and refuses an alias a trusted certificate holds', () => {
      assert.deepEqual(listed, ['partner']);
    });

    test('keytool made what the test needs: a key entry with a chain of 2 and two trusted certificates', () => {
      assert.equal(original['partner']?.type, 'PrivateKeyEntry');
      assert.equal(original['partner']?.chain.length, 2);
      assert.equal(original['tenant-ca']?.type, 'trustedCertEntry');
      assert.equal(original['tenant']?.type, 'trustedCertEntry');
      assert.equal(original['tls']?.type, 'PrivateKeyEntry');
      assert.equal(Object.keys(original).length, 4);
    });

    test('generating a key adds exactly that entry; everything else stays as keytool wrote it', () => {
      const { active } = seen['generate']!;
      const { ['orders-2026']: ours, ...rest } = active;
      assert.deepEqual(rest, original);
      assert.equal(ours?.type, 'PrivateKeyEntry');
      assert.equal(ours?.chain.length, 1);
    });

    test('retiring our key leaves the active keystore exactly as keytool wrote it', () => {
      assert.deepEqual(seen['retire ours']!.active, original);
      assert.deepEqual(Object.keys(seen['retire ours']!.archive), ['orders-2026']);
    });

    test('a foreign key entry moved to the archive keeps its full chain, and comes back with it', () => {
      const retired = seen['retire partner']!;
      assert.deepEqual(retired.archive['partner'], original['partner']);
      const { partner, ...others } = original;
      assert.ok(partner, 'partner');
      assert.deepEqual(retired.active, others);
      assert.deepEqual(seen['activate partner']!.active, original);
    });

    test('deleting our key leaves the active keystore as keytool wrote it and empties the archive', () => {
      assert.deepEqual(seen['delete ours']!.active, original);
      assert.deepEqual(seen['delete ours']!.archive, {});
    });

    test('every rewrite keeps the MAC and encryption algorithms and iterations of the file; a new key is encrypted as its keys are', () => {
      for (const [name, step] of Object.entries(seen)) {
        // A step that leaves no key in the file has no key line; every line there is must be the original's.
        for (const line of step.protection) assert.ok(originalProtection.includes(line), `${name}: ${line}`);
        assert.ok(
          step.protection.some((l) => l.startsWith('MAC:')),
          name,
        );
      }
      assert.deepEqual(seen['generate']!.protection, originalProtection);
    });

    test('a WSS4J receiver trusting the tenant through the same keystore verifies and decrypts after the rewrite', () => {
      assert.equal(whileActive?.error, undefined, whileActive?.error);
      assert.ok(
        whileActive?.report.some((l) => l.startsWith('SIGN ')),
        "whileActive?.report.some((l) => l.startsWith('SIGN '))",
      );
      assert.ok(
        whileActive?.report.some((l) => l.startsWith('ENCR ')),
        "whileActive?.report.some((l) => l.startsWith('ENCR '))",
      );
      assert.match(whileActive?.output ?? '', /<ord:Id>4711<\/ord:Id>/);
    });
  });
}
