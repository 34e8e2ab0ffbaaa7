// go-plugin's side of the process contract: magic cookie, protocol negotiation, AutoMTLS, the handshake line on
// stdout, and go-plugin's own services (controller, stdio, broker, health) next to the provider service.
// A second way in: served for a run of Terraform commands (./served-provider.ts starts it), which Terraform
// reaches through TF_REATTACH_PROVIDERS instead of starting the provider 3-5 times per command.
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toDiagnostic } from './diagnostics';
import { createGrpcServer, type GrpcServerOptions, type Implementation, type UnaryMethod } from './grpc-server';
import { createLogger, type Logger } from './logger';
import { ProviderService } from './provider-service';
import { loadPluginProtocols } from './proto/load-protocols';
import type { ProviderDefinition } from './resource';
import { createTlsIdentity } from './tls-certificate';
import { CpiError } from '../errors';

const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const CORE_PROTOCOL_VERSION = 1;
const PROVIDER_PROTOCOL_VERSION = 6;

/** Starts serving and prints the handshake line; returns once Terraform can connect. */
export async function servePlugin<P>(definition: ProviderDefinition<P>, env = process.env): Promise<void> {
  if (env[SERVE_ENV] && process.send) return serveForCommands(definition, env[SERVE_ENV]);
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write(
      `This is the Terraform provider for SAP Cloud Integration certificate renewal (${definition.name} v${definition.version}).\n` +
        'It is started by Terraform, not by hand. Install it with: cpi-renewal provider install\n',
    );
    process.exit(1);
  }
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(PROVIDER_PROTOCOL_VERSION)).split(',').map(Number);
  if (!offered.includes(PROVIDER_PROTOCOL_VERSION)) {
    process.stderr.write(
      `Terraform offers plugin protocol versions ${offered.join(', ')}; this provider speaks 6 (Terraform 1.0 or later).\n`,
    );
    process.exit(1);
  }
  // Ctrl-C reaches the whole process group; Terraform answers it with StopProvider, so the signal itself is ignored.
  process.on('SIGINT', () => {});

  const log = logger(definition);
  const clientCert = env.PLUGIN_CLIENT_CERT;
  const identity = clientCert ? createTlsIdentity() : undefined;
  const server = pluginServer(
    new ProviderService(definition, log).handlers(),
    log,
    () => {
      // End as soon as Terraform hangs up, which go-plugin does right after Shutdown's answer: exiting at once
      // could cut that answer off. Terraform would kill the process 2 s after Shutdown; end after 1 s regardless.
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 1000).unref();
    },
    identity && { key: identity.privateKeyPem, cert: identity.certificatePem, clientCa: clientCert! },
  );
  const address = await listen(server, env);
  // go's base64.RawStdEncoding: no padding.
  const certField = identity ? identity.certificateDer.toString('base64').replace(/=+$/, '') : '';
  writeSync(1, `${CORE_PROTOCOL_VERSION}|${PROVIDER_PROTOCOL_VERSION}|${address}|grpc|${certField}\n`);
  log.debug('provider serving', { address, tls: Boolean(identity) });
}

/**
 * Where Terraform reaches a launched provider, as the handshake names it (`network|address`): a Unix socket in a
 * fresh directory only this user can open, as go-plugin's own servers do (no port any local user could knock on,
 * and no DNS module loaded to bind 127.0.0.1); a loopback port on Windows. The directory goes when the process ends,
 * unless it is killed (SIGKILL).
 */
function listen(server: Server, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (process.platform === 'win32') {
      server.listen(0, '127.0.0.1', () => resolve(`tcp|127.0.0.1:${(server.address() as AddressInfo).port}`));
      return;
    }
    const dir = mkdtempSync(join(env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), 'cpi-provider-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    process.once('SIGTERM', () => process.exit(143)); // terminated, it still removes the directory
    const socket = join(dir, 'plugin.sock');
    server.listen(socket, () => resolve(`unix|${socket}`));
  });
}

/** Set (to the socket path) by ./served-provider.ts, which forks this process with an IPC channel. */
export const SERVE_ENV = 'CPI_PROVIDER_SERVE_SOCKET';

/** Messages between ./served-provider.ts and the served process. */
export type ServeMessage =
  | { readonly event: 'serving' }
  | { readonly command: 'enter'; readonly dir: string; readonly id: number }
  | { readonly event: 'entered'; readonly id: number };

/**
 * Serves one provider process for a run of Terraform commands, one at a time, reached through
 * TF_REATTACH_PROVIDERS on a Unix socket in a directory only this user can open (Terraform connects to a
 * reattached provider without TLS). Before each command the runner says `enter <dir>`: the process moves to
 * Terraform's working directory (relative paths in the configuration mean what they mean to a launched provider)
 * and starts a fresh provider service, so that nothing (configuration, caches, a StopProvider) carries over from
 * one command to the next; a configuration still starts its own caches, as each of Terraform's walks does.
 */
async function serveForCommands<P>(definition: ProviderDefinition<P>, socketPath: string): Promise<void> {
  process.on('SIGINT', () => {}); // as above; the runner ends this process
  const log = logger(definition);
  let handlers = new ProviderService(definition, log).handlers();
  // Terraform opens one connection per provider block, and RPCs do not say which block they serve: within one
  // command every block must therefore carry the same settings.
  let configuration: string | undefined;
  const served: Record<string, UnaryMethod> = Object.fromEntries(
    Object.keys(handlers).map((name) => [name, (request: Record<string, unknown>) => handlers[name]!(request)]),
  );
  served.ConfigureProvider = async (request) => {
    const config = request.config as { msgpack?: Uint8Array; json?: Uint8Array } | undefined;
    const settings = Buffer.from(config?.msgpack ?? config?.json ?? []).toString('base64');
    if (configuration !== undefined && configuration !== settings) {
      const conflict = new CpiError(
        'CPI_PROVIDER_SERVED_CONFIG_CONFLICT',
        'this stack has provider blocks with different settings, and a served provider cannot tell which block an operation belongs to',
      );
      return { diagnostics: [toDiagnostic(conflict)] };
    }
    configuration = settings;
    return handlers.ConfigureProvider!(request);
  };
  // Terraform never shuts a reattached provider down; its runner ends it.
  const server = pluginServer(served, log, () => log.debug('shutdown ignored: the runner ends a served provider'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  process.on('message', (message: ServeMessage) => {
    if (!('command' in message) || message.command !== 'enter') return;
    process.chdir(message.dir);
    handlers = new ProviderService(definition, log).handlers();
    configuration = undefined;
    process.send!({ event: 'entered', id: message.id } satisfies ServeMessage);
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ event: 'serving' } satisfies ServeMessage);
  log.debug('provider served for a run of commands', { socket: socketPath });
}

function logger<P>(definition: ProviderDefinition<P>): Logger {
  return createLogger().with({ '@module': `provider.${definition.name}` });
}

/** The gRPC server: the provider service plus go-plugin's own services; TLS with `tls`, cleartext otherwise. */
function pluginServer(
  handlers: Record<string, UnaryMethod>,
  log: Logger,
  onShutdown: () => void,
  tls?: GrpcServerOptions['tls'],
) {
  const protocols = loadPluginProtocols();
  const services: [typeof protocols.provider, Implementation][] = [
    // RPCs it leaves out (ephemeral resources, functions) are answered UNIMPLEMENTED; Terraform 1.11 calls none
    // of them for a provider that announces none.
    [protocols.provider, handlers],
    [
      protocols.controller,
      {
        Shutdown: async () => {
          onShutdown();
          return {};
        },
      },
    ],
    // Kept open and silent: this provider writes nothing to stdout after the handshake.
    [protocols.stdio, { StreamStdio: () => {} }],
    // No extra connections are brokered; the stream stays open until Terraform closes it.
    [protocols.broker, { StartStream: () => {} }],
    [
      protocols.health,
      {
        Check: async () => ({ status: 'SERVING' }),
        Watch: (write: (message: object) => void) => write({ status: 'SERVING' }),
      },
    ],
  ];
  return createGrpcServer(services, {
    tls,
    maxMessageBytes: 256 * 1024 * 1024,
    // ProviderService turns errors into diagnostics; reaching this is a runtime bug.
    onError: (method, error) => log.error('rpc failed', { method, error }),
  });
}
