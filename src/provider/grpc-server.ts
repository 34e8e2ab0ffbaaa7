// gRPC's server side as a go-plugin provider needs it (PROTOCOL-HTTP2 of gRPC), on an HTTP/2 layer of our own
// (./http2/connection.ts): unary methods, and streams that stay open until the client ends them. Neither grpc-js's
// server nor node:http2: Terraform starts the provider 3-5 times per command and a plan makes 4-5 RPCs per
// resource, and their load at every start and their per-call machinery were most of both costs
// (docs/design/terraform-and-cdktf.md, "The gRPC transport"). Clients (tests, bench) use grpc-js.
import { createServer as createNetServer, type Server } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { ErrorCode, serveConnection, type HeaderList, type ServerStream } from './http2/connection';
import type { MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';

/** The gRPC status codes this server answers with. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

/** A unary method: one request, one response; a rejection becomes INTERNAL. */
export type UnaryMethod = (request: Record<string, unknown>) => Promise<object>;
/** A streaming method: it may write messages; the stream stays open until the client ends or cancels it. */
export type StreamMethod = (write: (message: object) => void) => void;
/** The methods of one service by name; a method left out is answered UNIMPLEMENTED. */
export type Implementation = Record<string, UnaryMethod | StreamMethod>;

export interface GrpcServerOptions {
  /** Go-plugin's AutoMTLS: serve TLS with this identity and accept only clients whose certificate is `clientCa`. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly clientCa: string };
  /** The largest request message accepted (Terraform's own client allows 256 MiB). */
  readonly maxMessageBytes: number;
  /** Told what a method threw (its stack): a runtime bug, since handlers answer with diagnostics. */
  readonly onError: (path: string, description: string) => void;
}

interface Route {
  readonly method: MethodDefinition<object, object>;
  readonly body: UnaryMethod | StreamMethod;
}

const FRAME_HEADER = 5; // compressed flag (1 byte) + message length (4 bytes, big endian)
const RESPONSE_HEADERS: HeaderList = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
const OK_TRAILERS: HeaderList = [['grpc-status', String(Status.OK)]];

/** Length-prefixed message framing, uncompressed. */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, FRAME_HEADER);
  return out;
}

/**
 * grpc-message's percent-encoding: the UTF-8 bytes, visible ASCII but '%' as they are, every other byte as %XX;
 * spaces too, since an HTTP/2 field value must not end with one. Unlike encodeURIComponent it cannot throw (a lone
 * surrogate becomes U+FFFD).
 */
function percentEncode(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message)) {
    out +=
      byte > 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** An answer with no message: status in the response headers ("Trailers-Only"). */
function finish(stream: ServerStream, status: number, message: string): void {
  stream.respond(
    [...RESPONSE_HEADERS, ['grpc-status', String(status)], ['grpc-message', percentEncode(message)]],
    true, // a client still sending is told to stop
  );
}

/** What a failed method says of itself, whatever it threw (an object with no prototype has no toString). */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? (error.stack ?? String(error)) : String(error);
  } catch {
    return 'the method failed';
  }
}

class StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Request bytes being read, across all calls of a server: what a client may make it hold at once. */
interface ReadBudget {
  inUse: number;
  readonly limit: number;
}

/**
 * The single message of a unary request, once the client has ended its side, read into one buffer of the size its
 * length prefix declares. Refused at once, not buffered to the end: a message declared over `maxBytes`, more bytes
 * than declared, or a declared size the server's read budget cannot hold beside the other calls in progress.
 */
function readMessage(stream: ServerStream, maxBytes: number, budget: ReadBudget): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const prefix = Buffer.alloc(FRAME_HEADER);
    let prefixLength = 0;
    let message: Buffer | undefined;
    let filled = 0;
    let reserved = 0;
    const settle = (error?: StatusError) => {
      stream.ondata = stream.onend = stream.oncancel = undefined;
      budget.inUse -= reserved;
      reserved = 0;
      if (error) reject(error);
      else resolve(message ?? Buffer.alloc(0));
    };
    stream.ondata = (chunk: Buffer) => {
      let offset = 0;
      if (prefixLength < FRAME_HEADER) {
        offset = chunk.copy(prefix, prefixLength, 0, FRAME_HEADER - prefixLength);
        prefixLength += offset;
        if (prefixLength < FRAME_HEADER) return;
        if (prefix[0] !== 0)
          return settle(new StatusError(Status.UNIMPLEMENTED, 'compressed messages are not accepted'));
        const declared = prefix.readUInt32BE(1);
        if (declared > maxBytes) {
          return settle(new StatusError(Status.RESOURCE_EXHAUSTED, `the request is larger than ${maxBytes} bytes`));
        }
        if (budget.inUse + declared > budget.limit) {
          return settle(
            new StatusError(Status.RESOURCE_EXHAUSTED, 'the requests in progress already hold the memory allowed'),
          );
        }
        budget.inUse += reserved = declared;
        message = Buffer.allocUnsafe(declared);
      }
      if (filled + chunk.length - offset > message!.length) {
        return settle(new StatusError(Status.INTERNAL, 'the request is not exactly one message'));
      }
      filled += chunk.copy(message!, filled, offset);
    };
    stream.onend = () => {
      if (prefixLength < FRAME_HEADER) return settle(new StatusError(Status.INTERNAL, 'the request has no message'));
      if (filled !== message!.length) {
        return settle(new StatusError(Status.INTERNAL, 'the request is not exactly one message'));
      }
      settle();
    };
    stream.oncancel = () => settle(new StatusError(Status.CANCELLED, 'the client cancelled the call'));
  });
}

/** The request message decoded; bytes that are not one is the client's error, not a bug of a method. */
function decode(route: Route, bytes: Buffer): Record<string, unknown> {
  try {
    return route.method.requestDeserialize(bytes) as Record<string, unknown>;
  } catch (error) {
    const reason = describe(error).split('\n')[0];
    throw new StatusError(Status.INTERNAL, `the request is not a ${route.method.path} message: ${reason}`);
  }
}

/** gRPC's content types: application/grpc, optionally +format or ;parameters. */
const GRPC_CONTENT_TYPE = /^application\/grpc([+;]|$)/;
/** Terraform runs at most 10 operations at once by default, plus go-plugin's 2-3 long-lived streams. */
const MAX_CONCURRENT_STREAMS = 100;
/** Unary calls whose handlers still run, including those the client has cancelled (a handler runs to its end). */
const MAX_RUNNING_CALLS = MAX_CONCURRENT_STREAMS;

/** An HTTP/2 server (TLS with `options.tls`, cleartext otherwise) serving `services`; not yet listening. */
export function createGrpcServer(
  services: ReadonlyArray<readonly [ServiceDefinition, Implementation]>,
  options: GrpcServerOptions,
): Server {
  const routes = new Map<string, Route>();
  for (const [definition, implementation] of services) {
    for (const [name, method] of Object.entries(definition)) {
      const body = implementation[name];
      if (body) routes.set(method.path, { method: method as MethodDefinition<object, object>, body });
    }
  }

  // Every byte of a request is held until its call reads it whole, and a handler runs on after its client cancels:
  // both are bounded per server, so that no client (Terraform has 10 calls in flight) can exhaust the process.
  const budget: ReadBudget = { inUse: 0, limit: 2 * options.maxMessageBytes };
  let running = 0;

  /** onError, which must not turn a failed call into a failed process. */
  const report = (path: string, description: string) => {
    try {
      options.onError(path, description);
    } catch {
      // nowhere left to report to
    }
  };

  async function unary(stream: ServerStream, path: string, route: Route): Promise<void> {
    if (running >= MAX_RUNNING_CALLS) {
      return finish(stream, Status.RESOURCE_EXHAUSTED, `${MAX_RUNNING_CALLS} calls are in progress already`);
    }
    running++;
    try {
      const request = decode(route, await readMessage(stream, options.maxMessageBytes, budget));
      const response = await (route.body as UnaryMethod)(request);
      const message = frame(route.method.responseSerialize(response));
      if (stream.closed) return; // cancelled by the client meanwhile: nobody is waiting
      stream.respond(RESPONSE_HEADERS);
      stream.write(message);
      stream.end(OK_TRAILERS);
    } catch (error) {
      if (error instanceof StatusError) return finish(stream, error.status, error.message);
      const description = describe(error);
      report(path, description);
      finish(stream, Status.INTERNAL, description.split('\n')[0]!);
    } finally {
      running--;
    }
  }

  function open(stream: ServerStream, path: string, route: Route): void {
    stream.respond(RESPONSE_HEADERS);
    // Whatever the client sends on it is not read. A client stream ended by the client is done; a server stream
    // lasts until the client cancels it.
    if (route.method.requestStream) stream.onend = () => stream.end(OK_TRAILERS);
    try {
      (route.body as StreamMethod)((message) => stream.write(frame(route.method.responseSerialize(message))));
    } catch (error) {
      report(path, describe(error));
      stream.reset(ErrorCode.INTERNAL_ERROR);
    }
  }

  const onStream = (stream: ServerStream, headers: Record<string, string>) => {
    const path = headers[':path'] ?? '';
    const route = routes.get(path);
    if (headers[':method'] !== 'POST' || !GRPC_CONTENT_TYPE.test(headers['content-type'] ?? '')) {
      stream.respond([[':status', '415']], true);
    } else if (!route) finish(stream, Status.UNIMPLEMENTED, `${path} is not served`);
    else if (route.method.requestStream || route.method.responseStream) open(stream, path, route);
    else void unary(stream, path, route);
  };
  const connection = { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, onStream };
  const serve = (socket: Parameters<typeof serveConnection>[0]) => serveConnection(socket, connection);
  const tls = options.tls;
  if (!tls) return createNetServer(serve);

  // The TLS side (the tls module and OpenSSL's context, ≈ 4 ms) is not needed before a client connects: it is built
  // right after the server starts listening, while Terraform still reads the handshake line, or at once by a
  // connection that comes first. The listening server hands each connection to it as it accepts it. So a key or
  // certificate OpenSSL cannot read fails only then, as an uncaught error; the provider's own identity
  // (tls-certificate.ts) always can, and a CA it cannot read is ignored (no client is then accepted).
  let tlsServer: TlsServer | undefined;
  const secure = (): TlsServer =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed, and synchronously
    (tlsServer ??= (require('node:tls') as typeof import('node:tls')).createServer(
      {
        key: tls.key,
        cert: tls.cert,
        ca: tls.clientCa,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        ALPNProtocols: ['h2'],
      },
      serve,
    ));
  const server = createNetServer((socket) => secure().emit('connection', socket));
  server.once('listening', () => setImmediate(secure));
  return server;
}
