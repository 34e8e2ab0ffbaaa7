// The PKCS#12 keystore pair backend: keys generated inside it, moved between the active keystore and the archive
// as they are retired and reactivated, retention enforced on delete, probes, and files that survive a failed write.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pkcs12Backend, type Pkcs12BackendOptions } from '../../src/receiver/pkcs12-backend';
import { writeFileAtomic } from '../../src/receiver/atomic-file';
import { readPkcs12 } from '../../src/pki/pkcs12';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { skipWithout } from '../support/reference-systems';

const PASSWORD = 'changeit';
const DAY = 86_400_000;

function setup(extra: Partial<Pkcs12BackendOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'p12-backend-'));
  const clock = { now: new Date() };
  const options: Pkcs12BackendOptions = {
    keystorePath: join(dir, 'receiver.p12'),
    archivePath: join(dir, 'archive', 'receiver-archive.p12'),
    password: PASSWORD,
    now: () => clock.now,
    iterations: 2048,
    ...extra,
  };
  return { dir, clock, options, backend: new Pkcs12Backend(options) };
}

const aliases = (path: string) =>
  readPkcs12(readFileSync(path), PASSWORD)
    .map((e) => e.alias)
    .sort();
const spec = (name: string, extra: object = {}) => ({
  name,
  algorithm: 'RSA-2048' as const,
  subject: `CN=${name},O=Receiver`,
  validityDays: 365,
  ...extra,
});

describe('Pkcs12Backend', () => {
  test('generates a key into the active keystore', async () => {
    const { backend, options } = setup();
    const key = await backend.generateKey(spec('orders-2026'));
    assert.equal(key.state, 'active');
    assert.equal(key.name, 'orders-2026');
    assert.match(key.certificatePem, /^-----BEGIN CERTIFICATE-----/);
    assert.doesNotMatch(JSON.stringify(await backend.listKeys()), /PRIVATE KEY/);
    assert.deepEqual(aliases(options.keystorePath), ['orders-2026']);
    const sidecar = JSON.parse(readFileSync(`${options.keystorePath}.keys.json`, 'utf8'));
    assert.equal(sidecar.keys['orders-2026'].algorithm, 'RSA-2048');
    assert.doesNotMatch(JSON.stringify(sidecar), /PRIVATE KEY/);
  });

  test(
    'Java keytool lists a generated key as a PrivateKeyEntry under the lower-case alias',
    { skip: skipWithout('java') },
    async () => {
      const { backend, options } = setup();
      const key = await backend.generateKey(spec('orders-2026'));
      const listing = execFileSync(
        'keytool',
        ['-list', '-storetype', 'PKCS12', '-keystore', options.keystorePath, '-storepass', PASSWORD],
        { encoding: 'utf8' },
      );
      assert.match(listing, /^orders-2026, .*PrivateKeyEntry/m);
      assert.match(listing, new RegExp(key.fingerprintSha256));
    },
  );

  test('refuses a name that exists (active or archived, any case) and an invalid name', async () => {
    const { backend } = setup();
    await backend.generateKey(spec('old'));
    await backend.generateKey(spec('parked', { state: 'retired' }));
    await assert.rejects(backend.generateKey(spec('old')), { code: 'CPI_RECEIVER_KEY_EXISTS' });
    await assert.rejects(backend.generateKey(spec('parked')), { code: 'CPI_RECEIVER_KEY_EXISTS' });
    await assert.rejects(backend.generateKey(spec('Old')), { code: 'CPI_RECEIVER_KEY_NAME_INVALID' });
    assert.equal((await backend.listKeys()).length, 2);
  });

  test('retiring moves the key to the archive with retainUntil = retiredAt + 90 days; reactivating moves it back', async () => {
    const { backend, options, clock } = setup();
    const old = await backend.generateKey(spec('old'));
    await backend.generateKey(spec('new'));
    clock.now = new Date(clock.now.getTime() + DAY);
    const retired = await backend.setKeyState('old', 'retired', {});
    assert.equal(retired.state, 'retired');
    assert.equal(retired.retiredAt?.getTime(), clock.now.getTime());
    assert.equal(retired.retainUntil?.getTime(), clock.now.getTime() + 90 * DAY);
    assert.equal(retired.fingerprintSha256, old.fingerprintSha256);
    assert.deepEqual(aliases(options.keystorePath), ['new']);
    assert.deepEqual(aliases(options.archivePath), ['old']);

    const back = await backend.setKeyState('old', 'active', {});
    assert.equal(back.state, 'active');
    assert.equal(back.retainUntil, undefined);
    assert.deepEqual(aliases(options.keystorePath), ['new', 'old']);
    assert.deepEqual(aliases(options.archivePath), []);
  });

  test('refuses a retention shorter than 90 days and leaves the key active; a longer one is kept and can be extended', async () => {
    const { backend, options, clock } = setup();
    await backend.generateKey(spec('old'));
    await assert.rejects(
      backend.setKeyState('old', 'retired', { retainUntil: new Date(clock.now.getTime() + 89 * DAY) }),
      { code: 'CPI_RECEIVER_RETENTION_TOO_SHORT' },
    );
    assert.deepEqual(aliases(options.keystorePath), ['old']);
    const until = new Date(clock.now.getTime() + 120 * DAY);
    assert.equal(
      (await backend.setKeyState('old', 'retired', { retainUntil: until })).retainUntil?.getTime(),
      until.getTime(),
    );
    // Retiring again keeps the first retirement time: retention counts from the exchange, not from the last apply.
    clock.now = new Date(clock.now.getTime() + 10 * DAY);
    const again = await backend.setKeyState('old', 'retired', {});
    assert.equal(again.retainUntil?.getTime(), until.getTime());
    await assert.rejects(
      backend.setKeyState('old', 'retired', { retainUntil: new Date(clock.now.getTime() + 75 * DAY) }),
      {
        code: 'CPI_RECEIVER_RETENTION_TOO_SHORT',
      },
    );
  });

  test('delete is refused under retention (the key stays), allowed after it, and early with a recorded reason', async () => {
    const { backend, clock } = setup();
    const a = await backend.generateKey(spec('a'));
    await backend.generateKey(spec('b'));
    await assert.rejects(backend.deleteKey('a', { now: clock.now }), { code: 'CPI_RECEIVER_KEY_RETAINED' });
    const retired = await backend.setKeyState('a', 'retired', {});
    await assert.rejects(
      backend.deleteKey('a', { now: new Date(retired.retainUntil!.getTime() - 1000) }),
      (e: Error & { code?: string }) =>
        e.code === 'CPI_RECEIVER_KEY_RETAINED' && e.message.includes(retired.retainUntil!.toISOString()),
    );
    assert.ok(
      (await backend.listKeys()).some((k) => k.name === 'a'),
      "(await backend.listKeys()).some((k) => k.name === 'a')",
    );
    await backend.deleteKey('a', { now: new Date(retired.retainUntil!.getTime() + 1000) });
    await backend.deleteKey('b', { now: clock.now, earlyDestructionReason: 'private key exposed in ticket 4711' });
    assert.deepEqual(await backend.listKeys(), []);
    const records = backend.destructionRecords();
    assert.equal(records.length, 2);
    assert.equal(records[0]!.fingerprintSha256, a.fingerprintSha256);
    assert.equal(records[0]!.earlyDestructionReason, undefined);
    assert.equal(records[1]!.earlyDestructionReason, 'private key exposed in ticket 4711');
    await assert.rejects(backend.deleteKey('b', { now: clock.now }), { code: 'CPI_RECEIVER_KEY_NOT_FOUND' });
  });

  test('probe: decrypts a canary for an active key, not for a retired one, nor for a stranger or an expired certificate', async () => {
    const { backend } = setup();
    const old = await backend.generateKey(spec('old'));
    const fresh = await backend.generateKey(spec('new'));
    const ok = await backend.probe(fresh.certificatePem);
    assert.equal(ok.decrypted, true);
    assert.equal(ok.keyFingerprintSha256, fresh.fingerprintSha256);
    await backend.setKeyState('old', 'retired', {});
    const refused = await backend.probe(old.certificatePem);
    assert.equal(refused.decrypted, false);
    assert.match(refused.detail, /CPI_WSS_NO_MATCHING_KEY/);
    const stranger = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=stranger',
      validityDays: 5,
      now: new Date(),
    });
    assert.equal((await backend.probe(stranger.certificatePem)).decrypted, false);
    const expired = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=gone',
      validityDays: 1,
      now: new Date(Date.now() - 5 * DAY),
    });
    const late = await backend.probe(expired.certificatePem);
    assert.equal(late.decrypted, false);
    assert.match(late.detail, /valid from/);
  });

  test('a write that fails before its rename leaves the previous keystore readable and the key where it was', async () => {
    const failing = { after: Infinity, writes: 0 };
    const { backend, options } = setup({
      writeFile: (path, data, opts) =>
        writeFileAtomic(path, data, {
          ...opts,
          beforeRename: () => {
            if (++failing.writes > failing.after) throw new Error(`simulated crash while replacing ${path}`);
          },
        }),
    });
    const key = await backend.generateKey(spec('old'));
    const before = readFileSync(options.keystorePath);
    failing.after = failing.writes + 1; // the sidecar write succeeds, the archive write "crashes"
    await assert.rejects(backend.setKeyState('old', 'retired', {}), /simulated crash/);
    assert.deepEqual(readFileSync(options.keystorePath), before);
    assert.deepEqual(aliases(options.keystorePath), ['old']);
    const listed = await backend.listKeys();
    assert.equal(listed[0]!.state, 'active');
    assert.equal((await backend.probe(key.certificatePem)).decrypted, true, 'the key still decrypts');

    failing.after = failing.writes + 2; // sidecar and archive succeed, the active keystore write "crashes"
    await assert.rejects(backend.setKeyState('old', 'retired', {}), /simulated crash/);
    assert.deepEqual(aliases(options.keystorePath), ['old'], 'the key is in both files, never in neither');
    assert.deepEqual(aliases(options.archivePath), ['old']);
    assert.equal((await backend.listKeys())[0]!.state, 'active');

    failing.after = Infinity; // the retry completes the move
    const retired = await backend.setKeyState('old', 'retired', {});
    assert.equal(retired.state, 'retired');
    assert.deepEqual(aliases(options.keystorePath), []);
    assert.deepEqual(
      readPkcs12(readFileSync(`${options.keystorePath}.bak`), PASSWORD).map((e) => e.alias),
      ['old'],
      'the .bak holds the previous version',
    );
  });

  test('a damaged keystore gives CPI_RECEIVER_KEYSTORE_UNREADABLE naming the file; a wrong password CPI_PKI_PKCS12_PASSWORD', async () => {
    const { backend, options } = setup();
    await backend.generateKey(spec('old'));
    await assert.rejects(new Pkcs12Backend({ ...options, password: 'wrong-one' }).listKeys(), {
      code: 'CPI_PKI_PKCS12_PASSWORD',
    });
    writeFileSync(options.keystorePath, readFileSync(options.keystorePath).subarray(0, 100));
    await assert.rejects(
      backend.listKeys(),
      (e: Error & { code?: string }) =>
        e.code === 'CPI_RECEIVER_KEYSTORE_UNREADABLE' && e.message.includes(options.keystorePath),
    );
  });

  test('two backends writing the same keystore at once both succeed, one after the other', async () => {
    const { options } = setup();
    const one = new Pkcs12Backend(options);
    const two = new Pkcs12Backend(options);
    await Promise.all([one.generateKey(spec('one')), two.generateKey(spec('two'))]);
    assert.deepEqual(aliases(options.keystorePath), ['one', 'two']);
  });
});
