// The gate decision as a table: every evidence kind held and not held, both modes, not_before ANDed in both, and
// the boundary instants.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Confirmation } from '../../src/renewal/confirmation';
import { normalizeFingerprint } from '../../src/rules/fingerprint';
import type { GateFacts, GateRequirement } from '../../src/renewal/gate';
import { decideGate, GateReason, type GateObservations } from '../../src/renewal/gate-decision';

const NEW = 'AB:'.repeat(31) + 'AB';
const OLD = 'CD:'.repeat(31) + 'CD';
const NOW = new Date('2026-03-01T10:00:00.000Z');
const ms = (delta: number) => new Date(NOW.getTime() + delta);

const confirmation = (party: Confirmation['party'], fingerprint = NEW): Confirmation => ({
  renewalId: 'acme-2026',
  gate: 'exchange-certificate',
  fingerprintSha256: fingerprint,
  party,
  person: 'Jane Roe',
  confirmedAt: ms(-60_000),
});

const receiverConfirms: GateRequirement = { kind: 'confirmation', party: 'receiver-admin' };
const tenantConfirms: GateRequirement = { kind: 'confirmation', party: 'tenant-admin' };
const probe: GateRequirement = { kind: 'probe' };
const alias: GateRequirement = { kind: 'tenant_alias', certificate: 'new' };
const undeployed: GateRequirement = { kind: 'iflow_state', state: 'undeployed' };
const started: GateRequirement = { kind: 'iflow_state', state: 'started' };
const windowStart: GateRequirement = { kind: 'not_before', moment: 'window_start' };

const FACTS: GateFacts = {
  renewalId: 'acme-2026',
  confirmationsDir: 'renewals/acme-2026/confirmations',
  alias: 'receiver_enc',
  newCertificate: { fingerprintSha256: NEW },
  oldFingerprintSha256: OLD,
  iflowIds: ['A', 'B'],
  windowStart: NOW,
};
// The table varies one moment, the window start: each not_before requirement carries the start it stands for.
const WINDOW = new Map<GateRequirement, Date>();
const notBefore = (at: Date): GateRequirement => {
  const requirement: GateRequirement = { ...windowStart };
  WINDOW.set(requirement, at);
  return requirement;
};
const factsFor = (requirements: readonly GateRequirement[]): GateFacts => ({
  ...FACTS,
  windowStart: requirements.map((r) => WINDOW.get(r)).find((at) => at !== undefined) ?? NOW,
});

const held: GateObservations = {
  confirmations: { valid: [confirmation('receiver-admin'), confirmation('tenant-admin')], rejected: [] },
  probe: { decrypted: true, keyFingerprintSha256: NEW, detail: 'decrypted with key new-2026' },
  tenantAlias: { fingerprintSha256: NEW },
  iflows: { A: {}, B: {} },
};

describe('decideGate', () => {
  const cases: [string, readonly GateRequirement[], 'all' | 'any', GateObservations, Date, boolean, RegExp?][] = [
    ['a confirmation of the party for the certificate opens', [receiverConfirms], 'all', held, NOW, true],
    [
      'no confirmation keeps it closed',
      [receiverConfirms],
      'all',
      {},
      NOW,
      false,
      /confirmation by receiver-admin .*none found/,
    ],
    [
      'a confirmation by another party does not count',
      [receiverConfirms],
      'all',
      { confirmations: { valid: [confirmation('tenant-admin')], rejected: [] } },
      NOW,
      false,
      /receiver-admin/,
    ],
    [
      'a confirmation for another certificate does not count',
      [receiverConfirms],
      'all',
      { confirmations: { valid: [confirmation('receiver-admin', OLD)], rejected: [] } },
      NOW,
      false,
    ],
    [
      'a rejected confirmation is named with its reason',
      [receiverConfirms],
      'all',
      {
        confirmations: {
          valid: [],
          rejected: [{ confirmation: confirmation('receiver-admin'), reason: 'confirmed gate "x"' }],
        },
      },
      NOW,
      false,
      /found but not counted: confirmed gate "x"/,
    ],
    ['a successful probe opens', [probe], 'all', held, NOW, true],
    [
      'a probe that did not decrypt keeps it closed',
      [probe],
      'all',
      { probe: { decrypted: false, detail: 'CPI_WSS_NO_MATCHING_KEY' } },
      NOW,
      false,
      /did not decrypt: CPI_WSS_NO_MATCHING_KEY/,
    ],
    [
      'a probe decrypted by another key keeps it closed',
      [probe],
      'all',
      { probe: { decrypted: true, keyFingerprintSha256: OLD, detail: 'ok' } },
      NOW,
      false,
      /decrypted with the key of CD:/,
    ],
    [
      'an unreachable receiver keeps it closed, saying why',
      [probe],
      'all',
      { probe: { decrypted: false, detail: '', error: 'ECONNREFUSED' } },
      NOW,
      false,
      /could not be probed: ECONNREFUSED/,
    ],
    ['the alias holding the fingerprint opens', [alias], 'all', held, NOW, true],
    [
      'the alias holding the fingerprint in another spelling opens',
      [alias],
      'all',
      { tenantAlias: { fingerprintSha256: NEW.replace(/:/g, '').toLowerCase() } },
      NOW,
      true,
    ],
    [
      'the alias holding the old certificate keeps it closed',
      [alias],
      'all',
      { tenantAlias: { fingerprintSha256: OLD } },
      NOW,
      false,
      /it holds CD:/,
    ],
    ['an alias without entry keeps it closed', [alias], 'all', { tenantAlias: {} }, NOW, false, /no entry/],
    ['every iFlow undeployed opens', [undeployed], 'all', held, NOW, true],
    [
      'one iFlow still deployed keeps it closed',
      [undeployed],
      'all',
      { iflows: { A: {}, B: { status: 'STARTED' } } },
      NOW,
      false,
      /"B" is deployed \(STARTED\)/,
    ],
    ['an iFlow not read keeps it closed', [undeployed], 'all', { iflows: { A: {} } }, NOW, false, /"B" was not read/],
    [
      'every iFlow STARTED opens a started gate',
      [started],
      'all',
      { iflows: { A: { status: 'STARTED' }, B: { status: 'STARTED' } } },
      NOW,
      true,
    ],
    [
      'an iFlow in ERROR keeps a started gate closed',
      [started],
      'all',
      { iflows: { A: { status: 'ERROR' } } },
      NOW,
      false,
      /"A" is ERROR/,
    ],
    [
      'an undeployed iFlow keeps a started gate closed',
      [started],
      'all',
      { iflows: { A: {} } },
      NOW,
      false,
      /"A" is undeployed/,
    ],
    ['not_before exactly now opens', [notBefore(NOW)], 'all', {}, NOW, true],
    [
      'not_before one millisecond ahead keeps it closed',
      [notBefore(ms(1))],
      'all',
      {},
      NOW,
      false,
      /2026-03-01T10:00:00.001Z \(not_before\)/,
    ],
    ['not_before alone opens in any mode once passed', [notBefore(ms(-1))], 'any', {}, NOW, true],
    [
      'all: every requirement must hold',
      [probe, receiverConfirms],
      'all',
      { ...held, probe: { decrypted: false, detail: 'no' } },
      NOW,
      false,
    ],
    ['all: opens when every requirement holds', [probe, receiverConfirms, tenantConfirms], 'all', held, NOW, true],
    [
      'any: one alternative suffices',
      [probe, receiverConfirms],
      'any',
      { confirmations: held.confirmations },
      NOW,
      true,
    ],
    ['any: closed when no alternative holds', [probe, receiverConfirms], 'any', {}, NOW, false],
    ['any: not_before still must hold', [receiverConfirms, notBefore(ms(1))], 'any', held, NOW, false],
    [
      'all: not_before still must hold',
      [receiverConfirms, tenantConfirms, notBefore(ms(60_000))],
      'all',
      held,
      NOW,
      false,
    ],
    [
      'all: opens once not_before passed too',
      [receiverConfirms, tenantConfirms, notBefore(ms(-60_000))],
      'all',
      held,
      NOW,
      true,
    ],
    ['a gate without requirements never opens', [], 'all', held, NOW, false],
  ];
  for (const [name, requirements, mode, observations, now, open, missing] of cases) {
    test(name, () => {
      const decision = decideGate({ mode, requirements }, factsFor(requirements), observations, now);
      assert.equal(decision.open, open, JSON.stringify(decision));
      assert.equal(decision.results.length, requirements.length, 'one result per requirement');
      const failing = decision.results.filter((r) => !r.holds).map((r) => r.message);
      if (missing) assert.match(failing.join('\n'), missing);
    });
  }

  test('records the evidence that holds, in requirement order, with who and when', () => {
    const requirements = [probe, receiverConfirms, notBefore(ms(-1000))];
    const decision = decideGate({ mode: 'any', requirements }, factsFor(requirements), held, NOW);
    assert.deepEqual(
      decision.results.map((r) => [r.requirement.kind, r.reason]),
      [
        ['probe', GateReason.ProbeDecrypted],
        ['confirmation', GateReason.ConfirmationFound],
        ['not_before', GateReason.MomentPassed],
      ],
    );
    assert.match(
      decision.results[1]!.message,
      /receiver-admin \(Jane Roe\) confirmed AB:AB.* at 2026-03-01T09:59:00.000Z/,
    );
    assert.match(decision.results[2]!.message, /2026-03-01T09:59:59.000Z has passed/);
  });

  test('normalizes fingerprints to colon-separated upper case', () => {
    assert.equal(normalizeFingerprint('abcd'), 'AB:CD');
    assert.equal(normalizeFingerprint('ab:cd'), 'AB:CD');
  });
});

describe('decideGate: evidence beats confirmation, settled gates', () => {
  const retire = { mode: 'any' as const, requirements: [alias, tenantConfirms] };
  const confirmed: GateObservations['confirmations'] = { valid: [confirmation('tenant-admin')], rejected: [] };
  const cases: [string, GateObservations, boolean, string[]][] = [
    [
      'a confirmation opens an any-gate while the alias cannot be read (nothing observed)',
      { confirmations: confirmed, tenantAlias: { error: 'ECONNREFUSED' } },
      true,
      [],
    ],
    [
      'a confirmation does not open it while the alias holds the OLD certificate: contrary evidence wins',
      { confirmations: confirmed, tenantAlias: { fingerprintSha256: OLD } },
      false,
      [GateReason.AliasHoldsOtherCertificate],
    ],
    [
      'nor while the alias has no entry at all',
      { confirmations: confirmed, tenantAlias: {} },
      false,
      [GateReason.AliasEmpty],
    ],
    [
      'the alias holding the new certificate opens it without any confirmation',
      { tenantAlias: { fingerprintSha256: NEW } },
      true,
      [],
    ],
  ];
  for (const [name, observations, open, contrary] of cases) {
    test(name, () => {
      const decision = decideGate(retire, FACTS, observations, NOW);
      assert.equal(decision.open, open, JSON.stringify(decision));
      assert.deepEqual(
        decision.contrary.map((r) => r.reason),
        contrary,
      );
    });
  }

  test('a probe that ran and failed beats a confirmation; an unreachable receiver does not', () => {
    const exchange = { mode: 'any' as const, requirements: [probe, receiverConfirms] };
    const confirmations = { valid: [confirmation('receiver-admin')], rejected: [] };
    const failed = { confirmations, probe: { decrypted: false, detail: 'CPI_WSS_NO_MATCHING_KEY' } };
    assert.equal(decideGate(exchange, FACTS, failed, NOW).open, false);
    const unreachable = { confirmations, probe: { decrypted: false, detail: '', error: 'ECONNREFUSED' } };
    assert.equal(decideGate(exchange, FACTS, unreachable, NOW).open, true);
  });

  test("a settled gate is passable though its requirements no longer hold: the stage's effect holds already", () => {
    const gate = { mode: 'all' as const, requirements: [undeployed], settledBy: [alias] };
    const running = { iflows: { A: { status: 'STARTED' }, B: { status: 'STARTED' } } };
    const before = decideGate(gate, FACTS, { ...running, tenantAlias: { fingerprintSha256: OLD } }, NOW);
    assert.deepEqual([before.open, before.settled], [false, false], 'before the exchange: closed');
    const after = decideGate(gate, FACTS, { ...running, tenantAlias: { fingerprintSha256: NEW } }, NOW);
    assert.deepEqual([after.open, after.settled], [false, true], 'after the exchange: settled');
    assert.equal(after.settledResults[0]!.reason, GateReason.AliasHoldsCertificate);
  });

  test('the same observations decide again each time: an opened gate closes when its evidence goes away', () => {
    const open = decideGate(retire, FACTS, { tenantAlias: { fingerprintSha256: NEW } }, NOW);
    const drifted = decideGate(retire, FACTS, { tenantAlias: { fingerprintSha256: OLD } }, NOW);
    assert.deepEqual([open.open, drifted.open], [true, false]);
  });
});
