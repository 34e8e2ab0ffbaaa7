// How the client reaches a tenant. Kept apart from the client so the provider can build and validate it
// (from HCL attributes or a service key) without loading any HTTP code.

/** Basic authentication with a tenant user. */
export interface BasicAuth {
  readonly kind: 'basic';
  readonly username: string;
  readonly password: string;
}

/** OAuth2 client credentials, as in a service key of a Process Integration Runtime instance (plan `api`). */
export interface OAuth2ClientCredentials {
  readonly kind: 'oauth2';
  /** Token endpoint, e.g. `https://<subdomain>.authentication.<region>.hana.ondemand.com/oauth/token`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Everything needed to talk to one Cloud Integration tenant. */
export interface TenantConnection {
  /**
   * The tenant's base URL, i.e. the service key's `url` (`https://<tenant>.it-cpi….hana.ondemand.com`). The client
   * appends `/api/v1`; a URL that already ends in `/api/v1` (e.g. an Edge Integration Cell
   * `https://<host>/location/<id>/api/v1`) is used as it is.
   */
  readonly tenantUrl: string;
  readonly auth: BasicAuth | OAuth2ClientCredentials;
  /** PEM bundle of CA certificates to trust instead of the system ones. @default - the system trust store */
  readonly caCertificatePem?: string;
  /**
   * Client-side cap on requests per second in each API area. Without it each area is paced at the tenant's
   * per-user limit (src/tenant/api-area.ts: 10/s Security Content and design-time, 50/s runtime artifacts); the
   * tenant answers 429 beyond. @default - the per-user limit of each area
   */
  readonly requestsPerSecond?: number;
  /** Timeout of one HTTP request (not of a whole deployment). @default 30000 */
  readonly timeoutMs?: number;
  /** Retries of a failed request that is safe to repeat (429, 5xx, reset, timeout). @default 4 */
  readonly maxRetries?: number;
}

/** The OData service root (`…/api/v1`) of a tenant URL, without a trailing slash. */
export function serviceRootOf(tenantUrl: string): string {
  const trimmed = tenantUrl.replace(/\/+$/, '');
  return /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}
