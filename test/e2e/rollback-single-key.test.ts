// End to end, the single-key way back (docs/rollback.md) inside the downtime window, with traffic running: the
// renewal goes past the exchange, goes back (old certificate under the alias, old key decrypting, iFlows running
// again), goes forward again to the end (a fresh exchange re-times exchanged_at), and goes back once more from the
// completed renewal (the new key back to pending). The receiver refuses no message across the file: while the iFlows
// are undeployed the tenant sends nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_WORLD } from '../../src/demo/renewal-demo';
import { assertGateClosed, receiverKey, refusedTotal } from './support/renewal-assertions';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  reportAndClose,
  startRenewalWorld,
  type RenewalWorld,
} from './support/renewal-world';

const WAY_BACK = [
  'rollback-stop-sending',
  'rollback-restore-certificate',
  'rollback-switch-back-receiver-key',
  'rollback-resume-sending',
];

describe('single-key rollback: back inside the window, forward again, back from the end', { timeout: 900_000 }, () => {
  let world: RenewalWorld;
  let oldFingerprint: string;
  let newFingerprint: string;
  let firstExchangeAt: string;

  before(async () => {
    world = await startRenewalWorld('single-key');
    oldFingerprint = (await world.snapshot()).aliasFingerprint!;
    await world.synthAndInit();
    await world.initRollback();
    world.traffic.start();
  });

  after(() => reportAndClose(world));

  /** The way back's outcome as `cpi-renewal status --json` reports it. */
  async function wayBack(): Promise<string> {
    const status = await world.cpiRenewal(
      ['status', '--json', '--renewal', 'orders-2026', '--outdir', world.outdir],
      world.dir,
    );
    // 0, 2 (next stage blocked) or 3 (undone): status was determined (docs/cli.md)
    assert.notEqual(status.code, 1, status.output);
    return (JSON.parse(status.stdout) as { rollback: { outcome: string } }).rollback.outcome;
  }

  /** After a resume that ended at `since`: the iFlow runs and every message is delivered for `fingerprint`. */
  async function assertSendingFor(since: number, fingerprint: string): Promise<void> {
    await awaitArrivals(world, since, 10);
    const later = messagesArrivedBetween(world.messages(), since);
    assert.deepEqual(outcomes(later), { delivered: later.length });
    assert.ok(
      later.every((m) => m.certificateFingerprint === fingerprint),
      'later.every((m) => m.certificateFingerprint === fingerprint)',
    );
  }

  test('forward past the exchange: the alias holds the new certificate, the iFlows are stopped', async () => {
    for (const stage of ['prepare-receiver', 'stop-sending', 'exchange-certificate']) await world.converge(stage);
    newFingerprint = world.fingerprint!;
    firstExchangeAt = await world.output('exchange-certificate', 'exchanged_at');
    const snapshot = await world.snapshot();
    assert.equal(snapshot.aliasFingerprint, newFingerprint);
    assert.deepEqual(snapshot.iflows, []);
  });

  test('the way back stops behind its gate: both administrators confirm, naming the old certificate', async () => {
    const closed = await world.plan('rollback-stop-sending');
    assertGateClosed(
      closed,
      'rollback-stop-sending',
      'receiver administrator (receiver-admin) and tenant administrator (tenant-admin)',
    );
    assert.match(
      closed.output,
      new RegExp(`--gate rollback-stop-sending --party receiver-admin --fingerprint ${oldFingerprint}`),
    );
    await world.converge('rollback-stop-sending');
  });

  test('back: the old certificate under the alias, the old key decrypting, the iFlows running for it', async () => {
    let resumed = 0;
    for (const stage of WAY_BACK.slice(1)) {
      await world.converge(stage);
      resumed = Date.now();
    }
    const snapshot = await world.snapshot();
    assert.equal(snapshot.aliasFingerprint, oldFingerprint);
    assert.deepEqual(
      snapshot.iflows.map((i) => [i.id, i.status]),
      [[DEMO_WORLD.iflowId, 'STARTED']],
    );
    assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.state, 'active');
    assert.equal((await receiverKey(world, DEMO_WORLD.newKeyName))?.state, 'retired', 'the new key does not decrypt');
    await assertSendingFor(resumed, oldFingerprint);
    assert.equal(await wayBack(), 'rolled back');
  });

  test('forward again to the end: a fresh exchange re-times exchanged_at; the new key decrypts', async () => {
    let resumed = 0;
    for (const stage of ['stop-sending', 'exchange-certificate', 'switch-receiver-key', 'resume-sending']) {
      await world.converge(stage);
      resumed = Date.now();
    }
    const secondExchangeAt = await world.output('exchange-certificate', 'exchanged_at');
    assert.ok(Date.parse(secondExchangeAt) > Date.parse(firstExchangeAt), `${secondExchangeAt} > ${firstExchangeAt}`);
    const snapshot = await world.snapshot();
    assert.equal(snapshot.aliasFingerprint, newFingerprint);
    assert.deepEqual(
      snapshot.keys.map((k) => [k.name, k.state]),
      [
        [DEMO_WORLD.oldKeyName, 'retired'],
        [DEMO_WORLD.newKeyName, 'active'],
      ],
    );
    await assertSendingFor(resumed, newFingerprint);
    assert.equal(await wayBack(), 'forward again');
  });

  test('back from the completed renewal: the way back undeploys, restores, switches the receiver back, resumes', async () => {
    let resumed = 0;
    for (const stage of WAY_BACK) {
      await world.converge(stage);
      resumed = Date.now();
    }
    const snapshot = await world.snapshot();
    assert.equal(snapshot.aliasFingerprint, oldFingerprint);
    assert.deepEqual(
      snapshot.keys.map((k) => [k.name, k.state]),
      [
        [DEMO_WORLD.oldKeyName, 'active'],
        [DEMO_WORLD.newKeyName, 'retired'],
      ],
    );
    await assertSendingFor(resumed, oldFingerprint);
    assert.equal(await wayBack(), 'rolled back');
  });

  test('0 messages lost: every message was delivered or not sent while stopped; the receiver refused none', async () => {
    await world.traffic.stop();
    const messages = world.messages();
    const counts = outcomes(messages);
    assert.deepEqual(Object.keys(counts).sort(), ['delivered', 'not-sent'], JSON.stringify(counts));
    const counters = await world.counters();
    assert.equal(refusedTotal(counters), 0, JSON.stringify(counters));
    for (const fingerprint of [oldFingerprint, newFingerprint]) {
      const sent = messages.filter((m) => m.outcome === 'delivered' && m.certificateFingerprint === fingerprint).length;
      assert.ok(sent > 0, 'sent > 0');
      assert.equal(counters[fingerprint]?.decrypted, sent, `decrypted with the key of ${fingerprint}`);
    }
  });
});
