// Test double for the client's transport: a scripted fetch that records every request, and a fake clock whose
// sleep only advances time. Shared by the unit tests of src/tenant; the contract test uses a real node:http server.

export interface SeenRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string | undefined;
}

export type Handler = (req: SeenRequest, index: number) => Response | Promise<Response>;

/** A fetch that answers with `handler` and remembers what it was asked. */
export function scriptedFetch(handler: Handler): { fetch: typeof fetch; seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req: SeenRequest = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    seen.push(req);
    return handler(req, seen.length - 1);
  };
  return { fetch: fake as typeof fetch, seen };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** An empty response (204, 202 …) with optional headers. */
export function empty(status: number, headers: Record<string, string> | [string, string][] = {}): Response {
  return new Response(null, { status, headers });
}

/** An OData v2 error body. */
export function odataError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code: String(status), message: { lang: 'en', value: message } } }, headers);
}

/** Time that moves only when the client sleeps; records every sleep. */
export function fakeClock(start = 1_700_000_000_000): {
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  sleeps: number[];
  advance: (ms: number) => void;
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A raw keystore entity as the tenant sends it. */
export function rawEntry(alias: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Hexalias: Buffer.from(alias).toString('hex').toUpperCase(),
    Alias: alias,
    KeyType: 'RSA',
    KeySize: 2048,
    ValidNotBefore: '/Date(1496732924000)/',
    ValidNotAfter: '/Date(1559804924000+0000)/',
    SerialNumber: '0x11F11',
    FingerprintSha256: '84:2D:B8:16',
    Type: 'Certificate',
    Owner: 'Tenant Administrator',
    ...extra,
  };
}

export const BASIC = {
  tenantUrl: 'https://tenant.example.com',
  auth: { kind: 'basic' as const, username: 'ops', password: 'S3cret-pa55' },
};
