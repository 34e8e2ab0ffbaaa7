import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/tenant/rate-limiter';
import { fakeClock } from './fake-fetch';

describe('RateLimiter', () => {
  test('lets a full second of requests through, then holds the next until the window has passed', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(12, clock.now, clock.sleep);
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    // no window of 1000 ms ever holds more than 12 starts
    for (let i = 12; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 12]! >= 1000, `start ${i}`);
    assert.equal(starts[11], 0);
    assert.equal(starts[12], 1000);
    assert.equal(starts[29], 2000);
  });

  test('spreads a fractional rate: 0.5 per second is one request every 2 s', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(0.5, clock.now, clock.sleep);
    await limiter.acquire();
    await limiter.acquire();
    assert.equal(clock.now(), 2000);
  });

  test('reserves slots for concurrent callers without overbooking', async () => {
    // time stands still while all four ask at once: two go now, two must wait for the next window
    const waits: number[] = [];
    const limiter = new RateLimiter(
      2,
      () => 0,
      async (ms) => {
        waits.push(ms);
      },
    );
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    assert.deepEqual(waits, [1000, 1000]);
  });

  test('refuses a rate that is not positive', () => {
    assert.throws(() => new RateLimiter(0, Date.now, async () => {}), RangeError);
  });
});
