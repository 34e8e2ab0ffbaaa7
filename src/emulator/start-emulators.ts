// Starts the embedded tenant and receiver wired to each other, on ports remembered per data directory: what
// `cpi-renewal emulator`, the demo and the tests run. The ready line says everything a client needs.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { CpiError } from '../errors';
import { loadEmulatorConfig, resolveEmulatorConfig, type EmulatorConfig, type IflowSeed } from './emulator-config';
import { startTenantEmulator, type TenantEmulator } from './tenant-emulator';
import { newAdminToken } from './admin-guard';
import { startReceiverEmulator } from './receiver-emulator';

/** Options of {@link startEmulators}, as the command line gives them. */
export interface EmulatorCommandOptions {
  /** Directory for the durable state of tenant and receiver. @default '.cpi-renewal/emulator' */
  readonly dataDir: string;
  /** @default - the port remembered in the data directory, else a free one */
  readonly tenantPort?: number;
  /** @default - the port remembered in the data directory, else a free one */
  readonly receiverPort?: number;
  /** Emulator configuration file (JSON, see EmulatorConfig). @default - the built-in defaults */
  readonly configFile?: string;
  /** Receives one line per request and lifecycle event. @default - silent */
  readonly log?: (line: string) => void;
  /**
   * The one clock of tenant and receiver (timestamps they record, retention, tokens, WS-Security timestamps).
   * Tests move it to reach "90 days later"; shared, so that what the tenant signs the receiver reads as fresh.
   * @default - the current time
   */
  readonly now?: () => Date;
}

/** The embedded receiver as this command needs it (the receiver emulator's own API is richer). */
export interface EmbeddedReceiver {
  /** Base URL; the SOAP endpoint is `${url}/soap`. */
  readonly url: string;
  /** Why the receiver refuses every message (no pinned signer), if it does. */
  readonly refusesAll?: string;
  close(): Promise<void>;
}

/** Starts the embedded receiver (startReceiverEmulator, or a stand-in in tests). */
export type ReceiverStarter = (options: {
  readonly dataDir: string;
  readonly port: number;
  readonly trustedSignerCertificatePem?: string;
  /** The token its admin API requires. */
  readonly adminToken: string;
  readonly log?: (line: string) => void;
  /** The clock the tenant uses too. */
  readonly now?: () => Date;
}) => Promise<EmbeddedReceiver>;

/** The ready line: one JSON object on one line of stdout. */
export interface EmulatorReadyLine {
  readonly event: 'ready';
  readonly tenantUrl: string;
  readonly apiUrl: string;
  readonly tokenUrl: string;
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Base URL of the embedded receiver; null when none runs. */
  readonly receiverUrl: string | null;
  /** Where the iFlows send by default: `${receiverUrl}/soap`; null when no receiver runs. */
  readonly receiverSoapUrl: string | null;
  /** The message log of the tenant (GET). */
  readonly messagesUrl: string;
  /**
   * Bearer token of the control endpoints: the receiver's /admin API and the tenant's /emulator/* endpoints.
   * Generated at each start; the provider reads it from CPI_RECEIVER_ADMIN_TOKEN.
   */
  readonly adminToken: string;
  /** PEM of the tenant key pair under each signing alias the iFlows use (what a receiver pins as signer). */
  readonly signingCertificates: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly pid: number;
}

export interface RunningEmulators {
  readonly ready: EmulatorReadyLine;
  readonly tenant: TenantEmulator;
  readonly receiver: EmbeddedReceiver | undefined;
  /** Things the user should know (e.g. iFlows still sending to an earlier receiver port); for stderr. */
  readonly warnings: readonly string[];
  /** Stops the receiver and the tenant; their state stays in the data directory. */
  close(): Promise<void>;
}

/** Ports chosen on the first start, so URLs (and the iFlows' receiver URL) stay the same across restarts. */
interface RememberedPorts {
  tenantPort?: number;
  receiverPort?: number;
}

const PORTS_FILE = 'ports.json';

function readPorts(dataDir: string): RememberedPorts {
  try {
    return JSON.parse(readFileSync(join(dataDir, PORTS_FILE), 'utf8')) as RememberedPorts;
  } catch {
    return {};
  }
}

/** A port that is free now (a tiny race until the receiver binds it is accepted: loopback, one user). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The iFlows to seed, with those that name no receiver URL sent to the embedded receiver. */
function iflowsFor(config: EmulatorConfig, receiverSoapUrl: string | undefined): readonly IflowSeed[] | undefined {
  if (!receiverSoapUrl) return config.iflows;
  const seeds: readonly IflowSeed[] =
    config.iflows ??
    resolveEmulatorConfig({}).iflows.map(({ receiverUrl: _unused, deployError, ...seed }) => ({
      ...seed,
      ...(deployError ? { deployError } : {}),
    }));
  return seeds.map((seed) => (seed.receiverUrl ? seed : { ...seed, receiverUrl: receiverSoapUrl }));
}

function listenError(error: unknown, what: string, port: number, remembered: boolean, flag: string): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') return error;
  return new CpiError(
    'CPI_EMULATOR_CONFIG_INVALID',
    `the ${what} port ${port}${remembered ? ' (remembered from an earlier start of this data directory)' : ''} is in use; stop what listens there, or pass ${flag} with another port`,
  );
}

/** Starts the tenant emulator and the embedded receiver (or `startReceiver`; none when null) wired to it. */
export async function startEmulators(
  options: EmulatorCommandOptions,
  startReceiver: ReceiverStarter | null = startReceiverEmulator,
): Promise<RunningEmulators> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const config = options.configFile ? loadEmulatorConfig(options.configFile) : {};
  const remembered = readPorts(dataDir);
  const adminToken = newAdminToken();

  let receiverPort: number | undefined;
  let receiverSoapUrl: string | undefined;
  if (startReceiver) {
    receiverPort = options.receiverPort ?? remembered.receiverPort ?? 0;
    if (receiverPort === 0) receiverPort = await freePort();
    // the iFlows' receiver URL is frozen into the tenant state, so the receiver must be reachable there next time too
    receiverSoapUrl = `http://127.0.0.1:${receiverPort}/soap`;
  }

  const tenantPort = options.tenantPort ?? remembered.tenantPort ?? 0;
  let tenant: TenantEmulator;
  try {
    tenant = await startTenantEmulator({
      dataDir: join(dataDir, 'tenant'),
      port: tenantPort,
      config: { ...config, iflows: iflowsFor(config, receiverSoapUrl) },
      adminToken,
      log: options.log,
      ...(options.now ? { now: () => options.now!().getTime() } : {}),
    });
  } catch (error) {
    throw listenError(error, 'tenant', tenantPort, options.tenantPort === undefined, '--tenant-port');
  }

  const signingAliases = [...new Set(resolveEmulatorConfig(config).iflows.map((iflow) => iflow.signingAlias))];
  const signingCertificates: Record<string, string> = {};
  for (const alias of signingAliases) {
    const pem = tenant.state.signingCertificatePem(alias);
    if (pem) signingCertificates[alias] = pem;
  }

  let receiver: EmbeddedReceiver | undefined;
  if (startReceiver && receiverPort !== undefined) {
    try {
      receiver = await startReceiver({
        dataDir: join(dataDir, 'receiver'),
        port: receiverPort,
        // the receiver pins one signer: the key pair of the first iFlow's signing alias
        trustedSignerCertificatePem: signingCertificates[signingAliases[0] ?? ''],
        adminToken,
        log: options.log,
        ...(options.now ? { now: options.now } : {}),
      });
    } catch (error) {
      await tenant.close();
      throw listenError(error, 'receiver', receiverPort, options.receiverPort === undefined, '--receiver-port');
    }
  }

  const tenantPortNow = Number(new URL(tenant.url).port);
  writeFileSync(
    join(dataDir, PORTS_FILE),
    `${JSON.stringify({ tenantPort: tenantPortNow, receiverPort: receiverPort ?? remembered.receiverPort })}\n`,
  );

  const ready: EmulatorReadyLine = {
    event: 'ready',
    tenantUrl: tenant.url,
    apiUrl: tenant.apiUrl,
    tokenUrl: tenant.credentials.tokenUrl,
    username: tenant.credentials.username,
    password: tenant.credentials.password,
    clientId: tenant.credentials.clientId,
    clientSecret: tenant.credentials.clientSecret,
    receiverUrl: receiver?.url ?? null,
    receiverSoapUrl: receiver ? `${receiver.url}/soap` : null,
    messagesUrl: `${tenant.url}/emulator/messages`,
    adminToken,
    signingCertificates,
    dataDir,
    pid: process.pid,
  };
  const warnings: string[] = [];
  if (receiver?.refusesAll) warnings.push(receiver.refusesAll);
  if (receiver && remembered.receiverPort !== undefined && remembered.receiverPort !== receiverPort) {
    const earlier = `http://127.0.0.1:${remembered.receiverPort}/soap`;
    const stale = tenant.state
      .runtimeArtifacts()
      .filter((artifact) => artifact.channel.receiverUrl === earlier)
      .map((artifact) => artifact.id);
    if (stale.length > 0) {
      warnings.push(
        `the receiver now listens on port ${receiverPort}, but iFlow(s) ${stale.join(', ')} were deployed to send to ${earlier}; start without --receiver-port to use the earlier port, or change Receiver_Address and redeploy`,
      );
    }
  }
  return {
    ready,
    tenant,
    receiver,
    warnings,
    close: async () => {
      await receiver?.close();
      await tenant.close();
    },
  };
}
