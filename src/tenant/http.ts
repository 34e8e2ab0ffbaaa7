// The one place where the client talks HTTP: service root, auth header, CSRF token and cookies, client-side rate
// limit, per-request timeout, cancellation, retries with back-off, and the mapping of failures to CpiError codes
// with a detail that names the request and the tenant's message but never a credential.
import { secretBearingUrl } from '../rules/secret-routes';
import { CpiError, type ErrorCode } from '../errors';
import { BasicAuthenticator, OAuth2Authenticator, type Authenticator } from './auth';
import { serviceRootOf, type TenantConnection } from './connection';
import { CsrfSession } from './csrf';
import { errorMessageOf } from './odata';
import { apiAreaOf, PER_USER_LIMITS, type ApiArea } from './api-area';
import { RateLimiter, realSleep, type Sleep } from './rate-limiter';
import { SecretRedactor } from './redact';
import { retryDelay, type RetryClass } from './retry-policy';

/** Log sink of the client; fields never carry credentials. */
export type TenantLog = (level: 'debug' | 'info' | 'warn', msg: string, fields?: object) => void;

/** Seams for tests and for the provider (its clock, its logger). */
export interface TenantHttpOptions {
  fetch?: typeof fetch;
  sleep?: Sleep;
  now?: () => number;
  /** Randomness of the back-off jitter, in [0, 1). @default Math.random */
  random?: () => number;
  log?: TenantLog;
}

/** A response as the layers above need it: status, headers and the whole body text. */
export interface TenantResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body as received, for binary answers (an iFlow bundle); absent on answers made up by the client. */
  readonly bytes?: Buffer;
}

/** One logical request; retries, CSRF and auth are added here. */
export interface TenantRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the service root (`/KeystoreEntries('AB')`), already encoded; or an absolute URL (a `__next` link). */
  readonly path: string;
  /** Query options; values are percent-encoded here, keys (`$select`, `update`) are sent as they are. */
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** How safe the request is to repeat; see retry-policy.ts. */
  readonly retry: RetryClass;
  /** The role template the request needs, named in a 403 error. */
  readonly role: string;
  /** What the request is about, for error texts, e.g. `keystore alias "partner-enc"`. */
  readonly subject?: string;
  /** Statuses (besides 2xx) the caller handles itself instead of getting an error. */
  readonly accept?: readonly number[];
  /**
   * For 'create' requests: called after an ambiguous failure (reset, timeout, 5xx) before repeating. Returns a
   * response to use when the request turns out to have taken effect, undefined to repeat it.
   */
  readonly onAmbiguous?: () => Promise<TenantResponse | undefined>;
  readonly signal?: AbortSignal;
}

type TransportFailure = { kind: 'timeout' | 'reset' | 'dns' | 'tls' | 'refused' | 'other'; message: string };

const RETRYABLE_TRANSPORT = new Set<TransportFailure['kind']>(['timeout', 'reset']);

/** Thrown inside sendOnce when our own per-request timer fired (told apart from the caller's abort). */
class RequestTimeout extends Error {}

const SHARED_LIMITERS = new Map<string, RateLimiter>();

export class TenantHttp {
  /** HTTP requests sent, including token and CSRF fetches and retries. */
  requestCount = 0;

  readonly serviceRoot: string;
  private readonly origin: string;
  /** The service root's path (`/api/v1`), which request paths and next links are resolved against. */
  private readonly rootPath: string;
  private readonly auth: Authenticator;
  private readonly csrf = new CsrfSession();
  private readonly limiters: ReadonlyMap<ApiArea, RateLimiter>;
  private readonly redactor = new SecretRedactor();
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: TenantLog;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private fetchImpl: Promise<typeof fetch> | undefined;

  constructor(
    private readonly conn: TenantConnection,
    private readonly options: TenantHttpOptions = {},
  ) {
    this.serviceRoot = serviceRootOf(checkedTenantUrl(conn.tenantUrl));
    this.origin = new URL(this.serviceRoot).origin;
    this.rootPath = new URL(this.serviceRoot).pathname;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => {});
    this.timeoutMs = conn.timeoutMs ?? 30_000;
    this.maxRetries = conn.maxRetries ?? 4;
    this.limiters = this.areaLimiters(conn, options);
    if (conn.auth.kind === 'basic') {
      this.redactor.addBasicPair(conn.auth.username, conn.auth.password);
      this.auth = new BasicAuthenticator(conn.auth);
    } else {
      // the client secret goes to the token URL: the same rule as for the tenant URL
      secretBearingUrl(conn.auth.tokenUrl, 'token URL (service key "tokenurl")', ['service_key', 'tokenurl']);
      this.redactor.add(conn.auth.clientSecret);
      this.redactor.addBasicPair(conn.auth.clientId, conn.auth.clientSecret);
      this.auth = new OAuth2Authenticator(
        conn.auth,
        (url, headers, signal) => this.tokenPost(url, headers, signal),
        this.now,
        this.redactor,
      );
    }
  }

  /** Sends a request to the tenant and returns a 2xx (or accepted) response; every failure is a CpiError. */
  async request(req: TenantRequest): Promise<TenantResponse> {
    const url = this.urlOf(req);
    const display = `${req.method} ${displayPath(url)}`;
    const write = req.method !== 'GET';
    let retries = 0;
    let authRenewed = false;
    let csrfRefetched = false;
    for (;;) {
      const limiter = this.limiters.get(apiAreaOf(url.pathname.slice(this.rootPath.length)));
      if (limiter) await this.guard(display, () => limiter.acquire(req.signal), req.signal);
      const headers: Record<string, string> = { Accept: 'application/json', ...req.headers };
      headers.Authorization = await this.auth.authorization(req.signal);
      if (write) {
        const token = await this.csrf.token(() => this.fetchCsrfToken(req.signal));
        if (token !== undefined) headers['X-CSRF-Token'] = token;
      }
      const cookie = this.csrf.cookieHeader();
      if (cookie !== undefined) headers.Cookie = cookie;

      let response: TenantResponse;
      try {
        response = await this.sendOnce(url, req.method, headers, req.body, req.signal);
      } catch (error) {
        const failure = this.classify(error, display, req.signal);
        const mayRepeat = RETRYABLE_TRANSPORT.has(failure.kind) && req.retry !== 'once' && retries < this.maxRetries;
        if (!mayRepeat) throw this.unreachable(display, failure, retries);
        const settled = await this.settleAmbiguous(req);
        if (settled) return settled;
        await this.backoff(display, retries++, null, req.signal, failure.message);
        continue;
      }
      this.csrf.storeCookies(response.headers);

      if (response.status === 401 && !authRenewed && this.auth.rejected(headers.Authorization)) {
        authRenewed = true; // an expired or revoked token: one fresh token, then 401 is final
        continue;
      }
      if (write && !csrfRefetched && CsrfSession.isCsrfFailure(response)) {
        csrfRefetched = true;
        this.csrf.invalidate();
        this.log('debug', 'tenant CSRF token rejected; fetching a new one', { request: display });
        continue;
      }
      const accepted = isSuccess(response.status) || (req.accept?.includes(response.status) ?? false);
      if (!accepted && (response.status === 429 || response.status >= 500) && retries < this.maxRetries) {
        const repeatable = response.status === 429 || req.retry !== 'once';
        if (repeatable) {
          if (response.status !== 429) {
            const settled = await this.settleAmbiguous(req);
            if (settled) return settled;
          }
          await this.backoff(
            display,
            retries++,
            response.headers.get('retry-after'),
            req.signal,
            `HTTP ${response.status}`,
          );
          continue;
        }
      }
      if (accepted) return response;
      throw this.errorFor(req, response, retries);
    }
  }

  /** The CpiError for a response the caller did not expect: code by status, detail with request and message. */
  errorFor(req: TenantRequest, response: TenantResponse, retries = 0, code?: ErrorCode): CpiError {
    const display = `${req.method} ${displayPath(this.urlOf(req))}`;
    const message = errorMessageOf(response.text);
    const about = req.subject ? ` (${req.subject})` : '';
    const tail = message ? `: ${message}` : '';
    const status = response.status;
    let chosen: ErrorCode = code ?? 'CPI_TENANT_UNEXPECTED_RESPONSE';
    let extra = '';
    if (code === undefined) {
      if (status === 401) {
        chosen = 'CPI_TENANT_UNAUTHORIZED';
        extra =
          this.conn.auth.kind === 'basic'
            ? ` as user "${this.conn.auth.username}"`
            : ` with client id "${this.conn.auth.clientId}"`;
      } else if (status === 403 && /reserved|owned by sap/i.test(message)) chosen = 'CPI_TENANT_ALIAS_RESERVED';
      else if (status === 403) {
        chosen = 'CPI_TENANT_FORBIDDEN';
        extra = `; this request needs role ${req.role}`;
      } else if (status === 404) chosen = 'CPI_TENANT_NOT_FOUND';
      else if (status === 400 || status === 409 || status === 415) chosen = 'CPI_TENANT_REQUEST_REJECTED';
      else if (status === 413) chosen = 'CPI_TENANT_PAYLOAD_TOO_LARGE';
      else if (status === 429) {
        chosen = 'CPI_TENANT_RATE_LIMITED';
        extra = ` after ${retries} retries`;
      } else if (status >= 500) {
        chosen = 'CPI_TENANT_SERVER_ERROR';
        extra = ` after ${retries} retries`;
      } else if (status >= 300 && status < 400) {
        extra = ` redirect to ${response.headers.get('location') ?? '(no location)'}; tenant_url must be the API host, not a login page`;
      } else extra = ', which this request does not expect';
    }
    return new CpiError(chosen, this.redactor.redact(`${display}${about}: HTTP ${status}${extra}${tail}`));
  }

  /** Parses a JSON body, or throws CPI_TENANT_UNEXPECTED_RESPONSE naming the request. */
  json(req: TenantRequest, response: TenantResponse): unknown {
    try {
      return JSON.parse(response.text);
    } catch {
      const contentType = response.headers.get('content-type') ?? 'no content type';
      return this.fail(req, response, `expected a JSON body, got ${contentType}`);
    }
  }

  /** Throws CPI_TENANT_UNEXPECTED_RESPONSE for a response whose shape is wrong, saying what was expected. */
  fail(req: TenantRequest, response: TenantResponse, expected: string): never {
    throw this.error('CPI_TENANT_UNEXPECTED_RESPONSE', `${this.describe(req)}: HTTP ${response.status}: ${expected}`);
  }

  /** A CpiError whose detail passes through the redactor (for errors the layers above build themselves). */
  error(code: ErrorCode, detail: string): CpiError {
    return new CpiError(code, this.redactor.redact(detail));
  }

  /**
   * One limiter per API area at the tenant's per-user limit (capped by `requestsPerSecond`). With the real clock
   * the limiters are shared by every client of this process for the same tenant and user: a provider served for a
   * run of commands (src/provider/served-provider.ts) configures a new client for each of Terraform's walks, and
   * their calls together must stay under the tenant's limit.
   */
  private areaLimiters(conn: TenantConnection, options: TenantHttpOptions): ReadonlyMap<ApiArea, RateLimiter> {
    const principal = conn.auth.kind === 'basic' ? conn.auth.username : conn.auth.clientId;
    const shared = options.now === undefined && options.sleep === undefined;
    return new Map(
      (Object.entries(PER_USER_LIMITS) as [ApiArea, number][]).map(([area, limit]) => {
        const perSecond = Math.min(limit, conn.requestsPerSecond ?? limit);
        const make = () => new RateLimiter(perSecond, this.now, this.sleep);
        if (!shared) return [area, make()];
        const key = JSON.stringify([this.serviceRoot, principal, area, perSecond]);
        let limiter = SHARED_LIMITERS.get(key);
        if (!limiter) SHARED_LIMITERS.set(key, (limiter = make()));
        return [area, limiter];
      }),
    );
  }

  /** `METHOD /path` of a request, as error texts show it. */
  describe(req: TenantRequest): string {
    return `${req.method} ${displayPath(this.urlOf(req))}`;
  }

  private urlOf(req: TenantRequest): URL {
    const rootPath = this.rootPath;
    let url: URL;
    if (/^https?:\/\//i.test(req.path)) url = new URL(req.path);
    else if (req.path.startsWith(`${rootPath}/`))
      url = new URL(req.path, this.origin); // a host-relative next link
    else if (req.path.startsWith('/')) url = new URL(this.serviceRoot + req.path);
    else url = new URL(req.path, `${this.serviceRoot}/`); // a next link relative to the service root
    if (url.origin !== this.origin) {
      // a next link must never send our credentials to another host
      throw new CpiError('CPI_TENANT_UNEXPECTED_RESPONSE', `the tenant linked to another host: ${url.origin}`);
    }
    const extra = Object.entries(req.query ?? {})
      .map(([key, value]) => `${key}=${encodeURIComponent(value).replace(/%27/g, "'")}`)
      .join('&');
    if (extra) url.search = url.search ? `${url.search}&${extra}` : `?${extra}`;
    return url;
  }

  private async settleAmbiguous(req: TenantRequest): Promise<TenantResponse | undefined> {
    if (req.retry !== 'create' || !req.onAmbiguous) return undefined;
    return req.onAmbiguous();
  }

  private async backoff(
    display: string,
    retry: number,
    retryAfter: string | null,
    signal: AbortSignal | undefined,
    why: string,
  ): Promise<void> {
    const delay = retryDelay(retry, retryAfter, this.now(), { random: this.random });
    this.log('warn', 'tenant request failed; retrying', {
      request: display,
      reason: why,
      retry: retry + 1,
      delayMs: delay,
    });
    await this.guard(display, () => this.sleep(delay, signal), signal);
  }

  /** Runs a wait; a caller's abort during it becomes CPI_PROVIDER_INTERRUPTED. */
  private async guard(display: string, wait: () => Promise<void>, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw interrupted(display);
    try {
      await wait();
    } catch (error) {
      if (signal?.aborted) throw interrupted(display);
      throw error;
    }
  }

  private fetchCsrfToken(signal?: AbortSignal): Promise<TenantResponse> {
    return this.request({
      method: 'GET',
      path: '/',
      headers: { 'X-CSRF-Token': 'Fetch' },
      retry: 'idempotent',
      role: 'MonitoringDataRead',
      subject: 'CSRF token',
      signal,
    });
  }

  private async tokenPost(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    const display = `POST ${new URL(url).origin}${new URL(url).pathname}`;
    for (let retries = 0; ; retries++) {
      let response: TenantResponse;
      try {
        response = await this.sendOnce(new URL(url), 'POST', headers, undefined, signal);
      } catch (error) {
        const failure = this.classify(error, display, signal);
        if (!RETRYABLE_TRANSPORT.has(failure.kind) || retries >= this.maxRetries)
          throw this.unreachable(display, failure, retries);
        await this.backoff(display, retries, null, signal, failure.message);
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && retries < this.maxRetries) {
        await this.backoff(display, retries, response.headers.get('retry-after'), signal, `HTTP ${response.status}`);
        continue;
      }
      return response;
    }
  }

  private async sendOnce(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<TenantResponse> {
    const doFetch = await (this.fetchImpl ??= this.resolveFetch());
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new RequestTimeout()), this.timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const started = this.now();
    this.requestCount++;
    try {
      const response = await doFetch(url, { method, headers, body, signal: controller.signal, redirect: 'manual' });
      const bytes = Buffer.from(await response.arrayBuffer());
      const text = new TextDecoder().decode(bytes); // what response.text() gives, without reading the body twice
      this.log('debug', 'tenant request', {
        request: `${method} ${displayPath(url)}`,
        status: response.status,
        ms: this.now() - started,
      });
      return { status: response.status, headers: response.headers, text, bytes };
    } catch (error) {
      if (controller.signal.reason instanceof RequestTimeout && !signal?.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private resolveFetch(): Promise<typeof fetch> {
    if (this.options.fetch) return Promise.resolve(this.options.fetch);
    const ca = this.conn.caCertificatePem;
    if (!ca) return Promise.resolve(globalThis.fetch);
    // loaded only when a private CA is configured, so the common path pays nothing for it
    return import('./https-fetch').then(({ fetchWithCa }) => fetchWithCa(ca));
  }

  private classify(error: unknown, display: string, signal?: AbortSignal): TransportFailure {
    if (signal?.aborted) throw interrupted(display);
    if (error instanceof CpiError) throw error;
    if (error instanceof RequestTimeout) return { kind: 'timeout', message: `no answer within ${this.timeoutMs} ms` };
    const code = causeCode(error);
    const message = this.redactor.redact(causeMessage(error));
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message: `host name not found (${code})` };
    if (code === 'ECONNREFUSED') return { kind: 'refused', message: `connection refused (${code})` };
    if (code && /^(CERT_|ERR_TLS_|ERR_SSL|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_OSSL)/.test(code)) {
      return { kind: 'tls', message: `TLS verification failed (${code}: ${message})` };
    }
    if (code && /^(ECONNRESET|EPIPE|ETIMEDOUT|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|UND_ERR_)/.test(code)) {
      return { kind: 'reset', message: `connection failed (${code})` };
    }
    return {
      kind:
        error instanceof TypeError && /fetch failed|terminated|other side closed/i.test(message) ? 'reset' : 'other',
      message,
    };
  }

  private unreachable(display: string, failure: TransportFailure, retries: number): CpiError {
    const tries = retries > 0 ? ` after ${retries} retries` : '';
    return new CpiError('CPI_TENANT_UNREACHABLE', this.redactor.redact(`${display}: ${failure.message}${tries}`));
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function interrupted(display: string): CpiError {
  return new CpiError('CPI_PROVIDER_INTERRUPTED', `${display} was cancelled`);
}

/** Path and query of a URL, as error texts show a request (never the host's user info). */
function displayPath(url: URL): string {
  return decodeURIComponent(url.pathname) + url.search;
}

function causeCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function causeMessage(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error) parts.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ') || String(error);
}

/** The tenant URL, refused unless it may carry credentials (src/rules/secret-routes.ts). */
function checkedTenantUrl(tenantUrl: string): string {
  return secretBearingUrl(tenantUrl, 'tenant URL', ['tenant_url']).toString();
}
