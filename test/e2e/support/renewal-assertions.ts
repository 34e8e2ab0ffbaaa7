// What every end-to-end renewal checks, whichever runner (cdktf or plain terraform) drives it: the synthesized
// stacks and runbook, closed gates that name gate and party, refused stages that change nothing, confirmations
// written with the very command a closed gate prints, the old key kept for the retention period and its removal
// refused, and a receiver that decrypted every delivered message with the key it was encrypted for.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_RENEWAL_ID, DEMO_WORLD } from '../../../src/demo/renewal-demo';
import type { KeyCounters } from '../../../src/emulator/receiver-emulator';
import type { MessageRecord } from '../../../src/emulator/message-log';
import {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  type ListedKey,
  type RenewalWorld,
  type WorldSnapshot,
} from './renewal-world';

const DAY_MS = 86_400_000;
/** SAP's rule: old keys are kept at least 90 days after the exchange. */
export const RETENTION_MS = 90 * DAY_MS;

/** The receiver key named `name`, as the receiver lists it now. */
export async function receiverKey(world: RenewalWorld, name: string): Promise<ListedKey | undefined> {
  return (await world.snapshot()).keys.find((k) => k.name === name);
}

/** Synth wrote one stack per stage and a runbook that names every stage and its stack. */
export function assertStacksAndRunbook(world: RenewalWorld): void {
  const runbook = join(world.outdir, `RUNBOOK-${DEMO_RENEWAL_ID}.md`);
  assert.ok(existsSync(runbook), 'the runbook is written on synth');
  const text = readFileSync(runbook, 'utf8');
  for (const stage of world.stages) {
    assert.ok(existsSync(join(world.stackDir(stage.name), 'cdk.tf.json')), `stack of ${stage.name}`);
    assert.ok(text.includes(stage.name), `the runbook names stage ${stage.name}`);
    assert.ok(text.includes(world.stackName(stage.name)), `the runbook names stack ${world.stackName(stage.name)}`);
  }
}

/**
 * The closed-gate diagnostic of `gate` names the gate and who it waits for (`waitingFor` as printed, e.g.
 * `tenant administrator (tenant-admin)`; terraform wraps long lines inside its diagnostic box, so a space also matches
 * a line break and the box's `│`), and nothing
 * was applied.
 */
export function assertGateClosed(run: { code: number; output: string }, gate: string, waitingFor: string): void {
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, new RegExp(`gate "${gate}" of renewal "${DEMO_RENEWAL_ID}" is closed`));
  const who = waitingFor.replace(/[()]/g, '\\$&').replace(/ /g, '[\\s│]+');
  assert.match(run.output, new RegExp(`Waiting for:[\\s│]+${who}`));
  assert.doesNotMatch(run.output, /Apply complete/);
}

/**
 * After refused stages: tenant alias, iFlows and receiver keys are as in `untouched`, and the messages that arrived
 * since `since` (epoch ms) were all delivered, i.e. traffic still flows as before.
 */
export async function assertChangedNothing(
  world: RenewalWorld,
  untouched: WorldSnapshot,
  since: number,
): Promise<void> {
  assert.deepEqual(await world.snapshot(), untouched, 'tenant alias, iFlows and receiver keys are unchanged');
  await awaitArrivals(world, since, 5);
  const meanwhile = messagesArrivedBetween(world.messages(), since);
  assert.deepEqual(outcomes(meanwhile), { delivered: meanwhile.length }, 'traffic still flows as before');
}

/**
 * Runs, in `party`'s name, exactly the `cpi-renewal confirm` command the closed gate printed in `closedOutput`, from
 * the project root it names (where people work and commit, not the stack directory terraform runs in).
 */
export async function confirmAsPrinted(world: RenewalWorld, closedOutput: string, party: string): Promise<void> {
  const root = /To confirm \(from (\S+)\):/.exec(closedOutput)?.[1];
  assert.equal(root, world.dir, `the gate names the project root to run the command from:\n${closedOutput}`);
  const printed = new RegExp(`${party} runs: cpi-renewal (confirm .*)$`, 'm').exec(closedOutput)?.[1];
  assert.ok(printed, `the closed gate tells the ${party} what to run:\n${closedOutput}`);
  const args = printed.trim().replace('"<your name>"', `e2e-${party}`).split(' ');
  const confirmed = await world.cpiRenewal(args, root);
  assert.equal(confirmed.code, 0, confirmed.output);
}

/** The old key is retired (no longer decrypts) and kept at least 90 days from its retirement. */
export async function assertOldKeyKept(world: RenewalWorld): Promise<void> {
  const old = await receiverKey(world, DEMO_WORLD.oldKeyName);
  assert.equal(old?.state, 'retired', JSON.stringify(old));
  assert.ok(old.retiredAt && old.retainUntil, JSON.stringify(old));
  assert.ok(Date.parse(old.retainUntil) - Date.parse(old.retiredAt) >= RETENTION_MS, `kept until ${old.retainUntil}`);
}

/**
 * A targeted `terraform destroy` of the old key in `stage`'s stack (bypassing the cleanup stage) is refused by the
 * provider under retention, and the receiver still holds the key, retired.
 */
export async function assertOldKeyRemovalRefused(world: RenewalWorld, stage: string): Promise<void> {
  const list = await world.terraform(stage, ['state', 'list']);
  const oldKeyAddress = /^cpi_receiver_key\.old-key\S*$/m.exec(list.output)?.[0];
  assert.ok(oldKeyAddress, `the ${stage} stack manages the old key:\n${list.output}`);
  const destroy = await world.terraform(stage, [
    'destroy',
    '-auto-approve',
    '-input=false',
    `-target=${oldKeyAddress}`,
  ]);
  assert.notEqual(destroy.code, 0, destroy.output);
  assert.match(destroy.output, /CPI_RECEIVER_KEY_RETAINED/);
  assert.match(destroy.output, new RegExp(`key "${DEMO_WORLD.oldKeyName}" is retained until`));
  assert.equal((await receiverKey(world, DEMO_WORLD.oldKeyName))?.state, 'retired', 'the old key is still kept');
}

/** Messages the receiver refused, over all keys. */
export function refusedTotal(counters: Record<string, KeyCounters>): number {
  return Object.values(counters).reduce((sum, c) => sum + Object.values(c.refused).reduce((a, b) => a + b, 0), 0);
}

/**
 * The receiver refused nothing, decrypted exactly the messages the tenant delivered, and for each of
 * `fingerprints` (old and new certificate) decrypted with that certificate's key exactly the messages the tenant
 * delivered encrypted for it, at least one each.
 */
export function assertReceiverDecryptedEachWithItsKey(
  counters: Record<string, KeyCounters>,
  messages: readonly MessageRecord[],
  fingerprints: readonly string[],
): void {
  assert.equal(refusedTotal(counters), 0, JSON.stringify(counters));
  const decrypted = Object.values(counters).reduce((sum, c) => sum + c.decrypted, 0);
  const delivered = messages.filter((m) => m.outcome === 'delivered');
  assert.equal(decrypted, delivered.length, 'the receiver decrypted every message the tenant delivered');
  for (const fingerprint of fingerprints) {
    const sent = delivered.filter((m) => m.certificateFingerprint === fingerprint).length;
    assert.ok(sent > 0, `messages were delivered encrypted for ${fingerprint}`);
    assert.equal(counters[fingerprint]?.decrypted, sent, `decrypted with the key of ${fingerprint}`);
  }
}

/**
 * Once the iFlow is undeployed (at `since`, epoch ms), every message that arrives is answered without being sent:
 * no certificate is used and the receiver is not called. Returns the receiver's counters, taken once later
 * messages are logged so that every message that arrived before `since` is counted in them.
 */
export async function assertNothingSentSince(world: RenewalWorld, since: number): Promise<Record<string, KeyCounters>> {
  await awaitArrivals(world, since, 5);
  const counters = await world.counters();
  const meanwhile = messagesArrivedBetween(world.messages(), since);
  assert.deepEqual(outcomes(meanwhile), { 'not-sent': meanwhile.length });
  assert.ok(
    meanwhile.every((m) => m.certificateFingerprint === null && m.receiverStatus === null),
    'meanwhile.every((m) => m.certificateFingerprint === null && m.receiverStatus === null)',
  );
  return counters;
}

/**
 * After the redeploy (ended at `since`, epoch ms) the iFlow runs, every message is encrypted for `fingerprint` and
 * delivered, and the receiver decrypted them with that certificate's key.
 */
export async function assertResumedWith(world: RenewalWorld, since: number, fingerprint: string): Promise<void> {
  assert.deepEqual(
    (await world.snapshot()).iflows.map((i) => [i.id, i.status]),
    [[DEMO_WORLD.iflowId, 'STARTED']],
  );
  await awaitArrivals(world, since, 10);
  const sinceResumed = messagesArrivedBetween(world.messages(), since);
  assert.deepEqual(outcomes(sinceResumed), { delivered: sinceResumed.length });
  assert.ok(
    sinceResumed.every((m) => m.certificateFingerprint === fingerprint),
    'sinceResumed.every((m) => m.certificateFingerprint === fingerprint)',
  );
  const counters = await world.counters();
  assert.ok((counters[fingerprint]?.decrypted ?? 0) >= sinceResumed.length, JSON.stringify(counters));
}

/**
 * Over a whole single-key renewal (traffic stopped): enough traffic flowed, no message was refused or failed to
 * reach the receiver, none was sent between `undeployed` and `redeploying` (epoch ms), and the receiver decrypted
 * each delivered message with the key it was encrypted for (`fingerprints`: old and new).
 */
export async function assertSingleKeyTraffic(
  world: RenewalWorld,
  undeployed: number,
  redeploying: number,
  fingerprints: readonly string[],
): Promise<void> {
  const messages = world.messages();
  assert.ok(messages.length >= 100, `traffic flowed during the renewal (${messages.length} messages)`);
  const counts = outcomes(messages);
  assert.equal(counts.refused, undefined, JSON.stringify(counts));
  assert.equal(counts['receiver-unreachable'], undefined, JSON.stringify(counts));
  const whileUndeployed = messagesArrivedBetween(messages, undeployed, redeploying);
  assert.ok(whileUndeployed.length > 0, 'whileUndeployed.length > 0');
  assert.deepEqual(outcomes(whileUndeployed), { 'not-sent': whileUndeployed.length }, 'nothing sent while undeployed');
  assertReceiverDecryptedEachWithItsKey(await world.counters(), messages, fingerprints);
}

/**
 * Over a whole overlap renewal (traffic stopped): enough traffic flowed, every message was delivered, and the
 * receiver decrypted each with the key it was encrypted for (`fingerprints`: old and new).
 */
export async function assertOverlapTraffic(world: RenewalWorld, fingerprints: readonly string[]): Promise<void> {
  const messages = world.messages();
  assert.ok(messages.length >= 100, `traffic flowed during the renewal (${messages.length} messages)`);
  assert.deepEqual(outcomes(messages), { delivered: messages.length });
  assertReceiverDecryptedEachWithItsKey(await world.counters(), messages, fingerprints);
}
