// Status as a table of situations: a single-key renewal synthesized by the real construct (its manifest and its
// stacks' declared resources), states as `terraform state pull` prints them, and the live gate check, at a fixed
// clock. Each row says which condition every stage is in and why. What the tests assert is derived by the code
// under test (the gate's action from the stage table, retention from the exchange time, evidence parsed from
// state), not copied from the fixture.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../constructs/cdktf';
import { EncryptionCertificateRenewal } from '../../constructs';
import type { RequirementResult } from '../../src/renewal/gate-decision';
import type { RenewalManifest } from '../../src/renewal/manifest';
import {
  declaredResources,
  gateFacts,
  parseState,
  renewalStatus,
  stageToCheck,
  type LiveGateCheck,
  type ObservedWorld,
  type StageRecord,
} from '../../src/renewal/renewal-status';
import type { StageName } from '../../src/renewal/stages';

const ID = 'acme-2026';
const NOW = new Date('2026-03-01T10:00:00.000Z');
const FP = 'AB:'.repeat(31) + 'AB';
const OLD_FP = 'CD:'.repeat(31) + 'CD';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const EXCHANGED_AT = '2026-03-01T08:30:00Z';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A single-key renewal as the construct synthesizes it, with renamed stacks: status must not care. */
function synthesized(): { manifest: RenewalManifest; declared: Record<string, string[]> } {
  const outdir = mkdtempSync(join(tmpdir(), 'cpi-status-unit-'));
  dirs.push(outdir);
  const app = new App({ outdir });
  new EncryptionCertificateRenewal(app, ID, {
    renewalId: ID,
    variant: 'single-key',
    alias: 'enc',
    iflowIds: ['A'],
    receiver: { kind: 'embedded', url: 'http://127.0.0.1:1' },
    newKey: { name: 'new', subject: 'CN=new' },
    oldKeyName: 'old',
    downtimeWindow: { start: '2026-03-01T09:00:00Z', end: '2026-03-01T11:00:00Z' },
    stackNames: { 'prepare-receiver': 'keys-first', cleanup: 'keys-cleanup' },
  });
  app.synth();
  const manifest = JSON.parse(readFileSync(join(outdir, `renewal-${ID}.json`), 'utf8')) as RenewalManifest;
  const declared = Object.fromEntries(
    manifest.stages.map((s) => {
      const file = join(outdir, s.stackDir, 'cdk.tf.json');
      return [s.name, declaredResources(JSON.parse(readFileSync(file, 'utf8')), file)];
    }),
  );
  return { manifest, declared };
}
const { manifest: MANIFEST, declared: DECLARED } = synthesized();

/** The raw state Terraform holds once a stage is applied: its resources, its gate's record, its outputs. */
function rawState(
  stage: StageName,
  openedAt = '2026-03-01T08:00:00.000Z',
): { version: 4; outputs: object; resources: object[] } {
  const resources = DECLARED[stage]!.map((address) => {
    const [type, name] = address.split('.') as [string, string];
    const attributes =
      type === 'cpi_renewal_gate' ? { gate: stage, opened_at: openedAt, evidence: [`recorded for ${stage}`] } : {};
    return { mode: 'managed', type, name, instances: [{ attributes }] };
  });
  const outputs =
    stage === 'prepare-receiver'
      ? {
          'cross-stack-output-x': { value: FP, sensitive: true },
          new_fingerprint_sha256: { value: FP, type: 'string' },
          new_certificate_pem: { value: PEM, type: 'string' },
          old_fingerprint_sha256: { value: OLD_FP, type: 'string' },
        }
      : stage === 'exchange-certificate'
        ? { exchanged_at: { value: EXCHANGED_AT, type: 'string' } }
        : {};
  return {
    version: 4,
    outputs,
    resources: [{ mode: 'data', type: 'terraform_remote_state', name: 'r', instances: [{}] }, ...resources],
  };
}

/** The records after the first `n` stages were applied (every stage has a state of its own). */
function recordsAfter(n: number): StageRecord[] {
  return MANIFEST.stages.map((stage, i) => {
    const declared = DECLARED[stage.name]!;
    return i >= n ? { stage, declared } : { stage, declared, state: parseState(rawState(stage.name), 's') };
  });
}

function result(kind: 'confirmation' | 'not_before' | 'probe', holds: boolean, message: string): RequirementResult {
  const requirement =
    kind === 'confirmation'
      ? ({ kind, party: 'tenant-admin' } as const)
      : kind === 'not_before'
        ? ({ kind, moment: 'window_start' } as const)
        : ({ kind } as const);
  return { requirement, holds, contrary: false, reason: holds ? 'ConfirmationFound' : 'ConfirmationMissing', message };
}

function evaluated(open: boolean, results: RequirementResult[]): LiveGateCheck {
  return {
    kind: 'evaluated',
    evaluation: {
      open,
      settled: false,
      results,
      settledResults: [],
      contrary: [],
      now: NOW,
      confirmationFile: '/x.json',
    },
    toConfirm: open
      ? []
      : [{ party: 'tenant-admin', command: 'cpi-renewal confirm --party tenant-admin …', file: 'x.json' }],
  };
}

const statusAfter = (n: number, live?: LiveGateCheck) => {
  const records = recordsAfter(n);
  return renewalStatus(MANIFEST, records, gateFacts(MANIFEST, records, '/c'), live, NOW);
};

describe('renewalStatus', () => {
  const rows: [string, number, LiveGateCheck | undefined, string[], RegExp][] = [
    [
      'before anything: stage 1 is ready (no gate), every later stage pending',
      0,
      undefined,
      ['ready', 'pending', 'pending', 'pending', 'pending', 'pending'],
      /^ready: the receiver administrator can apply it \(no gate\)$/,
    ],
    [
      'after stage 1, a closed stop-sending gate blocks stage 2 on both administrators',
      1,
      evaluated(false, [result('not_before', true, 'passed'), result('confirmation', false, 'none')]),
      ['applied', 'blocked', 'pending', 'pending', 'pending', 'pending'],
      /^blocked: waiting for the receiver administrator and tenant administrator$/,
    ],
    [
      'after stage 1, an open gate makes stage 2 ready for the integration developer',
      1,
      evaluated(true, [result('confirmation', true, 'confirmation: …')]),
      ['applied', 'ready', 'pending', 'pending', 'pending', 'pending'],
      /^ready: the integration developer can apply it \(gate open now\)$/,
    ],
    [
      'after stage 4, the probe failing blocks resume-sending on the receiver administrator',
      4,
      evaluated(false, [result('probe', false, 'it did not decrypt')]),
      ['applied', 'applied', 'applied', 'applied', 'blocked', 'pending'],
      /^blocked: waiting for the receiver administrator$/,
    ],
    [
      'after stage 5, only the clock holds the cleanup: blocked until retention ends (exchange + 90 days)',
      5,
      evaluated(false, [
        { ...result('not_before', false, 'ahead'), requirement: { kind: 'not_before', moment: 'retention_end' } },
      ]),
      ['applied', 'applied', 'applied', 'applied', 'applied', 'blocked'],
      /^blocked until 2026-05-30T08:30:00Z \(retention ends\)$/,
    ],
    [
      'after the cleanup, every stage is applied, each by its own state',
      6,
      undefined,
      ['applied', 'applied', 'applied', 'applied', 'applied', 'applied'],
      /^applied \(gate opened 2026-03-01T08:00:00.000Z\)$/,
    ],
  ];
  for (const [name, applied, live, expected, nextSummary] of rows) {
    test(name, () => {
      const status = statusAfter(applied, live);
      assert.deepEqual(
        status.stages.map((s) => s.condition),
        expected,
      );
      const focus = status.next ? status.stages[status.next.index - 1]! : status.stages.at(-1)!;
      assert.match(focus.summary, nextSummary);
      assert.equal(status.checkedAt, NOW.toISOString());
    });
  }

  test('stages carry the stack names the renewal gave them, from the manifest', () => {
    assert.deepEqual(
      statusAfter(0).stages.map((s) => s.stack),
      [
        'keys-first',
        `${ID}-2-stop-sending`,
        `${ID}-3-exchange-certificate`,
        `${ID}-4-switch-receiver-key`,
        `${ID}-5-resume-sending`,
        'keys-cleanup',
      ],
    );
  });

  test("a blocked stage names who, what they must do (from the stage table's gate), what is missing and the confirm commands", () => {
    const live = evaluated(false, [result('confirmation', false, 'a confirmation by tenant-admin …; none found')]);
    const stage = statusAfter(1, live).stages[1]!;
    assert.deepEqual(stage.waitingFor, ['receiver-admin', 'tenant-admin']);
    assert.equal(
      stage.action,
      'the receiver administrator confirms and the tenant administrator confirms and the downtime window has begun',
    );
    assert.deepEqual(stage.missing, ['a confirmation by tenant-admin …; none found [ConfirmationMissing]']);
    assert.equal(stage.toConfirm[0]?.party, 'tenant-admin');
    assert.deepEqual(stage.notBefore, { at: '2026-03-01T09:00:00Z', meaning: 'the downtime window begins' });
  });

  test('an applied stage shows when its gate opened, the evidence parsed from state and the values it published', () => {
    const [prepare, , exchange] = statusAfter(3, evaluated(true, [])).stages;
    assert.deepEqual(
      prepare!.outputs,
      { new_fingerprint_sha256: FP, new_certificate_pem: PEM, old_fingerprint_sha256: OLD_FP },
      'sensitive cross-stack outputs stay hidden',
    );
    assert.equal(exchange!.openedAt, '2026-03-01T08:00:00.000Z');
    assert.deepEqual(exchange!.evidence, ['recorded for exchange-certificate']);
    assert.deepEqual(exchange!.outputs, { exchanged_at: EXCHANGED_AT });
  });

  test('the cleanup shows when retention ends as soon as the exchange is applied, while still pending', () => {
    const pending = statusAfter(3, evaluated(true, [])).stages[5]!;
    assert.equal(pending.condition, 'pending');
    assert.deepEqual(pending.notBefore, { at: '2026-05-30T08:30:00Z', meaning: 'retention ends' });
    assert.equal(statusAfter(2, evaluated(true, [])).stages[5]!.notBefore, undefined, 'unknown before the exchange');
  });

  test('after the cleanup the retiring stage keeps its own gate record, and the cleanup its own', () => {
    const status = statusAfter(6);
    assert.equal(status.next, undefined);
    assert.deepEqual(status.stages[3]!.evidence, ['recorded for switch-receiver-key']);
    assert.deepEqual(status.stages[5]!.evidence, ['recorded for cleanup']);
    assert.deepEqual(
      status.stages.map((s) => s.notes),
      status.stages.map(() => []),
    );
  });

  test('a stage whose gate opened but whose apply stopped half-way is ready, with the record and a note', () => {
    const records = recordsAfter(2);
    const raw = rawState('exchange-certificate', '2026-03-01T09:30:00.000Z');
    raw.resources = raw.resources.filter((r) => (r as { type: string }).type === 'cpi_renewal_gate');
    records[2] = { ...records[2]!, state: parseState(raw, 's') };
    assert.equal(stageToCheck(records), undefined, 'a recorded gate is not evaluated again');
    const stage = renewalStatus(MANIFEST, records, gateFacts(MANIFEST, records, '/c'), undefined, NOW).stages[2]!;
    assert.equal(stage.condition, 'ready');
    assert.equal(stage.openedAt, '2026-03-01T09:30:00.000Z');
    assert.match(stage.notes.join(), /partly applied: cpi_keystore_certificate\.\S+ not in state yet/);
  });

  test('a gate that could not be checked blocks, saying why', () => {
    const stage = statusAfter(1, { kind: 'failed', detail: 'CPI_GATE_CONFIRMATION_MALFORMED: …' }).stages[1]!;
    assert.equal(stage.condition, 'blocked');
    assert.deepEqual(stage.missing, ['the gate cannot be checked: CPI_GATE_CONFIRMATION_MALFORMED: …']);
  });

  test('a state that could not be read is a note, and the stage counts as not applied', () => {
    const records = recordsAfter(0);
    records[0] = { ...records[0]!, stateError: 'keys-first is not initialised' };
    const stage = renewalStatus(MANIFEST, records, gateFacts(MANIFEST, records, '/c'), undefined, NOW).stages[0]!;
    assert.equal(stage.condition, 'ready');
    assert.match(stage.notes.join(), /its state could not be read: keys-first is not initialised/);
  });

  test('stages applied out of order count as applied; pending is only for stages after the first gap', () => {
    const records = recordsAfter(1);
    records[2] = { ...records[2]!, state: parseState(rawState('exchange-certificate'), 's') };
    assert.deepEqual(
      renewalStatus(MANIFEST, records, gateFacts(MANIFEST, records, '/c'), undefined, NOW).stages.map(
        (s) => s.condition,
      ),
      ['applied', 'blocked', 'applied', 'pending', 'pending', 'pending'],
    );
  });
});

describe('gate facts and the stage to check', () => {
  test("the next gate's facts come from the manifest and the earlier stages' outputs", () => {
    const records = recordsAfter(1);
    assert.equal(stageToCheck(records)?.stage.name, 'stop-sending');
    const { facts, unresolved } = gateFacts(MANIFEST, records, '/c');
    assert.deepEqual(facts.newCertificate, { pem: PEM, fingerprintSha256: FP });
    assert.equal(facts.alias, 'enc');
    assert.deepEqual(facts.iflowIds, ['A']);
    assert.equal(facts.windowStart?.toISOString(), '2026-03-01T09:00:00.000Z');
    assert.match(unresolved.join(), /exchange time is published by stage 3 exchange-certificate/);
  });

  test('a fact whose stage has no state yet stays unresolved, naming that stage and its stack', () => {
    const status = statusAfter(0);
    const records = recordsAfter(0);
    assert.match(gateFacts(MANIFEST, records, '/c').unresolved[0]!, /stage 1 prepare-receiver \(stack keys-first\)/);
    assert.equal(status.stages[1]!.condition, 'pending');
    // with stage 1 applied but its outputs gone, stage 2's gate cannot be checked and says why
    const without = recordsAfter(1);
    const raw = rawState('prepare-receiver');
    raw.outputs = {};
    without[0] = { ...without[0]!, state: parseState(raw, 's') };
    const stage = renewalStatus(MANIFEST, without, gateFacts(MANIFEST, without, '/c'), undefined, NOW).stages[1]!;
    assert.equal(stage.condition, 'blocked');
    assert.match(stage.missing[0]!, /^the gate cannot be checked: the new certificate is published by stage 1/);
  });

  test('nothing to check before the first stage (it has no gate) and after the last', () => {
    assert.equal(stageToCheck(recordsAfter(0)), undefined);
    assert.equal(stageToCheck(recordsAfter(6)), undefined);
  });
});

describe('reading what Terraform holds', () => {
  test('parseState keeps managed resources with instances, gate records by gate name and outputs; refuses other formats', () => {
    const state = parseState(
      {
        version: 4,
        outputs: { a: { value: 'x', sensitive: true } },
        resources: [
          { mode: 'data', type: 'terraform_remote_state', name: 'r', instances: [{}] },
          { mode: 'managed', type: 'cpi_receiver_key', name: 'gone', instances: [] },
          {
            mode: 'managed',
            type: 'cpi_renewal_gate',
            name: 'g',
            instances: [{ attributes: { gate: 'cleanup', opened_at: 't', evidence: ['e'] } }],
          },
        ],
      },
      's',
    );
    assert.deepEqual(state.resources, ['cpi_renewal_gate.g']);
    assert.deepEqual(state.gates, { cleanup: { openedAt: 't', evidence: ['e'] } });
    assert.deepEqual(state.outputs, { a: { value: 'x', sensitive: true } });
    assert.throws(
      () => parseState({ version: 3, resources: [] }, 'old.tfstate'),
      /CPI_STATUS_STATE_UNREADABLE: .*old\.tfstate .*version 3/,
    );
  });
});

// State says a stage was applied; the live tenant and receiver say whether its effect still holds. Status never
// calls a stage applied whose effect was undone out of band, and calls the renewal completed only when every stage
// is applied and each effect was seen to hold.
describe('effects of applied stages, checked against the live world', () => {
  /** The world after a whole single-key renewal: alias on the new certificate, new key active, old key gone. */
  const COMPLETED: ObservedWorld = {
    aliasFingerprint: FP,
    keys: [{ name: 'new', state: 'active' }],
    iflows: [{ id: 'A', status: 'STARTED' }],
  };
  const AFTER_SWITCH: ObservedWorld = {
    aliasFingerprint: FP,
    keys: [
      { name: 'new', state: 'active' },
      { name: 'old', state: 'retired' },
    ],
    iflows: [{ id: 'A', status: 'STARTED' }],
  };
  const statusIn = (n: number, world: ObservedWorld | undefined) => {
    const records = recordsAfter(n);
    return renewalStatus(MANIFEST, records, gateFacts(MANIFEST, records, '/c'), undefined, NOW, world);
  };
  const conditions = (n: number, world: ObservedWorld | undefined) => statusIn(n, world).stages.map((s) => s.condition);

  test('every stage applied and every effect seen to hold: the renewal is completed', () => {
    const status = statusIn(6, COMPLETED);
    assert.equal(status.condition, 'completed');
    assert.deepEqual(conditions(6, COMPLETED), ['applied', 'applied', 'applied', 'applied', 'applied', 'applied']);
    assert.match(status.stages[1]!.notes.join(), /superseded by stage resume-sending/);
  });

  test('before the cleanup the renewal is in progress, with no stage undone', () => {
    const status = statusIn(5, AFTER_SWITCH);
    assert.equal(status.condition, 'in-progress');
    assert.deepEqual(conditions(5, AFTER_SWITCH).slice(0, 5), ['applied', 'applied', 'applied', 'applied', 'applied']);
  });

  test('the alias put back to the old certificate by hand after the exchange: the exchange is undone, naming it', () => {
    const status = statusIn(5, { ...AFTER_SWITCH, aliasFingerprint: OLD_FP });
    assert.equal(status.condition, 'undone');
    const exchange = status.stages[2]!;
    assert.equal(exchange.condition, 'undone');
    assert.equal(exchange.seen, `alias "enc" holds the old certificate (SHA-256 ${OLD_FP})`);
    assert.equal(exchange.summary, `undone: ${exchange.seen}`);
    assert.match(exchange.notes.join(), /apply the stage again .* or roll the renewal back/);
    assert.deepEqual(
      status.stages.map((s) => s.condition),
      ['applied', 'applied', 'undone', 'applied', 'applied', 'blocked'],
    );
  });

  test('a certificate that is neither old nor new, or none, under the alias is named as such', () => {
    const other = 'EF:'.repeat(31) + 'EF';
    assert.match(
      statusIn(3, { ...AFTER_SWITCH, aliasFingerprint: other }).stages[2]!.seen!,
      /neither the old nor the new/,
    );
    assert.match(statusIn(3, { ...AFTER_SWITCH, aliasFingerprint: null }).stages[2]!.seen!, /holds no certificate/);
  });

  test('the new key retired by hand after the switch: the switch is undone; the old key active again too', () => {
    const retired = statusIn(5, {
      ...AFTER_SWITCH,
      keys: [
        { name: 'new', state: 'retired' },
        { name: 'old', state: 'retired' },
      ],
    }).stages[3]!;
    assert.equal(retired.condition, 'undone');
    assert.equal(retired.seen, 'new key "new" is retired, not active');
    const reactivated = statusIn(5, {
      ...AFTER_SWITCH,
      keys: [
        { name: 'new', state: 'active' },
        { name: 'old', state: 'active' },
      ],
    }).stages[3]!;
    assert.equal(reactivated.seen, 'old key "old" is active again');
  });

  test('iFlows redeployed by hand while stopped, or undeployed after resuming: those stages are undone', () => {
    const stopped = statusIn(3, { ...AFTER_SWITCH, iflows: [{ id: 'A', status: 'STARTED' }] }).stages[1]!;
    assert.equal(stopped.condition, 'undone');
    assert.equal(stopped.seen, 'deployed again: A (STARTED)');
    const resumed = statusIn(5, { ...AFTER_SWITCH, iflows: [{ id: 'A' }] }).stages[4]!;
    assert.equal(resumed.seen, 'not deployed: A (not deployed)');
  });

  test('a key deleted by hand undoes stage 1; the old key still there after the cleanup undoes the cleanup', () => {
    assert.equal(
      statusIn(1, { ...AFTER_SWITCH, keys: [{ name: 'old', state: 'active' }] }).stages[0]!.condition,
      'undone',
    );
    assert.match(statusIn(6, AFTER_SWITCH).stages[5]!.seen!, /still holds old key "old" \(retired\)/);
  });

  test('a side that could not be read leaves the stage applied with a note, and the renewal unchecked, never completed', () => {
    const status = statusIn(6, { unobserved: ['the receiver keys: CPI_RECEIVER_ADMIN_TOKEN is not set'] });
    assert.equal(status.condition, 'unchecked');
    assert.equal(status.stages[0]!.condition, 'applied');
    assert.match(status.stages[0]!.notes.join(), /its effect was not checked: .*CPI_RECEIVER_ADMIN_TOKEN is not set/);
    assert.equal(statusIn(6, undefined).condition, 'unchecked');
  });
});
