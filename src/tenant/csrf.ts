// The CSRF handshake of the Cloud Integration APIs: `GET /api/v1/` with `X-CSRF-Token: Fetch` returns a token in
// the `X-CSRF-Token` header, bound to the session cookies of that response; every POST/PUT/DELETE sends both.
// We fetch lazily before the first write, reuse the token, and refetch once when a write comes back
// 403 with `X-CSRF-Token: Required` (the token or its session expired). Whether bearer-token calls are exempt
// is unconfirmed, so we fetch under OAuth too; a tenant that sends no token simply gets none back.

/** Minimal response view the session needs. */
export interface CsrfResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** The CSRF token and session cookies of one client. */
export class CsrfSession {
  private current: string | undefined;
  private pending: Promise<string | undefined> | undefined;
  private readonly cookies = new Map<string, string>();

  /** The token to send, fetching one with `fetchToken` when none is held (concurrent callers share one fetch). */
  async token(fetchToken: () => Promise<CsrfResponse>): Promise<string | undefined> {
    if (this.current !== undefined) return this.current;
    this.pending ??= fetchToken()
      .then((response) => {
        const token = response.headers.get('x-csrf-token') ?? undefined;
        this.current = token && token.toLowerCase() !== 'required' ? token : undefined;
        return this.current;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** Forgets the token (and the session it belongs to) so the next write fetches a new one. */
  invalidate(): void {
    this.current = undefined;
    this.cookies.clear();
  }

  /** Keeps the session cookies a response sets; the token is only valid together with them. */
  storeCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /;\s*max-age=0\b/i.test(line) || /;\s*expires=Thu, 01 Jan 1970/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The `Cookie` header value for the next request, or undefined when no cookie is held. */
  cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Whether a 403 is a CSRF failure (worth one refetch) rather than a missing role. */
  static isCsrfFailure(response: CsrfResponse): boolean {
    if (response.status !== 403) return false;
    if ((response.headers.get('x-csrf-token') ?? '').toLowerCase() === 'required') return true;
    return /csrf token validation failed/i.test(response.text);
  }
}
