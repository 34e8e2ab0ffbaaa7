// Retention cannot be bypassed by accident (issue 7, item 6): through the real terraform binary, against both
// receiver backends at once (the embedded receiver and a PKCS#12 keystore pair), a retired key under retention is
// not deleted by destroy, by removing it from the configuration, by -replace, by a change that forces replacement,
// nor by a second renewal that reuses its key name; a key deleted or replaced out of band before its time is an
// error, never silently recreated. After every refusal the receivers hold the same keys and state still has them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const PASSWORD = 'retention-p12-password';
const ADMIN_TOKEN = 'retention-admin-token';
const DAY = 86_400_000;
const oneLine = (text: string) => text.replace(/[\s│╷╵]+/g, ' ');

describe('retention cannot be bypassed through terraform', () => {
  let dir: string;
  let receiver: ReceiverEmulator;
  let tf: TerraformWorkdir;
  let second: TerraformWorkdir;
  let embedded: EmbeddedBackend;
  let p12: Pkcs12Backend;
  let receivers: { emb: object; p12: object };

  const oldKey = (receiverBlock: object, extra: object = {}) => ({
    key_name: 'orders-2025',
    subject: 'CN=orders-receiver,O=Example',
    state: 'retired',
    receiver: receiverBlock,
    ...extra,
  });
  const config = (resources: Record<string, object>) => ({
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
    provider: { cpi: {} },
    ...(Object.keys(resources).length > 0 ? { resource: { cpi_receiver_key: resources } } : {}),
  });
  const retiredConfig = (extra: object = {}) =>
    config({ emb: oldKey(receivers.emb, extra), p12: oldKey(receivers.p12, extra) });
  /** Both receivers' keys, with everything that identifies them: what a refusal must leave as it was. */
  const receiverKeys = async () =>
    JSON.stringify({
      emb: (await embedded.listKeys()).map((k) => [k.name, k.state, k.fingerprintSha256, k.retainUntil?.toISOString()]),
      p12: (await p12.listKeys()).map((k) => [k.name, k.state, k.fingerprintSha256, k.retainUntil?.toISOString()]),
    });
  const stateAddresses = (w: TerraformWorkdir) => {
    try {
      const state = JSON.parse(readFileSync(join(w.dir, 'terraform.tfstate'), 'utf8')) as {
        resources: { type: string; name: string }[];
      };
      return state.resources.map((r) => `${r.type}.${r.name}`).sort();
    } catch {
      return [];
    }
  };
  /** Runs a command that must be refused with `code` for both keys, leaving receivers and state as they were. */
  const refused = async (
    w: TerraformWorkdir,
    args: string[],
    code: string,
    detail?: RegExp,
    when: 'plan' | 'apply' = 'plan',
  ) => {
    const keysBefore = await receiverKeys();
    const stateBefore = stateAddresses(w);
    const result = await w.run([...args, '-no-color']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const text = oneLine(result.stderr);
    // one error per key (a destroy's diagnostics name no configuration block, so count them)
    assert.equal(text.split(`Error: ${code}`).length - 1, 2, `both keys refused with ${code}:\n${result.stderr}`);
    if (detail) assert.match(text, detail);
    if (when === 'plan')
      assert.doesNotMatch(result.stdout, /Destroying\.\.\.|Creating\.\.\./, 'refused while planning');
    assert.doesNotMatch(result.stdout, /Destruction complete|Creation complete/);
    assert.equal(await receiverKeys(), keysBefore, 'the receivers hold the same keys');
    assert.deepEqual(stateAddresses(w), stateBefore, 'state still holds the keys');
    return text;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpi-retention-'));
    receiver = await startReceiverEmulator({ dataDir: join(dir, 'receiver'), adminToken: ADMIN_TOKEN });
    embedded = new EmbeddedBackend({ url: receiver.url, adminToken: ADMIN_TOKEN });
    mkdirSync(join(dir, 'keys'));
    p12 = new Pkcs12Backend({
      keystorePath: join(dir, 'keys', 'active.p12'),
      archivePath: join(dir, 'keys', 'archive.p12'),
      password: PASSWORD,
    });
    receivers = {
      emb: { kind: 'embedded', url: receiver.url },
      p12: {
        kind: 'pkcs12',
        keystore_path: join(dir, 'keys', 'active.p12'),
        archive_path: join(dir, 'keys', 'archive.p12'),
      },
    };
    tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-retention-' });
    second = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-retention-2-' });
    for (const w of [tf, second])
      Object.assign(w.env, { CPI_RECEIVER_KEYSTORE_PASSWORD: PASSWORD, CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN });
    // The first renewal's old key: created active, then retired by its retire-old-key stage.
    tf.writeConfig(
      config({ emb: oldKey(receivers.emb, { state: 'active' }), p12: oldKey(receivers.p12, { state: 'active' }) }),
    );
    await tf.ok(['init']);
    await tf.ok(['apply', '-auto-approve']);
    tf.writeConfig(retiredConfig());
    await tf.ok(['apply', '-auto-approve']);
    second.writeConfig(config({}));
    await second.ok(['init']);
  });
  after(async () => {
    tf?.remove();
    second?.remove();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the retired keys are kept for 90 days from their retirement', async () => {
    const keys = [...(await embedded.listKeys()), ...(await p12.listKeys())];
    // the loop below proves nothing over no keys: each receiver must list the one key this file created
    assert.deepEqual(
      keys.map((k) => k.name),
      ['orders-2025', 'orders-2025'],
      'each receiver lists the retired key',
    );
    for (const key of keys) {
      assert.equal(key.state, 'retired');
      assert.equal(key.retainUntil!.getTime() - key.retiredAt!.getTime(), 90 * DAY);
    }
  });

  test('terraform destroy is refused before retain_until', async () => {
    const text = await refused(tf, ['destroy', '-auto-approve'], 'CPI_RECEIVER_KEY_RETAINED', /retained until/);
    assert.match(text, /early_destruction_reason/);
  });

  test('terraform apply -destroy is refused the same way', async () => {
    await refused(tf, ['apply', '-destroy', '-auto-approve'], 'CPI_RECEIVER_KEY_RETAINED');
  });

  test('removing the keys from the configuration is refused at plan time', async () => {
    tf.writeConfig(config({}));
    await refused(tf, ['plan'], 'CPI_RECEIVER_KEY_RETAINED');
    await refused(tf, ['apply', '-auto-approve'], 'CPI_RECEIVER_KEY_RETAINED');
    tf.writeConfig(retiredConfig());
  });

  test('forcing replacement with -replace is refused, at apply before anything is deleted', async () => {
    // Terraform does not tell the provider about -replace while planning; the delete is the first it hears of it.
    await refused(
      tf,
      ['apply', '-auto-approve', '-replace=cpi_receiver_key.emb', '-replace=cpi_receiver_key.p12'],
      'CPI_RECEIVER_KEY_RETAINED',
      /destroying key "orders-2025"/,
      'apply',
    );
  });

  test('a change that forces replacement (subject, algorithm, validity) is refused', async () => {
    for (const change of [
      { subject: 'CN=orders-receiver-renamed,O=Example' },
      { algorithm: 'RSA-3072' },
      { validity_days: 365 },
    ]) {
      tf.writeConfig(retiredConfig(change));
      await refused(tf, ['plan'], 'CPI_RECEIVER_KEY_RETAINED', /replacing key "orders-2025" deletes it/);
    }
    tf.writeConfig(retiredConfig());
  });

  test('shortening the retention below 90 days after retirement is refused', async () => {
    const retiredAt = (await embedded.listKeys())[0]!.retiredAt!;
    const tooSoon = new Date(retiredAt.getTime() + 30 * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
    tf.writeConfig(retiredConfig({ retain_until: tooSoon }));
    await refused(tf, ['plan'], 'CPI_RECEIVER_RETENTION_TOO_SHORT');
    tf.writeConfig(retiredConfig());
  });

  test('a second renewal that reuses the key name is refused, even with the same subject, algorithm and validity', async () => {
    // Copied from last year's renewal: the same key name and subject. Adopting the retained key would hand the
    // old certificate over as "new" and let this renewal's cleanup delete a key another renewal keeps.
    second.writeConfig(
      config({ emb: oldKey(receivers.emb, { state: 'active' }), p12: oldKey(receivers.p12, { state: 'active' }) }),
    );
    await refused(second, ['plan'], 'CPI_RECEIVER_KEY_EXISTS', /key names are never reused/);
    await refused(second, ['apply', '-auto-approve'], 'CPI_RECEIVER_KEY_EXISTS');
    second.writeConfig(
      config({
        emb: oldKey(receivers.emb, { subject: 'CN=orders-receiver-2027' }),
        p12: oldKey(receivers.p12, { subject: 'CN=orders-receiver-2027' }),
      }),
    );
    await refused(second, ['plan'], 'CPI_RECEIVER_KEY_EXISTS');
  });

  test('after all refusals a plan is a no-op: nothing was lost on the way', async () => {
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('keys deleted or replaced out of band before their time are errors, not recreated', async () => {
    // Early deletion needs a reason at the receiver too: an operator gives one, Terraform must still notice.
    await embedded.deleteKey('orders-2025', {
      now: new Date(),
      earlyDestructionReason: 'operator cleaned up by mistake',
    });
    await p12.deleteKey('orders-2025', { now: new Date(), earlyDestructionReason: 'operator cleaned up by mistake' });
    await p12.generateKey({
      name: 'orders-2025',
      algorithm: 'RSA-2048',
      subject: 'CN=orders-receiver,O=Example',
      validityDays: 730,
    });
    const text = await refused(tf, ['plan'], 'CPI_RECEIVER_KEY_MISSING');
    assert.match(text, /is no longer in the receiver, although it is retained until/);
    assert.match(text, /was replaced out of band/);
    const apply = await tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(apply.code, 1);
    assert.doesNotMatch(apply.stdout, /will be created|Creating\.\.\./);
    assert.deepEqual(
      (await embedded.listKeys()).map((k) => k.name),
      [],
      'the embedded receiver got no new key',
    );
  });
});
