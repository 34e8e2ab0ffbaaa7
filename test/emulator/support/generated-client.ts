// A client the way code generators build one from SAP's API definitions (as third-party Integration Suite clients
// are): it knows nothing about the emulator, only the definitions. Every request is assembled from the operation's
// declared parameters: path values substituted into the template, each required query parameter sent with its
// declared default (or first allowed value), the declared Accept and Content-Type headers, and a CSRF token fetched
// from `GET /` for writes. It authenticates as such clients do against Cloud Foundry UAA: client_id and
// client_secret in the query string of a body-less POST to the token URL. Every answer is checked against the
// definitions, and must carry a status the operation declares.
import assert from 'node:assert/strict';
import type { Answer } from './emulator-harness';
import type { SapContract } from './sap-contract';

type Json = Record<string, any>;

export interface Invocation {
  /** Values of path parameters, by the name the template uses. */
  readonly path?: Readonly<Record<string, string>>;
  /** Query parameters the caller chooses (optional ones, or a value other than the declared default). */
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** The first value a generator would pick for a parameter: its default, else its first allowed value. */
function declaredValue(parameter: Json): string | undefined {
  const value = parameter.default ?? parameter.items?.default ?? parameter.enum?.[0] ?? parameter.items?.enum?.[0];
  return value === undefined ? undefined : String(value);
}

export class GeneratedClient {
  private token: string | undefined;
  private csrf: string | undefined;
  /** Every operation this client invoked, as `METHOD template`. */
  readonly invoked = new Set<string>();

  constructor(
    private readonly contract: SapContract,
    private readonly apiUrl: string,
    private readonly oauth: { tokenUrl: string; clientId: string; clientSecret: string },
  ) {}

  /** Client credentials in the query of a body-less POST, no Authorization header. */
  async authenticate(): Promise<void> {
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.oauth.clientId,
      client_secret: this.oauth.clientSecret,
    });
    const response = await fetch(`${this.oauth.tokenUrl}?${query}`, { method: 'POST' });
    const body = (await response.json()) as Json;
    assert.equal(response.status, 200, JSON.stringify(body));
    this.token = String(body.access_token);
  }

  /** Calls one operation, named `METHOD template` as in the definitions. */
  async invoke(name: string, invocation: Invocation = {}): Promise<Answer> {
    const op = this.contract.byName(name);
    assert.ok(op, `no operation ${name} in SAP's definitions`);
    assert.ok(this.token, 'authenticate first');
    const writes = op.method !== 'GET';
    if (writes && !this.csrf) this.csrf = await this.fetchCsrf();

    let path = op.template;
    const query = new URLSearchParams();
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    for (const parameter of op.parameters) {
      const given = parameter.in === 'path' ? invocation.path?.[parameter.name] : invocation.query?.[parameter.name];
      if (parameter.in === 'path') {
        const value = given ?? declaredValue(parameter);
        assert.ok(value !== undefined, `${name}: no value for path parameter ${parameter.name}`);
        path = path.replace(`{${parameter.name}}`, value);
      } else if (parameter.in === 'query') {
        const value = given ?? (parameter.required ? declaredValue(parameter) : undefined);
        assert.ok(
          value !== undefined || !parameter.required,
          `${name}: no value for query parameter ${parameter.name}`,
        );
        if (value !== undefined) query.set(parameter.name, value);
      } else if (parameter.in === 'header') {
        const header = String(parameter.name).toLowerCase();
        if (header === 'x-csrf-token') headers[header] = writes ? this.csrf! : 'Fetch';
        else if (parameter.required && declaredValue(parameter) !== undefined)
          headers[header] = declaredValue(parameter)!;
      }
    }
    for (const [key, value] of Object.entries(invocation.query ?? {})) if (!query.has(key)) query.set(key, value);
    // what the definition produces/consumes, where it names no header parameter
    headers.accept ??= op.produces.find((type) => type.includes('/')) ?? 'application/json';
    if (invocation.body !== undefined) headers['content-type'] ??= op.consumes[0] ?? 'application/json';

    const search = query.size > 0 ? `?${query.toString().replace(/\+/g, '%20')}` : '';
    const url = `${this.apiUrl}${encodeURI(path === '/' ? '/' : path)}${search}`;
    const response = await fetch(url, { method: op.method, headers, body: invocation.body });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: unknown;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) json = JSON.parse(text);
    const problems = this.contract.check(op.method, path, response.status, json ?? (text ? text : undefined));
    assert.deepEqual(problems, [], `answer to ${op.method} ${path} breaks SAP's contract`);
    const found = this.contract.operation(op.method, path);
    assert.equal(found && `${found.method} ${found.template}`, name, `${path} is answered as ${name}`);
    this.invoked.add(name);
    return { status: response.status, headers: response.headers, text, bytes, json };
  }

  private async fetchCsrf(): Promise<string> {
    const answer = await this.invoke('GET /');
    const token = answer.headers.get('x-csrf-token');
    assert.ok(token, 'GET / with X-CSRF-Token: Fetch answers a token');
    return token;
  }
}
