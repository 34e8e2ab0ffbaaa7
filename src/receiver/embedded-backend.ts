// ReceiverBackend over the embedded receiver's admin API (src/emulator/receiver-emulator.ts), with node's fetch.
// The receiver answers errors as {code, detail} with a code from src/errors.ts; they come back as that CpiError.
import { CpiError, errorRegistry, type ErrorCode } from '../errors';
import type { NewReceiverKey, ProbeResult, ReceiverBackend, ReceiverKey, ReceiverKeyState } from './receiver-backend';

export interface EmbeddedBackendOptions {
  /** Base URL of the receiver, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>`. @default - none */
  readonly adminToken?: string;
  /** Per-request timeout. @default 30000 (a 4096-bit key takes seconds to generate) */
  readonly timeoutMs?: number;
}

/** A receiver key as the embedded receiver's admin API sends it: dates as ISO strings. */
export type WireKey = Omit<ReceiverKey, 'createdAt' | 'retiredAt' | 'retainUntil'> & {
  createdAt: string;
  retiredAt?: string;
  retainUntil?: string;
};

/** The key behind its wire form (or behind any record with the same fields, e.g. the embedded receiver's store). */
export function fromWire(k: WireKey): ReceiverKey {
  return {
    name: k.name,
    state: k.state,
    algorithm: k.algorithm,
    certificatePem: k.certificatePem,
    fingerprintSha256: k.fingerprintSha256,
    createdAt: new Date(k.createdAt),
    ...(k.retiredAt ? { retiredAt: new Date(k.retiredAt) } : {}),
    ...(k.retainUntil ? { retainUntil: new Date(k.retainUntil) } : {}),
  };
}

/** {@link ReceiverBackend} over the embedded receiver's HTTP admin API. */
export class EmbeddedBackend implements ReceiverBackend {
  private readonly base: string;

  constructor(private readonly options: EmbeddedBackendOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  async listKeys(signal?: AbortSignal): Promise<ReceiverKey[]> {
    const { keys } = await this.call<{ keys: WireKey[] }>('GET', '/admin/keys', undefined, signal);
    return keys.map(fromWire);
  }

  async generateKey(spec: NewReceiverKey, signal?: AbortSignal): Promise<ReceiverKey> {
    return fromWire(await this.call<WireKey>('POST', '/admin/keys', spec, signal));
  }

  async setKeyState(
    name: string,
    state: ReceiverKeyState,
    options: { retainUntil?: Date },
    signal?: AbortSignal,
  ): Promise<ReceiverKey> {
    const body = { state, ...(options.retainUntil ? { retainUntil: options.retainUntil.toISOString() } : {}) };
    return fromWire(await this.call<WireKey>('PUT', `/admin/keys/${encodeURIComponent(name)}/state`, body, signal));
  }

  /** The receiver decides retention with its own clock; `now` is not sent. */
  async deleteKey(
    name: string,
    options: { now: Date; earlyDestructionReason?: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const body = options.earlyDestructionReason ? { earlyDestructionReason: options.earlyDestructionReason } : {};
    await this.call('DELETE', `/admin/keys/${encodeURIComponent(name)}`, body, signal);
  }

  async probe(certificatePem: string, signal?: AbortSignal): Promise<ProbeResult> {
    return this.call<ProbeResult>('POST', '/admin/probe', { certificatePem }, signal);
  }

  private async call<T>(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.options.adminToken ? { authorization: `Bearer ${this.options.adminToken}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CpiError(
        'CPI_RECEIVER_UNREACHABLE',
        `${method} ${this.base}${path}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
    let payload: { code?: string; detail?: string } = {};
    try {
      payload = JSON.parse(text) as typeof payload;
    } catch {
      /* not JSON: reported by status below */
    }
    if (response.status === 401) {
      throw new CpiError(
        'CPI_RECEIVER_UNAUTHORIZED',
        `${this.base} answered 401${this.options.adminToken ? ' to the admin token given' : ' (no admin token given)'}`,
      );
    }
    if (payload.code && payload.code in errorRegistry())
      throw new CpiError(
        payload.code as ErrorCode,
        payload.detail ?? '',
        payload.code.startsWith('CPI_RECEIVER_KEY') ? ['key_name'] : undefined,
      );
    throw new CpiError(
      'CPI_RECEIVER_REQUEST_REJECTED',
      `${method} ${path} answered HTTP ${response.status}: ${payload.detail ?? text.slice(0, 200)}`,
    );
  }
}
