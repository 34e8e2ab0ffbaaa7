// Which signed messages a receiver has already seen, so that a captured message cannot be delivered twice and a
// message's signature buys at most one decryption attempt (what makes an AES-CBC padding oracle useless). Entries
// live only as long as the message's timestamp would be accepted; the number of entries is bounded, and a full
// cache refuses new messages rather than forgetting live entries (forgetting would reopen the replay window).
import { CpiError } from '../errors';

export class ReplayCache {
  /** Key → the time (ms) after which the message would be refused as stale anyway. Insertion order. */
  private readonly entries = new Map<string, number>();

  /** @param capacity most messages remembered at once (per timestamp window) */
  constructor(readonly capacity = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records a message's key until `expiresAtMs`. Throws CPI_WSS_REPLAYED when the key is remembered already,
   * CPI_WSS_MESSAGE_LIMIT when the cache is full of live entries.
   */
  admit(key: string, expiresAtMs: number, nowMs: number): void {
    const until = this.entries.get(key);
    if (until !== undefined && until >= nowMs) {
      throw new CpiError('CPI_WSS_REPLAYED', `the message with signature digest ${key} was received before`);
    }
    if (this.entries.size >= this.capacity) this.forgetExpired(nowMs);
    if (this.entries.size >= this.capacity) {
      throw new CpiError(
        'CPI_WSS_MESSAGE_LIMIT',
        `the replay cache holds ${this.capacity} messages that are still within their timestamp window`,
      );
    }
    this.entries.delete(key);
    this.entries.set(key, expiresAtMs);
  }

  private forgetExpired(nowMs: number): void {
    for (const [key, until] of this.entries) if (until < nowMs) this.entries.delete(key);
  }
}
