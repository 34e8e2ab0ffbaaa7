// The way back's status from parsed state: not started, in progress, rolled back (the completing stage applied and
// the alias holds the old certificate), forward again (the alias moved on since).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRollbackStatus, rollbackStatus, type RollbackStageRecord } from '../../src/renewal/rollback-status';
import type { RecordedState } from '../../src/renewal/renewal-status';
import { rollbackStackName, rollbackStages, type RollbackManifest } from '../../src/renewal/rollback-stages';

const OLD = 'AA:BB';
const NEW = 'CC:DD';

const manifest: RollbackManifest = {
  reason: 'rollback of renewal orders-2026',
  stages: rollbackStages('overlap').map((s) => ({
    index: s.index,
    name: s.name,
    title: s.title,
    party: s.party,
    mirrors: s.mirrors,
    stack: rollbackStackName('orders-2026', s),
    stackDir: `stacks/${rollbackStackName('orders-2026', s)}`,
    ...(s.gate ? { gate: s.gate } : {}),
    ...(s.completes ? { completes: true } : {}),
    ...(s.final ? { final: true } : {}),
  })),
};

const DECLARED: Record<string, string[]> = {
  'reactivate-old-key': ['cpi_receiver_key.old-key'],
  'restore-certificate': ['cpi_renewal_gate.gate', 'cpi_keystore_certificate.certificate'],
  'retire-new-key': ['cpi_renewal_gate.gate', 'cpi_receiver_key.new-key'],
};

/** Records with the first `applied` stages fully in state. */
function records(applied: number): RollbackStageRecord[] {
  return manifest.stages.map((stage, i) => {
    const declared = DECLARED[stage.name]!;
    if (i >= applied) return { stage, declared };
    const state: RecordedState = {
      resources: declared,
      outputs: i === 0 ? { old_fingerprint_sha256: { value: OLD, sensitive: false } } : {},
      gates: stage.gate ? { [stage.gate.name]: { openedAt: '2026-12-04T05:00:00Z', evidence: ['probe'] } } : {},
    };
    return { stage, declared, state };
  });
}

describe('rollbackStatus', { timeout: 10_000 }, () => {
  test('no rollback stack applied: not started', () => {
    assert.equal(rollbackStatus(manifest, records(0), NEW).outcome, 'not started');
  });

  test('the old key reactivated, the certificate not restored yet: in progress', () => {
    const status = rollbackStatus(manifest, records(1), NEW);
    assert.equal(status.outcome, 'in progress');
    assert.equal(status.oldFingerprint, OLD);
    assert.deepEqual(
      status.stages.map((s) => [s.name, s.applied]),
      [
        ['reactivate-old-key', true],
        ['restore-certificate', false],
        ['retire-new-key', false],
      ],
    );
    assert.match(status.stages[2]!.summary, /optional, final/);
  });

  test('the certificate restored and the alias holding the old certificate: rolled back', () => {
    const status = rollbackStatus(manifest, records(2), 'aa:bb');
    assert.equal(status.outcome, 'rolled back');
    assert.match(status.stages[1]!.summary, /applied \(gate opened 2026-12-04T05:00:00Z\)/);
    assert.ok(
      formatRollbackStatus(status).includes('Way back: rolled back'),
      "formatRollbackStatus(status).includes('Way back: rolled back')",
    );
  });

  test('restored once, but the alias holds another certificate now: forward again, naming it', () => {
    const status = rollbackStatus(manifest, records(3), NEW);
    assert.equal(status.outcome, 'forward again');
    assert.match(status.notes.join('\n'), /the alias holds sha256=CC:DD now/);
  });

  test('the alias could not be read: rolled back as recorded, and said so', () => {
    const status = rollbackStatus(manifest, records(2), undefined);
    assert.equal(status.outcome, 'rolled back');
    assert.match(status.notes.join('\n'), /not read/);
  });
});
