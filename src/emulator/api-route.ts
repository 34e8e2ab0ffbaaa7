// The shape shared by the Security Content and Integration Content handlers: a route matches a method and a decoded
// path below /api/v1 and turns a request into a response; the dispatcher does auth, CSRF, limits and faults.
import type { Principal } from './auth';
import { ODataError, type ODataRecord } from './odata';
import type { ApiArea } from './rate-limit';

export interface ApiRequest {
  readonly method: string;
  /** Path below the service root, percent-decoded, e.g. `/KeystoreEntries('414243')`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer | undefined;
  readonly principal: Principal;
  /** Absolute URL of the service root, e.g. `http://127.0.0.1:4711/api/v1`. */
  readonly serviceRoot: string;
  readonly now: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly json?: unknown;
  readonly text?: string;
  /** A binary body (e.g. a zip), sent with contentType. */
  readonly bytes?: Buffer;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiRoute {
  /**
   * The operation of SAP's API definitions this route serves, as `METHOD template` exactly as the definitions
   * spell it (e.g. `GET /KeystoreEntries('{Hexalias}')`); docs/emulator.md lists each, and a test holds them equal.
   */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly pattern: RegExp;
  readonly area: ApiArea;
  /** The success answer is an OData JSON body, so the request must accept JSON. */
  readonly answersJson: boolean;
  handle(request: ApiRequest, match: RegExpExecArray): ApiResponse;
}

/** `true` only for the literal query value `true`, as the tenant reads its boolean options. */
export function flag(query: URLSearchParams, name: string, fallback = false): boolean {
  const value = query.get(name);
  return value === null ? fallback : value.toLowerCase() === 'true';
}

/** The JSON body of a request as an object, or a 400. */
export function jsonBody(request: ApiRequest): ODataRecord {
  try {
    const parsed: unknown = JSON.parse(request.body?.toString('utf8') ?? '');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as ODataRecord;
  } catch {
    // fall through to the 400
  }
  throw new ODataError(400, 'The request body must be a JSON object');
}

/** `'x'` → `x`: the query options of SAP's function imports (Id, Version, SaveAsVersion) come in single quotes. */
export function quoted(query: URLSearchParams, name: string, fallback?: string): string {
  const raw = query.get(name);
  if (raw === null) {
    if (fallback !== undefined) return fallback;
    throw new ODataError(400, `Missing query option ${name}; expected ${name}='<value>'`);
  }
  const match = /^'(.*)'$/.exec(raw);
  if (!match)
    throw new ODataError(400, `Invalid value ${raw} for ${name}; expected it in single quotes, e.g. ${name}='${raw}'`);
  return match[1]!;
}
