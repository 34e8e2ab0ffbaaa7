// A single-key renewal (SAP variant B) driven by an operator who does everything wrong, with traffic flowing through
// two iFlows that encrypt with the alias while the renewal lists only one. After each stage: every earlier stage is
// re-applied, each applied stage stack is destroyed, the alias is changed in the tenant behind the renewal's back,
// a second renewal of the same alias is started, and gates are confirmed although their evidence says no. Unsafe
// actions are refused at plan with their code and change nothing (tenant, receiver, every stack's state); safe ones
// converge; the receiver refuses no message over the whole file (messages not sent while the iFlows are undeployed
// are answered to the sender, not lost).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IFLOW, NEW_KEY, OLD_KEY, reportAndClose, type RenewalHarness } from '../support/renewal-harness';
import type { TrafficGenerator } from '../../src/demo/traffic-generator';
import {
  aliasCertificate,
  assertAliasReleasedAndAdoptedAgain,
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
  setIflowByHand,
  startMistakesWorld,
  strayReceiverKey,
} from './support/operator-mistakes';

const TIMEOUT = { timeout: 240_000 };

describe('single-key renewal: the operator who does everything wrong', { timeout: 600_000 }, () => {
  let harness: RenewalHarness;
  let otherTraffic: TrafficGenerator;
  let oldCertificatePem: string;
  let newCertificatePem: string;

  before(async () => {
    ({ harness, otherTraffic } = await startMistakesWorld('single-key'));
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
  const renewalKeyStates = async () => (await keyStates()).filter(([name]) => name === OLD_KEY || name === NEW_KEY);
  const iflowStates = async () =>
    Object.fromEntries((await harness.snapshot()).iflows.map((i) => [i.id, i.status])) as Record<string, string>;

  test(
    'prepare-receiver converges; destroying its stack (the new key, kept from its creation) is refused',
    TIMEOUT,
    async () => {
      await harness.converge('prepare-receiver');
      assert.deepEqual(await keyStates(), [
        [OLD_KEY, 'active'],
        [NEW_KEY, 'retired'],
      ]);
      await assertRefused(harness, 'destroy prepare-receiver', KEY_DELETION_REFUSED, () =>
        destroy(harness, 'prepare-receiver'),
      );
    },
  );

  test(
    'gates confirmed while the iFlows run and the alias holds the old certificate stay closed',
    TIMEOUT,
    async () => {
      confirmGate(harness, 'exchange-certificate', 'integration-developer');
      await assertRefused(harness, 'exchange-certificate while the iFlows run', 'CPI_GATE_CLOSED', () =>
        harness.plan('exchange-certificate'),
      );
      confirmGate(harness, 'switch-receiver-key', 'tenant-admin');
      await assertRefused(harness, 'switch-receiver-key before the exchange', 'CPI_GATE_CLOSED', () =>
        harness.plan('switch-receiver-key'),
      );
    },
  );

  test(
    'stop-sending converges (the listed iFlow only); re-applying prepare-receiver plans no change',
    TIMEOUT,
    async () => {
      await harness.converge('stop-sending');
      assert.deepEqual(await iflowStates(), { [OTHER_IFLOW]: 'STARTED' });
      await assertReapplyIsNoop(harness, 'prepare-receiver', 'stop-sending');
    },
  );

  test('the unlisted iFlow still runs: the exchange is refused, naming it', TIMEOUT, async () => {
    const refused = await assertRefused(
      harness,
      `exchange while ${OTHER_IFLOW} runs`,
      ['CPI_ALIAS_EXCHANGE_UNSAFE', 'CPI_GATE_CLOSED'],
      () => harness.plan('exchange-certificate'),
    );
    assert.match(refused.output, new RegExp(OTHER_IFLOW));
  });

  test(
    'destroying stop-sending while stopped undeploys nothing more and deploys nothing; it converges again',
    TIMEOUT,
    async () => {
      const destroyed = await destroy(harness, 'stop-sending');
      assert.equal(destroyed.code, 0, destroyed.output);
      assert.deepEqual(await iflowStates(), { [OTHER_IFLOW]: 'STARTED' });
      await harness.converge('stop-sending');
      assert.deepEqual(await iflowStates(), { [OTHER_IFLOW]: 'STARTED' });
    },
  );

  test(
    'exchange-certificate converges once the unlisted iFlow is undeployed by hand; re-applying earlier stages plans no change',
    TIMEOUT,
    async () => {
      await setIflowByHand(harness, OTHER_IFLOW, false);
      await harness.converge('exchange-certificate');
      newCertificatePem = aliasCertificate(harness).pem;
      assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
      await assertReapplyIsNoop(harness, 'prepare-receiver', 'exchange-certificate');
      await assertReapplyIsNoop(harness, 'stop-sending', 'exchange-certificate');
    },
  );

  test('after the exchange, destroying prepare-receiver (the key of the alias) is refused', TIMEOUT, async () => {
    await assertRefused(harness, 'destroy prepare-receiver', KEY_DELETION_REFUSED, () =>
      planDestroy(harness, 'prepare-receiver'),
    );
  });

  test(
    'inside the window, destroying exchange-certificate releases the alias (it keeps the new certificate); re-applying adopts it again and plans nothing',
    TIMEOUT,
    async () => {
      await assertAliasReleasedAndAdoptedAgain(harness, 'exchange-certificate');
      assert.equal(aliasCertificate(harness).pem, newCertificatePem);
    },
  );

  test('a second renewal of the alias (its own app and state): its exchange is refused', TIMEOUT, async () => {
    const second = new SecondRenewal(harness);
    await second.synthAndInit(['prepare-receiver', 'exchange-certificate']);
    const prepared = await second.apply('prepare-receiver');
    assert.equal(prepared.code, 0, prepared.output);
    await assertRefused(harness, "the second renewal's exchange", 'CPI_RENEWAL_ALIAS_CONFLICT', () =>
      second.plan('exchange-certificate'),
    );
  });

  test(
    'the old certificate put back by hand: switch-receiver-key stays closed despite the confirmation; the exchange repairs it',
    TIMEOUT,
    async () => {
      await putAliasOutOfBand(harness, oldCertificatePem);
      try {
        await assertRefused(harness, 'switch with the old certificate back', 'CPI_GATE_CLOSED', () =>
          harness.plan('switch-receiver-key'),
        );
      } finally {
        await harness.converge('exchange-certificate');
      }
      assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
    },
  );

  test(
    'roll the exchange back inside the window; switch-receiver-key is refused while rolled back; forward again',
    TIMEOUT,
    async () => {
      await harness.converge('rollback-stop-sending');
      await harness.converge('rollback-restore-certificate');
      assert.equal(aliasCertificate(harness).pem, oldCertificatePem);
      await assertRefused(harness, 'switch-receiver-key while rolled back', 'CPI_GATE_CLOSED', () =>
        harness.plan('switch-receiver-key'),
      );
      await harness.converge('exchange-certificate');
      assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
    },
  );

  test('switch-receiver-key converges; re-applying every earlier stage plans no change', TIMEOUT, async () => {
    await harness.converge('switch-receiver-key');
    assert.deepEqual(await renewalKeyStates(), [
      [OLD_KEY, 'retired'],
      [NEW_KEY, 'active'],
    ]);
    for (const stage of ['prepare-receiver', 'stop-sending', 'exchange-certificate'])
      await assertReapplyIsNoop(harness, stage, 'switch-receiver-key');
  });

  test('after the switch, destroying the key stages is refused', TIMEOUT, async () => {
    for (const stage of ['prepare-receiver', 'switch-receiver-key'])
      await assertRefused(harness, `destroy ${stage}`, KEY_DELETION_REFUSED, () => planDestroy(harness, stage));
  });

  test(
    'the old certificate put back by hand after the switch: resume-sending is refused; the exchange repairs it',
    TIMEOUT,
    async () => {
      await putAliasOutOfBand(harness, oldCertificatePem);
      try {
        await assertRefused(
          harness,
          'resume with the old certificate back',
          ['CPI_IFLOW_DEPLOY_UNSAFE', 'CPI_GATE_CLOSED'],
          () => harness.plan('resume-sending'),
        );
      } finally {
        await harness.converge('exchange-certificate');
      }
      assert.equal(aliasCertificate(harness).fingerprint, harness.fingerprint);
    },
  );

  test(
    'resume-sending converges; the unlisted iFlow is redeployed by hand; re-applying every earlier stage plans no change',
    TIMEOUT,
    async () => {
      await harness.converge('resume-sending');
      await setIflowByHand(harness, OTHER_IFLOW, true);
      assert.deepEqual(await iflowStates(), { [IFLOW]: 'STARTED', [OTHER_IFLOW]: 'STARTED' });
      for (const stage of ['prepare-receiver', 'stop-sending', 'exchange-certificate', 'switch-receiver-key'])
        await assertReapplyIsNoop(harness, stage, 'resume-sending');
    },
  );

  test(
    'after resume-sending, destroying the key stages is refused and the alias stage only releases the alias',
    TIMEOUT,
    async () => {
      await assertRefused(harness, 'destroy prepare-receiver', KEY_DELETION_REFUSED, () =>
        planDestroy(harness, 'prepare-receiver'),
      );
      // the exchange stage adopted the alias: its destroy releases it, never deletes it
      await assertDestroyReleasesAlias(harness, 'exchange-certificate');
      await assertRefused(harness, 'destroy switch-receiver-key', KEY_DELETION_REFUSED, () =>
        planDestroy(harness, 'switch-receiver-key'),
      );
    },
  );

  test(
    'after resume-sending, destroying resume-sending (it would undeploy the running iFlow) is refused',
    TIMEOUT,
    async () => {
      await assertRefused(harness, 'destroy resume-sending', 'CPI_IFLOW_UNDEPLOY_REFUSED', () =>
        planDestroy(harness, 'resume-sending'),
      );
    },
  );

  test('after resume-sending, destroying stop-sending converges and leaves the iFlows running', TIMEOUT, async () => {
    try {
      const destroyed = await destroy(harness, 'stop-sending');
      assert.equal(destroyed.code, 0, destroyed.output);
      assert.deepEqual(await iflowStates(), { [IFLOW]: 'STARTED', [OTHER_IFLOW]: 'STARTED' });
    } finally {
      // had the destroy undeployed the iFlow, put it back so that the later steps see the finished renewal
      if ((await iflowStates())[IFLOW] !== 'STARTED') await setIflowByHand(harness, IFLOW, true);
    }
  });

  test(
    "after resume-sending, a stranger's certificate under the alias: the exchange is refused, then put back",
    TIMEOUT,
    async () => {
      await putAliasOutOfBand(harness, await strayReceiverKey(harness));
      try {
        // with the iFlows running, the exchange stage's gate refuses before the compare-and-swap is reached
        await assertRefused(
          harness,
          'exchange over a certificate of neither renewal',
          ['CPI_GATE_CLOSED', 'CPI_RENEWAL_ALIAS_CONFLICT'],
          () => harness.plan('exchange-certificate'),
        );
      } finally {
        await putAliasOutOfBand(harness, newCertificatePem);
      }
    },
  );

  test('cleanup during retention is refused', TIMEOUT, async () => {
    await assertRefused(harness, 'cleanup during retention', 'CPI_GATE_CLOSED', () => harness.plan('cleanup'));
  });

  test('no message was lost over the whole file (counted at the receiver)', TIMEOUT, async () => {
    await harness.traffic.stop();
    await otherTraffic.stop();
    await assertNothingLost(harness);
  });
});
