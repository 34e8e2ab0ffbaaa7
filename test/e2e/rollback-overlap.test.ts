// End to end, the overlap way back (docs/rollback.md) with traffic running: the renewal goes past the exchange and
// retires the old key; the way back reactivates the old key and puts the old certificate back under the alias
// without a pause in traffic; then the renewal goes forward again, and the fresh exchange re-times exchanged_at.
// Stages the way back must refuse are refused at plan, naming their gate, and change nothing. Not one message is
// refused by the receiver across the file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_WORLD } from '../../src/demo/renewal-demo';
import { assertChangedNothing, assertGateClosed, receiverKey, refusedTotal } from './support/renewal-assertions';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  reportAndClose,
  startRenewalWorld,
  type RenewalWorld,
} from './support/renewal-world';

describe(
  'overlap rollback: forward past the exchange, back with no downtime, forward again',
  { timeout: 600_000 },
  () => {
    let world: RenewalWorld;
    let oldFingerprint: string;
    let newFingerprint: string;
    let firstExchangeAt: string;

    before(async () => {
      world = await startRenewalWorld('overlap');
      oldFingerprint = (await world.snapshot()).aliasFingerprint!;
      await world.synthAndInit();
      await world.initRollback();
      world.traffic.start();
    });

    after(() => reportAndClose(world));

    /** The way back as `cpi-renewal status --json` reports it. */
    async function wayBack(): Promise<{ outcome: string; stages: { name: string; applied: boolean }[] }> {
      const status = await world.cpiRenewal(
        ['status', '--json', '--renewal', 'orders-2026', '--outdir', world.outdir],
        world.dir,
      );
      // 0, 2 (next stage blocked) or 3 (undone): status was determined (docs/cli.md)
      assert.notEqual(status.code, 1, status.output);
      return (
        JSON.parse(status.stdout) as { rollback: { outcome: string; stages: { name: string; applied: boolean }[] } }
      ).rollback;
    }

    test('forward: prepare, exchange and retire the old key', async () => {
      for (const stage of ['prepare-receiver', 'exchange-certificate', 'retire-old-key']) await world.converge(stage);
      newFingerprint = world.fingerprint!;
      firstExchangeAt = await world.output('exchange-certificate', 'exchanged_at');
      const snapshot = await world.snapshot();
      assert.equal(snapshot.aliasFingerprint, newFingerprint);
      assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.state, 'retired');
    });

    test('out of order, the way back is refused at plan and changes nothing: its later stages need the old key adopted by its first', async () => {
      const untouched = await world.snapshot();
      const since = Date.now();
      for (const stage of ['rollback-restore-certificate', 'rollback-retire-new-key']) {
        const refused = await world.plan(stage);
        assert.equal(refused.code, 1, refused.output);
        assert.match(refused.output, /Unable to find remote state[\s\S]*rollback-1-reactivate-old-key/);
      }
      await assertChangedNothing(world, untouched, since);
    });

    test('way back 1: the old key decrypts again beside the new one', async () => {
      assert.equal((await wayBack()).outcome, 'not started');
      await world.converge('rollback-reactivate-old-key');
      const keys = (await world.snapshot()).keys.map((k) => [k.name, k.state]);
      assert.deepEqual(keys, [
        [DEMO_WORLD.oldKeyName, 'active'],
        [DEMO_WORLD.newKeyName, 'active'],
      ]);
      assert.equal(await world.output('rollback-reactivate-old-key', 'old_fingerprint_sha256'), oldFingerprint);
      const status = await wayBack();
      assert.equal(status.outcome, 'in progress');
      assert.deepEqual(
        status.stages.map((st) => [st.name, st.applied]),
        [
          ['reactivate-old-key', true],
          ['restore-certificate', false],
          ['retire-new-key', false],
        ],
      );
    });

    test('taking the new key out while the alias still holds the new certificate is refused by its gate and changes nothing', async () => {
      const untouched = await world.snapshot();
      const since = Date.now();
      const retire = await world.plan('rollback-retire-new-key');
      assertGateClosed(retire, 'rollback-retire-new-key', 'tenant administrator (tenant-admin)');
      await assertChangedNothing(world, untouched, since);
    });

    test('way back 2: the probe of the old certificate opens the gate; the alias holds the old certificate and traffic never pauses', async () => {
      const restoring = Date.now();
      await world.converge('rollback-restore-certificate');
      const restored = Date.now();
      assert.equal((await world.snapshot()).aliasFingerprint, oldFingerprint);
      await awaitArrivals(world, restored, 10);
      const during = messagesArrivedBetween(world.messages(), restoring);
      assert.deepEqual(outcomes(during), { delivered: during.length }, 'every message delivered while going back');
      const later = messagesArrivedBetween(world.messages(), restored);
      assert.ok(
        later.every((m) => m.certificateFingerprint === oldFingerprint),
        'later.every((m) => m.certificateFingerprint === oldFingerprint)',
      );
      // Re-applying the restore is settled: no change.
      const again = await world.plan('rollback-restore-certificate');
      assert.equal(again.code, 0, again.output);
      assert.equal((await wayBack()).outcome, 'rolled back');
    });

    test('forward again: a fresh exchange re-times exchanged_at; the old key is retired again', async () => {
      await world.converge('exchange-certificate');
      const secondExchangeAt = await world.output('exchange-certificate', 'exchanged_at');
      assert.ok(Date.parse(secondExchangeAt) > Date.parse(firstExchangeAt), `${secondExchangeAt} > ${firstExchangeAt}`);
      await world.converge('retire-old-key');
      const snapshot = await world.snapshot();
      assert.equal(snapshot.aliasFingerprint, newFingerprint);
      assert.deepEqual(
        snapshot.keys.map((k) => [k.name, k.state]),
        [
          [DEMO_WORLD.oldKeyName, 'retired'],
          [DEMO_WORLD.newKeyName, 'active'],
        ],
      );
      assert.equal((await wayBack()).outcome, 'forward again');
    });

    test('after going forward again, the way back is closed again by evidence (the old key no longer decrypts)', async () => {
      const untouched = await world.snapshot();
      const since = Date.now();
      const restore = await world.plan('rollback-restore-certificate');
      assertGateClosed(restore, 'rollback-restore-certificate', 'receiver administrator (receiver-admin)');
      await assertChangedNothing(world, untouched, since);
    });

    test('0 messages lost: the receiver refused none and decrypted every delivered message', async () => {
      await world.traffic.stop();
      const messages = world.messages();
      assert.deepEqual(outcomes(messages), { delivered: messages.length });
      const counters = await world.counters();
      assert.equal(refusedTotal(counters), 0, JSON.stringify(counters));
      for (const fingerprint of [oldFingerprint, newFingerprint]) {
        const sent = messages.filter((m) => m.certificateFingerprint === fingerprint).length;
        assert.ok(sent > 0, 'sent > 0');
        assert.equal(counters[fingerprint]?.decrypted, sent, `decrypted with the key of ${fingerprint}`);
      }
    });

    test('once the old key is deleted, the way back is refused at plan and changes nothing', async () => {
      const deleted = await fetch(`${world.receiverUrl}/admin/keys/${DEMO_WORLD.oldKeyName}`, {
        method: 'DELETE',
        headers: {
          authorization: `Bearer ${world.emulators.ready.adminToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ earlyDestructionReason: 'test: the retention ended' }),
      });
      assert.equal(deleted.status, 204, await deleted.text());
      const untouched = await world.snapshot();
      const refused = await world.plan('rollback-reactivate-old-key');
      assert.equal(refused.code, 1, refused.output);
      assert.match(refused.output, new RegExp(`CPI_RECEIVER_KEY_(MISSING|NOT_FOUND)[\\s\\S]*${DEMO_WORLD.oldKeyName}`));
      assert.deepEqual(await world.snapshot(), untouched);
    });
  },
);
