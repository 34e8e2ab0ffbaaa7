// Who is calling: HTTP Basic users, or bearer tokens from the OAuth2 client-credentials endpoint (/oauth/token) that a
// Process Integration Runtime service key (plan api) points at (docs/design/sap-api.md#authentication). Tokens are kept
// only as hashes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OAuthClientSeed, UserSeed } from './emulator-config';
import { ODataError } from './odata';
import type { TenantStore } from './tenant-store';

/** An authenticated caller. */
export interface Principal {
  readonly kind: 'basic' | 'bearer';
  /** User name, or the OAuth client id the token was issued to. */
  readonly name: string;
  /** SHA-256 of the bearer token (bearer only); binds CSRF tokens for clients without cookies. */
  readonly tokenHash?: string;
}

/** Where a token request carried the client credentials. */
export type ClientAuthentication = 'basic' | 'form' | 'query';

/** An answer of the token endpoint in the OAuth shape (not OData). */
export interface TokenResponse {
  readonly status: number;
  /** How the client authenticated (success only); logged, so tests can tell how a client sends its secret. */
  readonly clientAuthentication?: ClientAuthentication;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two secrets of any length. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(given), 'hex'), Buffer.from(sha256(expected), 'hex'));
}

function decodeBasic(header: string | undefined): { name: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { name: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The client credentials of a token request: Basic wins, then form fields, then query parameters. */
function clientCredentials(
  authorization: string | undefined,
  query: URLSearchParams,
  form: URLSearchParams,
): { clientId: string; secret: string; method: ClientAuthentication } | undefined {
  const basic = decodeBasic(authorization);
  if (basic) return { clientId: basic.name, secret: basic.secret, method: 'basic' };
  for (const [parameters, method] of [
    [form, 'form'],
    [query, 'query'],
  ] as const) {
    const clientId = parameters.get('client_id');
    const secret = parameters.get('client_secret');
    if (clientId !== null && secret !== null) return { clientId, secret, method };
  }
  return undefined;
}

const UAA_CLIENT_CHALLENGE = 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"';

const BASIC_CHALLENGE = 'Basic realm="SAP Cloud Integration emulator"';

/** Checks API credentials and issues bearer tokens. */
export class Authenticator {
  constructor(
    private readonly users: readonly UserSeed[],
    private readonly clients: readonly OAuthClientSeed[],
    private readonly tokenLifetimeSeconds: number,
    private readonly store: TenantStore,
    private readonly now: () => number,
  ) {}

  /** The caller of an API request, or a 401 ODataError. */
  authenticate(authorization: string | undefined): Principal {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (bearer) {
      const tokenHash = sha256(bearer[1]!);
      const stored = this.store.state.tokens[tokenHash];
      if (!stored || stored.expiresAt <= this.now()) {
        throw new ODataError(401, stored ? 'The access token has expired' : 'The access token is not valid', {
          'WWW-Authenticate': `Bearer error="invalid_token"`,
        });
      }
      return { kind: 'bearer', name: stored.clientId, tokenHash };
    }
    const basic = decodeBasic(authorization);
    if (basic) {
      const user = this.users.find((u) => u.username === basic.name);
      if (user && sameSecret(basic.secret, user.password)) return { kind: 'basic', name: user.username };
      throw new ODataError(401, 'Invalid user name or password', { 'WWW-Authenticate': BASIC_CHALLENGE });
    }
    throw new ODataError(401, 'Authentication required: send Basic credentials or a Bearer token', {
      'WWW-Authenticate': BASIC_CHALLENGE,
    });
  }

  /**
   * POST /oauth/token: client credentials grant, as Cloud Foundry UAA (the authorization server of a Process
   * Integration Runtime service key) takes it. The client authenticates with HTTP Basic, or with client_id and
   * client_secret as request parameters, in a form body or in the query string (UAA reads both; a body-less POST
   * with everything in the query is what some generated clients send). grant_type comes from the query or the form.
   */
  issueToken(authorization: string | undefined, query: URLSearchParams, form: URLSearchParams): TokenResponse {
    const grantType = query.get('grant_type') ?? form.get('grant_type');
    const presented = clientCredentials(authorization, query, form);
    const client = this.clients.find((c) => c.clientId === presented?.clientId);
    if (!presented || !client || !sameSecret(presented.secret, client.clientSecret)) {
      // UAA's answer to missing or wrong client credentials (UNCONFIRMED for SAP's XSUAA, see docs/emulator.md)
      return {
        status: 401,
        body: { error: 'unauthorized', error_description: 'Bad credentials' },
        headers: { 'WWW-Authenticate': UAA_CLIENT_CHALLENGE },
      };
    }
    if (grantType !== 'client_credentials') {
      return {
        status: 400,
        body: {
          error: 'unsupported_grant_type',
          error_description: `grant_type "${grantType ?? ''}" is not supported; use client_credentials`,
        },
        headers: {},
      };
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    this.store.update((state) => {
      for (const [hash, stored] of Object.entries(state.tokens)) if (stored.expiresAt <= now) delete state.tokens[hash];
      state.tokens[sha256(token)] = { clientId: client.clientId, expiresAt: now + this.tokenLifetimeSeconds * 1000 };
    });
    return {
      status: 200,
      clientAuthentication: presented.method,
      body: {
        access_token: token,
        token_type: 'bearer',
        expires_in: this.tokenLifetimeSeconds,
        scope: 'uaa.resource',
        jti: randomBytes(16).toString('hex'),
      },
      headers: { 'Cache-Control': 'no-store' },
    };
  }
}
