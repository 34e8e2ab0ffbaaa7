// A completed renewal settles: once every stage is applied, the cleanup included, re-planning any stage, in any
// order, changes nothing (`terraform plan -detailed-exitcode` exits 0), while traffic keeps flowing and no message
// is lost. For each variant.
//
// "90 days later" without weakening the product: the cleanup's gate opens only once retention ends, 90 days after
// the exchange, and both the provider and the receiver refuse to delete the old key before that. Nothing in the
// product can be told what time it is; the provider judges by the clock of the machine it runs on. What tenant and
// receiver RECORD (when the alias switched, when the old key was retired and until when it is kept) comes from their
// own clock. So the emulators' clock starts 91 days back: the renewal happens "91 days ago" in their records. Before
// the cleanup the test moves their clock to the present (with the traffic paused: a message signed 91 days earlier
// would rightly be refused as stale), and the cleanup then runs under the product's own rules. The cleanup held by
// retention is tested in test/e2e/operator-mistakes-*.test.ts, on the real clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRenewalStatus, renewalStatuses } from '../../src/cli/status-command';
import { DEMO_RENEWAL_ID, DEMO_WORLD } from '../../src/demo/renewal-demo';
import type { RenewalStatus } from '../../src/renewal/renewal-status';
import type { RenewalVariant } from '../../src/renewal/stages';
import { MIN_RETENTION_DAYS } from '../../src/rules/retention';
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
const DAY_MS = 86_400_000;
/** How far back the emulators' clock starts: the renewal is over a day longer ago than its retention. */
const BACK_MS = (MIN_RETENTION_DAYS + 1) * DAY_MS;

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
  let cleanedUp: WorldSnapshot;
  /** When the cleanup was applied, on the emulators' clock (the message log's). */
  let cleanedUpAt = 0;
  let stages: string[] = [];
  let oldCertificatePem: string;
  const status = async (): Promise<RenewalStatus> =>
    (await renewalStatuses({ outdir: world.outdir, renewal: DEMO_RENEWAL_ID, env: world.env, cwd: world.dir }))[0]!;
  const orders = [
    ['forward', (s: string[]) => s],
    ['reverse', (s: string[]) => [...s].reverse()],
    ['shuffled', shuffled],
  ] as const;
  const assertNoOps = async (planned: readonly string[]) => {
    for (const stage of planned) {
      const plan = await world.plan(stage);
      assert.equal(plan.code, 0, `${stage} plans a change or fails:\n${plan.output.slice(-6000)}`);
      assert.match(plan.output, /No changes\./, stage);
    }
  };

  before(async () => {
    world = await startRenewalWorld(variant, { clockOffsetMs: -BACK_MS });
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

  // Before the cleanup, one order (the latest stage first); every order after it. Re-applying earlier stages after
  // each stage is also what test/e2e/operator-mistakes-*.test.ts does.
  test(
    `${variant}: before the cleanup, re-planning every earlier stage in reverse order is a no-op`,
    { timeout: TIMEOUT_MS },
    async () => {
      await assertNoOps([...stages].reverse());
      assert.deepEqual(await world.snapshot(), completed, 'tenant alias, iFlows and receiver keys are as completed');
    },
  );

  test(
    `${variant}: ${MIN_RETENTION_DAYS + 1} days later the cleanup deletes the old key; the receiver keeps decrypting with the new one`,
    { timeout: TIMEOUT_MS },
    async () => {
      // What the cleanup counts from is what tenant and receiver recorded, on their clock.
      const old = completed.keys.find((k) => k.name === 'orders-2025')!;
      assert.ok(Date.parse(old.retainUntil!) < Date.now(), `retained until ${old.retainUntil}, before the real now`);
      await world.traffic.stop();
      world.moveClock(BACK_MS);
      world.traffic.start();
      const run = await world.converge('cleanup');
      assert.equal(run.failedApplies, 0, run.outputs.join('\n'));
      cleanedUpAt = world.emulatorNow().getTime();
      cleanedUp = await world.snapshot();
      assert.deepEqual(
        cleanedUp.keys.map((k) => [k.name, k.state]),
        [['orders-2026', 'active']],
        'only the new key is left',
      );
      assert.equal(cleanedUp.aliasFingerprint, world.fingerprint, 'the alias holds the new certificate');
      assert.deepEqual(
        cleanedUp.iflows.map((i) => i.status),
        ['STARTED'],
      );
      const done = await status();
      assert.equal(done.condition, 'completed', formatRenewalStatus(done));
    },
  );

  for (const [order, arrange] of orders) {
    test(
      `${variant}: after the cleanup, re-planning every stage in ${order} order is a no-op`,
      { timeout: TIMEOUT_MS },
      async () => {
        const all = world.stages.map((s) => s.name);
        const planned = arrange(all);
        if (order === 'shuffled')
          assert.ok(planned.join() !== all.join() && planned.join() !== [...all].reverse().join(), planned.join());
        await assertNoOps(planned);
        assert.deepEqual(await world.snapshot(), cleanedUp, 'tenant alias, iFlows and receiver keys are as cleaned up');
      },
    );
  }

  test(`${variant}: traffic flowed throughout and no message was lost`, { timeout: TIMEOUT_MS }, async () => {
    await awaitArrivals(world, cleanedUpAt, 20);
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
    const since = messagesArrivedBetween(messages, cleanedUpAt);
    assert.deepEqual(outcomes(since), { delivered: since.length }, 'after the cleanup every message is delivered');
  });

  test(
    `${variant}: status says completed; the alias put back by hand makes the exchange undone, naming it`,
    { timeout: TIMEOUT_MS },
    async () => {
      // traffic is stopped (the test before): putting the old certificate back would break messages otherwise
      const before = await status();
      assert.equal(before.condition, 'completed', formatRenewalStatus(before));
      assert.deepEqual(
        before.stages.map((s) => [s.name, s.condition]),
        world.stages.map((s) => [s.name, 'applied']),
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
      assert.equal((await status()).condition, 'completed', 'with the new certificate back, nothing is undone');
    },
  );
}

describe('a completed overlap renewal: re-planning any stage in any order is a no-op', () =>
  reapplyScenario('overlap'));
describe('a completed single-key renewal: re-planning any stage in any order is a no-op', () =>
  reapplyScenario('single-key'));
