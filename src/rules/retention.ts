// The retention rule of every renewal: a retired receiver key is kept for at least 90 days after its retirement,
// so that messages sent for the old certificate can still be decrypted. The stage table, the provider's plan-time
// checks, both receiver backends and the constructs read the number from here.

/** The least number of days between a key's retirement and its deletion. */
export const MIN_RETENTION_DAYS = 90;

const DAY_MS = 86_400_000;

/** The earliest allowed retainUntil for a key retired at `retiredAt` (also the default). */
export function minimumRetainUntil(retiredAt: Date): Date {
  return new Date(retiredAt.getTime() + MIN_RETENTION_DAYS * DAY_MS);
}
