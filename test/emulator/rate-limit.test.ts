import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimiter } from '../../src/emulator/rate-limit';
import { Harness } from './support/emulator-harness';

describe('rate limit', () => {
  test('admits the limit per second per area, then says how long to wait', () => {
    const limiter = new RateLimiter({ securityContent: 2, runtimeArtifacts: 0 });
    assert.equal(limiter.admit('securityContent', 1000), undefined);
    assert.equal(limiter.admit('securityContent', 1100), undefined);
    assert.equal(limiter.admit('securityContent', 1200), 1);
    assert.equal(limiter.admit('securityContent', 2001), undefined, 'the first request left the window');
    for (let i = 0; i < 100; i++) assert.equal(limiter.admit('runtimeArtifacts', 1000), undefined, '0 = unlimited');
  });

  test('the Security Content API answers 429 with Retry-After past 12 requests per second by default', async () => {
    // a stopped clock: all requests fall in one second however slowly a loaded machine sends them
    const frozen = Date.now();
    const h = await Harness.start({ rateLimits: {} }, { now: () => frozen });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 14; i++) statuses.push((await h.call('GET', '/KeystoreEntries')).status);
      assert.deepEqual(statuses.slice(0, 12), Array(12).fill(200));
      const limited = await h.call('GET', '/KeystoreEntries');
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After is at least 1 s');
      assert.equal(
        (await h.call('GET', '/IntegrationRuntimeArtifacts')).status,
        200,
        'other APIs have their own limit',
      );
    } finally {
      await h.close();
    }
  });
});
