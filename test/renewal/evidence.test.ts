// Collecting a gate's evidence from fake sources: each kind is asked for only when required, a failing source
// becomes a reason (not a crash) so another alternative can still open the gate, and confirmations are read
// from `<dir>/<gate>.json` and checked against the renewal, gate, fingerprint and clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { ConfirmationFile } from '../../src/renewal/confirmation';
import { evaluateGate, type EvidenceSources } from '../../src/renewal/evidence';
import type { GateFacts, GateRequirement, GateSpec } from '../../src/renewal/gate';
import { evidenceLines, missingLines } from '../../src/renewal/gate-report';

const NEW = 'AB:'.repeat(31) + 'AB';
const OLD = 'CD:'.repeat(31) + 'CD';
const NOW = new Date('2026-03-01T10:00:00Z');
const receiver = { kind: 'embedded', url: 'http://127.0.0.1:1' } as const;

function sources(overrides: Partial<EvidenceSources> = {}, calls: string[] = []): EvidenceSources {
  return {
    now: () => NOW,
    readConfirmations: (path) => {
      calls.push(`file ${path}`);
      return undefined;
    },
    probe: async (_r, pem) => {
      calls.push(`probe ${pem}`);
      return { decrypted: true, keyFingerprintSha256: NEW, detail: 'decrypted' };
    },
    tenantAliasFingerprint: async (alias) => {
      calls.push(`alias ${alias}`);
      return NEW;
    },
    iflowStatus: async (id) => {
      calls.push(`iflow ${id}`);
      return undefined;
    },
    ...overrides,
  };
}

const FACTS: GateFacts = {
  renewalId: 'acme-2026',
  confirmationsDir: 'renewals/acme-2026/confirmations',
  alias: 'receiver_enc',
  newCertificate: { pem: 'PEM', fingerprintSha256: NEW },
  iflowIds: ['A', 'B'],
  receiver,
};
const gate = (mode: GateSpec['mode'], ...requirements: GateRequirement[]): GateSpec => ({
  name: 'exchange-certificate',
  waitsFor: ['receiver-admin', 'tenant-admin'],
  mode,
  requirements,
});

describe('evaluateGate', () => {
  test('asks only the sources the gate requires', async () => {
    const calls: string[] = [];
    const result = await evaluateGate(
      gate('any', { kind: 'tenant_alias', certificate: 'new' }),
      FACTS,
      sources({}, calls),
    );
    assert.deepEqual(calls, ['alias receiver_enc']);
    assert.equal(result.open, true);
    assert.deepEqual(
      result.results.map((r) => [r.requirement.kind, r.holds]),
      [['tenant_alias', true]],
    );
    assert.equal(result.now, NOW);
  });

  test('reads <dir>/<gate>.json and counts a matching confirmation', async () => {
    const calls: string[] = [];
    const file: ConfirmationFile = {
      confirmations: [
        {
          renewalId: 'acme-2026',
          gate: 'exchange-certificate',
          fingerprintSha256: NEW,
          party: 'receiver-admin',
          person: 'Jane Roe',
          confirmedAt: new Date('2026-03-01T09:00:00Z'),
        },
        {
          renewalId: 'acme-2026',
          gate: 'exchange-certificate',
          fingerprintSha256: OLD,
          party: 'tenant-admin',
          person: 'Max Muster',
          confirmedAt: new Date('2026-03-01T09:00:00Z'),
        },
      ],
    };
    const spec = gate(
      'all',
      { kind: 'confirmation', party: 'receiver-admin' },
      { kind: 'confirmation', party: 'tenant-admin' },
    );
    const result = await evaluateGate(spec, FACTS, sources({ readConfirmations: (p) => (calls.push(p), file) }));
    assert.deepEqual(calls, [resolve('renewals/acme-2026/confirmations/exchange-certificate.json')]);
    assert.equal(result.open, false);
    assert.match(evidenceLines(result.results)[0]!, /receiver-admin \(Jane Roe\)/);
    assert.match(missingLines(result.results).join('\n'), /tenant-admin .*Max Muster.*confirmed the certificate CD:CD/);
  });

  test('an unreachable receiver is a reason, and a confirmation still opens an any-gate', async () => {
    const file: ConfirmationFile = {
      confirmations: [
        {
          renewalId: 'acme-2026',
          gate: 'exchange-certificate',
          fingerprintSha256: NEW,
          party: 'receiver-admin',
          person: 'Jane Roe',
          confirmedAt: NOW,
        },
      ],
    };
    const spec = gate('any', { kind: 'probe' }, { kind: 'confirmation', party: 'receiver-admin' });
    const failing = sources({
      probe: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      readConfirmations: () => file,
    });
    const open = await evaluateGate(spec, FACTS, failing);
    assert.equal(open.open, true);
    assert.match(missingLines(open.results).join('\n'), /could not be probed: connect ECONNREFUSED/);
    const closed = await evaluateGate(gate('any', { kind: 'probe' }), FACTS, failing);
    assert.equal(closed.open, false);
  });

  test('a tenant error on one iFlow keeps an undeployed-gate closed, naming the iFlow', async () => {
    const spec = gate('all', { kind: 'iflow_state', state: 'undeployed' });
    const result = await evaluateGate(
      spec,
      FACTS,
      sources({
        iflowStatus: async (id) =>
          id === 'B' ? Promise.reject(new Error('CPI_TENANT_FORBIDDEN: no role')) : undefined,
      }),
    );
    assert.equal(result.open, false);
    assert.match(missingLines(result.results)[0]!, /"B" could not be read: CPI_TENANT_FORBIDDEN/);
  });

  test("not_before is checked against the sources' clock", async () => {
    const spec = gate(
      'any',
      { kind: 'not_before', moment: 'window_start' },
      { kind: 'tenant_alias', certificate: 'new' },
    );
    const facts = { ...FACTS, windowStart: new Date('2026-03-01T10:00:01Z') };
    assert.equal((await evaluateGate(spec, facts, sources())).open, false);
    assert.equal(
      (await evaluateGate(spec, facts, sources({ now: () => new Date('2026-03-01T10:00:01Z') }))).open,
      true,
    );
  });

  test('a malformed confirmation file is an error, not a closed gate', async () => {
    const spec = gate('all', { kind: 'confirmation', party: 'receiver-admin' });
    const { parseConfirmationFile } = await import('../../src/renewal/confirmation');
    await assert.rejects(
      evaluateGate(spec, FACTS, sources({ readConfirmations: (p) => parseConfirmationFile('{', p) })),
      /CPI_GATE_CONFIRMATION_MALFORMED/,
    );
  });
});
