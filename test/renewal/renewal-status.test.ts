// Status as a table of situations: a single-key renewal's stacks as synth writes them, states as Terraform records
// them, and the live gate check, at a fixed clock. Each row says which condition every stage is in and why.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GateEvaluation } from '../../src/renewal/evidence';
import {
  gateToCheck,
  parseGoDuration,
  parseState,
  renewalStatus,
  renewalsInManifest,
  synthesizedStage,
  type LiveGateCheck,
  type RecordedState,
  type SynthesizedRenewal,
} from '../../src/renewal/renewal-status';
import { renewalStages, stageStackName, type RenewalVariant } from '../../src/renewal/stages';

const ID = 'acme-2026';
const NOW = new Date('2026-03-01T10:00:00.000Z');
const FP = 'AB:'.repeat(31) + 'AB';
const ROOT = '/home/ops/renewal'; // a made-up checkout: the stacks and states below are given, not read from disk
const stackDir = (name: string) => `${ROOT}/cdktf.out/stacks/${name}`;
const statePath = (name: string) => `${ROOT}/state/${name}.tfstate`;
const stack = (index: number, name: string) => `${ID}-${index}-${name}`;
const S1 = stack(1, 'prepare-receiver');
const S3 = stack(3, 'exchange-certificate');
const S4 = stack(4, 'switch-receiver-key');
const REMOTE1 = `cross-stack-reference-input-${S1}`;
const REMOTE3 = `cross-stack-reference-input-${S3}`;
const FP_REF = `\${data.terraform_remote_state.${REMOTE1}.outputs.cross-stack-output-new-key-fingerprint}`;
const PEM_REF = `\${data.terraform_remote_state.${REMOTE1}.outputs.cross-stack-output-new-key-pem}`;
const RETENTION_REF = `\${timeadd(data.terraform_remote_state.${REMOTE3}.outputs.cross-stack-output-exchanged-at, "2160h")}`;

function gate(name: string, extra: Record<string, unknown>) {
  return {
    '//': { metadata: { path: `x/${name}` } },
    renewal_id: ID,
    gate: name,
    confirmations_dir: `../../../renewals/${ID}/confirmations`,
    mode: 'all',
    ...extra,
  };
}

/** The resources and gate of each single-key stage, shaped as the renewal construct synthesizes them. */
const SINGLE_KEY: Record<
  string,
  { resources: Record<string, Record<string, unknown>>; remote?: string; state?: string }
> = {
  'prepare-receiver': { resources: { cpi_receiver_key: { 'new-key': { key_name: 'new', state: 'retired' } } } },
  'stop-sending': {
    remote: S1,
    resources: {
      cpi_renewal_gate: {
        'gate-stop-sending': gate('stop-sending', {
          waits_for: ['receiver-admin', 'tenant-admin'],
          action: 'both administrators confirm the downtime window and the window has begun',
          confirmation: [
            { party: 'receiver-admin', fingerprint_sha256: FP_REF },
            { party: 'tenant-admin', fingerprint_sha256: FP_REF },
          ],
          not_before: '2026-03-01T09:00:00Z',
        }),
      },
      cpi_iflow_deployment: { 'iflow-A': { iflow_id: 'A', deployed: false } },
    },
  },
  'exchange-certificate': {
    remote: S1,
    resources: {
      cpi_renewal_gate: {
        'gate-exchange-certificate': gate('exchange-certificate', {
          waits_for: ['integration-developer'],
          iflow_state: { iflow_ids: ['A'], state: 'undeployed' },
        }),
      },
      cpi_keystore_certificate: { certificate: { alias: 'enc', certificate_pem: PEM_REF } },
      terraform_data: { 'exchanged-at': {} },
    },
  },
  'switch-receiver-key': {
    remote: S1,
    resources: {
      cpi_renewal_gate: {
        'gate-switch-receiver-key': gate('switch-receiver-key', {
          waits_for: ['tenant-admin'],
          tenant_alias: { alias: 'enc', fingerprint_sha256: FP_REF },
        }),
      },
      cpi_receiver_key: { 'new-key': { state: 'active' }, 'old-key': { state: 'retired' } },
    },
  },
  'resume-sending': {
    remote: S1,
    resources: {
      cpi_renewal_gate: {
        'gate-resume-sending': gate('resume-sending', {
          waits_for: ['receiver-admin'],
          probe: { certificate_pem: PEM_REF, receiver: { kind: 'embedded', url: 'http://127.0.0.1:1' } },
        }),
      },
      cpi_iflow_deployment: { 'iflow-A': { iflow_id: 'A', deployed: true } },
    },
  },
  cleanup: {
    remote: S3,
    state: S4, // the cleanup continues the retiring stage's state
    resources: {
      cpi_renewal_gate: {
        'gate-cleanup': gate('cleanup', { waits_for: ['receiver-admin'], not_before: RETENTION_REF }),
      },
      cpi_receiver_key: { 'new-key': { state: 'active' } },
    },
  },
};

function stackJson(name: string, spec: (typeof SINGLE_KEY)[string]) {
  return {
    terraform: { backend: { local: { path: `../../../state/${spec.state ?? name}.tfstate` } } },
    provider: { cpi: [{}] },
    ...(spec.remote
      ? {
          data: {
            terraform_remote_state: {
              [`cross-stack-reference-input-${spec.remote}`]: {
                backend: 'local',
                config: { path: `../../../state/${spec.remote}.tfstate` },
              },
            },
          },
        }
      : {}),
    resource: spec.resources,
  };
}

function singleKeyRenewal(): SynthesizedRenewal {
  return {
    renewalId: ID,
    variant: 'single-key',
    stages: renewalStages('single-key').map((stage) => {
      const name = stageStackName(ID, stage);
      return synthesizedStage(stage, name, stackDir(name), stackJson(name, SINGLE_KEY[stage.name]!));
    }),
  };
}

/** The state Terraform writes once a stage is applied: its resources, its gate's record, its outputs. */
function appliedState(stageName: string, openedAt = '2026-03-01T08:00:00.000Z'): Record<string, unknown> {
  const resources = Object.entries(SINGLE_KEY[stageName]!.resources).flatMap(([type, byName]) =>
    Object.keys(byName).map((name) => ({
      mode: 'managed',
      type,
      name,
      instances: [
        {
          attributes:
            type === 'cpi_renewal_gate' ? { opened_at: openedAt, evidence: [`evidence of ${stageName}`] } : {},
        },
      ],
    })),
  );
  const outputs: Record<string, unknown> =
    stageName === 'prepare-receiver'
      ? {
          'cross-stack-output-new-key-fingerprint': { value: FP, sensitive: true },
          'cross-stack-output-new-key-pem': { value: '-----BEGIN CERTIFICATE-----\n', sensitive: true },
          new_fingerprint_sha256: { value: FP, type: 'string' },
        }
      : stageName === 'exchange-certificate'
        ? {
            'cross-stack-output-exchanged-at': { value: '2026-03-01T08:30:00Z', sensitive: true },
            exchanged_at: { value: '2026-03-01T08:30:00Z' },
          }
        : {};
  return { version: 4, outputs, resources };
}

/** States after the first `n` stages of single-key were applied (the cleanup writes into stage 4's file). */
function statesAfter(n: number, tweak?: (states: Map<string, RecordedState>) => void): Map<string, RecordedState> {
  const states = new Map<string, RecordedState>();
  const stages = renewalStages('single-key').slice(0, n);
  for (const stage of stages) {
    const file = statePath(SINGLE_KEY[stage.name]!.state ?? stageStackName(ID, stage));
    const json = appliedState(stage.name);
    if (stage.name === 'cleanup') {
      // The cleanup's apply drops the retiring stage's gate and old key from the shared state.
      const kept = appliedState('cleanup');
      states.set(file, parseState(kept, file));
    } else states.set(file, parseState(json, file));
  }
  tweak?.(states);
  return states;
}

function evaluated(open: boolean, satisfied: GateEvaluation['satisfied'], missing: string[]): LiveGateCheck {
  return {
    kind: 'evaluated',
    evaluation: { open, satisfied, missing, now: NOW, confirmationFile: '/x.json' },
    toConfirm: open
      ? []
      : [{ party: 'tenant-admin', command: 'cpi-renewal confirm --party tenant-admin …', file: 'x.json' }],
  };
}

const conditions = (states: Map<string, RecordedState>, live?: LiveGateCheck) =>
  renewalStatus(singleKeyRenewal(), states, live, NOW).stages.map((s) => s.condition);

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
      evaluated(
        false,
        [{ kind: 'not_before', text: 'not_before: passed' }],
        ['a confirmation by receiver-admin', 'a confirmation by tenant-admin'],
      ),
      ['applied', 'blocked', 'pending', 'pending', 'pending', 'pending'],
      /^blocked: waiting for the receiver administrator and tenant administrator$/,
    ],
    [
      'after stage 1, an open gate makes stage 2 ready for the integration developer',
      1,
      evaluated(true, [{ kind: 'confirmation', text: 'confirmation: receiver-admin …' }], []),
      ['applied', 'ready', 'pending', 'pending', 'pending', 'pending'],
      /^ready: the integration developer can apply it \(gate open now\)$/,
    ],
    [
      'after stage 4, the probe failing blocks resume-sending on the receiver administrator',
      4,
      evaluated(false, [], ['the receiver decrypts a probe …; it did not decrypt']),
      ['applied', 'applied', 'applied', 'applied', 'blocked', 'pending'],
      /^blocked: waiting for the receiver administrator$/,
    ],
    [
      'after stage 5, only the clock holds the cleanup: blocked until retention ends',
      5,
      evaluated(false, [], ['the time 2026-05-30T08:30:00.000Z (not_before); it is now …']),
      ['applied', 'applied', 'applied', 'applied', 'applied', 'blocked'],
      /^blocked until 2026-05-30T08:30:00Z \(retention ends\)$/,
    ],
    [
      'after the cleanup, every stage is applied (the retiring stage through the state the cleanup continues)',
      6,
      undefined,
      ['applied', 'applied', 'applied', 'applied', 'applied', 'applied'],
      /^applied \(gate opened 2026-03-01T08:00:00.000Z\)$/,
    ],
  ];
  for (const [name, applied, live, expected, nextSummary] of rows) {
    test(name, () => {
      const status = renewalStatus(singleKeyRenewal(), statesAfter(applied), live, NOW);
      assert.deepEqual(
        status.stages.map((s) => s.condition),
        expected,
      );
      const focus = status.next ? status.stages[status.next.index - 1]! : status.stages.at(-1)!;
      assert.match(focus.summary, nextSummary);
      assert.equal(status.checkedAt, NOW.toISOString());
    });
  }

  test('a blocked stage names who, what they must do, what is missing and the confirm commands', () => {
    const live = evaluated(false, [], ['a confirmation by receiver-admin for the certificate …; none found']);
    const stage = renewalStatus(singleKeyRenewal(), statesAfter(1), live, NOW).stages[1]!;
    assert.deepEqual(stage.waitingFor, ['receiver-admin', 'tenant-admin']);
    assert.equal(stage.action, 'both administrators confirm the downtime window and the window has begun');
    assert.deepEqual(stage.missing, ['a confirmation by receiver-admin for the certificate …; none found']);
    assert.equal(stage.toConfirm[0]?.party, 'tenant-admin');
    assert.deepEqual(stage.notBefore, { at: '2026-03-01T09:00:00Z', meaning: 'the downtime window begins' });
  });

  test('an applied stage shows when its gate opened, the recorded evidence and the values it published', () => {
    const status = renewalStatus(singleKeyRenewal(), statesAfter(3), evaluated(true, [], []), NOW);
    const [prepare, , exchange] = status.stages;
    assert.deepEqual(prepare!.outputs, { new_fingerprint_sha256: FP }, 'sensitive cross-stack outputs stay hidden');
    assert.equal(exchange!.openedAt, '2026-03-01T08:00:00.000Z');
    assert.deepEqual(exchange!.evidence, ['evidence of exchange-certificate']);
    assert.deepEqual(exchange!.outputs, { exchanged_at: '2026-03-01T08:30:00Z' });
  });

  test('the cleanup shows when retention ends as soon as the exchange is applied, while still pending', () => {
    const pending = renewalStatus(singleKeyRenewal(), statesAfter(3), evaluated(true, [], []), NOW).stages[5]!;
    assert.equal(pending.condition, 'pending');
    assert.deepEqual(pending.notBefore, { at: '2026-05-30T08:30:00Z', meaning: 'retention ends' });
    const before = renewalStatus(singleKeyRenewal(), statesAfter(2), evaluated(true, [], []), NOW).stages[5]!;
    assert.equal(before.notBefore, undefined, 'unknown before the exchange');
  });

  test('after the cleanup the retiring stage says its record moved to the cleanup', () => {
    const status = renewalStatus(singleKeyRenewal(), statesAfter(6), undefined, NOW);
    assert.equal(status.next, undefined);
    assert.match(status.stages[3]!.notes.join(), /stage 6 cleanup continues this stage's state/);
    assert.deepEqual(
      status.stages[5]!.notes,
      [],
      'the retiring stage\'s resources do not make the cleanup "partly applied"',
    );
  });

  test('a stage whose gate opened but whose apply stopped half-way is ready, with the record and a note', () => {
    const states = statesAfter(2, (s) => {
      const file = statePath(S3);
      const json = appliedState('exchange-certificate', '2026-03-01T09:30:00.000Z');
      json.resources = (json.resources as { type: string }[]).filter((r) => r.type === 'cpi_renewal_gate');
      s.set(file, parseState(json, file));
    });
    assert.equal(gateToCheck(singleKeyRenewal(), states), undefined, 'a recorded gate is not evaluated again');
    const stage = renewalStatus(singleKeyRenewal(), states, undefined, NOW).stages[2]!;
    assert.equal(stage.condition, 'ready');
    assert.equal(stage.openedAt, '2026-03-01T09:30:00.000Z');
    assert.match(
      stage.notes.join(),
      /partly applied: cpi_keystore_certificate.certificate, terraform_data.exchanged-at not in state yet/,
    );
  });

  test('a gate that could not be checked blocks, saying why', () => {
    const stage = renewalStatus(
      singleKeyRenewal(),
      statesAfter(1),
      { kind: 'failed', detail: 'CPI_GATE_CONFIRMATION_MALFORMED: …' },
      NOW,
    ).stages[1]!;
    assert.equal(stage.condition, 'blocked');
    assert.deepEqual(stage.missing, ['the gate cannot be checked: CPI_GATE_CONFIRMATION_MALFORMED: …']);
  });

  test('stages applied out of order count as applied; pending is only for stages after the first gap', () => {
    assert.deepEqual(
      conditions(statesAfter(1, (s) => s.set(statePath(S3), parseState(appliedState('exchange-certificate'), 'x')))),
      ['applied', 'blocked', 'applied', 'pending', 'pending', 'pending'],
    );
  });
});

describe('gateToCheck', () => {
  test("resolves the next gate's cross-stack inputs from the earlier stage's recorded outputs", () => {
    const check = gateToCheck(singleKeyRenewal(), statesAfter(1));
    assert.equal(check?.stage.stackName, stack(2, 'stop-sending'));
    assert.deepEqual(check.unresolved, []);
    const confirmations = check.config.confirmation as { fingerprint_sha256: string }[];
    assert.deepEqual(
      confirmations.map((c) => c.fingerprint_sha256),
      [FP, FP],
    );
    assert.equal('//' in check.config, false);
  });

  test("the cleanup's not_before is the exchange time plus the retention, as Terraform's timeadd computes it", () => {
    const check = gateToCheck(singleKeyRenewal(), statesAfter(5));
    assert.equal(check?.config.not_before, '2026-05-30T08:30:00Z');
  });

  test('an input whose stage has no state yet stays unresolved, naming that stage', () => {
    const states = statesAfter(1);
    states.delete(statePath(S1));
    states.set(
      statePath(S1),
      parseState({ version: 4, outputs: {}, resources: appliedState('prepare-receiver').resources }, 'x'),
    );
    const check = gateToCheck(singleKeyRenewal(), states);
    assert.match(check!.unresolved[0]!, /output "cross-stack-output-new-key-fingerprint" of stage 1 prepare-receiver/);
    const stage = renewalStatus(singleKeyRenewal(), states, undefined, NOW).stages[1]!;
    assert.equal(stage.condition, 'blocked');
    assert.match(stage.missing[0]!, /^the gate cannot be checked: it needs the output/);
  });

  test('nothing to check before the first stage (it has no gate) and after the last', () => {
    assert.equal(gateToCheck(singleKeyRenewal(), statesAfter(0)), undefined);
    assert.equal(gateToCheck(singleKeyRenewal(), statesAfter(6)), undefined);
  });
});

describe('reading what synth and Terraform wrote', () => {
  const manifest = (names: string[]) => ({ stacks: Object.fromEntries(names.map((n) => [n, {}])) });
  const stacksOf = (id: string, variant: RenewalVariant) => renewalStages(variant).map((s) => stageStackName(id, s));

  test('renewalsInManifest recognises each renewal and its variant by its stage stacks', () => {
    const found = renewalsInManifest(
      manifest([...stacksOf('a-2026', 'overlap'), ...stacksOf('b-2026', 'single-key'), 'unrelated-stack']),
      'm',
    );
    assert.deepEqual(found, [
      { renewalId: 'a-2026', variant: 'overlap' },
      { renewalId: 'b-2026', variant: 'single-key' },
    ]);
    assert.deepEqual(renewalsInManifest(manifest(stacksOf('a', 'overlap').slice(0, 2)), 'm'), [], 'incomplete');
    assert.throws(
      () => renewalsInManifest({ version: '0.21.0' }, 'cdktf.out/manifest.json'),
      /CPI_STATUS_NO_RENEWAL.*manifest\.json/,
    );
  });

  test('synthesizedStage resolves the local state path from the stack directory and refuses other backends', () => {
    const stage = renewalStages('overlap')[0]!;
    const s = synthesizedStage(stage, S1, stackDir(S1), stackJson(S1, SINGLE_KEY['prepare-receiver']!));
    assert.equal(s.statePath, statePath(S1));
    assert.deepEqual(s.resources, ['cpi_receiver_key.new-key']);
    assert.throws(
      () => synthesizedStage(stage, S1, stackDir(S1), { terraform: { backend: { pg: {} } }, resource: {} }),
      /CPI_STATUS_STACK_UNREADABLE.*"pg" backend/,
    );
  });

  test('parseState keeps managed resources with instances, gate records and outputs; refuses other formats', () => {
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
            instances: [{ attributes: { opened_at: 't', evidence: ['e'] } }],
          },
        ],
      },
      's',
    );
    assert.deepEqual(state.resources, ['cpi_renewal_gate.g']);
    assert.deepEqual(state.gates, { 'cpi_renewal_gate.g': { openedAt: 't', evidence: ['e'] } });
    assert.deepEqual(state.outputs, { a: { value: 'x', sensitive: true } });
    assert.throws(
      () => parseState({ version: 3, resources: [] }, 'old.tfstate'),
      /CPI_STATUS_STATE_UNREADABLE: .*old\.tfstate .*version 3/,
    );
  });

  test('parseGoDuration reads the durations timeadd takes', () => {
    const cases: [string, number | undefined][] = [
      ['2160h', 2160 * 3_600_000],
      ['1h30m', 5_400_000],
      ['-10s', -10_000],
      ['1.5h', 5_400_000],
      ['250ms', 250],
      ['90d', undefined],
      ['', undefined],
    ];
    for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
  });
});
