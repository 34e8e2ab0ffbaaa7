// A minimal fetch over node:https for tenants behind a private CA (caCertificatePem). Node's global fetch cannot
// take a CA per request without undici's Agent, and loading undici costs ~65 ms of the provider's 100 ms start-up
// budget; node:https is built in and loads in a few. Only what the tenant client uses is supported: string
// bodies, manual redirects, abort signals.
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';

/** A fetch that verifies the server against `ca` (PEM bundle) instead of the system trust store. */
export function fetchWithCa(ca: string): typeof fetch {
  const withCa = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(String(input));
      const headers = new Headers(init.headers);
      const req = request(
        url,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers),
          ca,
          rejectUnauthorized: true,
          signal: init.signal ?? undefined,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const responseHeaders = new Headers();
            for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
              responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
            const status = res.statusCode ?? 0;
            const body = [101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders }));
          });
        },
      );
      req.on('error', (error: Error) => reject(new TypeError('fetch failed', { cause: error })));
      if (typeof init.body === 'string') req.end(init.body);
      else req.end();
    });
  return withCa as typeof fetch;
}
