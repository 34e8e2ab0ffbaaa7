import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireTime } from '../../constructs/validation';
import { isRfc3339, parseRfc3339 } from '../../src/rules/time';

describe('RFC 3339 times', { timeout: 5_000 }, () => {
  for (const value of [
    '2026-03-01T22:00:00Z',
    '2026-03-01T22:00:00.250Z',
    '2026-03-01T23:00:00+01:00',
    '2028-02-29T00:00:00-05:30',
  ]) {
    test(`accepts ${value}`, () => assert.ok(isRfc3339(value), 'isRfc3339(value)'));
  }
  test('reads the moment, zone applied', () => {
    assert.equal(parseRfc3339('2026-03-01T23:00:00+01:00')?.toISOString(), '2026-03-01T22:00:00.000Z');
  });
  // Each of these passed the constructs' old check, or Date.parse, but not Terraform's timeadd or the confirmation reader.
  for (const value of [
    '2026-03-01T22:00Z',
    '2026-03-01T22:00:00',
    '2026-03-01 22:00:00Z',
    '2026-03-01t22:00:00z',
    '2026-02-30T00:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T22:00:00+25:00',
    '1 March 2026',
    '',
  ]) {
    test(`refuses ${JSON.stringify(value)}`, () => assert.equal(parseRfc3339(value), undefined));
  }
});

describe('constructs and provider read times by the same rule', { timeout: 5_000 }, () => {
  test('synth refuses a time without seconds, which plan would refuse', () => {
    assert.throws(
      () => requireTime('RenewalGate', 'notBefore', '2026-03-01T22:00Z'),
      /CPI_CONSTRUCTS_PROPS_INVALID.*notBefore is "2026-03-01T22:00Z"; expected an RFC 3339 time with seconds/,
    );
    assert.equal(requireTime('RenewalGate', 'notBefore', '2026-03-01T22:00:00Z'), '2026-03-01T22:00:00Z');
  });
});
