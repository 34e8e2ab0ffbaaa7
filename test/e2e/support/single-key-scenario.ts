// The end-to-end single-key renewal (SAP variant B: the receiver decrypts with one key only, agreed downtime), step
// by step with its assertions, for either runner: the cdktf CLI (`cdktf diff` / `cdktf deploy`) or plain terraform
// on the synthesized stacks (`plan -out` / `apply <plan>`), against the tenant emulator and the embedded receiver
// while live traffic flows through the iFlow. Asserted: gates hold until their evidence exists (the parties confirm
// with the very command the closed gate prints, from the project root it names), a stage applied before its
// predecessors is refused and changes nothing, nothing is sent while the iFlow is undeployed, the receiver accepts
// the new key after the switch, no message is refused, and the old key is kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_WORLD } from '../../../src/demo/renewal-demo';
import type { KeyCounters } from '../../../src/emulator/receiver-emulator';
import {
  assertChangedNothing,
  assertGateClosed,
  assertOldKeyKept,
  assertOldKeyRemovalRefused,
  assertNothingSentSince,
  assertResumedWith,
  assertSingleKeyTraffic,
  assertStacksAndRunbook,
  confirmAsPrinted,
  receiverKey,
} from './renewal-assertions';
import { reportAndClose, startRenewalWorld, type RenewalWorld } from './renewal-world';
import { startStageRunner, type RunnerKind, type StageRunner } from '../../support/stage-runners';

/** Registers the single-key renewal's steps, in order, in the enclosing `describe`, run through `kind`. */
export function singleKeyRenewalScenario(kind: RunnerKind): void {
  let world: RenewalWorld;
  let runner: StageRunner;
  let synthesized = false;
  let oldFingerprint: string;
  let newFingerprint: string;
  let stopped = 0; // when the stop-sending apply had ended (epoch ms)
  let countersWhenStopped: Record<string, KeyCounters> = {};
  let resuming = 0; // when the resume-sending plan began

  before(async () => {
    world = await startRenewalWorld('single-key');
    oldFingerprint = (await receiverKey(world, DEMO_WORLD.oldKeyName))!.fingerprintSha256;
    // cdktf: the first diff synthesizes through the app; the app is deterministic, so later diffs reuse its stacks
    // (each synth would cost several seconds on this machine)
    runner = await startStageRunner(kind, world, { skipSynth: () => synthesized });
    world.traffic.start();
  });

  after(() => reportAndClose(world));

  test('the plan of prepare-receiver plans the new key; synth wrote a stack per stage and a runbook naming each', async () => {
    const plan = await runner.plan('prepare-receiver');
    assert.equal(plan.code, 0, plan.output);
    synthesized = true;
    assert.match(plan.output, /cpi_receiver_key\.new-key[\s\S]*will be created/);
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

  test('prepare-receiver: the apply creates the new key retired, so the receiver still decrypts with the old key only', async () => {
    const applied = await runner.apply('prepare-receiver');
    assert.equal(applied.code, 0, applied.output);
    const output = await world.terraform('prepare-receiver', ['output', '-raw', 'new_fingerprint_sha256']);
    newFingerprint = output.output.trim();
    assert.match(applied.output, new RegExp(`new_fingerprint_sha256 = "?${newFingerprint.slice(0, 20)}`));
    assert.deepEqual(
      (await world.snapshot()).keys.map((k) => [k.name, k.state, k.fingerprintSha256]),
      [
        [DEMO_WORLD.oldKeyName, 'active', oldFingerprint],
        [DEMO_WORLD.newKeyName, 'retired', newFingerprint],
      ],
    );
  });

  test('a later stage applied before its predecessors is refused (gate closed, naming gate and party) and changes nothing', async () => {
    const untouched = await world.snapshot();
    const since = Date.now();

    if (kind === 'cdktf') {
      // cdktf's own stack selection refuses first; a per-stage pipeline job selects its stage alone, and then the
      // gate is what holds
      const stack = world.stackName('exchange-certificate');
      const selected = await world.cdktf(['deploy', stack, '--auto-approve', '--skip-synth']);
      assert.notEqual(selected.code, 0, 'cdktf refuses a stage whose predecessors are not selected');
      assert.match(selected.output, /dependencies are not included in the stacks to run: .*stop-sending/);
    }

    const exchange = await runner.applyUnreviewed('exchange-certificate');
    assertGateClosed(exchange, 'exchange-certificate', 'integration developer (integration-developer)');
    assert.match(exchange.output, /every iFlow that uses the alias is undeployed/);

    const resume = await runner.applyUnreviewed('resume-sending');
    assertGateClosed(resume, 'resume-sending', 'receiver administrator (receiver-admin)');

    await assertChangedNothing(world, untouched, since);
  });

  test('stop-sending: the plan fails until both administrators confirm the window with the printed command, then passes', async () => {
    const closed = await runner.plan('stop-sending');
    assertGateClosed(
      closed,
      'stop-sending',
      'receiver administrator (receiver-admin) and tenant administrator (tenant-admin)',
    );

    await confirmAsPrinted(world, closed.output, 'receiver-admin');
    const half = await runner.plan('stop-sending');
    assert.equal(half.code, 1, 'one confirmation of two does not open the gate');
    assert.match(half.output, /a confirmation by tenant-admin/);
    assert.doesNotMatch(half.output, /a confirmation by receiver-admin/);

    // the tenant admin follows what the gate prints now, as they would after the receiver admin's commit
    await confirmAsPrinted(world, half.output, 'tenant-admin');
    const open = await runner.plan('stop-sending');
    assert.equal(open.code, 0, open.output);
    assert.match(open.output, /cpi_iflow_deployment\.iflow-EncryptedOrderToReceiver/);
    assert.ok(existsSync(join(world.confirmationsDir, 'stop-sending.json')), 'the confirmation file to commit');
  });

  test('stop-sending: the apply undeploys the iFlow; from then on no message is sent', async () => {
    const applied = await runner.apply('stop-sending');
    assert.equal(applied.code, 0, applied.output);
    stopped = Date.now();
    assert.deepEqual((await world.snapshot()).iflows, [], 'no runtime artifact is left');
    countersWhenStopped = await assertNothingSentSince(world, stopped);
  });

  test('exchange-certificate: the gate is open now that the iFlow is undeployed; the alias holds the new certificate', async () => {
    await runner.planAndApply('exchange-certificate');
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);
  });

  test('switch-receiver-key: the receiver decrypts with the new key; the old one is retired and kept 90 days', async () => {
    await runner.planAndApply('switch-receiver-key');
    assert.equal((await receiverKey(world, DEMO_WORLD.newKeyName))?.state, 'active');
    await assertOldKeyKept(world);
  });

  test('resume-sending: the probe opens the gate; after the redeploy the tenant sends with the new fingerprint and the receiver accepts it', async () => {
    resuming = Date.now();
    assert.deepEqual(
      await world.counters(),
      countersWhenStopped,
      'the receiver got nothing while the iFlow was undeployed',
    );
    await runner.planAndApply('resume-sending');
    await assertResumedWith(world, Date.now(), newFingerprint);
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const closed = await runner.plan('cleanup');
    assertGateClosed(closed, 'cleanup', 'receiver administrator (receiver-admin)');
    assert.match(closed.output, /not_before/);
    await assertOldKeyRemovalRefused(world, 'switch-receiver-key');
  });

  test('over the whole renewal no message was refused, and none was sent while the iFlow was undeployed', async () => {
    await world.traffic.stop();
    await assertSingleKeyTraffic(world, stopped, resuming, [oldFingerprint, newFingerprint]);
  });
}
