// The end-to-end overlap renewal (SAP variant A: the receiver decrypts with old and new key at once, no downtime),
// step by step with its assertions, for either runner: the cdktf CLI (`cdktf diff` / `cdktf deploy`) or plain
// terraform on the synthesized stacks (`plan -out` / `apply <plan>`), against the tenant emulator and the embedded
// receiver while live traffic flows through the iFlow. Asserted: gates hold until their evidence exists, a stage
// applied out of order is refused and changes nothing, the tenant switches to the new certificate, no message is
// refused at any time, and the old key is kept for the retention period. Through plain terraform also: a reviewed
// plan whose evidence vanished before the apply is refused at apply, and the exchange stage repairs that drift.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_WORLD } from '../../../src/demo/renewal-demo';
import { TenantClient } from '../../../src/tenant/tenant-client';
import {
  assertChangedNothing,
  assertGateClosed,
  assertOldKeyKept,
  assertOldKeyRemovalRefused,
  assertOverlapTraffic,
  assertStacksAndRunbook,
  receiverKey,
} from './renewal-assertions';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  reportAndClose,
  startRenewalWorld,
  type RenewalWorld,
} from './renewal-world';
import { startStageRunner, type RunnerKind, type StageRunner } from '../../support/stage-runners';

/** Registers the overlap renewal's steps, in order, in the enclosing `describe`, run through `kind`. */
export function overlapRenewalScenario(kind: RunnerKind): void {
  let world: RenewalWorld;
  let runner: StageRunner;
  let tenant: TenantClient;
  let oldFingerprint: string;
  let oldCertificatePem: string;
  let newFingerprint: string;
  // terraform prints `cpi_x.name will be …` on one line; cdktf's diff may put the stack's prefix or a wrap between
  const willBe = kind === 'terraform' ? String.raw`\S* will be` : String.raw`[\s\S]*will be`;

  before(async () => {
    world = await startRenewalWorld('overlap');
    tenant = new TenantClient({
      tenantUrl: world.emulators.ready.tenantUrl,
      auth: { kind: 'basic', username: world.emulators.ready.username, password: world.emulators.ready.password },
    });
    const entry = world.emulators.tenant.state.keystoreEntries().find((e) => e.alias === DEMO_WORLD.alias)!;
    oldFingerprint = entry.fingerprintSha256;
    oldCertificatePem = entry.certificatePem;
    assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.fingerprintSha256, oldFingerprint);
    // cdktf: every diff synthesizes, as a pipeline's plan job does; each deploy applies what the diff before it wrote
    runner = await startStageRunner(kind, world);
    world.traffic.start();
  });

  after(() => reportAndClose(world));

  test('the plan of prepare-receiver plans the new key; synth wrote a stack per stage and a runbook naming each', async () => {
    const plan = await runner.plan('prepare-receiver');
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.output, new RegExp(String.raw`cpi_receiver_key\.new-key${willBe} created`));
    // the new key, and the record of the old key's certificate fingerprint the exchange swaps from
    assert.match(plan.output, /terraform_data\.old-fingerprint[\s\S]*will be created/);
    assert.match(plan.output, /Plan: 2 to add, 0 to change, 0 to destroy/);
    const manifest = JSON.parse(readFileSync(join(world.outdir, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, unknown>;
    };
    // the forward stages' stacks and the way back's (outside the forward chain)
    const stacks = [...world.stages.map((s) => s.name), ...world.rollbackStages.map((s) => `rollback-${s.name}`)];
    assert.deepEqual(Object.keys(manifest.stacks).sort(), stacks.map((name) => world.stackName(name)).sort());
    assertStacksAndRunbook(world);
  });

  test('prepare-receiver: the apply creates the new key and the receiver decrypts with old and new', async () => {
    const applied = await runner.apply('prepare-receiver');
    assert.equal(applied.code, 0, applied.output);
    const output = await world.terraform('prepare-receiver', ['output', '-raw', 'new_fingerprint_sha256']);
    newFingerprint = output.output.trim();
    assert.deepEqual(
      (await world.snapshot()).keys.map((k) => [k.name, k.state, k.fingerprintSha256]),
      [
        [DEMO_WORLD.oldKeyName, 'active', oldFingerprint],
        [DEMO_WORLD.newKeyName, 'active', newFingerprint],
      ],
    );
    assert.notEqual(newFingerprint, oldFingerprint);
    assert.match(applied.output, new RegExp(`new_fingerprint_sha256 = "?${newFingerprint.slice(0, 20)}`));
  });

  test('retire-old-key before the exchange: plan and apply are refused (gate closed, naming gate and party) and change nothing', async () => {
    const untouched = await world.snapshot();
    const since = Date.now();

    if (kind === 'cdktf') {
      // cdktf's own stack selection refuses first; a pipeline job that selects the stage alone meets the gate
      const selected = await world.cdktf([
        'deploy',
        world.stackName('retire-old-key'),
        '--auto-approve',
        '--skip-synth',
      ]);
      assert.notEqual(selected.code, 0, 'cdktf refuses a stage whose predecessors are not selected');
      assert.match(selected.output, /dependencies are not included in the stacks to run: .*exchange-certificate/);
    }

    const planned = await runner.plan('retire-old-key');
    assertGateClosed(planned, 'retire-old-key', 'tenant administrator (tenant-admin)');
    assert.match(planned.output, /the tenant alias holds the new certificate/);
    assert.match(
      planned.output,
      /tenant-admin runs: cpi-renewal confirm --renewal orders-2026 --gate retire-old-key --party tenant-admin/,
    );
    // without a reviewed plan, straight to apply: the gate holds just the same
    const applied = await runner.applyUnreviewed('retire-old-key');
    assertGateClosed(applied, 'retire-old-key', 'tenant administrator (tenant-admin)');

    await assertChangedNothing(world, untouched, since);
    assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.state, 'active');
  });

  test('exchange-certificate: the probe opens the gate; after the apply the tenant sends with the new fingerprint', async () => {
    const planned = await runner.plan('exchange-certificate');
    assert.equal(planned.code, 0, planned.output);
    assert.match(
      planned.output,
      new RegExp(String.raw`cpi_keystore_certificate\.certificate${willBe} (imported|updated)`),
    );
    assert.match(planned.output, new RegExp(String.raw`cpi_renewal_gate\.gate-exchange-certificate${willBe} created`));
    const exchanging = Date.now();
    const applied = await runner.apply('exchange-certificate');
    assert.equal(applied.code, 0, applied.output);
    const exchanged = Date.now();
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);

    const earlier = messagesArrivedBetween(world.messages(), 0, exchanging);
    assert.ok(earlier.length > 0, 'earlier.length > 0');
    assert.ok(
      earlier.every((m) => m.certificateFingerprint === oldFingerprint && m.outcome === 'delivered'),
      `before the exchange every message is encrypted for the old certificate and delivered: ${JSON.stringify(outcomes(earlier))}`,
    );
    await awaitArrivals(world, exchanged, 10);
    const later = messagesArrivedBetween(world.messages(), exchanged);
    assert.ok(
      later.every((m) => m.certificateFingerprint === newFingerprint && m.outcome === 'delivered'),
      `after the exchange every message is encrypted for the new certificate and delivered: ${JSON.stringify(outcomes(later))}`,
    );
  });

  // Only a plain terraform pipeline keeps a reviewed plan between its plan and apply jobs: `cdktf deploy` plans anew.
  if (kind === 'terraform') {
    test('a reviewed retire-old-key plan is refused at apply when the alias was reverted after the plan; re-applying the exchange repairs it', async () => {
      const planned = await runner.plan('retire-old-key');
      assert.equal(planned.code, 0, 'the gate is open while the alias holds the new certificate');
      // someone puts the old certificate back in the tenant console between the plan job and the apply job
      await tenant.putCertificate(DEMO_WORLD.alias, oldCertificatePem, { update: true, fingerprintVerified: true });
      const stale = await runner.apply('retire-old-key');
      assertGateClosed(stale, 'retire-old-key', 'tenant administrator (tenant-admin)');
      const old = await receiverKey(world, DEMO_WORLD.oldKeyName);
      assert.equal(old?.state, 'active', 'the receiver still decrypts what the tenant now encrypts for the old key');

      // the exchange stage sees the drift by fingerprint and exchanges again
      const repair = await runner.plan('exchange-certificate');
      assert.equal(repair.code, 0, repair.output);
      assert.match(repair.output, /cpi_keystore_certificate\.certificate\S* will be updated in-place/);
      const repaired = await runner.apply('exchange-certificate');
      assert.equal(repaired.code, 0, repaired.output);
      assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);
    });
  }

  test('retire-old-key: the plan that was refused passes now that the alias holds the new certificate; the old key is retired and kept 90 days', async () => {
    await runner.planAndApply('retire-old-key');
    await assertOldKeyKept(world);
    assert.equal((await receiverKey(world, DEMO_WORLD.newKeyName))?.state, 'active');
    const since = Date.now();
    await awaitArrivals(world, since, 10);
    const later = messagesArrivedBetween(world.messages(), since);
    assert.deepEqual(outcomes(later), { delivered: later.length }, 'the new key alone decrypts what the tenant sends');
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const closed = await runner.plan('cleanup');
    assertGateClosed(closed, 'cleanup', 'receiver administrator (receiver-admin)');
    assert.match(closed.output, /not_before/);
    // bypassing the cleanup stage does not help: the provider (and the receiver) refuse the removal itself
    await assertOldKeyRemovalRefused(world, 'retire-old-key');
  });

  test('no message was refused during the whole renewal; the receiver decrypted each with the key it was meant for', async () => {
    await world.traffic.stop();
    await assertOverlapTraffic(world, [oldFingerprint, newFingerprint]);
  });
}
