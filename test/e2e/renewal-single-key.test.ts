// End to end, a single-key renewal (SAP variant B: the receiver decrypts with one key only, agreed downtime) run
// with plain `terraform -chdir=<stage stack> plan -out` / `apply <plan>` on the synthesized stacks, as a pipeline
// that does not use the cdktf CLI would, against the tenant emulator and the embedded receiver with live traffic.
// Asserted: gates hold until their evidence exists (the parties' confirmations are written with the very command
// the closed gate prints), stages cannot be applied out of order, nothing is sent while the iFlow is undeployed,
// the receiver accepts the new key after the switch, no message is refused, and the old key is kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_RENEWAL_ID, DEMO_WORLD } from '../../src/demo/renewal-demo';
import type { KeyCounters } from '../../src/emulator/receiver-emulator';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  startRenewalWorld,
  type CommandRun,
  type ListedKey,
  type RenewalWorld,
} from './support/renewal-world';

const DAY_MS = 86_400_000;
const PLAN_FILE = 'stage.tfplan';

function decryptedTotal(counters: Record<string, KeyCounters>): number {
  return Object.values(counters).reduce((sum, c) => sum + c.decrypted, 0);
}

describe('single-key renewal through plain terraform', () => {
  let world: RenewalWorld;
  let oldFingerprint: string;
  let newFingerprint: string;
  let stopped = 0; // when the stop-sending apply had ended (epoch ms)
  let countersWhenStopped: Record<string, KeyCounters> = {};
  let resuming = 0; // when the resume-sending plan began

  const key = async (name: string): Promise<ListedKey | undefined> =>
    (await world.snapshot()).keys.find((k) => k.name === name);
  const plan = (stage: string) => world.terraform(stage, ['plan', '-input=false', `-out=${PLAN_FILE}`]);
  // applies exactly the reviewed plan; the provider decides the gate again at apply
  const applyPlan = (stage: string) => world.terraform(stage, ['apply', '-input=false', PLAN_FILE]);
  const planAndApply = async (stage: string): Promise<CommandRun> => {
    const planned = await plan(stage);
    assert.equal(planned.code, 0, planned.output);
    const applied = await applyPlan(stage);
    assert.equal(applied.code, 0, applied.output);
    return applied;
  };

  before(async () => {
    world = await startRenewalWorld('single-key');
    oldFingerprint = (await key(DEMO_WORLD.oldKeyName))!.fingerprintSha256;
    world.synth();
    // init needs no evidence: a pipeline's checkout job inits every stage up front
    for (const stage of world.stages) {
      const init = await world.terraform(stage.name, ['init', '-input=false']);
      assert.equal(init.code, 0, init.output);
    }
    world.traffic.start();
  });

  after(async () => {
    if (!world) return;
    for (const t of world.timings) console.log(`# ${(t.ms / 1000).toFixed(1)} s rc=${t.code} ${t.command}`);
    await world.close();
  });

  test('synth wrote one stack per stage and a runbook that names every stage and its stack', () => {
    const text = readFileSync(join(world.outdir, `RUNBOOK-${DEMO_RENEWAL_ID}.md`), 'utf8');
    for (const stage of world.stages) {
      assert.ok(existsSync(join(world.stackDir(stage.name), 'cdk.tf.json')), `stack of ${stage.name}`);
      assert.ok(text.includes(stage.name), `the runbook names stage ${stage.name}`);
      assert.ok(text.includes(world.stackName(stage.name)), `the runbook names stack ${world.stackName(stage.name)}`);
    }
  });

  test('prepare-receiver: the new key is created retired, so the receiver still decrypts with the old key only', async () => {
    await planAndApply('prepare-receiver');
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
    assert.equal(exchange.code, 1, exchange.output);
    assert.match(exchange.output, /gate "exchange-certificate" of renewal "orders-2026" is closed/);
    assert.match(exchange.output, /Waiting for: integration developer \(integration-developer\)/);
    assert.match(exchange.output, /every iFlow that uses the alias is undeployed/);

    const resume = await world.terraform('resume-sending', ['apply', '-input=false', '-auto-approve']);
    assert.equal(resume.code, 1, resume.output);
    assert.match(resume.output, /gate "resume-sending" of renewal "orders-2026" is closed/);
    assert.match(resume.output, /Waiting for: receiver administrator \(receiver-admin\)/);

    for (const run of [exchange, resume]) assert.doesNotMatch(run.output, /Apply complete/);
    assert.deepEqual(await world.snapshot(), untouched, 'tenant alias, iFlows and receiver keys are unchanged');
    await awaitArrivals(world, since, 5);
    const meanwhile = messagesArrivedBetween(world.messages(), since);
    assert.deepEqual(outcomes(meanwhile), { delivered: meanwhile.length }, 'traffic still flows with the old key');
  });

  test('stop-sending: the plan fails until both administrators confirm the window, and passes once they have', async () => {
    const closed = await plan('stop-sending');
    assert.equal(closed.code, 1, closed.output);
    assert.match(closed.output, /gate "stop-sending" of renewal "orders-2026" is closed/);
    assert.match(
      closed.output,
      /Waiting for: receiver administrator \(receiver-admin\) and tenant administrator\s+\(tenant-admin\)/,
    );

    // each party runs exactly the command the closed gate prints, from the project root it names (where people
    // work and commit, not the stack directory terraform runs in)
    const root = /To confirm \(from (\S+)\):/.exec(closed.output)?.[1];
    assert.equal(root, world.dir, 'the gate names the project root to run the command from');
    for (const party of ['receiver-admin', 'tenant-admin']) {
      const printed = new RegExp(`${party} runs: cpi-renewal (confirm .*)$`, 'm').exec(closed.output)?.[1];
      assert.ok(printed, `the closed gate tells the ${party} what to run:\n${closed.output}`);
      const args = printed.replace('"<your name>"', `e2e-${party}`).split(' ');
      const confirmed = await world.cpiRenewal(args, root);
      assert.equal(confirmed.code, 0, confirmed.output);
      const planned = await plan('stop-sending');
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
    const applied = await applyPlan('stop-sending');
    assert.equal(applied.code, 0, applied.output);
    stopped = Date.now();
    assert.deepEqual((await world.snapshot()).iflows, [], 'no runtime artifact is left');
    await awaitArrivals(world, stopped, 5);
    // taken once later messages are logged, so that every message that arrived before the stop is counted
    countersWhenStopped = await world.counters();
    const meanwhile = messagesArrivedBetween(world.messages(), stopped);
    assert.deepEqual(outcomes(meanwhile), { 'not-sent': meanwhile.length });
    assert.ok(meanwhile.every((m) => m.certificateFingerprint === null && m.receiverStatus === null));
  });

  test('exchange-certificate: the gate is open now that the iFlow is undeployed; the alias holds the new certificate', async () => {
    await planAndApply('exchange-certificate');
    assert.equal((await world.snapshot()).aliasFingerprint, newFingerprint);
  });

  test('switch-receiver-key: the receiver decrypts with the new key; the old one is retired and kept 90 days', async () => {
    await planAndApply('switch-receiver-key');
    const keys = (await world.snapshot()).keys;
    const old = keys.find((k) => k.name === DEMO_WORLD.oldKeyName);
    assert.equal(keys.find((k) => k.name === DEMO_WORLD.newKeyName)?.state, 'active');
    assert.equal(old?.state, 'retired');
    assert.ok(old.retiredAt && old.retainUntil);
    assert.ok(Date.parse(old.retainUntil) - Date.parse(old.retiredAt) >= 90 * DAY_MS, `kept until ${old.retainUntil}`);
  });

  test('resume-sending: the probe opens the gate; after the redeploy the tenant sends with the new fingerprint and the receiver accepts it', async () => {
    resuming = Date.now();
    assert.deepEqual(
      await world.counters(),
      countersWhenStopped,
      'the receiver got nothing while the iFlow was undeployed',
    );
    await planAndApply('resume-sending');
    const resumed = Date.now();
    assert.deepEqual(
      (await world.snapshot()).iflows.map((i) => [i.id, i.status]),
      [[DEMO_WORLD.iflowId, 'STARTED']],
    );
    await awaitArrivals(world, resumed, 10);
    const sinceResumed = messagesArrivedBetween(world.messages(), resumed);
    assert.deepEqual(outcomes(sinceResumed), { delivered: sinceResumed.length });
    assert.ok(sinceResumed.every((m) => m.certificateFingerprint === newFingerprint));
    const counters = await world.counters();
    assert.ok((counters[newFingerprint]?.decrypted ?? 0) >= sinceResumed.length, JSON.stringify(counters));
  });

  test('cleanup: its plan fails while retention lasts, a destroy of the old key is refused, and the key stays', async () => {
    const closed = await world.terraform('cleanup', ['plan', '-input=false']);
    assert.equal(closed.code, 1, closed.output);
    assert.match(closed.output, /gate "cleanup" of renewal "orders-2026" is closed/);
    assert.match(closed.output, /Waiting for: receiver administrator \(receiver-admin\)/);
    assert.match(closed.output, /not_before/);

    const list = await world.terraform('switch-receiver-key', ['state', 'list']);
    const oldKeyAddress = /^cpi_receiver_key\.old-key\S*$/m.exec(list.output)?.[0];
    assert.ok(oldKeyAddress, list.output);
    const destroy = await world.terraform('switch-receiver-key', [
      'destroy',
      '-auto-approve',
      '-input=false',
      `-target=${oldKeyAddress}`,
    ]);
    assert.notEqual(destroy.code, 0, destroy.output);
    assert.match(destroy.output, /CPI_RECEIVER_KEY_RETAINED/);
    assert.match(destroy.output, /key "orders-2025" is retained until/);
    assert.equal((await key(DEMO_WORLD.oldKeyName))?.state, 'retired', 'the old key is still kept');
  });

  test('over the whole renewal no message was refused, and none was sent while the iFlow was undeployed', async () => {
    await world.traffic.stop();
    const messages = world.messages();
    assert.ok(messages.length >= 100, `traffic flowed during the renewal (${messages.length} messages)`);
    const counts = outcomes(messages);
    assert.equal(counts.refused, undefined, JSON.stringify(counts));
    assert.equal(counts['receiver-unreachable'], undefined, JSON.stringify(counts));
    const undeployed = messagesArrivedBetween(messages, stopped, resuming);
    assert.ok(undeployed.length > 0);
    assert.deepEqual(outcomes(undeployed), { 'not-sent': undeployed.length }, 'nothing sent while undeployed');

    const counters = await world.counters();
    const refused = Object.values(counters).reduce(
      (s, c) => s + Object.values(c.refused).reduce((a, b) => a + b, 0),
      0,
    );
    assert.equal(refused, 0, JSON.stringify(counters));
    assert.equal(
      decryptedTotal(counters),
      counts.delivered,
      'the receiver decrypted every message the tenant delivered',
    );
    for (const fingerprint of [oldFingerprint, newFingerprint]) {
      const delivered = messages.filter((m) => m.certificateFingerprint === fingerprint && m.outcome === 'delivered');
      assert.ok(delivered.length > 0, `messages were delivered encrypted for ${fingerprint}`);
      assert.equal(counters[fingerprint]?.decrypted, delivered.length, `decrypted with the key of ${fingerprint}`);
    }
  });
});
