// The end of a receiver key's lifecycle through the real terraform binary: `state = "deleted"` deletes a retired
// key once its retention is over and keeps it in state as a tombstone; a key gone after its retention reads as
// deleted, so a configuration that still declares it retired plans no change; deleting under retention is refused
// at plan; nothing comes back from deleted; no key is created deleted; destroying a tombstone asks nothing of the
// receiver.
//
// The embedded receiver keeps its own clock (the provider keeps the real one): it starts 91 days back, so the keys
// retired at first are retired "91 days ago" in what the receiver records, and is moved to the present before it is
// asked to delete anything, as 91 days passing would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { MIN_RETENTION_DAYS } from '../../src/rules/retention';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const ADMIN_TOKEN = 'admin-Token-4242';
const DAY_MS = 86_400_000;
const BACK_MS = (MIN_RETENTION_DAYS + 1) * DAY_MS;
const TIMEOUT = { timeout: 120_000 };
// Built by `node scripts/build.mjs` (npm test builds first).
const BUNDLE = resolve(__dirname, '../../dist/provider.js');

describe('cpi_receiver_key: deleted, the end of the lifecycle', () => {
  let receiver: ReceiverEmulator;
  let admin: EmbeddedBackend;
  let tf: TerraformWorkdir;
  let dir: string;
  let block: object;
  const clock = { offsetMs: -BACK_MS };

  const key = (name: string, extra: object = {}) => ({
    key_name: name,
    subject: `CN=${name}`,
    receiver: block,
    ...extra,
  });
  const write = (resources: Record<string, object>) =>
    tf.writeConfig({
      terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
      provider: { cpi: {} },
      resource: { cpi_receiver_key: resources },
    });
  const values = async (): Promise<Record<string, Record<string, unknown>>> => {
    const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
    return Object.fromEntries(
      (state.values?.root_module?.resources ?? []).map((r: { address: string; values: Record<string, unknown> }) => [
        r.address,
        r.values,
      ]),
    );
  };
  const names = async () => (await admin.listKeys()).map((k) => `${k.name} ${k.state}`).sort();
  const noChange = async () => {
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /No changes\./);
    return plan;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'receiver-key-deleted-'));
    receiver = await startReceiverEmulator({
      dataDir: join(dir, 'receiver'),
      adminToken: ADMIN_TOKEN,
      now: () => new Date(Date.now() + clock.offsetMs),
    });
    admin = new EmbeddedBackend({ url: receiver.url, adminToken: ADMIN_TOKEN });
    block = { kind: 'embedded', url: receiver.url };
    tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-key-deleted-' });
    Object.assign(tf.env, { CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN });
    // Retired "91 days ago" on the receiver's clock: their retention is over.
    write({ old: key('old', { state: 'retired' }), gone: key('gone', { state: 'retired' }) });
    await tf.ok(['init']);
    await tf.ok(['apply', '-auto-approve']);
    clock.offsetMs = 0;
  });
  after(async () => {
    tf?.remove();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a new key declared deleted is refused at plan, naming the code', TIMEOUT, async () => {
    write({
      old: key('old', { state: 'retired' }),
      gone: key('gone', { state: 'retired' }),
      fresh: key('fresh', { state: 'deleted' }),
    });
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1, plan.stdout);
    assert.match(plan.stderr, /CPI_RECEIVER_KEY_DELETED/);
    assert.match(plan.stderr, /"fresh" would be created with state "deleted"/);
    assert.deepEqual(await names(), ['gone retired', 'old retired']);
  });

  test('a key retired just now, declared deleted, is refused at plan under retention; it stays', TIMEOUT, async () => {
    write({
      old: key('old', { state: 'retired' }),
      gone: key('gone', { state: 'retired' }),
      recent: key('recent', { state: 'retired' }),
    });
    await tf.ok(['apply', '-auto-approve']);
    write({
      old: key('old', { state: 'retired' }),
      gone: key('gone', { state: 'retired' }),
      recent: key('recent', { state: 'deleted' }),
    });
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1, plan.stdout);
    assert.match(plan.stderr, /CPI_RECEIVER_KEY_RETAINED/);
    assert.match(plan.stderr, /setting key "recent" to deleted deletes it/);
    assert.deepEqual(await names(), ['gone retired', 'old retired', 'recent retired']);
  });

  test(
    'after its retention, state = deleted deletes the key in place and keeps a tombstone; re-planning is a no-op',
    TIMEOUT,
    async () => {
      const before = (await values())['cpi_receiver_key.old']!;
      write({
        old: key('old', { state: 'deleted' }),
        gone: key('gone', { state: 'retired' }),
        recent: key('recent', { state: 'retired' }),
      });
      const plan = await tf.ok(['plan'], [0, 2]);
      assert.match(plan.stdout, /update in-place/);
      assert.doesNotMatch(plan.stdout, /will be destroyed|must be replaced/);
      await tf.ok(['apply', '-auto-approve']);
      assert.deepEqual(await names(), ['gone retired', 'recent retired'], 'the receiver no longer holds "old"');
      const after = (await values())['cpi_receiver_key.old']!;
      assert.equal(after.state, 'deleted');
      for (const fact of ['fingerprint_sha256', 'certificate_pem', 'created_at', 'retired_at', 'retain_until'])
        assert.equal(after[fact], before[fact], `${fact} is kept in the tombstone`);
      await noChange();
    },
  );

  test(
    'a configuration still declaring the deleted key retired plans no change, with a warning; nothing comes back',
    TIMEOUT,
    async () => {
      write({
        old: key('old', { state: 'retired' }),
        gone: key('gone', { state: 'retired' }),
        recent: key('recent', { state: 'retired' }),
      });
      const plan = await noChange();
      assert.match(plan.stdout + plan.stderr, /Receiver key state is behind the receiver: no change/);
      assert.equal((await values())['cpi_receiver_key.old']!.state, 'deleted');
    },
  );

  test('a rollback cannot bring a deleted key back: refused at plan', TIMEOUT, async () => {
    write({
      old: key('old', { state: 'active', rollback_reason: 'rollback of renewal r: receiver cannot decrypt' }),
      gone: key('gone', { state: 'retired' }),
      recent: key('recent', { state: 'retired' }),
    });
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1, plan.stdout);
    assert.match(plan.stderr, /CPI_RECEIVER_KEY_DELETED/);
    assert.match(plan.stderr, /key "old"\s[^]*is deleted; rollback_reason cannot bring it back to active/);
  });

  test(
    'a retired key deleted elsewhere after its retention reads as deleted: declaring it retired plans no change',
    TIMEOUT,
    async () => {
      write({
        old: key('old', { state: 'retired' }),
        gone: key('gone', { state: 'retired' }),
        recent: key('recent', { state: 'retired' }),
      });
      // Another configuration's cleanup, or the receiver administrator: allowed, its retention is over.
      await admin.deleteKey('gone', { now: new Date() });
      await noChange();
      await tf.ok(['apply', '-refresh-only', '-auto-approve']);
      assert.equal((await values())['cpi_receiver_key.gone']!.state, 'deleted');
      await noChange();
    },
  );

  test(
    'destroying tombstones asks nothing of the receiver; the live key is still refused under retention',
    TIMEOUT,
    async () => {
      const destroy = await tf.run([
        'destroy',
        '-auto-approve',
        '-no-color',
        '-target',
        'cpi_receiver_key.old',
        '-target',
        'cpi_receiver_key.gone',
      ]);
      assert.equal(destroy.code, 0, destroy.stdout + destroy.stderr);
      assert.deepEqual(Object.keys(await values()), ['cpi_receiver_key.recent']);
      const refused = await tf.run(['destroy', '-auto-approve', '-no-color']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /CPI_RECEIVER_KEY_RETAINED/);
      assert.deepEqual(await names(), ['recent retired']);
    },
  );
});
