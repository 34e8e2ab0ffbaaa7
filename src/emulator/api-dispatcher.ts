// Serves one request below /api/v1 the way a tenant does, in this order: injected faults, authentication, rate
// limit, CSRF handshake, routing, content negotiation, handler. Every error answer is an OData error body.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRequest, ApiResponse, ApiRoute } from './api-route';
import type { Authenticator, Principal } from './auth';
import { SESSION_COOKIE, type CsrfGuard } from './csrf';
import type { FaultInjector } from './faults';
import { ODataError } from './odata';
import type { RateLimiter } from './rate-limit';

export const SERVICE_ROOT_PATH = '/api/v1';

/** The service root answers the CSRF token fetch, SAP's operation `GET /` of both definitions. */
export const SERVICE_ROOT_OPERATION = 'GET /';

export interface DispatcherParts {
  readonly routes: readonly ApiRoute[];
  readonly auth: Authenticator;
  readonly csrf: CsrfGuard;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly csrfForBearer: boolean;
  readonly now: () => number;
}

const MODIFYING = new Set(['POST', 'PUT', 'DELETE', 'PATCH', 'MERGE']);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Whether the client takes a JSON answer: `$format=json`, an Accept naming JSON, or one that leaves the type open
 * (no Accept at all, as SAP's CI/CD steps send their writes, or a wildcard). A tenant would pick Atom XML for the
 * open case; such clients read only the status, so JSON serves them as well.
 */
function acceptsJson(request: FastifyRequest, query: URLSearchParams): boolean {
  if (query.get('$format') === 'json') return true;
  const accept = header(request, 'accept');
  if (accept === undefined || accept.trim() === '') return true;
  return /application\/json|\*\/\*|application\/\*/i.test(accept);
}

function send(reply: FastifyReply, response: ApiResponse): void {
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
  if (response.json !== undefined) {
    reply.type('application/json; charset=utf-8').send(JSON.stringify(response.json));
  } else if (response.bytes !== undefined) {
    reply.type(response.contentType ?? 'application/octet-stream').send(response.bytes);
  } else if (response.text !== undefined) {
    reply.type(response.contentType ?? 'text/plain; charset=utf-8').send(response.text);
  } else {
    reply.send();
  }
}

function sendError(reply: FastifyReply, error: ODataError): void {
  send(reply, { status: error.status, json: error.body(), headers: error.headers });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Handles a request whose URL starts with /api/v1. */
export async function dispatchApiRequest(
  parts: DispatcherParts,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const url = new URL(request.url, 'http://emulator.invalid');
  const host = header(request, 'host') ?? 'localhost';
  const serviceRoot = `${request.protocol}://${host}${SERVICE_ROOT_PATH}`;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice(SERVICE_ROOT_PATH.length));
  } catch {
    sendError(reply, new ODataError(400, `The request path ${url.pathname} is not validly percent-encoded`));
    return;
  }
  const method = request.method === 'HEAD' ? 'GET' : request.method;

  const fault = parts.faults.decide();
  if (fault.resetConnection) {
    reply.hijack();
    request.raw.socket.destroy();
    return;
  }
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.expireCsrfTokens) parts.csrf.invalidateAll();
  if (fault.status !== undefined) {
    sendError(
      reply,
      new ODataError(
        fault.status,
        `Injected fault: the emulator answers ${fault.status} to this request`,
        fault.status === 429 || fault.status === 503 ? { 'Retry-After': '1' } : {},
      ),
    );
    return;
  }

  try {
    const principal: Principal = parts.auth.authenticate(header(request, 'authorization'));
    const candidates = parts.routes.filter((route) => route.pattern.test(path));
    const route = candidates.find((candidate) => candidate.method === method);
    const area = route?.area ?? candidates[0]?.area ?? 'root';
    const wait = parts.limiter.admit(area, parts.now());
    if (wait !== undefined) {
      throw new ODataError(
        429,
        `Too many requests: the tenant's rate limit for this API is exceeded; retry after ${wait} s`,
        { 'Retry-After': String(wait) },
      );
    }

    // CSRF: fetch on a read, check on a write (docs/design/sap-api.md#csrf-handshake)
    const bearerKey = principal.tokenHash !== undefined ? `bearer:${principal.tokenHash}` : undefined;
    let sessionId = parts.csrf.knownSession(header(request, 'cookie'));
    const csrfHeader = header(request, 'x-csrf-token');
    if (method === 'GET' && csrfHeader?.toLowerCase() === 'fetch') {
      if (sessionId === undefined) {
        sessionId = parts.csrf.newSession();
        reply.header('Set-Cookie', `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Strict`);
      }
      reply.header('X-CSRF-Token', parts.csrf.fetch(sessionId, bearerKey));
    } else if (MODIFYING.has(method) && (principal.kind === 'basic' || parts.csrfForBearer)) {
      if (!parts.csrf.check(sessionId, bearerKey, csrfHeader)) {
        throw new ODataError(403, 'CSRF token validation failed', { 'X-CSRF-Token': 'Required' });
      }
    }

    if (path === '' || path === '/') {
      if (method !== 'GET') throw new ODataError(405, `${request.method} is not allowed on the service root`);
      send(reply, { status: 200 });
      return;
    }
    if (!route) {
      if (candidates.length > 0) throw new ODataError(405, `${request.method} is not allowed on ${path}`);
      throw new ODataError(404, `Not found. The requested resource ${path} could not be found.`);
    }
    if (route.answersJson && !acceptsJson(request, url.searchParams)) {
      // the tenant would answer Atom XML here; the emulator speaks JSON only and says so (a marked simplification)
      throw new ODataError(406, 'The emulator answers JSON only: send Accept: application/json');
    }
    const apiRequest: ApiRequest = {
      method,
      path,
      query: url.searchParams,
      headers: request.headers,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
      principal,
      serviceRoot,
      now: parts.now(),
    };
    send(reply, route.handle(apiRequest, route.pattern.exec(path)!));
  } catch (error) {
    if (error instanceof ODataError) {
      sendError(reply, error);
      return;
    }
    throw error;
  }
}
