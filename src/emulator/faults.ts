// Fault injection for tests of clients: injected error statuses, latency, CSRF token expiry, connection resets and
// a locked keystore. Draws come from one seedable generator so that a failing test can be replayed.

/** What goes wrong, and how often. Settable from the configuration and at PUT /emulator/faults. */
export interface FaultSettings {
  /** Probability (0–1) per HTTP status of answering a request with that error instead, e.g. { "500": 0.1, "429": 0.1 }. */
  readonly errorRates: Readonly<Record<string, number>>;
  /** Delay added to every API request. */
  readonly latencyMs: number;
  /** Invalidate every CSRF token after this many API requests; 0 = never. */
  readonly csrfTokenExpiryRequests: number;
  /** Probability (0–1) of destroying the connection without an answer. */
  readonly connectionResetRate: number;
  /** Seed of the random source; the same seed and request sequence give the same faults. */
  readonly seed: number;
  /** Answer keystore writes with 503 "keystore is locked by another user". */
  readonly keystoreLocked: boolean;
}

export const DEFAULT_FAULTS: FaultSettings = {
  errorRates: {},
  latencyMs: 0,
  csrfTokenExpiryRequests: 0,
  connectionResetRate: 0,
  seed: 1,
  keystoreLocked: false,
};

export const FAULT_SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    errorRates: {
      type: 'object',
      propertyNames: { pattern: '^[45][0-9][0-9]$' },
      additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
    },
    latencyMs: { type: 'integer', minimum: 0, maximum: 600000 },
    csrfTokenExpiryRequests: { type: 'integer', minimum: 0 },
    connectionResetRate: { type: 'number', minimum: 0, maximum: 1 },
    seed: { type: 'integer' },
    keystoreLocked: { type: 'boolean' },
  },
} as const;

/** mulberry32: small, fast, good enough to spread faults; not for secrets. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What to do to one request. */
export interface FaultDecision {
  readonly resetConnection: boolean;
  readonly latencyMs: number;
  /** An error status to answer with, instead of serving the request. */
  readonly status: number | undefined;
  /** All CSRF tokens must be invalidated before this request is served. */
  readonly expireCsrfTokens: boolean;
}

/** Decides the faults of each API request from the current settings. */
export class FaultInjector {
  private current: FaultSettings;
  private random: () => number;
  private requests = 0;

  constructor(settings: FaultSettings) {
    this.current = settings;
    this.random = seededRandom(settings.seed);
  }

  get settings(): FaultSettings {
    return this.current;
  }

  /** Replaces the settings and restarts the random source from their seed. */
  update(settings: FaultSettings): void {
    this.current = settings;
    this.random = seededRandom(settings.seed);
    this.requests = 0;
  }

  decide(): FaultDecision {
    const settings = this.current;
    this.requests += 1;
    const expireCsrfTokens =
      settings.csrfTokenExpiryRequests > 0 && this.requests % settings.csrfTokenExpiryRequests === 0;
    const resetConnection = settings.connectionResetRate > 0 && this.random() < settings.connectionResetRate;
    let status: number | undefined;
    const rates = Object.entries(settings.errorRates).filter(([, rate]) => rate > 0);
    if (!resetConnection && rates.length > 0) {
      // one draw over the stacked rates, so { "500": 0.5, "429": 0.5 } fails every request
      const draw = this.random();
      let cumulative = 0;
      for (const [code, rate] of rates) {
        cumulative += rate;
        if (draw < cumulative) {
          status = Number(code);
          break;
        }
      }
    }
    return { resetConnection, latencyMs: settings.latencyMs, status, expireCsrfTokens };
  }
}
