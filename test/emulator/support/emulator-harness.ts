// Starts an emulator in a fresh data directory and talks to it as a plain HTTP client would, checking every answer
// against SAP's API definitions. Deliberately independent of src/tenant: a bug shared by the client and its test
// double would hide itself.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorConfig } from '../../../src/emulator/emulator-config';
import {
  startTenantEmulator,
  type TenantEmulator,
  type TenantEmulatorOptions,
} from '../../../src/emulator/tenant-emulator';
import { SapContract } from './sap-contract';

let contract: Promise<SapContract> | undefined;
/** SAP's contract, loaded once per test file. */
export function sapContract(): Promise<SapContract> {
  contract ??= SapContract.load();
  return contract;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body as received (binary answers such as a bundle zip). */
  readonly bytes: Buffer;
  /** Parsed body when it is JSON. */
  readonly json: any;
}

export interface CallOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send Basic credentials (default), a bearer token, or none. */
  readonly auth?: 'basic' | 'none' | { readonly bearer: string } | { readonly basic: readonly [string, string] };
  /** Fetch and send a CSRF token with the session cookie (default for writes). */
  readonly csrf?: boolean;
  /** Skip the contract check (for answers outside SAP's API, e.g. injected faults on undeclared paths). */
  readonly unchecked?: boolean;
}

export class Harness {
  private cookie: string | undefined;
  private csrfToken: string | undefined;

  private constructor(
    readonly emulator: TenantEmulator,
    readonly dataDir: string,
    /** The emulator's log lines. */
    readonly log: string[],
  ) {}

  static async start(config: EmulatorConfig = {}, extra: Partial<TenantEmulatorOptions> = {}): Promise<Harness> {
    // Read SAP's definitions first: when that fails, nothing has been started that would keep the test alive.
    await sapContract();
    const dataDir = extra.dataDir ?? mkdtempSync(join(tmpdir(), 'cpi-emulator-test-'));
    const log: string[] = [];
    try {
      const emulator = await startTenantEmulator({
        dataDir,
        config: { rateLimits: false, ...config },
        log: (line) => log.push(line),
        ...extra,
      });
      return new Harness(emulator, dataDir, log);
    } catch (error) {
      if (extra.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  private closed: Promise<void> | undefined;

  /**
   * Stops the emulator; keeps the data directory when asked (restart tests). Safe to call again (a `finally` after
   * an explicit close), so every test can close what it started on every path.
   */
  async close(keepData = false): Promise<void> {
    this.closed ??= this.emulator.close();
    await this.closed;
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  basicAuthorization(): string {
    const { username, password } = this.emulator.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private authorization(auth: CallOptions['auth']): Record<string, string> {
    if (auth === 'none') return {};
    if (auth === undefined || auth === 'basic') return { authorization: this.basicAuthorization() };
    if ('bearer' in auth) return { authorization: `Bearer ${auth.bearer}` };
    return { authorization: `Basic ${Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`).toString('base64')}` };
  }

  /** GET the service root with X-CSRF-Token: Fetch and keep token and session cookie. */
  async fetchCsrf(auth?: CallOptions['auth']): Promise<string> {
    const answer = await this.call('GET', '/', { headers: { 'x-csrf-token': 'Fetch' }, auth, csrf: false });
    assert.equal(answer.status, 200, answer.text);
    const setCookie = answer.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    this.csrfToken = answer.headers.get('x-csrf-token') ?? undefined;
    assert.ok(this.csrfToken, 'the CSRF fetch answers with a token');
    return this.csrfToken;
  }

  /** One request below /api/v1 (`path` as sent, e.g. `/KeystoreEntries`); the answer is checked against SAP's contract. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const writes = !['GET', 'HEAD'].includes(method);
    if ((options.csrf ?? writes) && !this.csrfToken) await this.fetchCsrf(options.auth);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.authorization(options.auth),
      ...((options.csrf ?? writes) && this.csrfToken ? { 'x-csrf-token': this.csrfToken } : {}),
      ...(this.cookie ? { cookie: this.cookie } : {}),
      ...options.headers,
    };
    const response = await fetch(`${this.emulator.apiUrl}${path}`, { method, headers, body: options.body });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: unknown;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) json = JSON.parse(text);
    if (!options.unchecked) {
      const decodedPath = decodeURIComponent(new URL(`http://x${path}`).pathname);
      const problems = (await sapContract()).check(
        method,
        decodedPath,
        response.status,
        json ?? (text ? text : undefined),
      );
      if (json === undefined && response.status >= 400)
        problems.push(`error answer ${response.status} is not JSON: ${text}`);
      assert.deepEqual(problems, [], `answer to ${method} ${path} breaks SAP's contract`);
    }
    return { status: response.status, headers: response.headers, text, bytes, json };
  }

  /** Forgets the CSRF token and cookie (a new client session). */
  resetSession(): void {
    this.cookie = undefined;
    this.csrfToken = undefined;
  }
}

/** Hex of the UTF-8 alias, computed here independently of the emulator. */
export function hex(alias: string): string {
  return Buffer.from(alias, 'utf8').toString('hex').toUpperCase();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) assert.fail(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}
