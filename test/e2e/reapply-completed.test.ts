// A completed renewal settles: once every stage is applied, re-planning any stage, in any order, changes nothing
// (`terraform plan -detailed-exitcode` exits 0), while traffic keeps flowing and no message is lost. For each variant.
//
// "Completed" here is every stage up to the one before the cleanup: the cleanup's gate waits until retention ends
// (at least 90 days after the exchange) and neither the provider nor the emulated receiver has a clock the test can
// move, so the cleanup is planned too but must stay held by its gate (exit 1, CPI_GATE_CLOSED naming retention),
// never a step back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRenewalStatus, renewalStatuses } from '../../src/cli/status-command';
import { DEMO_RENEWAL_ID, DEMO_WORLD } from '../../src/demo/renewal-demo';
import type { RenewalStatus } from '../../src/renewal/renewal-status';
import type { RenewalVariant } from '../../src/renewal/stages';
import { refusedTotal } from './support/renewal-assertions';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  reportAndClose,
  startRenewalWorld,
  type RenewalWorld,
  type WorldSnapshot,
} from './support/renewal-world';

const TIMEOUT_MS = 15 * 60_000;

/** A fixed permutation that is neither forward nor reverse (deterministic, so a failure can be re-run). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 20261204;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function reapplyScenario(variant: RenewalVariant): void {
  let world: RenewalWorld;
  let completed: WorldSnapshot;
  let completedAt = 0;
  let stages: string[] = [];
  let oldCertificatePem: string;
  const status = async (): Promise<RenewalStatus> =>
    (await renewalStatuses({ outdir: world.outdir, renewal: DEMO_RENEWAL_ID, env: world.env, cwd: world.dir }))[0]!;

  before(async () => {
    world = await startRenewalWorld(variant);
    oldCertificatePem = world.emulators.tenant.state
      .keystoreEntries()
      .find((e) => e.alias === DEMO_WORLD.alias)!.certificatePem;
    await world.synthAndInit();
    world.traffic.start();
  });

  after(() => reportAndClose(world));

  test(
    `${variant}: the renewal is applied through the last stage before the cleanup`,
    { timeout: TIMEOUT_MS },
    async () => {
      stages = world.stages.filter((s) => s.name !== 'cleanup').map((s) => s.name);
      for (const stage of stages) await world.converge(stage);
      completed = await world.snapshot();
      completedAt = Date.now();
      assert.equal(completed.aliasFingerprint, world.fingerprint, 'the alias holds the new certificate');
      assert.deepEqual(
        completed.keys.map((k) => [k.name, k.state]),
        [
          ['orders-2025', 'retired'],
          ['orders-2026', 'active'],
        ],
      );
      assert.deepEqual(
        completed.iflows.map((i) => i.status),
        ['STARTED'],
      );
    },
  );

  for (const [order, arrange] of [
    ['forward', (s: string[]) => s],
    ['reverse', (s: string[]) => [...s].reverse()],
    ['shuffled', shuffled],
  ] as const) {
    test(
      `${variant}: re-planning every stage in ${order} order is a no-op; the cleanup stays held by retention`,
      { timeout: TIMEOUT_MS },
      async () => {
        const planned = arrange(stages);
        if (order === 'shuffled')
          assert.ok(
            planned.join() !== stages.join() && planned.join() !== [...stages].reverse().join(),
            planned.join(),
          );
        for (const stage of planned) {
          const plan = await world.plan(stage);
          assert.equal(plan.code, 0, `${stage} plans a change or fails:\n${plan.output.slice(-6000)}`);
          assert.match(plan.output, /No changes\./, stage);
        }
        const cleanup = await world.plan('cleanup');
        assert.equal(cleanup.code, 1, cleanup.output);
        assert.match(cleanup.output, /CPI_GATE_CLOSED/);
        assert.match(cleanup.output, /retention/);
        assert.deepEqual(await world.snapshot(), completed, 'tenant alias, iFlows and receiver keys are as completed');
      },
    );
  }

  test(`${variant}: traffic flowed throughout and no message was lost`, { timeout: TIMEOUT_MS }, async () => {
    await awaitArrivals(world, completedAt, 20);
    await world.traffic.stop();
    const messages = world.messages();
    const counts = outcomes(messages);
    assert.ok(messages.length >= 100, `traffic flowed (${messages.length} messages)`);
    // Single-key answers messages without sending them while the iFlow is undeployed (the agreed downtime);
    // refused or undeliverable would be lost.
    const lost = messages.filter((m) => m.outcome !== 'delivered' && m.outcome !== 'not-sent');
    assert.deepEqual(lost, [], JSON.stringify(counts));
    if (variant === 'overlap') assert.deepEqual(counts, { delivered: messages.length });
    assert.equal(refusedTotal(await world.counters()), 0, 'the receiver refused nothing');
    const since = messagesArrivedBetween(messages, completedAt);
    assert.deepEqual(outcomes(since), { delivered: since.length }, 'after completion every message is delivered');
  });

  test(
    `${variant}: status says every stage before the cleanup is applied; the alias put back by hand makes the exchange undone, naming it`,
    { timeout: TIMEOUT_MS },
    async () => {
      // traffic is stopped (the test before): putting the old certificate back would break messages otherwise
      const before = await status();
      assert.equal(before.condition, 'in-progress');
      assert.deepEqual(
        before.stages.map((s) => [s.name, s.condition]),
        world.stages.map((s) => [s.name, s.name === 'cleanup' ? 'blocked' : 'applied']),
      );
      const tenant = world.tenantClient();
      await tenant.putCertificate(DEMO_WORLD.alias, oldCertificatePem, { update: true, fingerprintVerified: true });
      const undone = await status();
      assert.equal(undone.condition, 'undone');
      const exchange = undone.stages.find((s) => s.name === 'exchange-certificate')!;
      assert.equal(exchange.condition, 'undone', JSON.stringify(exchange));
      assert.match(exchange.seen!, new RegExp(`alias "${DEMO_WORLD.alias}" holds the old certificate`));
      const table = formatRenewalStatus(undone);
      assert.match(table, /exchange-certificate .*undone: alias .* holds the old certificate/);
      assert.match(table, /^Undone out of band: stage \d+ exchange-certificate \(alias .*\)\.$/m);
      assert.doesNotMatch(table, /exchange-certificate .* {2}applied/);
      const newPem = await world.output('prepare-receiver', 'new_certificate_pem');
      await tenant.putCertificate(DEMO_WORLD.alias, newPem, { update: true, fingerprintVerified: true });
      assert.equal((await status()).condition, 'in-progress', 'with the new certificate back, nothing is undone');
    },
  );
}

describe('a completed overlap renewal: re-planning any stage in any order is a no-op', () =>
  reapplyScenario('overlap'));
describe('a completed single-key renewal: re-planning any stage in any order is a no-op', () =>
  reapplyScenario('single-key'));
