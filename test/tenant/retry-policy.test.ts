import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, parseRetryAfter, retryDelay } from '../../src/tenant/retry-policy';

describe('retry policy', () => {
  test('backs off exponentially with the jitter inside [half, full] of each step', () => {
    const low = [0, 1, 2, 3].map((n) => backoffDelay(n, { random: () => 0 }));
    const high = [0, 1, 2, 3].map((n) => backoffDelay(n, { random: () => 0.999999 }));
    assert.deepEqual(low, [250, 500, 1000, 2000]);
    assert.deepEqual(high, [500, 1000, 2000, 4000]);
  });

  test('never waits longer than the cap', () => {
    assert.equal(backoffDelay(30, { random: () => 0.999999, maxMs: 30_000 }), 30_000);
  });

  test('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  test("prefers the server's Retry-After over back-off, capped", () => {
    assert.equal(retryDelay(0, '7', 0, { random: () => 0 }), 7000);
    assert.equal(retryDelay(0, '3600', 0), 30_000);
    assert.equal(retryDelay(2, null, 0, { random: () => 0 }), 1000);
  });
});
