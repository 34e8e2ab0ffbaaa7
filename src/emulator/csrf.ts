// The CSRF handshake of SAP OData services: `X-CSRF-Token: Fetch` on a GET hands out a token bound to the session
// cookie; a modifying request must send it back, otherwise 403 with `X-CSRF-Token: Required`
// (docs/design/sap-api.md#csrf-handshake).
import { randomBytes } from 'node:crypto';

/** Name of the session cookie the token is bound to (the tenant is a Java server). */
export const SESSION_COOKIE = 'JSESSIONID';

function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Reads our session id from a Cookie header. */
export function sessionIdFromCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/** Sessions and the CSRF token of each, in memory: like a real tenant, a restart ends every session. */
export class CsrfGuard {
  /** session key → token. Keys are session ids, or `bearer:<token hash>` for clients that keep no cookies. */
  private readonly tokens = new Map<string, string>();
  private readonly sessions = new Set<string>();

  /** The session id of a request, or undefined if it presents none we issued. */
  knownSession(cookieHeader: string | undefined): string | undefined {
    const id = sessionIdFromCookie(cookieHeader);
    return id !== undefined && this.sessions.has(id) ? id : undefined;
  }

  newSession(): string {
    const id = newSecret();
    this.sessions.add(id);
    return id;
  }

  /** The token of the session (the same one until invalidated), also bound to a bearer token when given. */
  fetch(sessionId: string, bearerKey: string | undefined): string {
    let token = this.tokens.get(sessionId);
    if (!token) {
      token = newSecret();
      this.tokens.set(sessionId, token);
    }
    if (bearerKey) this.tokens.set(bearerKey, token);
    return token;
  }

  /** Whether the token sent with a modifying request belongs to the request's session (or bearer token). */
  check(sessionId: string | undefined, bearerKey: string | undefined, token: string | undefined): boolean {
    if (!token) return false;
    return (
      (sessionId !== undefined && this.tokens.get(sessionId) === token) ||
      (bearerKey !== undefined && this.tokens.get(bearerKey) === token)
    );
  }

  /** Forgets every token (sessions stay), as when a tenant's tokens expire. */
  invalidateAll(): void {
    this.tokens.clear();
  }
}
