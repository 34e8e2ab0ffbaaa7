// When and how long to wait before repeating a failed request.
//
// Which requests are safe to repeat (RetryClass):
// - 'idempotent': GET; PUT CertificateResources with update=true (the same certificate lands under the same
//   alias however often it is sent); PUT of a configuration parameter; DELETE of a keystore entry or a runtime
//   artifact (a repeat that finds nothing is the wanted outcome); POST KeystoreResources backup (each backup
//   overwrites the one slot with the same content); the CSRF fetch and the OAuth token request (no side effect).
// - 'create': PUT CertificateResources with update=false. After a reset, timeout or 5xx we do not know whether the
//   tenant stored it; a blind repeat would then fail with "alias exists". The caller checks for the entry first
//   and only repeats when it is absent.
// - 'once': POST DeployIntegrationDesigntimeArtifact. A repeat starts a second deployment task; only a 429
//   (refused before any work) is repeated.
// Every class repeats a 429: the tenant refused the request without acting on it.

/** How safe a request is to send again after a failure; see the comment at the top of this file. */
export type RetryClass = 'idempotent' | 'create' | 'once';

export interface BackoffOptions {
  /** First delay before jitter. @default 500 */
  readonly baseMs?: number;
  /** Upper bound of any single delay, also of a server's Retry-After. @default 30000 */
  readonly maxMs?: number;
  /** Source of randomness in [0, 1), injectable for tests. @default Math.random */
  readonly random?: () => number;
}

/**
 * Delay before retry number `attempt` (0 = first retry): exponential growth with "equal jitter", i.e. half of
 * the exponential step fixed and half random, so parallel clients spread out but still back off.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const step = Math.min(max, base * 2 ** attempt);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Milliseconds to wait according to a `Retry-After` header: delta-seconds (`120`) or an HTTP date.
 * Undefined when the header is missing or unreadable; 0 for a date in the past.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The delay before the next retry: the server's Retry-After when it gave one (capped), else back-off. */
export function retryDelay(
  attempt: number,
  retryAfterHeader: string | null | undefined,
  nowMs: number,
  options: BackoffOptions = {},
): number {
  const fromServer = parseRetryAfter(retryAfterHeader, nowMs);
  if (fromServer !== undefined) return Math.min(fromServer, options.maxMs ?? 30_000);
  return backoffDelay(attempt, options);
}
