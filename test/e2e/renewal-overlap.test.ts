// End to end, the way a pipeline runs an overlap renewal (SAP variant A) with the cdktf CLI: for every stage
// `cdktf diff <stack>` and then `cdktf deploy <stack> --auto-approve`, against the tenant emulator and the embedded
// receiver, while live traffic flows through the iFlow. What is asserted is what the administrators care about:
// gates hold until their evidence exists, stages cannot be applied out of order, the tenant switches to the new
// certificate, no message is refused at any time, and the old key is kept for the retention period.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_WORLD } from '../../src/demo/renewal-demo';
import {
  assertChangedNothing,
  assertGateClosed,
  assertOldKeyKept,
  assertOverlapTraffic,
  assertStacksAndRunbook,
  receiverKey,
} from './support/renewal-assertions';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  startRenewalWorld,
  type RenewalWorld,
} from './support/renewal-world';
import { cdktfRunner, SKIP_PROVIDER_LOCK, type StageRunner } from './support/stage-runners';

describe('overlap renewal through cdktf diff / cdktf deploy', () => {
  let world: RenewalWorld;
  let cdktf: StageRunner;
  let oldFingerprint: string;
  let newFingerprint: string;

  before(async () => {
    world = await startRenewalWorld('overlap');
    // every diff synthesizes, as a pipeline's plan job does; each deploy applies what the diff before it synthesized
    cdktf = cdktfRunner(world);
    oldFingerprint = (await receiverKey(world, DEMO_WORLD.oldKeyName))!.fingerprintSha256;
    world.traffic.start();
  });

  after(async () => {
    if (!world) return;
    for (const t of world.timings) console.log(`# ${(t.ms / 1000).toFixed(1)} s rc=${t.code} ${t.command}`);
    await world.close();
  });

  test('cdktf diff of the first stage plans the new key; synth wrote one stack per stage and a runbook naming each', async () => {
    const plan = await cdktf.plan('prepare-receiver');
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.output, /cpi_receiver_key\.new-key[\s\S]*will be created/);
    assert.match(plan.output, /Plan: 1 to add, 0 to change, 0 to destroy/);
    const manifest = JSON.parse(readFileSync(join(world.outdir, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(manifest.stacks).sort(), world.stages.map((s) => world.stackName(s.name)).sort());
    assertStacksAndRunbook(world);
  });

  test('prepare-receiver: cdktf deploy creates the new key and the receiver decrypts with old and new', async () => {
    const applied = await cdktf.apply('prepare-receiver');
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

    const selected = await world.cdktf([
      'deploy',
      world.stackName('retire-old-key'),
      '--auto-approve',
      SKIP_PROVIDER_LOCK,
      '--skip-synth',
    ]);
    assert.notEqual(selected.code, 0, 'cdktf refuses a stage whose predecessors are not selected');
    assert.match(selected.output, /dependencies are not included in the stacks to run: .*exchange-certificate/);

    // the gate's plan is what holds when a pipeline selects the stage on its own
    const plan = await cdktf.plan('retire-old-key');
    assertGateClosed(plan, 'retire-old-key', 'tenant administrator (tenant-admin)');
    assert.match(plan.output, /cpi-renewal confirm --renewal orders-2026 --gate retire-old-key --party tenant-admin/);

    const forced = await cdktf.apply('retire-old-key');
    assertGateClosed(forced, 'retire-old-key', 'tenant administrator (tenant-admin)');

    await assertChangedNothing(world, untouched, since);
  });

  test('exchange-certificate: the probe opens the gate; after cdktf deploy the tenant sends with the new fingerprint', async () => {
    const plan = await cdktf.plan('exchange-certificate');
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.output, /cpi_keystore_certificate\.certificate[\s\S]*will be (imported|updated)/);
    const exchanging = Date.now();
    const applied = await cdktf.apply('exchange-certificate');
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
    await cdktf.planAndApply('retire-old-key');
    await assertOldKeyKept(world);
    assert.equal((await receiverKey(world, DEMO_WORLD.newKeyName))?.state, 'active');
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const plan = await cdktf.plan('cleanup');
    assertGateClosed(plan, 'cleanup', 'receiver administrator (receiver-admin)');
    assert.match(plan.output, /not_before/);

    // Bypassing the cleanup stage does not help: the provider (and the receiver) refuse the removal itself.
    const destroy = await world.terraform('retire-old-key', ['destroy', '-auto-approve', '-input=false']);
    assert.notEqual(destroy.code, 0, destroy.output);
    assert.match(destroy.output, /CPI_RECEIVER_KEY_RETAINED/);
    assert.match(destroy.output, /key "orders-2025" is retained until/);
    assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.state, 'retired', 'the old key is still kept');
  });

  test('no message was refused during the whole renewal; the receiver decrypted each with the key it was meant for', async () => {
    await world.traffic.stop();
    await assertOverlapTraffic(world, [oldFingerprint, newFingerprint]);
  });
});
