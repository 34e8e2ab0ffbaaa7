// The alias rule as a pure decision: while an iFlow that uses the alias is deployed the receiver holds an active key
// for the certificate under the alias, and a key is not deleted within the retention after the alias last held it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAliasChange, type AliasObservation, type AliasVerdict } from '../../src/provider/alias-invariant';

const NOW = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;
const OLD = 'AA:01';
const NEW = 'BB:02';
const seen = (over: Partial<AliasObservation> = {}): AliasObservation => ({
  alias: 'orders_enc',
  fingerprintSha256: OLD,
  users: [{ iflowId: 'Orders', status: 'STARTED' }],
  receiverKeys: [
    { name: 'old', state: 'active', fingerprintSha256: OLD },
    { name: 'new', state: 'retired', fingerprintSha256: NEW },
  ],
  ...over,
});
const code = (v: AliasVerdict) => (v.ok ? 'ok' : v.code);

describe('decideAliasChange', { timeout: 10_000 }, () => {
  describe('exchanging the certificate under the alias', () => {
    test('is refused while an iFlow is deployed and the new key is not active (single-key before undeploy)', () => {
      const verdict = decideAliasChange(seen(), { kind: 'exchange', toFingerprintSha256: NEW }, NOW);
      assert.equal(code(verdict), 'CPI_ALIAS_EXCHANGE_UNSAFE');
      assert.ok(!verdict.ok, '!verdict.ok');
      assert.match(verdict.detail, /"Orders" \(STARTED\)/);
      assert.match(verdict.detail, /"new" retired sha256=BB:02/);
    });
    test('is allowed once no iFlow using the alias is deployed (single-key after undeploy)', () => {
      assert.equal(
        code(decideAliasChange(seen({ users: [] }), { kind: 'exchange', toFingerprintSha256: NEW }, NOW)),
        'ok',
      );
    });
    test('is allowed while deployed when the new key is active (overlap)', () => {
      const keys = [
        { name: 'old', state: 'active', fingerprintSha256: OLD },
        { name: 'new', state: 'active', fingerprintSha256: NEW },
      ];
      assert.equal(
        code(decideAliasChange(seen({ receiverKeys: keys }), { kind: 'exchange', toFingerprintSha256: NEW }, NOW)),
        'ok',
      );
    });
    test('without a receiver to look at it passes, flagged as unverified', () => {
      const verdict = decideAliasChange(
        seen({ receiverKeys: undefined }),
        { kind: 'exchange', toFingerprintSha256: NEW },
        NOW,
      );
      assert.ok(
        verdict.ok && verdict.unverified?.includes('sha256=BB:02'),
        "verdict.ok && verdict.unverified?.includes('sha256=BB:02')",
      );
    });
  });

  test('removing the alias is refused while a deployed iFlow uses it, allowed when none does', () => {
    const refused = decideAliasChange(seen(), { kind: 'remove' }, NOW);
    assert.equal(code(refused), 'CPI_ALIAS_IN_USE');
    assert.ok(
      !refused.ok && /"Orders" \(STARTED\)/.test(refused.detail),
      '!refused.ok && /"Orders" \\(STARTED\\)/.test(refused.detail)',
    );
    assert.equal(code(decideAliasChange(seen({ users: [] }), { kind: 'remove' }, NOW)), 'ok');
  });

  describe('retiring a receiver key', () => {
    const retire = (name: string, fp: string) => ({
      kind: 'deactivate-key' as const,
      keyName: name,
      fingerprintSha256: fp,
    });
    test('is refused for the key under the alias while an iFlow using it is deployed', () => {
      assert.equal(code(decideAliasChange(seen(), retire('old', OLD), NOW)), 'CPI_RECEIVER_KEY_IN_USE');
    });
    test('is allowed once the alias holds another certificate, or no iFlow is deployed', () => {
      assert.equal(code(decideAliasChange(seen({ fingerprintSha256: NEW }), retire('old', OLD), NOW)), 'ok');
      assert.equal(code(decideAliasChange(seen({ users: [] }), retire('old', OLD), NOW)), 'ok');
    });
    test('an unrelated key may be retired even while the alias is broken by drift', () => {
      const drifted = seen({ receiverKeys: [{ name: 'new', state: 'active', fingerprintSha256: NEW }] });
      assert.equal(code(decideAliasChange(drifted, retire('new', NEW), NOW)), 'ok');
    });
  });

  describe('deleting a receiver key', () => {
    const del = (over: { lastHeld?: Date; reason?: string; fp?: string } = {}) => ({
      kind: 'delete-key' as const,
      keyName: 'old',
      fingerprintSha256: over.fp ?? OLD,
      aliasLastHeldAt: over.lastHeld,
      retentionDays: 90,
      earlyDestructionReason: over.reason,
    });
    test('is refused while the alias holds its certificate and an iFlow uses it, even with an early reason', () => {
      assert.equal(code(decideAliasChange(seen(), del({ reason: 'compromised' }), NOW)), 'CPI_RECEIVER_KEY_IN_USE');
    });
    test('is refused within the retention counted from when the alias last held it', () => {
      const verdict = decideAliasChange(
        seen({ fingerprintSha256: NEW }),
        del({ lastHeld: new Date(NOW.getTime() - 89 * DAY) }),
        NOW,
      );
      assert.equal(code(verdict), 'CPI_RECEIVER_KEY_RETAINED');
      assert.ok(
        !verdict.ok && verdict.detail.includes('2026-09-03T00:00:00.000Z'),
        "!verdict.ok && verdict.detail.includes('2026-09-03T00:00:00.000Z')",
      );
    });
    test('the alias holding it now counts as "last held now", deployed iFlows or not', () => {
      assert.equal(code(decideAliasChange(seen({ users: [] }), del(), NOW)), 'CPI_RECEIVER_KEY_RETAINED');
    });
    test('is allowed after the retention, or with an early destruction reason when the alias moved on', () => {
      const moved = seen({ fingerprintSha256: NEW });
      assert.equal(code(decideAliasChange(moved, del({ lastHeld: new Date(NOW.getTime() - 91 * DAY) }), NOW)), 'ok');
      assert.equal(code(decideAliasChange(moved, del({ lastHeld: NOW, reason: 'compromised' }), NOW)), 'ok');
      assert.equal(code(decideAliasChange(moved, del(), NOW)), 'ok', 'never under the alias: nothing to retain for');
    });
  });

  describe('deploying an iFlow that uses the alias', () => {
    test('is refused when the receiver has no active key for the certificate under the alias', () => {
      const keys = [{ name: 'old', state: 'retired', fingerprintSha256: OLD }];
      const verdict = decideAliasChange(
        seen({ users: [], receiverKeys: keys }),
        { kind: 'deploy', iflowId: 'Orders' },
        NOW,
      );
      assert.equal(code(verdict), 'CPI_IFLOW_DEPLOY_UNSAFE');
      assert.ok(
        !verdict.ok && /"Orders" \(to be deployed\)/.test(verdict.detail) === false,
        '!verdict.ok && /"Orders" \\(to be deployed\\)/.test(verdict.detail) === false',
      );
      assert.ok(
        !verdict.ok && verdict.detail.includes('sha256=AA:01'),
        "!verdict.ok && verdict.detail.includes('sha256=AA:01')",
      );
    });
    test('is refused when the alias holds no certificate', () => {
      const verdict = decideAliasChange(
        seen({ users: [], fingerprintSha256: undefined }),
        { kind: 'deploy', iflowId: 'Orders' },
        NOW,
      );
      assert.equal(code(verdict), 'CPI_IFLOW_DEPLOY_UNSAFE');
    });
    test('is allowed when the key for the certificate under the alias is active', () => {
      assert.equal(code(decideAliasChange(seen({ users: [] }), { kind: 'deploy', iflowId: 'Orders' }, NOW)), 'ok');
    });
  });
});
