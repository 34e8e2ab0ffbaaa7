// go-plugin's side of the process contract: magic cookie, protocol negotiation, AutoMTLS, the handshake line on
// stdout, and go-plugin's own services (controller, stdio, broker, health) next to the provider service.
import { writeSync } from 'node:fs';
import * as grpc from './grpc-server';
import { createLogger, type Logger } from './logger';
import { ProviderService } from './provider-service';
import { loadPluginProtocols } from './proto/load-protocols';
import type { ProviderDefinition } from './resource';
import { createTlsIdentity } from './tls-certificate';
import { listenOnLoopback } from './loopback-listener';

const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const CORE_PROTOCOL_VERSION = 1;
const PROVIDER_PROTOCOL_VERSION = 6;

type UnaryHandler = (request: Record<string, unknown>) => Promise<Record<string, unknown>>;

function unary(
  handler: UnaryHandler,
  log: Logger,
  method: string,
): grpc.handleUnaryCall<Record<string, unknown>, unknown> {
  return (call, callback) => {
    handler(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => {
        // ProviderService turns errors into diagnostics; reaching this is a runtime bug.
        log.error('rpc failed', { method, error: error instanceof Error ? error.stack : String(error) });
        callback({ code: grpc.status.INTERNAL, message: String(error) });
      },
    );
  };
}

/** Starts serving and prints the handshake line; returns once Terraform can connect. */
export async function servePlugin<P>(definition: ProviderDefinition<P>, env = process.env): Promise<grpc.Server> {
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

  const log = createLogger().with({ '@module': `provider.${definition.name}` });
  const protocols = loadPluginProtocols();
  const service = new ProviderService(definition, log);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    // channelz bookkeeping (per-call counters and traces) serves only a channelz service, which this process
    // does not offer; it costs time on every one of a plan's thousands of calls.
    'grpc.enable_channelz': 0,
  });

  const handlers = service.handlers();
  server.addService(
    protocols.provider,
    Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, unary(h, log, name)])),
  );
  // Unimplemented RPCs of the provider service (ephemeral resources, functions) are answered by grpc-js as
  // UNIMPLEMENTED; Terraform 1.11 calls none of them for a provider that announces none.
  server.addService(protocols.controller, {
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<object>) => {
      callback(null, {});
      // go-plugin waits 2 s for the process to end before killing it: end at once.
      setImmediate(() => process.exit(0));
    },
  });
  server.addService(protocols.stdio, {
    StreamStdio: () => {
      // Kept open and silent: this provider writes nothing to stdout after the handshake.
    },
  });
  server.addService(protocols.broker, {
    StartStream: () => {
      // No extra connections are brokered; the stream stays open until Terraform closes it.
    },
  });
  server.addService(protocols.health, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { status: 'SERVING' }),
    Watch: (call: grpc.ServerWritableStream<unknown, object>) => call.write({ status: 'SERVING' }),
  });

  const clientCert = env.PLUGIN_CLIENT_CERT;
  const identity = clientCert ? createTlsIdentity() : undefined;
  const credentials = identity
    ? grpc.ServerCredentials.createSsl(
        Buffer.from(clientCert!),
        [{ private_key: Buffer.from(identity.privateKeyPem), cert_chain: Buffer.from(identity.certificatePem) }],
        true,
      )
    : grpc.ServerCredentials.createInsecure();

  const port = await listenOnLoopback(server, credentials);
  // go's base64.RawStdEncoding: no padding.
  const certField = identity ? identity.certificateDer.toString('base64').replace(/=+$/, '') : '';
  writeSync(1, `${CORE_PROTOCOL_VERSION}|${PROVIDER_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${certField}\n`);
  log.debug('provider serving', { port, tls: Boolean(identity) });
  return server;
}
