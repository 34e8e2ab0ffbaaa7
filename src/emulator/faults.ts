// Fault injection for tests of clients: injected error statuses, latency, CSRF token expiry, connection resets and
// a locked keystore. Draws come from one seedable generator so that a failing test can be replayed.

/** What goes wrong, and how often. Settable from the configuration and at PUT /emulator/faults. */
export interface FaultSettings {
  /** Probability (0–1) per HTTP status of answering a request with that error instead, e.g. { "500": 0.1, "429": 0.1 }. */
  readonly errorRates: Readonly<Record<string, number>>;
  /** Delay added to an API request (to every one, unless latencyRate says otherwise). */
  readonly latencyMs: number;
  /**
   * Probability (0–1) that a request gets the delay; below 1, e.g. 0.05 with a delay past the client's timeout,
   * some requests time out while the rest are fast. The request is still served after the delay, as a slow
   * tenant serves it after the client gave up.
   */
  readonly latencyRate: number;
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
  latencyRate: 1,
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
    latencyRate: { type: 'number', minimum: 0, maximum: 1 },
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

/** How many faults were injected since the emulator started, by kind (tests report these figures). */
export interface FaultCounts {
  /** Error answers by HTTP status. */
  readonly errors: Readonly<Record<string, number>>;
  readonly connectionResets: number;
  /** Requests that got the latency. */
  readonly delayed: number;
  /** Times every CSRF token was invalidated. */
  readonly csrfExpiries: number;
}

/** Decides the faults of each API request from the current settings. */
export class FaultInjector {
  private current: FaultSettings;
  private readonly counted = { errors: {} as Record<string, number>, connectionResets: 0, delayed: 0, csrfExpiries: 0 };
  private random: () => number;
  private requests = 0;

  constructor(settings: FaultSettings) {
    this.current = settings;
    this.random = seededRandom(settings.seed);
  }

  get settings(): FaultSettings {
    return this.current;
  }

  /** Faults injected so far (a copy). */
  get counts(): FaultCounts {
    return { ...this.counted, errors: { ...this.counted.errors } };
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
    // drawn only for a partial rate, so that settings without one keep their sequence of faults
    const slow =
      settings.latencyMs > 0 &&
      (settings.latencyRate >= 1 || (settings.latencyRate > 0 && this.random() < settings.latencyRate));
    if (status !== undefined) this.counted.errors[status] = (this.counted.errors[status] ?? 0) + 1;
    if (resetConnection) this.counted.connectionResets++;
    if (slow) this.counted.delayed++;
    if (expireCsrfTokens) this.counted.csrfExpiries++;
    return { resetConnection, latencyMs: slow ? settings.latencyMs : 0, status, expireCsrfTokens };
  }
}
