// The embedded receiver: a SOAP endpoint that verifies and decrypts what the tenant sends, as a receiver system
// does, and an admin API (JSON, under /admin) through which the receiver administrator's keys are managed, on
// loopback only, with durable state. It is the default receiver of the demo and the `embedded` receiver backend.
// Every refusal of a SOAP message looks the same to the sender (status, fault text, answer time); the cause is
// logged and counted for the admin only. Without a pinned signer the receiver refuses every message (fail closed).
//
//   POST   /soap                      WS-Security message → SOAP ack, or a generic SOAP fault (never naming keys)
//   GET    /admin/keys                every key (certificate and dates; never a private key)
//   POST   /admin/keys                {name, algorithm, subject, validityDays, state?} → the new key (201)
//   PUT    /admin/keys/:name/state    {state, retainUntil?} → the key
//   DELETE /admin/keys/:name          {earlyDestructionReason?} → 204; refused under retention
//   GET    /admin/destructions        the record of every deletion
//   POST   /admin/probe               {certificatePem} → ProbeResult
//   GET    /admin/counters            decrypted / refused messages per key fingerprint (or requested identifier)
//   DELETE /admin/counters            resets the counters
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CpiError, isCpiError, type ErrorCode } from '../errors';
import { printable } from '../log-text';
import { generateKeyPairWithCertificate } from '../pki/key-pair';
import { parseCertificatePem } from '../pki/certificate-info';
import { prepareProbeSigner, probeWithKeys } from '../receiver/canary-probe';
import { fromWire } from '../receiver/embedded-backend';
import {
  DEFAULT_RECEIVER_KEY_ALGORITHM,
  RECEIVER_KEY_ALGORITHMS,
  RECEIVER_KEY_STATES,
  validateKeyName,
} from '../rules/receiver-key';
import { checkDeletable, retainUntilFor } from '../receiver/key-retention';
import type { ProbeResult, ReceiverKey, ReceiverKeyAlgorithm, ReceiverKeyState } from '../receiver/receiver-backend';
import { genericSoapFault, loadKeyring, verifyAndDecrypt, type LoadedKeyring } from '../wssecurity/index';
import { ReplayCache } from '../wssecurity/replay-cache';
import { ADMIN_BODY_LIMIT, guardAdmin, newAdminToken } from './admin-guard';
import { messageReference, referenceLabel, referenceMatches } from './receiver-message-reference';
import { ReceiverStore, type StoredReceiverKey } from './receiver-store';

export interface ReceiverEmulatorOptions {
  /** Directory for the durable state (created when missing, mode 0700). */
  readonly dataDir: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * The tenant's signing certificate (PEM): messages must be signed by it. When not given, every message is
   * refused (there is no sender it could trust) and {@link ReceiverEmulator.refusesAll} says why.
   * @default - none
   */
  readonly trustedSignerCertificatePem?: string;
  /** Bearer token the admin API requires. @default - a fresh random one ({@link ReceiverEmulator.adminToken}) */
  readonly adminToken?: string;
  /** Every refused SOAP message is answered this long after it arrived, whatever the cause. @default 100 */
  readonly refusalAnswerMs?: number;
  /** Accept 3DES and SHA-1 from the sender. @default false */
  readonly allowLegacyAlgorithms?: boolean;
  /** One line per message and admin change; never key material or tokens. @default - silent */
  readonly log?: (line: string) => void;
  /** The clock for retention, certificates and timestamps. @default - the current time */
  readonly now?: () => Date;
}

/** Messages per key: decrypted, and refused by error code. */
export interface KeyCounters {
  decrypted: number;
  refused: Record<string, number>;
}

export interface ReceiverEmulator {
  /** Base URL, e.g. `http://127.0.0.1:4712`; SOAP at `${url}/soap`, admin API at `${url}/admin`. */
  readonly url: string;
  /** The token the admin API requires (the one given, or the one generated at start). */
  readonly adminToken: string;
  /** Why every message is refused (no pinned signer); undefined when the receiver accepts signed messages. */
  readonly refusesAll: string | undefined;
  readonly state: {
    keys(): ReceiverKey[];
    /** Keyed by key fingerprint (SHA-256), or by what a refused message asked for when it names no key here. */
    counters(): Record<string, KeyCounters>;
  };
  close(): Promise<void>;
}

/** Distinct counter labels kept; refusals for further unknown references are counted under OTHER_LABEL. */
const MAX_LABELS = 256;
const OTHER_LABEL = 'other';

const ALGORITHMS: readonly ReceiverKeyAlgorithm[] = RECEIVER_KEY_ALGORITHMS;
const STATES: readonly ReceiverKeyState[] = RECEIVER_KEY_STATES;

const STATUS: Partial<Record<ErrorCode, number>> = {
  CPI_RECEIVER_KEY_NOT_FOUND: 404,
  CPI_RECEIVER_KEY_EXISTS: 409,
  CPI_RECEIVER_KEY_RETAINED: 409,
  CPI_RECEIVER_UNAUTHORIZED: 401,
};

/** The public view of a stored key: the wire form's fields, without the private key. */
const publicKey = (k: StoredReceiverKey): ReceiverKey => fromWire(k);

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new CpiError('CPI_RECEIVER_REQUEST_REJECTED', 'the request body is not a JSON object');
  return body as Record<string, unknown>;
}

function optionalDate(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new CpiError('CPI_VALUE_INVALID', `${name} ${JSON.stringify(value)} is not an RFC 3339 time`, [name]);
  return date;
}

/** Starts the embedded receiver on 127.0.0.1. */
export async function startReceiverEmulator(options: ReceiverEmulatorOptions): Promise<ReceiverEmulator> {
  const store = new ReceiverStore(options.dataDir);
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const adminToken = options.adminToken ?? newAdminToken();
  const refusalAnswerMs = options.refusalAnswerMs ?? 100;
  const counters = new Map<string, KeyCounters>();
  const count = (label: string) => {
    let c = counters.get(label);
    if (!c) {
      // Labels come from messages: bounded in number and length, so a sender cannot grow the counters.
      const key = counters.size < MAX_LABELS ? printable(label, 128) : OTHER_LABEL;
      c = counters.get(key);
      if (!c) counters.set(key, (c = { decrypted: 0, refused: {} }));
    }
    return c;
  };
  const pinned = options.trustedSignerCertificatePem
    ? [parseCertificatePem(options.trustedSignerCertificatePem).pem]
    : undefined;
  const refusesAll = pinned
    ? undefined
    : "no signing certificate of the tenant is pinned (the iFlow's signing alias holds no key pair?): the embedded receiver refuses every message until it is started with one";
  if (refusesAll) log(`receiver: ${refusesAll}`);
  const replayCache = new ReplayCache();
  let keyring: LoadedKeyring | undefined; // the active keys, parsed once per change
  const activeKeyring = () =>
    (keyring ??= loadKeyring(
      store
        .keys()
        .filter((k) => k.state === 'active')
        .map((k) => ({ id: k.name, privateKeyPem: k.privateKeyPem, certificatePem: k.certificatePem })),
    ));
  const changed = () => (keyring = undefined);

  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  app.addContentTypeParser(
    ['text/xml', 'application/soap+xml', 'application/xml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  const soapFault = (reply: FastifyReply, soap12: boolean) =>
    reply
      .code(500)
      .type(soap12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8')
      .send(genericSoapFault(soap12 ? '1.2' : '1.1'));

  app.setErrorHandler((error: FastifyError | CpiError, request, reply) => {
    // The SOAP endpoint answers every refusal alike, also those of the HTTP layer (too large, wrong type).
    if (request.url.split('?')[0] === '/soap') {
      log(`soap refused (HTTP ${(error as FastifyError).statusCode ?? 500}): ${printable(error.message)}`);
      return soapFault(reply, /soap\+xml/.test(request.headers['content-type'] ?? ''));
    }
    if (isCpiError(error)) {
      const status = STATUS[error.code] ?? (error.code.startsWith('CPI_PROVIDER') ? 500 : 400);
      return reply.code(status).send({ code: error.code, detail: error.detail });
    }
    const status = (error as FastifyError).statusCode ?? 500;
    return reply
      .code(status)
      .send({ code: status < 500 ? 'CPI_RECEIVER_REQUEST_REJECTED' : 'CPI_PROVIDER_INTERNAL', detail: error.message });
  });

  guardAdmin(app, adminToken, ['/admin'], (reply, status, detail) =>
    reply
      .code(status)
      .send({ code: status === 401 ? 'CPI_RECEIVER_UNAUTHORIZED' : 'CPI_RECEIVER_REQUEST_REJECTED', detail }),
  );
  const admin = { bodyLimit: ADMIN_BODY_LIMIT };

  app.post('/soap', async (request, reply) => {
    const arrived = performance.now();
    const message = typeof request.body === 'string' ? request.body : '';
    const soap12 = /soap\+xml/.test(request.headers['content-type'] ?? '');
    try {
      if (!pinned) throw new CpiError('CPI_WSS_SIGNER_NOT_TRUSTED', refusesAll!);
      const result = verifyAndDecrypt(message, activeKeyring(), pinned, {
        now: now(),
        replayCache,
        allowLegacyAlgorithms: options.allowLegacyAlgorithms ?? false,
      });
      count(result.keyUsed).decrypted++;
      log(`soap decrypted with ${result.keyId} (${result.matchedBy})`);
      const element = /^\s*<([\w.-]+:)?([\w.-]+)/.exec(result.body)?.[2] ?? '';
      const ns = soap12 ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/';
      return reply
        .type(soap12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8')
        .send(
          `<soapenv:Envelope xmlns:soapenv="${ns}"><soapenv:Body><ack:Ack xmlns:ack="urn:cpi-renewal:receiver"><ack:Status>received</ack:Status><ack:Element>${element}</ack:Element></ack:Ack></soapenv:Body></soapenv:Envelope>`,
        );
    } catch (error) {
      const code = isCpiError(error) ? error.code : 'CPI_PROVIDER_INTERNAL';
      // A message refused by the limits is not read again for its label (that is what the limits prevent).
      const ref = code === 'CPI_WSS_MESSAGE_LIMIT' ? undefined : messageReference(message);
      const held = ref && store.keys().find((k) => referenceMatches(ref, parseCertificatePem(k.certificatePem)));
      const label = held ? held.fingerprintSha256 : referenceLabel(ref);
      const c = count(label);
      c.refused[code] = (c.refused[code] ?? 0) + 1;
      log(
        `soap refused (${code}) for ${held ? `key ${held.name} (${held.state})` : printable(label, 128)}: ${printable(isCpiError(error) ? error.detail : String(error))}`,
      );
      // One answer time for every cause, so that timing tells a sender nothing about why.
      await sleep(Math.max(0, refusalAnswerMs - (performance.now() - arrived)));
      return soapFault(reply, soap12);
    }
  });

  app.get('/admin/keys', async () => ({ keys: store.keys().map(publicKey) }));

  app.post('/admin/keys', admin, async (request, reply) => {
    const body = bodyOf(request);
    const name = String(body.name ?? '');
    validateKeyName(name, ['name']);
    const algorithm = (body.algorithm ?? DEFAULT_RECEIVER_KEY_ALGORITHM) as ReceiverKeyAlgorithm;
    if (!ALGORITHMS.includes(algorithm))
      throw new CpiError(
        'CPI_VALUE_INVALID',
        `algorithm ${JSON.stringify(body.algorithm)} is not one of ${ALGORITHMS.join(', ')}`,
        ['algorithm'],
      );
    const state = (body.state ?? 'active') as ReceiverKeyState;
    if (!STATES.includes(state))
      throw new CpiError('CPI_VALUE_INVALID', `state ${JSON.stringify(body.state)} is not "active" or "retired"`, [
        'state',
      ]);
    if (store.key(name))
      throw new CpiError('CPI_RECEIVER_KEY_EXISTS', `the embedded receiver already holds a key named "${name}"`, [
        'key_name',
      ]);
    const at = now();
    const pair = generateKeyPairWithCertificate({
      algorithm,
      subject: String(body.subject ?? ''),
      validityDays: Number(body.validityDays),
      now: at,
    });
    const key: StoredReceiverKey = {
      name,
      state,
      algorithm,
      certificatePem: pair.certificatePem,
      privateKeyPem: pair.privateKeyPem,
      fingerprintSha256: pair.info.fingerprintSha256,
      createdAt: at.toISOString(),
      ...(state === 'retired'
        ? { retiredAt: at.toISOString(), retainUntil: retainUntilFor(at, undefined).toISOString() }
        : {}),
    };
    store.update((s) => void s.keys.push(key));
    changed();
    log(`key ${name} generated (${algorithm}, ${state}, sha256=${key.fingerprintSha256})`);
    return reply.code(201).send(publicKey(key));
  });

  app.put<{ Params: { name: string } }>('/admin/keys/:name/state', admin, async (request) => {
    const body = bodyOf(request);
    const name = request.params.name;
    const state = body.state as ReceiverKeyState;
    if (!STATES.includes(state))
      throw new CpiError('CPI_VALUE_INVALID', `state ${JSON.stringify(body.state)} is not "active" or "retired"`, [
        'state',
      ]);
    const requested = optionalDate(body.retainUntil, 'retainUntil');
    const current = store.key(name);
    if (!current)
      throw new CpiError('CPI_RECEIVER_KEY_NOT_FOUND', `the embedded receiver holds no key named "${name}"`, [
        'key_name',
      ]);
    const next = { ...current, state };
    if (state === 'retired') {
      // Retiring again keeps the first retirement time: retention counts from the exchange.
      const retiredAt = current.state === 'retired' && current.retiredAt ? new Date(current.retiredAt) : now();
      const keep = current.state === 'retired' && current.retainUntil ? new Date(current.retainUntil) : undefined;
      next.retiredAt = retiredAt.toISOString();
      next.retainUntil = retainUntilFor(retiredAt, requested ?? keep, ['retain_until']).toISOString();
    } else {
      delete next.retainUntil;
    }
    store.update((s) => void (s.keys = s.keys.map((k) => (k.name === name ? next : k))));
    changed();
    log(`key ${name} ${state}${next.retainUntil ? ` until ${next.retainUntil}` : ''}`);
    return publicKey(next);
  });

  app.delete<{ Params: { name: string } }>('/admin/keys/:name', admin, async (request, reply) => {
    const body = bodyOf(request);
    const name = request.params.name;
    const reason = typeof body.earlyDestructionReason === 'string' ? body.earlyDestructionReason.trim() : undefined;
    const current = store.key(name);
    if (!current)
      throw new CpiError('CPI_RECEIVER_KEY_NOT_FOUND', `the embedded receiver holds no key named "${name}"`, [
        'key_name',
      ]);
    const at = now();
    const retainUntil = current.retainUntil ? new Date(current.retainUntil) : undefined;
    checkDeletable({ name, state: current.state, retainUntil, now: at, earlyDestructionReason: reason });
    const early = current.state === 'active' || (retainUntil !== undefined && at < retainUntil);
    store.update((s) => {
      s.keys = s.keys.filter((k) => k.name !== name);
      s.destroyed.push({
        name,
        fingerprintSha256: current.fingerprintSha256,
        destroyedAt: at.toISOString(),
        ...(early && reason ? { earlyDestructionReason: reason } : {}),
        ...(current.retainUntil ? { retainUntil: current.retainUntil } : {}),
      });
    });
    changed();
    log(`key ${name} deleted${early && reason ? ` early: ${printable(reason)}` : ''}`);
    return reply.code(204).send();
  });

  app.get('/admin/destructions', async () => ({ destructions: store.destroyed() }));

  app.post('/admin/probe', admin, async (request): Promise<ProbeResult> => {
    const pem = bodyOf(request).certificatePem;
    if (typeof pem !== 'string')
      throw new CpiError('CPI_VALUE_INVALID', 'certificatePem is required (the certificate to probe, PEM)', [
        'certificatePem',
      ]);
    const active = store.keys().filter((k) => k.state === 'active');
    return probeWithKeys(
      pem,
      active.map((k) => ({ name: k.name, privateKeyPem: k.privateKeyPem, certificatePem: k.certificatePem })),
      now(),
    );
  });

  app.get('/admin/counters', async () => ({ counters: Object.fromEntries(counters) }));
  app.delete('/admin/counters', async (_request, reply) => {
    counters.clear();
    return reply.code(204).send();
  });

  prepareProbeSigner();
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    adminToken,
    refusesAll,
    state: {
      keys: () => store.keys().map(publicKey),
      counters: () => structuredClone(Object.fromEntries(counters)),
    },
    close: async () => {
      await app.close();
    },
  };
}
