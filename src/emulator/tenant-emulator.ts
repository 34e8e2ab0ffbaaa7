// The embedded SAP Cloud Integration tenant: the Security Content and Integration Content APIs under /api/v1, an
// OAuth2 token endpoint, and an admin endpoint for fault injection, on loopback only, with durable state.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import { CpiError } from '../errors';
import { printable } from '../log-text';
import { dispatchApiRequest, SERVICE_ROOT_OPERATION, SERVICE_ROOT_PATH } from './api-dispatcher';
import { ADMIN_BODY_LIMIT, guardAdmin, newAdminToken } from './admin-guard';
import { Authenticator } from './auth';
import { keystoreEntryFacts } from './certificate-facts';
import { CsrfGuard } from './csrf';
import { DeployScheduler } from './deploy-scheduler';
import { resolveEmulatorConfig, type EmulatorConfig } from './emulator-config';
import { DEFAULT_FAULTS, FAULT_SETTINGS_SCHEMA, FaultInjector, type FaultCounts, type FaultSettings } from './faults';
import { hexAlias } from './hex-alias';
import { designtimeArtifactRoutes } from './designtime-artifacts';
import { iflowResourceRoutes } from './iflow-resources';
import { integrationContentRoutes } from './integration-content';
import { integrationPackageRoutes } from './integration-packages';
import { MessageLog, type MessageQuery, type MessageRecord } from './message-log';
import { MessagePath, mountMessagePath } from './message-path';
import { ODataError } from './odata';
import { RateLimiter } from './rate-limit';
import { securityContentRoutes } from './security-content';
import { serviceEndpointRoutes } from './service-endpoints';
import { seedTenant } from './tenant-seed';
import { TenantStore, type DeployedChannel, type KeystoreName, type RuntimeStatus } from './tenant-store';

export interface TenantEmulatorOptions {
  /** Directory for the durable state (created when missing). */
  readonly dataDir: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Loopback only. @default '127.0.0.1' */
  readonly host?: '127.0.0.1' | 'localhost' | '::1';
  /** @default {} (see EmulatorConfig for every default) */
  readonly config?: EmulatorConfig;
  /** Receives one line per request (method, path, status, time); never credentials or tokens. @default - silent */
  readonly log?: (line: string) => void;
  /** Clock for token expiry and timestamps. @default Date.now */
  readonly now?: () => number;
  /** How long an iFlow waits for the receiver's answer to a message. @default 30000 */
  readonly receiverTimeoutMs?: number;
  /** Number of messages the message log keeps (older ones are dropped). @default 10000 */
  readonly messageLogLimit?: number;
  /** Bearer token the /emulator/* control endpoints require. @default - a fresh random one */
  readonly adminToken?: string;
}

/** Credentials that work against the emulator, as a service key would carry them. */
export interface EmulatorCredentials {
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokenUrl: string;
}

/** A keystore entry as tests see it. */
export interface EmulatorKeystoreEntry {
  readonly alias: string;
  readonly hexalias: string;
  readonly type: 'Certificate' | 'Key Pair';
  readonly owner: 'SAP' | 'Tenant Administrator';
  readonly certificatePem: string;
  readonly fingerprintSha256: string;
  readonly serialNumber: string;
}

/** A deployed iFlow as tests (and the later message path) see it. */
export interface EmulatorRuntimeArtifact {
  readonly id: string;
  readonly version: string;
  readonly status: RuntimeStatus;
  readonly errorText: string | null;
  /** The receiver channel this deployment sends with: receiver URL, encryption alias, signing alias, key reference. */
  readonly channel: DeployedChannel;
}

export interface TenantEmulator {
  /** Base URL of the tenant, e.g. `http://127.0.0.1:4711`; the API is at `${url}/api/v1`. */
  readonly url: string;
  /** `${url}/api/v1` */
  readonly apiUrl: string;
  readonly credentials: EmulatorCredentials;
  /** The token the /emulator/* control endpoints require (`Authorization: Bearer <token>`). */
  readonly adminToken: string;
  /**
   * The operations of SAP's API definitions this tenant serves, as `METHOD template` (e.g. `GET /KeystoreEntries`);
   * docs/emulator.md explains each and the ones it does not serve.
   */
  readonly servedOperations: readonly string[];
  /** Read-only views of the tenant for tests. */
  readonly state: {
    keystoreEntries(keystore?: KeystoreName): EmulatorKeystoreEntry[];
    runtimeArtifacts(): EmulatorRuntimeArtifact[];
    faults(): FaultSettings;
    /** How many faults were injected since the start, by kind. */
    faultCounts(): FaultCounts;
    /** The message log (every message posted to a sender endpoint), oldest first. */
    messages(query?: MessageQuery): MessageRecord[];
    /** The certificate of the tenant key pair under `alias` (what a receiver pins as signer); undefined when none. */
    signingCertificatePem(alias: string): string | undefined;
  };
  /** Stops listening and stops timers; the state stays in dataDir for the next start. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const validateFaults = new Ajv({ strict: false }).compile(FAULT_SETTINGS_SCHEMA);

/** Starts an emulated tenant on loopback and resolves once it listens. */
export async function startTenantEmulator(options: TenantEmulatorOptions): Promise<TenantEmulator> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new CpiError(
      'CPI_EMULATOR_CONFIG_INVALID',
      `host "${String(host)}" is not a loopback address; use 127.0.0.1`,
    );
  }
  const config = resolveEmulatorConfig(options.config);
  const now = options.now ?? Date.now;
  const store = new TenantStore(options.dataDir);
  seedTenant(store, config, now());
  const generated = store.state.generatedCredentials!;
  const users = config.users ?? [{ username: generated.username, password: generated.password }];
  const clients = config.oauthClients ?? [{ clientId: generated.clientId, clientSecret: generated.clientSecret }];

  const faults = new FaultInjector(config.faults);
  const scheduler = new DeployScheduler(store, now, {
    deployMs: config.deployDelayMs,
    undeployMs: config.undeployDelayMs,
  });
  const auth = new Authenticator(users, clients, config.tokenLifetimeSeconds, store, now);
  const parts = {
    routes: [
      ...securityContentRoutes(store, () => faults.settings.keystoreLocked),
      ...integrationContentRoutes(store, scheduler),
      ...designtimeArtifactRoutes(store),
      ...iflowResourceRoutes(store),
      ...serviceEndpointRoutes(store),
      ...integrationPackageRoutes(store),
    ],
    auth,
    csrf: new CsrfGuard(),
    limiter: new RateLimiter(config.rateLimits),
    faults,
    csrfForBearer: config.csrfForBearer,
    now,
  };

  const messageLog = new MessageLog(options.dataDir, options.messageLogLimit);
  const messagePath = new MessagePath({
    store,
    log: messageLog,
    auth,
    now,
    receiverTimeoutMs: options.receiverTimeoutMs,
  });

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const text =
      status === 413 ? 'Payload too large' : status === 500 ? 'Internal server error in the emulator' : error.message;
    if (status === 500) options.log?.(`internal error: ${error.message}`);
    void reply.code(status).type('application/json; charset=utf-8').send(new ODataError(status, text).body());
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send(new ODataError(404, `Not found: ${request.method} ${request.url.split('?')[0]}`).body());
  });
  const adminToken = options.adminToken ?? newAdminToken();
  guardAdmin(app, adminToken, ['/emulator'], (reply, status, detail) =>
    reply.code(status).type('application/json; charset=utf-8').send(new ODataError(status, detail).body()),
  );
  if (options.log) {
    const log = options.log;
    // path only: queries and headers may carry credentials (client_secret form fields, Authorization)
    app.addHook('onResponse', async (request, reply) => {
      log(
        `${request.method} ${printable(request.url.split('?')[0]!)} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)}ms`,
      );
    });
  }

  const api = (request: Parameters<typeof dispatchApiRequest>[1], reply: Parameters<typeof dispatchApiRequest>[2]) =>
    dispatchApiRequest(parts, request, reply);
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
  app.route({ method: [...METHODS], url: SERVICE_ROOT_PATH, handler: api });
  app.route({ method: [...METHODS], url: `${SERVICE_ROOT_PATH}/*`, handler: api });

  app.post('/oauth/token', async (request, reply) => {
    const url = new URL(request.url, 'http://emulator.invalid');
    const form = new URLSearchParams(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '');
    const answer = auth.issueToken(request.headers.authorization, url.searchParams, form);
    // how, never what: tests tell from this line whether a client put its secret in the URL
    if (answer.clientAuthentication)
      options.log?.(`token issued; client authenticated by ${answer.clientAuthentication}`);
    void reply
      .code(answer.status)
      .headers(answer.headers)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(answer.body));
  });

  mountMessagePath(app, messagePath, auth, messageLog);

  app.get('/emulator/faults', async (_request, reply) => {
    void reply.type('application/json; charset=utf-8').send(JSON.stringify(faults.settings));
  });
  app.put('/emulator/faults', { bodyLimit: ADMIN_BODY_LIMIT }, async (request, reply) => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '');
    } catch {
      body = undefined;
    }
    if (!validateFaults(body)) {
      const detail = validateFaults.errors?.[0];
      void reply
        .code(400)
        .type('application/json; charset=utf-8')
        .send(
          new ODataError(
            400,
            `Invalid fault settings: ${detail ? `${detail.instancePath || '(body)'} ${detail.message}` : 'send a JSON object'}`,
          ).body(),
        );
      return;
    }
    // PUT replaces: fields left out go back to no fault
    faults.update({ ...DEFAULT_FAULTS, ...(body as Partial<FaultSettings>) });
    void reply.type('application/json; charset=utf-8').send(JSON.stringify(faults.settings));
  });

  await app.listen({ port: options.port ?? 0, host });
  scheduler.resume();
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    apiUrl: `${url}${SERVICE_ROOT_PATH}`,
    servedOperations: [SERVICE_ROOT_OPERATION, ...parts.routes.map((route) => route.operation)],
    credentials: {
      username: users[0]!.username,
      password: users[0]!.password,
      clientId: clients[0]!.clientId,
      clientSecret: clients[0]!.clientSecret,
      tokenUrl: `${url}/oauth/token`,
    },
    adminToken,
    state: {
      keystoreEntries: (keystore = 'system') =>
        Object.values(store.state.keystores[keystore])
          .sort((a, b) => (a.alias < b.alias ? -1 : 1))
          .map((entry) => {
            const facts = keystoreEntryFacts(entry.certificatePem);
            return {
              alias: entry.alias,
              hexalias: hexAlias(entry.alias),
              type: entry.type,
              owner: entry.owner,
              certificatePem: entry.certificatePem,
              fingerprintSha256: facts.fingerprintSha256,
              serialNumber: facts.serialNumber,
            };
          }),
      runtimeArtifacts: () =>
        Object.values(store.state.runtime).map((artifact) => ({
          id: artifact.id,
          version: artifact.version,
          status: artifact.status,
          errorText: artifact.errorText,
          channel: { ...artifact.channel },
        })),
      faults: () => faults.settings,
      faultCounts: () => faults.counts,
      messages: (query) => messageLog.list(query),
      signingCertificatePem: (alias) => {
        const entry = store.state.keystores.system[alias];
        return entry?.type === 'Key Pair' ? entry.certificatePem : undefined;
      },
    },
    close: async () => {
      scheduler.close();
      await app.close();
      messagePath.close();
    },
  };
}
