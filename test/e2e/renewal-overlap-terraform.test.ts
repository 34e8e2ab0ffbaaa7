// End to end, an overlap renewal (SAP variant A: the receiver decrypts with old and new key at once, no downtime)
// run with plain `terraform -chdir=<stage stack> plan -out` / `apply <planfile>` on the synthesized stacks, as a
// pipeline that does not use the cdktf CLI would, against the tenant emulator and the embedded receiver with live
// traffic. Asserted: gates hold until their evidence exists, a stage applied out of order is refused and changes
// nothing, a reviewed plan whose evidence vanished before the apply is refused at apply, the tenant switches to the
// new certificate, no message is refused at any time, and the old key is kept for the retention period. The cdktf
// CLI run of the same variant is renewal-overlap.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_WORLD } from '../../src/demo/renewal-demo';
import { TenantClient } from '../../src/tenant/tenant-client';
import {
  assertChangedNothing,
  assertGateClosed,
  assertOldKeyKept,
  assertOldKeyRemovalRefused,
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
import { terraformRunner } from './support/stage-runners';

describe('overlap renewal through plain terraform', () => {
  let world: RenewalWorld;
  let terraform: ReturnType<typeof terraformRunner>;
  let tenant: TenantClient;
  let oldFingerprint: string;
  let oldCertificatePem: string;
  let newFingerprint: string;

  before(async () => {
    world = await startRenewalWorld('overlap');
    terraform = terraformRunner(world);
    tenant = new TenantClient({
      tenantUrl: world.emulators.ready.tenantUrl,
      auth: { kind: 'basic', username: world.emulators.ready.username, password: world.emulators.ready.password },
    });
    const entry = world.emulators.tenant.state.keystoreEntries().find((e) => e.alias === DEMO_WORLD.alias)!;
    oldFingerprint = entry.fingerprintSha256;
    oldCertificatePem = entry.certificatePem;
    assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.fingerprintSha256, oldFingerprint);
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

  test('prepare-receiver: the plan shows the new key; after the apply the receiver decrypts with old and new', async () => {
    const planned = await terraform.plan('prepare-receiver');
    assert.equal(planned.code, 0, planned.output);
    assert.match(planned.output, /cpi_receiver_key\.new-key\S* will be created/);
    assert.match(planned.output, /Plan: 1 to add, 0 to change, 0 to destroy/);
    const applied = await terraform.apply('prepare-receiver');
    assert.equal(applied.code, 0, applied.output);
    newFingerprint = (await world.terraform('prepare-receiver', ['output', '-raw', 'new_fingerprint_sha256'])).output;
    assert.deepEqual(
      (await world.snapshot()).keys.map((k) => [k.name, k.state, k.fingerprintSha256]),
      [
        [DEMO_WORLD.oldKeyName, 'active', oldFingerprint],
        [DEMO_WORLD.newKeyName, 'active', newFingerprint],
      ],
    );
    assert.notEqual(newFingerprint, oldFingerprint);
  });

  test('retire-old-key before the exchange: plan and apply fail (gate closed, naming gate and party) and change nothing', async () => {
    const untouched = await world.snapshot();
    const since = Date.now();

    const planned = await terraform.plan('retire-old-key');
    assertGateClosed(planned, 'retire-old-key', 'tenant administrator (tenant-admin)');
    assert.match(planned.output, /the tenant alias holds the new certificate/);
    assert.match(
      planned.output,
      /tenant-admin runs: cpi-renewal confirm --renewal orders-2026 --gate retire-old-key --party tenant-admin/,
    );
    // without a reviewed plan, straight to apply: the gate holds just the same
    const applied = await world.terraform('retire-old-key', ['apply', '-input=false', '-auto-approve']);
    assertGateClosed(applied, 'retire-old-key', 'tenant administrator (tenant-admin)');

    await assertChangedNothing(world, untouched, since);
    assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.state, 'active');
  });

  test('exchange-certificate: the probe opens the gate; after the apply the tenant sends with the new fingerprint', async () => {
    const planned = await terraform.plan('exchange-certificate');
    assert.equal(planned.code, 0, planned.output);
    assert.match(planned.output, /cpi_keystore_certificate\.certificate\S* will be (imported|updated)/);
    assert.match(planned.output, /cpi_renewal_gate\.gate-exchange-certificate\S* will be created/);
    const exchanging = Date.now();
    const applied = await terraform.apply('exchange-certificate');
    assert.equal(applied.code, 0, applied.output);
    const exchanged = Date.now();
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);

    const earlier = messagesArrivedBetween(world.messages(), 0, exchanging);
    assert.ok(earlier.length > 0);
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

  test('a reviewed retire-old-key plan is refused at apply when the alias was reverted after the plan; re-applying the exchange repairs it', async () => {
    const planned = await terraform.plan('retire-old-key');
    assert.equal(planned.code, 0, 'the gate is open while the alias holds the new certificate');
    // someone puts the old certificate back in the tenant console between the plan job and the apply job
    await tenant.putCertificate(DEMO_WORLD.alias, oldCertificatePem, { update: true, fingerprintVerified: true });
    const stale = await terraform.apply('retire-old-key');
    assertGateClosed(stale, 'retire-old-key', 'tenant administrator (tenant-admin)');
    const old = await receiverKey(world, DEMO_WORLD.oldKeyName);
    assert.equal(old?.state, 'active', 'the receiver still decrypts what the tenant now encrypts for the old key');

    // the exchange stage sees the drift by fingerprint and exchanges again
    const repair = await terraform.plan('exchange-certificate');
    assert.equal(repair.code, 0, repair.output);
    assert.match(repair.output, /cpi_keystore_certificate\.certificate\S* will be updated in-place/);
    const repaired = await terraform.apply('exchange-certificate');
    assert.equal(repaired.code, 0, repaired.output);
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);
  });

  test('retire-old-key: passes now that the alias holds the new certificate; the old key is retired and kept 90 days', async () => {
    await terraform.planAndApply('retire-old-key');
    await assertOldKeyKept(world);
    assert.equal((await receiverKey(world, DEMO_WORLD.newKeyName))?.state, 'active');
    const since = Date.now();
    await awaitArrivals(world, since, 10);
    const later = messagesArrivedBetween(world.messages(), since);
    assert.deepEqual(outcomes(later), { delivered: later.length }, 'the new key alone decrypts what the tenant sends');
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const closed = await terraform.plan('cleanup');
    assertGateClosed(closed, 'cleanup', 'receiver administrator (receiver-admin)');
    assert.match(closed.output, /not_before/);
    await assertOldKeyRemovalRefused(world, 'retire-old-key');
  });

  test('no message was refused during the whole renewal; the receiver decrypted each with the key it was meant for', async () => {
    await world.traffic.stop();
    await assertOverlapTraffic(world, [oldFingerprint, newFingerprint]);
  });
});
