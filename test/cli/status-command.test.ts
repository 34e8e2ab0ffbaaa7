// `cpi-renewal status` during real renewals of both variants: the demo's world and renewal, real terraform per
// stage. After every step status must say what the next apply will find: a stage it calls ready applies, one it
// calls blocked names the party and the evidence the gate lacks, and an applied stage shows the evidence its gate
// recorded. Both variants run at once on the one renewal harness; single-key, with stacks the user renamed, stops
// after the exchange: overlap carries the renewal to the cleanup, and between them every evidence kind opens a gate
// once.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_RENEWAL_ID } from '../../src/demo/renewal-demo';
import { renewalStatuses } from '../../src/cli/status-command';
import { writeConfirmation } from '../../src/renewal/confirmation';
import type { RenewalStatus, StageStatus } from '../../src/renewal/renewal-status';
import type { RenewalVariant, StageName } from '../../src/renewal/stages';
import { type Party } from '../../src/renewal/party';
import { RenewalHarness } from '../support/renewal-harness';

const RENAMED: Readonly<Partial<Record<StageName, string>>> = {
  'prepare-receiver': 'orders-keys',
  'stop-sending': 'orders-pause',
  'exchange-certificate': 'orders-swap',
  'switch-receiver-key': 'orders-switch',
  'resume-sending': 'orders-resume',
  cleanup: 'orders-cleanup',
};
const DAY_MS = 86_400_000;

/** A renewal on the harness, with what this file does to it: status, apply a stage, confirm a gate. */
class Renewal {
  private constructor(readonly harness: RenewalHarness) {}

  static async start(variant: RenewalVariant): Promise<Renewal> {
    // Single-key runs with stacks the user renamed: status finds them through the manifest, not by their names.
    const harness = await RenewalHarness.start({
      variant,
      ...(variant === 'single-key' ? { stackNames: RENAMED } : {}),
    });
    // init needs no evidence: every stack before the first apply, as a pipeline's checkout job would
    await harness.synthAndInit();
    return new Renewal(harness);
  }

  async status(): Promise<RenewalStatus> {
    const { outdir, env, dir } = this.harness;
    return (await renewalStatuses({ outdir, renewal: DEMO_RENEWAL_ID, env, cwd: dir }))[0]!;
  }

  async apply(stage: string): Promise<void> {
    const run = await this.harness.terraform(stage, ['apply', '-input=false', '-auto-approve']);
    assert.equal(run.code, 0, `apply of ${stage}:\n${run.output}`);
  }

  confirm(gate: string, party: Party, fingerprint: string): void {
    writeConfirmation(this.harness.confirmationsDir, {
      renewalId: DEMO_RENEWAL_ID,
      gate,
      fingerprintSha256: fingerprint,
      party,
      person: `test ${party}`,
      confirmedAt: new Date(),
    });
  }

  /** The CLI as a user runs it (the bundle; `npm test` builds it first). */
  cli(args: string[]) {
    return this.harness.cpiRenewal(['status', '--outdir', this.harness.outdir, ...args], this.harness.dir);
  }
}

const conditions = (status: RenewalStatus) => status.stages.map((s) => `${s.name}:${s.condition}`);
const stage = (status: RenewalStatus, name: string): StageStatus => status.stages.find((s) => s.name === name)!;

describe('cpi-renewal status through a real renewal', { concurrency: 2 }, () => {
  const renewals: Renewal[] = [];
  after(async () => {
    await Promise.all(renewals.map((r) => r.harness.close()));
  });

  test('overlap: ready, applied with evidence, the cleanup held until retention ends', async () => {
    const r = await Renewal.start('overlap');
    renewals.push(r);

    let status = await r.status();
    assert.deepEqual(conditions(status), [
      'prepare-receiver:ready',
      'exchange-certificate:pending',
      'retire-old-key:pending',
      'cleanup:pending',
    ]);

    await r.apply('prepare-receiver');
    status = await r.status();
    const fingerprint = stage(status, 'prepare-receiver').outputs.new_fingerprint_sha256!;
    assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'stage 1 shows the new fingerprint it published');
    // the receiver decrypts with old and new key: the probe passes and the tenant administrator may exchange
    const exchange = stage(status, 'exchange-certificate');
    assert.equal(exchange.condition, 'ready', JSON.stringify(exchange));
    assert.match(
      exchange.evidence.join('\n'),
      new RegExp(`^probe: the receiver decrypted a canary encrypted for ${fingerprint}`),
    );
    assert.deepEqual(status.next, { index: 2, name: 'exchange-certificate', condition: 'ready' });

    await r.apply('exchange-certificate');
    status = await r.status();
    const exchanged = stage(status, 'exchange-certificate');
    assert.equal(exchanged.condition, 'applied');
    assert.ok(exchanged.openedAt, 'the gate opening is read from state');
    assert.match(exchanged.evidence.join('\n'), /^probe: /, 'the evidence recorded at apply');
    const retire = stage(status, 'retire-old-key');
    assert.equal(retire.condition, 'ready');
    assert.match(retire.evidence.join('\n'), new RegExp(`tenant_alias: "receiver_encryption" holds ${fingerprint}`));
    const exchangedAt = exchanged.outputs.exchanged_at!;
    const retentionEnd = new Date(Date.parse(exchangedAt) + 90 * DAY_MS).toISOString().replace('.000Z', 'Z');
    assert.deepEqual(stage(status, 'cleanup').notBefore, { at: retentionEnd, meaning: 'retention ends' });

    await r.apply('retire-old-key');
    status = await r.status();
    assert.deepEqual(conditions(status), [
      'prepare-receiver:applied',
      'exchange-certificate:applied',
      'retire-old-key:applied',
      'cleanup:blocked',
    ]);
    assert.equal(stage(status, 'cleanup').summary, `blocked until ${retentionEnd} (retention ends)`);

    // The CLI prints the same as JSON, and exits 2: the next stage is blocked (docs/cli.md).
    const json = await r.cli(['--renewal', DEMO_RENEWAL_ID, '--json']);
    assert.equal(json.code, 2, json.stderr);
    const printed = JSON.parse(json.stdout) as RenewalStatus;
    assert.deepEqual(conditions(printed), conditions(status));
    assert.equal(stage(printed, 'cleanup').summary, `blocked until ${retentionEnd} (retention ends)`);

    // What status says, terraform does: the cleanup's plan is refused by the same closed gate, naming the same time.
    const plan = await r.harness.terraform('cleanup', ['plan', '-input=false']);
    assert.notEqual(plan.code, 0);
    assert.match(plan.output, /CPI_GATE_CLOSED/);
    assert.match(plan.output, new RegExp(`the time ${new Date(retentionEnd).toISOString()} \\(not_before\\)`));
  });

  test('single-key: stop-sending blocked on both administrators until each confirms; then the iFlow state and the tenant alias open the next gates', async () => {
    const r = await Renewal.start('single-key');
    renewals.push(r);

    await r.apply('prepare-receiver');
    let status = await r.status();
    const fingerprint = stage(status, 'prepare-receiver').outputs.new_fingerprint_sha256!;
    let stop = stage(status, 'stop-sending');
    assert.equal(stop.condition, 'blocked');
    assert.equal(stop.summary, 'blocked: waiting for the receiver administrator and tenant administrator');
    assert.deepEqual(stop.waitingFor, ['receiver-admin', 'tenant-admin']);
    assert.deepEqual(
      stop.toConfirm.map((c) => c.party),
      ['receiver-admin', 'tenant-admin'],
    );
    assert.equal(
      stop.toConfirm[0]!.command,
      `cpi-renewal confirm --renewal ${DEMO_RENEWAL_ID} --gate stop-sending --party receiver-admin --fingerprint ${fingerprint} --person "<your name>"`,
      'run where the renewal lives, the command writes where the gate reads',
    );
    assert.match(stop.evidence.join('\n'), /^not_before: .* has passed/, 'the agreed window has begun');

    r.confirm('stop-sending', 'receiver-admin', fingerprint);
    stop = stage(await r.status(), 'stop-sending');
    assert.equal(stop.condition, 'blocked');
    assert.equal(stop.missing.length, 1);
    assert.match(stop.missing[0]!, /^a confirmation by tenant-admin /);
    assert.match(stop.evidence.join('\n'), /confirmation: receiver-admin \(test receiver-admin\) confirmed/);

    r.confirm('stop-sending', 'tenant-admin', fingerprint);
    assert.equal(stage(await r.status(), 'stop-sending').condition, 'ready');

    await r.apply('stop-sending');
    status = await r.status();
    assert.equal(stage(status, 'stop-sending').evidence.length, 3, 'both confirmations and the window, from state');
    const exchange = stage(status, 'exchange-certificate');
    assert.equal(exchange.condition, 'ready', JSON.stringify(exchange));
    assert.deepEqual(exchange.evidence, ['iflow_state: "EncryptedOrderToReceiver" undeployed']);

    await r.apply('exchange-certificate');
    status = await r.status();
    assert.deepEqual(
      status.stages.map((s) => s.stack),
      Object.values(RENAMED),
      'the stacks as the renewal named them',
    );
    const switchKey = stage(status, 'switch-receiver-key');
    assert.equal(switchKey.condition, 'ready', JSON.stringify(switchKey));
    assert.deepEqual(switchKey.evidence, [`tenant_alias: "receiver_encryption" holds ${fingerprint}`]);
    assert.equal(stage(status, 'resume-sending').condition, 'pending');
    // retention counts from the exchange: known now, though the cleanup is still three stages away
    const cleanup = stage(status, 'cleanup');
    assert.equal(cleanup.condition, 'pending');
    const exchangedAt = Date.parse(stage(status, 'exchange-certificate').outputs.exchanged_at!);
    assert.equal(Date.parse(cleanup.notBefore!.at), exchangedAt + 90 * DAY_MS);

    // The table a user reads: one row per stage, then who must do what.
    const table = await r.cli([]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Renewal orders-2026 \(single-key\), checked at \S+$/m);
    assert.match(table.stdout, /^2 {2}stop-sending {10}integration developer {3}applied \(gate opened \S+\)$/m);
    assert.match(
      table.stdout,
      /^4 {2}switch-receiver-key {3}receiver administrator {2}ready: the receiver administrator can apply it \(gate open now\)$/m,
    );
    assert.match(table.stdout, /^5 {2}resume-sending .* pending: after stage 4 switch-receiver-key$/m);
    assert.match(table.stdout, /^Next: stage 4 switch-receiver-key is ready\.$/m);
    assert.match(table.stdout, /^ {2}retention ends: \S+Z$/m);
  });
});
