// End to end, a single-key renewal (SAP variant B: the receiver decrypts with one key only, agreed downtime) run
// with plain `terraform -chdir=<stage stack> plan -out` / `apply <plan>` on the synthesized stacks, as a pipeline
// that does not use the cdktf CLI would, against the tenant emulator and the embedded receiver with live traffic.
// Asserted: gates hold until their evidence exists (the parties' confirmations are written with the very command
// the closed gate prints), stages cannot be applied out of order, nothing is sent while the iFlow is undeployed,
// the receiver accepts the new key after the switch, no message is refused, and the old key is kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_WORLD } from '../../src/demo/renewal-demo';
import type { KeyCounters } from '../../src/emulator/receiver-emulator';
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
} from './support/renewal-assertions';
import { startRenewalWorld, type RenewalWorld } from './support/renewal-world';
import { terraformRunner } from './support/stage-runners';

describe('single-key renewal through plain terraform', () => {
  let world: RenewalWorld;
  let terraform: ReturnType<typeof terraformRunner>;
  let oldFingerprint: string;
  let newFingerprint: string;
  let stopped = 0; // when the stop-sending apply had ended (epoch ms)
  let countersWhenStopped: Record<string, KeyCounters> = {};
  let resuming = 0; // when the resume-sending plan began

  before(async () => {
    world = await startRenewalWorld('single-key');
    terraform = terraformRunner(world);
    oldFingerprint = (await receiverKey(world, DEMO_WORLD.oldKeyName))!.fingerprintSha256;
    world.synth();
    await terraform.initAll();
    world.traffic.start();
  });

  after(async () => {
    if (!world) return;
    for (const t of world.timings) console.log(`# ${(t.ms / 1000).toFixed(1)} s rc=${t.code} ${t.command}`);
    await world.close();
  });

  test('synth wrote one stack per stage and a runbook that names every stage and its stack', () => {
    assertStacksAndRunbook(world);
  });

  test('prepare-receiver: the new key is created retired, so the receiver still decrypts with the old key only', async () => {
    await terraform.planAndApply('prepare-receiver');
    const output = await world.terraform('prepare-receiver', ['output', '-raw', 'new_fingerprint_sha256']);
    newFingerprint = output.output.trim();
    const keys = (await world.snapshot()).keys;
    assert.deepEqual(
      keys.map((k) => [k.name, k.state, k.fingerprintSha256]),
      [
        [DEMO_WORLD.oldKeyName, 'active', oldFingerprint],
        [DEMO_WORLD.newKeyName, 'retired', newFingerprint],
      ],
    );
  });

  test('a later stage applied before its predecessor fails (gate closed, naming gate and party) and changes nothing', async () => {
    const untouched = await world.snapshot();
    const since = Date.now();

    const exchange = await world.terraform('exchange-certificate', ['apply', '-input=false', '-auto-approve']);
    assertGateClosed(exchange, 'exchange-certificate', 'integration developer (integration-developer)');
    assert.match(exchange.output, /every iFlow that uses the alias is undeployed/);

    const resume = await world.terraform('resume-sending', ['apply', '-input=false', '-auto-approve']);
    assertGateClosed(resume, 'resume-sending', 'receiver administrator (receiver-admin)');

    await assertChangedNothing(world, untouched, since);
  });

  test('stop-sending: the plan fails until both administrators confirm the window, and passes once they have', async () => {
    const closed = await terraform.plan('stop-sending');
    assertGateClosed(
      closed,
      'stop-sending',
      'receiver administrator (receiver-admin) and tenant administrator (tenant-admin)',
    );

    // each party runs exactly the command the closed gate prints, from the project root it names
    for (const party of ['receiver-admin', 'tenant-admin']) {
      await confirmAsPrinted(world, closed.output, party);
      const planned = await terraform.plan('stop-sending');
      if (party === 'receiver-admin') {
        assert.equal(planned.code, 1, 'one confirmation of two does not open the gate');
        assert.match(planned.output, /a confirmation by tenant-admin/);
        assert.doesNotMatch(planned.output, /a confirmation by receiver-admin/);
      } else {
        assert.equal(planned.code, 0, planned.output);
        assert.match(planned.output, /cpi_iflow_deployment\.iflow-EncryptedOrderToReceiver/);
      }
    }
    assert.ok(existsSync(join(world.confirmationsDir, 'stop-sending.json')));
  });

  test('stop-sending: applying the plan undeploys the iFlow; from then on no message is sent', async () => {
    const applied = await terraform.apply('stop-sending');
    assert.equal(applied.code, 0, applied.output);
    stopped = Date.now();
    assert.deepEqual((await world.snapshot()).iflows, [], 'no runtime artifact is left');
    countersWhenStopped = await assertNothingSentSince(world, stopped);
  });

  test('exchange-certificate: the gate is open now that the iFlow is undeployed; the alias holds the new certificate', async () => {
    await terraform.planAndApply('exchange-certificate');
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);
  });

  test('switch-receiver-key: the receiver decrypts with the new key; the old one is retired and kept 90 days', async () => {
    await terraform.planAndApply('switch-receiver-key');
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
    await terraform.planAndApply('resume-sending');
    await assertResumedWith(world, Date.now(), newFingerprint);
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const closed = await world.terraform('cleanup', ['plan', '-input=false']);
    assertGateClosed(closed, 'cleanup', 'receiver administrator (receiver-admin)');
    assert.match(closed.output, /not_before/);
    await assertOldKeyRemovalRefused(world, 'switch-receiver-key');
  });

  test('over the whole renewal no message was refused, and none was sent while the iFlow was undeployed', async () => {
    await world.traffic.stop();
    await assertSingleKeyTraffic(world, stopped, resuming, [oldFingerprint, newFingerprint]);
  });
});
