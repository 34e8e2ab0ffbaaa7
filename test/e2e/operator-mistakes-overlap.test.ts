// An overlap renewal (SAP variant A) driven by an operator who does everything wrong, with traffic flowing through
// two iFlows that encrypt with the alias while the renewal lists only one. After each stage: every earlier stage is
// re-applied, each applied stage stack is destroyed, the alias is changed in the tenant behind the renewal's back,
// a second renewal of the same alias is started, and a gate is confirmed although its evidence says no. Unsafe
// actions are refused at plan with their code and change nothing (tenant, receiver, every stack's state); safe ones
// converge; the receiver refuses no message over the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALIAS, IFLOW, NEW_KEY, OLD_KEY, reportAndClose, type RenewalHarness } from '../support/renewal-harness';
import type { TrafficGenerator } from '../../src/demo/traffic-generator';
import {
  aliasCertificate,
  assertDestroyReleasesAlias,
  assertNothingLost,
  assertReapplyIsNoop,
  assertRefused,
  confirmGate,
  KEY_DELETION_REFUSED,
  destroy,
  OTHER_IFLOW,
  planDestroy,
  putAliasOutOfBand,
  SecondRenewal,
  startMistakesWorld,
  strayReceiverKey,
} from './support/operator-mistakes';

const TIMEOUT = { timeout: 240_000 };

describe('overlap renewal: the operator who does everything wrong', { timeout: 600_000 }, () => {
  let harness: RenewalHarness;
  let otherTraffic: TrafficGenerator;
  let oldCertificatePem: string;
  let newCertificatePem: string;
  let strayCertificatePem: string;

  before(async () => {
    ({ harness, otherTraffic } = await startMistakesWorld('overlap'));
    oldCertificatePem = aliasCertificate(harness).pem;
    await harness.synthAndInit();
    await harness.initRollback();
    harness.traffic.start();
    otherTraffic.start();
  });

  after(async () => {
    await otherTraffic?.stop();
    await reportAndClose(harness);
  });

  const keyStates = async () => (await harness.snapshot()).keys.map((k) => [k.name, k.state]);

  test(
    'prepare-receiver converges; destroying its stack (a key the receiver decrypts with) is refused',
    TIMEOUT,
    async () => {
      await harness.converge('prepare-receiver');
      assert.deepEqual(await keyStates(), [
        [OLD_KEY, 'active'],
        [NEW_KEY, 'active'],
      ]);
      await assertRefused(harness, 'destroy prepare-receiver', KEY_DELETION_REFUSED, () =>
        destroy(harness, 'prepare-receiver'),
      );
    },
  );

  test(
    'retire-old-key confirmed by the tenant admin while the alias still holds the old certificate: gate closed',
    TIMEOUT,
    async () => {
      confirmGate(harness, 'retire-old-key', 'tenant-admin');
      await assertRefused(harness, 'retire-old-key before the exchange', 'CPI_GATE_CLOSED', () =>
        harness.plan('retire-old-key'),
      );
    },
  );

  test('exchange-certificate converges; re-applying prepare-receiver plans no change', TIMEOUT, async () => {
    await harness.converge('exchange-certificate');
    newCertificatePem = aliasCertificate(harness).pem;
    assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
    await assertReapplyIsNoop(harness, 'prepare-receiver', 'exchange-certificate');
  });

  test('after the exchange, destroying prepare-receiver (the key in use) is refused', TIMEOUT, async () => {
    await assertRefused(harness, 'destroy prepare-receiver', KEY_DELETION_REFUSED, () =>
      planDestroy(harness, 'prepare-receiver'),
    );
  });

  test(
    'after the exchange, destroying exchange-certificate releases the alias in use, never deletes it',
    TIMEOUT,
    async () => {
      // the exchange stage adopted the alias: its destroy releases it, never deletes it
      await assertDestroyReleasesAlias(harness, 'exchange-certificate');
    },
  );

  test('a second renewal of the alias (its own app and state): its exchange is refused', TIMEOUT, async () => {
    const second = new SecondRenewal(harness);
    await second.synthAndInit(['prepare-receiver', 'exchange-certificate']);
    // its new key is one more key the receiver decrypts with: harmless
    const prepared = await second.apply('prepare-receiver');
    assert.equal(prepared.code, 0, prepared.output);
    await assertRefused(harness, "the second renewal's exchange", 'CPI_RENEWAL_ALIAS_CONFLICT', () =>
      second.plan('exchange-certificate'),
    );
  });

  test(
    'the old certificate put back by hand: retire-old-key stays closed despite the confirmation; the exchange repairs it',
    TIMEOUT,
    async () => {
      await putAliasOutOfBand(harness, oldCertificatePem);
      try {
        const refused = await assertRefused(
          harness,
          'retire-old-key with the old certificate back',
          'CPI_GATE_CLOSED',
          () => harness.plan('retire-old-key'),
        );
        assert.match(refused.output, /confirmation cannot overrule[\s│]+an observation/);
      } finally {
        await harness.converge('exchange-certificate');
      }
      assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
    },
  );

  test(
    "a stranger's certificate put under the alias by hand: the exchange is refused (compare-and-swap), then put back",
    TIMEOUT,
    async () => {
      strayCertificatePem = await strayReceiverKey(harness);
      await putAliasOutOfBand(harness, strayCertificatePem);
      try {
        await assertRefused(harness, 'retire-old-key with a stray certificate', 'CPI_GATE_CLOSED', () =>
          harness.plan('retire-old-key'),
        );
        await assertRefused(
          harness,
          'exchange over a certificate of neither renewal',
          'CPI_RENEWAL_ALIAS_CONFLICT',
          () => harness.plan('exchange-certificate'),
        );
      } finally {
        await putAliasOutOfBand(harness, newCertificatePem);
      }
    },
  );

  test(
    'retire-old-key converges; re-applying prepare-receiver and exchange-certificate plans no change',
    TIMEOUT,
    async () => {
      await harness.converge('retire-old-key');
      assert.equal((await harness.snapshot()).keys.find((k) => k.name === OLD_KEY)?.state, 'retired');
      await assertReapplyIsNoop(harness, 'prepare-receiver', 'retire-old-key');
      await assertReapplyIsNoop(harness, 'exchange-certificate', 'retire-old-key');
    },
  );

  test(
    'after retire-old-key, destroying each key stage stack is refused; the alias stage only releases the alias',
    TIMEOUT,
    async () => {
      await assertRefused(harness, 'destroy prepare-receiver', KEY_DELETION_REFUSED, () =>
        planDestroy(harness, 'prepare-receiver'),
      );
      // the exchange stage adopted the alias: its destroy releases it, never deletes it
      await assertDestroyReleasesAlias(harness, 'exchange-certificate');
      await assertRefused(harness, 'destroy retire-old-key', KEY_DELETION_REFUSED, () =>
        planDestroy(harness, 'retire-old-key'),
      );
    },
  );

  test(
    'roll back (old key decrypting again, old certificate under the alias); retire-old-key is refused while rolled back',
    TIMEOUT,
    async () => {
      await harness.converge('rollback-reactivate-old-key');
      await harness.converge('rollback-restore-certificate');
      assert.equal(aliasCertificate(harness).pem, oldCertificatePem);
      await assertRefused(harness, 'retire-old-key while rolled back', 'CPI_GATE_CLOSED', () =>
        harness.plan('retire-old-key'),
      );
      await assertReapplyIsNoop(harness, 'rollback-reactivate-old-key', 'rollback-restore-certificate');
    },
  );

  test(
    'forward again: exchange and retire-old-key converge; the way back is then closed by evidence',
    TIMEOUT,
    async () => {
      await harness.converge('exchange-certificate');
      await harness.converge('retire-old-key');
      assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
      assert.equal((await harness.snapshot()).keys.find((k) => k.name === OLD_KEY)?.state, 'retired');
      await assertRefused(harness, 'the way back after going forward again', 'CPI_GATE_CLOSED', () =>
        harness.plan('rollback-restore-certificate'),
      );
    },
  );

  test("after retire-old-key, a stranger's certificate under the alias: the exchange is refused", TIMEOUT, async () => {
    await putAliasOutOfBand(harness, strayCertificatePem);
    try {
      await assertRefused(harness, 'exchange over a certificate of neither renewal', 'CPI_RENEWAL_ALIAS_CONFLICT', () =>
        harness.plan('exchange-certificate'),
      );
    } finally {
      await putAliasOutOfBand(harness, newCertificatePem);
    }
  });

  test('cleanup during retention is refused', TIMEOUT, async () => {
    await assertRefused(harness, 'cleanup during retention', 'CPI_GATE_CLOSED', () => harness.plan('cleanup'));
  });

  test('both iFlows, the listed and the unlisted one, run and send with the new certificate', TIMEOUT, async () => {
    const { iflows } = await harness.snapshot();
    assert.deepEqual(
      iflows.map((i) => [i.id, i.status]).sort(),
      [
        [IFLOW, 'STARTED'],
        [OTHER_IFLOW, 'STARTED'],
      ].sort(),
    );
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const recent = harness.messages().filter((m) => Date.parse(m.time) >= since && m.iflowId === OTHER_IFLOW);
    assert.ok(recent.length > 0, `traffic through ${OTHER_IFLOW} under alias ${ALIAS}`);
    assert.ok(
      recent.every((m) => m.certificateFingerprint === harness.fingerprint && m.outcome === 'delivered'),
      `every message through ${OTHER_IFLOW} is encrypted for the new certificate and delivered`,
    );
  });

  test('no message was lost over the whole file (counted at the receiver)', TIMEOUT, async () => {
    await harness.traffic.stop();
    await otherTraffic.stop();
    await assertNothingLost(harness);
  });
});
