// Client-side rate limit, so that a provider refreshing many resources stays under the tenant's limit
// (Security Content: 12 requests/s per tenant, 10 per user) instead of collecting 429s and back-off delays.

/** Sleeps `ms` milliseconds, rejecting early when the signal aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * A sliding-window limiter: at most `capacity` requests start in any window of `windowMs`. Unlike a token bucket
 * it never allows a burst above the tenant's per-second limit at a window boundary.
 */
export class RateLimiter {
  private readonly capacity: number;
  private readonly windowMs: number;
  /** Start times already granted, oldest first; never more than `capacity` kept. */
  private readonly starts: number[] = [];

  constructor(
    requestsPerSecond: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    if (!(requestsPerSecond > 0)) throw new RangeError(`requestsPerSecond must be > 0, got ${requestsPerSecond}`);
    // 2.5/s becomes 2 per 800 ms, 0.5/s becomes 1 per 2000 ms: the same average, whole requests per window
    this.capacity = Math.max(1, Math.floor(requestsPerSecond));
    this.windowMs = (this.capacity * 1000) / requestsPerSecond;
  }

  /** Waits until a request may start. The slot is reserved synchronously, so concurrent callers queue fairly. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    let at = now;
    if (this.starts.length >= this.capacity) {
      at = Math.max(now, this.starts[this.starts.length - this.capacity]! + this.windowMs);
    }
    this.starts.push(at);
    if (this.starts.length > this.capacity) this.starts.shift();
    if (at > now) await this.sleep(at - now, signal);
  }
}

/** The real sleep: a timer that an AbortSignal cancels. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
