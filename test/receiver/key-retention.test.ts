import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeletable, minimumRetainUntil, retainUntilFor } from '../../src/receiver/key-retention';
import { validateKeyName } from '../../src/rules/receiver-key';

const retiredAt = new Date('2026-01-10T12:00:00Z');
const DAY = 86_400_000;

describe('key retention', () => {
  test('defaults retainUntil to exactly 90 days after retirement', () => {
    assert.equal(retainUntilFor(retiredAt, undefined).toISOString(), '2026-04-10T12:00:00.000Z');
    assert.equal(minimumRetainUntil(retiredAt).getTime() - retiredAt.getTime(), 90 * DAY);
  });

  test('accepts a longer retention and refuses one a second short of 90 days, naming both times', () => {
    const later = new Date(retiredAt.getTime() + 200 * DAY);
    assert.equal(retainUntilFor(retiredAt, later), later);
    assert.throws(
      () => retainUntilFor(retiredAt, new Date(retiredAt.getTime() + 90 * DAY - 1000)),
      (e: Error & { code?: string }) =>
        e.code === 'CPI_RECEIVER_RETENTION_TOO_SHORT' &&
        /2026-04-10T11:59:59/.test(e.message) &&
        /2026-01-10T12:00:00/.test(e.message),
    );
  });

  const cases: { name: string; check: Parameters<typeof checkDeletable>[0]; refused: boolean }[] = [
    {
      name: 'retired, retention over',
      check: { name: 'k', state: 'retired', retainUntil: retiredAt, now: new Date(retiredAt.getTime() + 1) },
      refused: false,
    },
    {
      name: 'retired, under retention',
      check: { name: 'k', state: 'retired', retainUntil: retiredAt, now: new Date(retiredAt.getTime() - 1) },
      refused: true,
    },
    {
      name: 'retired, under retention, with a reason',
      check: {
        name: 'k',
        state: 'retired',
        retainUntil: retiredAt,
        now: new Date(0),
        earlyDestructionReason: 'compromised',
      },
      refused: false,
    },
    {
      name: 'retired, under retention, blank reason',
      check: { name: 'k', state: 'retired', retainUntil: retiredAt, now: new Date(0), earlyDestructionReason: '  ' },
      refused: true,
    },
    { name: 'active', check: { name: 'k', state: 'active', now: new Date() }, refused: true },
    {
      name: 'active with a reason',
      check: { name: 'k', state: 'active', now: new Date(), earlyDestructionReason: 'never handed out' },
      refused: false,
    },
  ];
  for (const c of cases) {
    test(`deletion ${c.refused ? 'is refused' : 'is allowed'}: ${c.name}`, () => {
      if (c.refused) assert.throws(() => checkDeletable(c.check), { code: 'CPI_RECEIVER_KEY_RETAINED' });
      else assert.doesNotThrow(() => checkDeletable(c.check));
    });
  }
});

describe('key names', () => {
  for (const ok of ['receiver-2026', 'a', 'orders.enc_2', '0key']) {
    test(`accepts ${ok}`, () => assert.doesNotThrow(() => validateKeyName(ok)));
  }
  for (const bad of ['', 'Receiver', '-x', 'a/b', 'a b', 'x'.repeat(65), 'ü']) {
    test(`refuses ${JSON.stringify(bad)}`, () =>
      assert.throws(() => validateKeyName(bad), { code: 'CPI_RECEIVER_KEY_NAME_INVALID' }));
  }
});
