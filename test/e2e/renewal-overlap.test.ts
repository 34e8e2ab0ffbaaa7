// End to end, the way a pipeline runs an overlap renewal (SAP variant A) with the cdktf CLI: for every stage
// `cdktf diff <stack>` and then `cdktf deploy <stack> --auto-approve`, against the tenant emulator and the embedded
// receiver, while live traffic flows through the iFlow. What is asserted is what the administrators care about:
// gates hold until their evidence exists, stages cannot be applied out of order, the tenant switches to the new
// certificate, no message is refused at any time, and the old key is kept for the retention period.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_RENEWAL_ID, DEMO_WORLD } from '../../src/demo/renewal-demo';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  startRenewalWorld,
  type ListedKey,
  type RenewalWorld,
} from './support/renewal-world';

const DAY_MS = 86_400_000;
// A per-stage pipeline job selects its one stage; whether the stages before it were applied is then the gates'
// business, not the CLI's stack selection.
const ALONE = '--ignore-missing-stack-dependencies';
const SKIP_LOCK = '--skip-provider-lock'; // the lock step would ask registry.terraform.io (notes/cdktf.md)

describe('overlap renewal through cdktf diff / cdktf deploy', () => {
  let world: RenewalWorld;
  let oldFingerprint: string;
  let newFingerprint: string;

  const key = async (name: string): Promise<ListedKey | undefined> =>
    (await world.snapshot()).keys.find((k) => k.name === name);
  const diff = (stage: string) => world.cdktf(['diff', world.stackName(stage), SKIP_LOCK]);
  // each deploy follows a diff of the same (deterministic) app, as a pipeline's plan job precedes its apply job:
  // the stacks the diff synthesized are the ones to apply, and a second synth would cost seconds per stage
  const deploy = (stage: string, ...extra: string[]) =>
    world.cdktf(['deploy', world.stackName(stage), '--auto-approve', SKIP_LOCK, '--skip-synth', ...extra]);

  before(async () => {
    world = await startRenewalWorld('overlap');
    oldFingerprint = (await key(DEMO_WORLD.oldKeyName))!.fingerprintSha256;
    world.traffic.start();
  });

  after(async () => {
    if (!world) return;
    for (const t of world.timings) console.log(`# ${(t.ms / 1000).toFixed(1)} s rc=${t.code} ${t.command}`);
    await world.close();
  });

  test('cdktf diff of the first stage plans the new key; synth wrote one stack per stage and a runbook naming each', async () => {
    const plan = await diff('prepare-receiver');
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.output, /cpi_receiver_key\.new-key[\s\S]*will be created/);
    assert.match(plan.output, /Plan: 1 to add, 0 to change, 0 to destroy/);
    const manifest = JSON.parse(readFileSync(join(world.outdir, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(manifest.stacks).sort(), world.stages.map((s) => world.stackName(s.name)).sort());
    const runbook = join(world.outdir, `RUNBOOK-${DEMO_RENEWAL_ID}.md`);
    assert.ok(existsSync(runbook), 'the runbook is written on synth');
    const text = readFileSync(runbook, 'utf8');
    for (const stage of world.stages) {
      assert.ok(text.includes(stage.name), `the runbook names stage ${stage.name}`);
      assert.ok(text.includes(world.stackName(stage.name)), `the runbook names stack ${world.stackName(stage.name)}`);
    }
  });

  test('prepare-receiver: cdktf deploy creates the new key and the receiver decrypts with old and new', async () => {
    const applied = await deploy('prepare-receiver');
    assert.equal(applied.code, 0, applied.output);
    const keys = (await world.snapshot()).keys;
    const fresh = keys.find((k) => k.name === DEMO_WORLD.newKeyName);
    assert.ok(fresh, 'the new key exists in the receiver');
    assert.equal(fresh.state, 'active');
    assert.equal(keys.find((k) => k.name === DEMO_WORLD.oldKeyName)?.state, 'active');
    newFingerprint = fresh.fingerprintSha256;
    assert.notEqual(newFingerprint, oldFingerprint);
    assert.match(applied.output, new RegExp(`new_fingerprint_sha256 = "?${newFingerprint.slice(0, 20)}`));
  });

  test('a later stage applied before its predecessor fails (gate closed, naming gate and party) and changes nothing', async () => {
    const untouched = await world.snapshot();
    const since = Date.now();

    const selected = await deploy('retire-old-key');
    assert.notEqual(selected.code, 0, 'cdktf refuses a stage whose predecessors are not selected');
    assert.match(selected.output, /dependencies are not included in the stacks to run: .*exchange-certificate/);

    // the gate's plan is what holds when a pipeline selects the stage on its own
    const plan = await diff('retire-old-key');
    assert.equal(plan.code, 1, plan.output);
    assert.match(plan.output, /gate "retire-old-key" of renewal "orders-2026" is closed/);
    assert.match(plan.output, /Waiting for: tenant administrator \(tenant-admin\)/);
    assert.match(plan.output, /cpi-renewal confirm --renewal orders-2026 --gate retire-old-key --party tenant-admin/);

    const forced = await deploy('retire-old-key', ALONE);
    assert.equal(forced.code, 1, forced.output);
    assert.match(forced.output, /gate "retire-old-key" of renewal "orders-2026" is closed/);
    assert.doesNotMatch(forced.output, /Apply complete/);

    assert.deepEqual(await world.snapshot(), untouched, 'tenant alias, iFlows and receiver keys are unchanged');
    await awaitArrivals(world, since, 5);
    const meanwhile = messagesArrivedBetween(world.messages(), since);
    assert.deepEqual(outcomes(meanwhile), { delivered: meanwhile.length }, 'traffic still flows with the old key');
  });

  test('exchange-certificate: the probe opens the gate; after cdktf deploy the tenant sends with the new fingerprint', async () => {
    const plan = await diff('exchange-certificate');
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.output, /cpi_keystore_certificate\.certificate[\s\S]*will be (imported|updated)/);
    const exchanging = Date.now();
    const applied = await deploy('exchange-certificate', ALONE);
    assert.equal(applied.code, 0, applied.output);
    const exchanged = Date.now();
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);

    const earlier = messagesArrivedBetween(world.messages(), 0, exchanging);
    assert.ok(earlier.length > 0);
    assert.ok(
      earlier.every((m) => m.certificateFingerprint === oldFingerprint),
      'before the exchange: the old certificate',
    );
    await awaitArrivals(world, exchanged, 10);
    const later = messagesArrivedBetween(world.messages(), exchanged);
    assert.ok(
      later.every((m) => m.certificateFingerprint === newFingerprint && m.outcome === 'delivered'),
      `after the exchange every message is encrypted for the new certificate and delivered: ${JSON.stringify(outcomes(later))}`,
    );
  });

  test('retire-old-key: the plan that failed passes now that the alias holds the new certificate; the old key is retired and kept 90 days', async () => {
    const plan = await diff('retire-old-key');
    assert.equal(plan.code, 0, plan.output);
    const applied = await deploy('retire-old-key', ALONE);
    assert.equal(applied.code, 0, applied.output);
    const old = await key(DEMO_WORLD.oldKeyName);
    assert.equal(old?.state, 'retired');
    assert.ok(old.retiredAt && old.retainUntil);
    assert.ok(Date.parse(old.retainUntil) - Date.parse(old.retiredAt) >= 90 * DAY_MS, `kept until ${old.retainUntil}`);
    assert.equal((await key(DEMO_WORLD.newKeyName))?.state, 'active');
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const plan = await diff('cleanup');
    assert.equal(plan.code, 1, plan.output);
    assert.match(plan.output, /gate "cleanup" of renewal "orders-2026" is closed/);
    assert.match(plan.output, /Waiting for: receiver administrator \(receiver-admin\)/);
    assert.match(plan.output, /not_before/);

    // Bypassing the cleanup stage does not help: the provider (and the receiver) refuse the removal itself.
    const destroy = await world.terraform('retire-old-key', ['destroy', '-auto-approve', '-input=false']);
    assert.notEqual(destroy.code, 0, destroy.output);
    assert.match(destroy.output, /CPI_RECEIVER_KEY_RETAINED/);
    assert.match(destroy.output, /key "orders-2025" is retained until/);
    const old = await key(DEMO_WORLD.oldKeyName);
    assert.equal(old?.state, 'retired', 'the old key is still kept');
  });

  test('no message was refused during the whole renewal; the receiver decrypted each with the key it was meant for', async () => {
    await world.traffic.stop();
    const messages = world.messages();
    assert.ok(messages.length >= 100, `traffic flowed during the renewal (${messages.length} messages)`);
    assert.deepEqual(outcomes(messages), { delivered: messages.length });
    const counters = await world.counters();
    const decrypted = Object.values(counters).reduce((sum, c) => sum + c.decrypted, 0);
    const refused = Object.values(counters).reduce(
      (sum, c) => sum + Object.values(c.refused).reduce((a, b) => a + b, 0),
      0,
    );
    assert.equal(refused, 0, JSON.stringify(counters));
    assert.equal(decrypted, messages.length, 'the receiver decrypted every message the tenant delivered');
    // per key: what the tenant encrypted for each certificate is what the receiver decrypted with its key
    for (const fingerprint of [oldFingerprint, newFingerprint]) {
      const sent = messages.filter((m) => m.certificateFingerprint === fingerprint).length;
      assert.ok(sent > 0, `messages were encrypted for ${fingerprint}`);
      assert.equal(counters[fingerprint]?.decrypted, sent, `decrypted with the key of ${fingerprint}`);
    }
  });
});
