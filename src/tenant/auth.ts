// The Authorization header of tenant requests: Basic with a tenant user, or a bearer token obtained with OAuth2
// client credentials. Tokens are cached and renewed shortly before they expire, so a provider process that
// makes hundreds of calls asks for one token, and a long deployment wait never sends an expired one.
import { CpiError } from '../errors';
import type { BasicAuth, OAuth2ClientCredentials } from './connection';
import { errorMessageOf } from './odata';
import type { SecretRedactor } from './redact';

/** Produces the Authorization header value and learns when the tenant rejected it. */
export interface Authenticator {
  authorization(signal?: AbortSignal): Promise<string>;
  /**
   * The tenant answered 401 to a request sent with `value`. Returns true when sending again with fresh
   * credentials can help (an expired or revoked token); false when the credentials themselves are wrong.
   */
  rejected(value: string): boolean;
}

export class BasicAuthenticator implements Authenticator {
  private readonly value: string;

  constructor(auth: BasicAuth) {
    this.value = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  authorization(): Promise<string> {
    return Promise.resolve(this.value);
  }

  rejected(): boolean {
    return false;
  }
}

/** What the OAuth authenticator needs from the HTTP layer: one POST, with retries, without CSRF or rate limit. */
export type TokenRequest = (
  url: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
) => Promise<{ status: number; text: string }>;

/** Lifetime assumed when the token endpoint gives no `expires_in`; short, so we renew rather than fail. */
const DEFAULT_LIFETIME_S = 600;

export class OAuth2Authenticator implements Authenticator {
  private cached: { value: string; renewAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly auth: OAuth2ClientCredentials,
    private readonly post: TokenRequest,
    private readonly now: () => number,
    private readonly redactor: SecretRedactor,
  ) {}

  async authorization(signal?: AbortSignal): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.value;
    this.pending ??= this.fetchToken(signal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  rejected(value: string): boolean {
    if (this.cached?.value !== value) return false;
    this.cached = undefined;
    return true;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    // SAP documents the grant type as a query parameter of the token URL; the client authenticates with Basic
    const url = new URL(this.auth.tokenUrl);
    url.searchParams.set('grant_type', 'client_credentials');
    const basic = Buffer.from(`${this.auth.clientId}:${this.auth.clientSecret}`).toString('base64');
    const startedAt = this.now();
    const response = await this.post(
      url.toString(),
      { Authorization: `Basic ${basic}`, Accept: 'application/json' },
      signal,
    );
    const where = `POST ${url.origin}${url.pathname}`;
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new CpiError(
        'CPI_TENANT_UNAUTHORIZED',
        `${where}: the token endpoint refused client id "${this.auth.clientId}" (HTTP ${response.status}: ${errorMessageOf(response.text) || 'no message'})`,
      );
    }
    let body: { access_token?: unknown; expires_in?: unknown } | undefined;
    try {
      body = JSON.parse(response.text) as typeof body;
    } catch {
      body = undefined;
    }
    if (response.status !== 200 || typeof body?.access_token !== 'string' || body.access_token === '') {
      throw new CpiError(
        'CPI_TENANT_UNEXPECTED_RESPONSE',
        // a 200 body may hold token material in an unexpected field: only error bodies are quoted
        `${where}: expected HTTP 200 with an access_token, got HTTP ${response.status}` +
          (response.status === 200 ? ' without one' : ` (${errorMessageOf(response.text) || 'empty body'})`) +
          '; check "tokenurl" of the service key',
      );
    }
    const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_LIFETIME_S;
    // renew 10% of the lifetime early (at most 5 min): a request must not race the expiry on the wire
    const marginMs = Math.min(300_000, lifetimeS * 100);
    this.redactor.add(body.access_token);
    const value = `Bearer ${body.access_token}`;
    this.cached = { value, renewAt: startedAt + lifetimeS * 1000 - marginMs };
    return value;
  }
}
