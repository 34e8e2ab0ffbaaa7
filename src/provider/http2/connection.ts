// The server side of one HTTP/2 connection (RFC 9113) as gRPC uses it: request streams opened by the client,
// answered with headers, data and trailers; flow control both ways; SETTINGS, PING, WINDOW_UPDATE, RST_STREAM and
// GOAWAY. No server push, no priorities, no HTTP/1. It is ours rather than node:http2 because Terraform starts
// the provider 3-5 times per command and sends 4-5 RPCs per resource: node:http2 was the largest part of both
// costs (docs/design/terraform-and-cdktf.md, "The gRPC transport").
import type { Duplex } from 'node:stream';
import { encodeHeaders, HpackDecoder, HpackError } from './hpack';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;

const DATA = 0x0;
const HEADERS = 0x1;
const PRIORITY = 0x2;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

/** Error codes of RST_STREAM and GOAWAY. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  COMPRESSION_ERROR: 0x9,
} as const;

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;
const SETTINGS_MAX_HEADER_LIST_SIZE = 0x6;

const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
/** What this side lets a client send before it must wait: per stream, and for the connection. */
const RECEIVE_WINDOW = 4 * 1024 * 1024;
/** The frame size this side accepts: HTTP/2's default, so no client ever needs to know another. */
const MAX_FRAME_SIZE = 16_384;
const HEADER_TABLE_SIZE = 4_096;
const MAX_HEADER_LIST_SIZE = 16_384;
/** The most a header block may take on the wire, frame headers included. */
const MAX_HEADER_BLOCK_SIZE = 2 * MAX_HEADER_LIST_SIZE;
/** Bytes waiting for a client that does not read (its own answers, PING and SETTINGS acknowledgements) before it is dropped. */
const MAX_UNREAD_OUTPUT = 64 * 1024 * 1024;

/** A connection error: GOAWAY with `code`, then the connection ends. */
class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** One request stream, as the server sees it. */
export interface ServerStream {
  /** Request data, in order; `end` once the client has ended its side. */
  ondata?: (chunk: Buffer) => void;
  onend?: () => void;
  /** The client reset the stream or the connection ended before the server ended its side. */
  oncancel?: () => void;
  /** True once the server ended its side or the stream was reset. */
  readonly closed: boolean;
  /** Response headers; with `endStream` they are the whole answer (e.g. gRPC's Trailers-Only). */
  respond(headers: HeaderList, endStream?: boolean): void;
  write(data: Buffer): void;
  /** Trailers end the answer; data still held back by flow control goes first. */
  end(trailers: HeaderList): void;
  /** Ends the stream at once with RST_STREAM (NO_ERROR when the answer is complete and the rest is unread). */
  reset(code: number): void;
}

export interface ConnectionOptions {
  readonly maxConcurrentStreams: number;
  /** A new stream and its request headers (names lower case, pseudo-headers included). */
  readonly onStream: (stream: ServerStream, headers: Record<string, string>) => void;
}

/** The 9 bytes of a frame's header. */
function frameHeader(type: number, flags: number, streamId: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER);
  out.writeUIntBE(length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
  return out;
}

/**
 * A header list's block, encoded once per list: the encoding never touches the dynamic table, so the same list
 * always has the same block, and gRPC's response headers and OK trailers are the same lists on every call.
 */
const headerBlocks = new WeakMap<HeaderList, Buffer>();
function headerBlock(headers: HeaderList): Buffer {
  let block = headerBlocks.get(headers);
  if (!block) headerBlocks.set(headers, (block = encodeHeaders(headers)));
  return block;
}

function uint32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

class Stream implements ServerStream {
  ondata?: (chunk: Buffer) => void;
  onend?: () => void;
  oncancel?: () => void;
  remoteEnded = false;
  localEnded = false;
  wasReset = false;
  sendWindow: number;
  receiveUnacknowledged = 0;
  /** Data (and then trailers) waiting for send window. */
  readonly queue: Buffer[] = [];
  trailers?: HeaderList;

  constructor(
    readonly id: number,
    private readonly connection: Connection,
  ) {
    this.sendWindow = connection.peerInitialWindow;
  }

  get closed(): boolean {
    return this.localEnded || this.wasReset;
  }

  /**
   * Runs a callback of the stream's user. A callback that throws is a bug of that user, which must not end the
   * process nor the connection: the stream is reset (INTERNAL_ERROR) and the others go on.
   */
  notify<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
    if (!callback) return;
    try {
      callback(...args);
    } catch {
      if (!this.wasReset) this.reset(ErrorCode.INTERNAL_ERROR);
    }
  }

  /** A stream error found by this side: RST_STREAM with `code`, and the user is told. */
  fail(code: number): void {
    const wasClosed = this.closed;
    this.reset(code);
    if (!wasClosed) this.notify(this.oncancel);
  }

  /** The client reset the stream, or the connection ended before this side ended it. */
  cancel(): void {
    const wasClosed = this.closed;
    this.wasReset = true;
    this.queue.length = 0;
    if (!wasClosed) this.notify(this.oncancel);
  }

  respond(headers: HeaderList, endStream = false): void {
    if (this.closed) return;
    this.connection.sendHeaders(this.id, headers, endStream);
    if (endStream) this.finishLocal();
  }

  write(data: Buffer): void {
    if (this.closed || this.trailers) return;
    this.queue.push(data);
    this.connection.flushStream(this);
  }

  end(trailers: HeaderList): void {
    if (this.closed || this.trailers) return;
    this.trailers = trailers;
    this.connection.flushStream(this);
  }

  reset(code: number): void {
    if (this.wasReset) return;
    this.wasReset = true;
    this.queue.length = 0;
    this.connection.sendFrame(RST_STREAM, 0, this.id, uint32(code));
    this.connection.forget(this);
  }

  /** The server's side is done: trailers sent, or the whole answer in one HEADERS. */
  finishLocal(): void {
    this.localEnded = true;
    // A client still sending is told to stop: nothing more of the request will be read.
    if (!this.remoteEnded) this.reset(ErrorCode.NO_ERROR);
    else this.connection.forget(this);
  }
}

/** Serves HTTP/2 on `socket` (TLS already negotiated, or cleartext with prior knowledge) until it closes. */
export function serveConnection(socket: Duplex, options: ConnectionOptions): void {
  new Connection(socket, options);
}

class Connection {
  private readonly streams = new Map<number, Stream>();
  private readonly decoder = new HpackDecoder(HEADER_TABLE_SIZE, MAX_HEADER_LIST_SIZE);
  private input: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private lastStreamId = 0;
  /** A header block being continued: its stream, flags and fragments so far. */
  private continuing?: { id: number; flags: number; fragments: Buffer[]; length: number };
  private sendWindow = DEFAULT_WINDOW;
  private receiveUnacknowledged = 0;
  peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = MAX_FRAME_SIZE;
  /** Streams with data held back by a send window, in the order they were blocked. */
  private readonly blocked = new Set<Stream>();
  private readonly output: Buffer[] = [];
  private flushScheduled = false;

  constructor(
    private readonly socket: Duplex,
    private readonly options: ConnectionOptions,
  ) {
    this.sendFrame(
      SETTINGS,
      0,
      0,
      Buffer.concat(
        [
          [SETTINGS_HEADER_TABLE_SIZE, HEADER_TABLE_SIZE],
          [SETTINGS_MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
          [SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW],
          [SETTINGS_MAX_FRAME_SIZE, MAX_FRAME_SIZE],
          [SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST_SIZE],
        ].map(([id, value]) => {
          const entry = Buffer.allocUnsafe(6);
          entry.writeUInt16BE(id!, 0);
          entry.writeUInt32BE(value!, 2);
          return entry;
        }),
      ),
    );
    this.sendFrame(WINDOW_UPDATE, 0, 0, uint32(RECEIVE_WINDOW - DEFAULT_WINDOW));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.end());
    socket.on('close', () => this.cancelAll());
  }

  /** Queues a frame; its payload is not copied until the write (and must not change meanwhile). */
  sendFrame(type: number, flags: number, streamId: number, payload?: Buffer): void {
    this.send(frameHeader(type, flags, streamId, payload?.length ?? 0));
    if (payload && payload.length > 0) this.send(payload);
  }

  /** Queues bytes for the socket; everything queued in one tick goes in one write. */
  send(bytes: Buffer): void {
    this.output.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      const bytes = this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output);
      this.output.length = 0;
      if (this.socket.destroyed) return;
      this.socket.write(bytes);
      if (this.socket.writableLength > MAX_UNREAD_OUTPUT) this.socket.destroy();
    });
  }

  forget(stream: Stream): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
  }

  sendHeaders(id: number, headers: HeaderList, endStream: boolean): void {
    const block = headerBlock(headers);
    const flags = endStream ? END_STREAM : 0;
    if (block.length <= this.peerMaxFrameSize) {
      this.sendFrame(HEADERS, flags | END_HEADERS, id, block);
      return;
    }
    for (let offset = 0; offset < block.length; offset += this.peerMaxFrameSize) {
      const last = offset + this.peerMaxFrameSize >= block.length;
      const fragment = block.subarray(offset, offset + this.peerMaxFrameSize);
      this.sendFrame(
        offset === 0 ? HEADERS : CONTINUATION,
        (offset === 0 ? flags : 0) | (last ? END_HEADERS : 0),
        id,
        fragment,
      );
    }
  }

  /** Sends what the windows allow of `stream`'s queue, and its trailers once the queue is empty. */
  flushStream(stream: Stream): void {
    while (stream.queue.length > 0) {
      const allowed = Math.min(this.sendWindow, stream.sendWindow, this.peerMaxFrameSize);
      if (allowed <= 0) {
        this.blocked.add(stream);
        return;
      }
      const head = stream.queue[0]!;
      const chunk = head.length <= allowed ? head : head.subarray(0, allowed);
      if (chunk === head) stream.queue.shift();
      else stream.queue[0] = head.subarray(allowed);
      this.sendWindow -= chunk.length;
      stream.sendWindow -= chunk.length;
      this.sendFrame(DATA, 0, stream.id, chunk);
    }
    this.blocked.delete(stream);
    if (stream.trailers && !stream.localEnded) {
      this.sendHeaders(stream.id, stream.trailers, true);
      stream.finishLocal();
    }
  }

  private flushBlocked(): void {
    for (const stream of [...this.blocked]) {
      this.blocked.delete(stream);
      this.flushStream(stream);
    }
  }

  private receive(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    try {
      if (!this.prefaceSeen) {
        if (this.input.length < PREFACE.length) {
          if (!PREFACE.subarray(0, this.input.length).equals(this.input))
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'not HTTP/2');
          return;
        }
        if (!this.input.subarray(0, PREFACE.length).equals(PREFACE)) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'not HTTP/2');
        }
        this.input = this.input.subarray(PREFACE.length);
        this.prefaceSeen = true;
      }
      let offset = 0;
      while (this.input.length - offset >= FRAME_HEADER) {
        const length = this.input.readUIntBE(offset, 3);
        if (length > MAX_FRAME_SIZE) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'a frame is too large');
        if (this.input.length - offset < FRAME_HEADER + length) break;
        const type = this.input[offset + 3]!;
        const flags = this.input[offset + 4]!;
        const id = this.input.readUInt32BE(offset + 5) & 0x7fffffff;
        const payload = this.input.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + length);
        offset += FRAME_HEADER + length;
        this.onFrame(type, flags, id, payload);
        if (this.socket.destroyed) return;
      }
      this.input = offset === this.input.length ? Buffer.alloc(0) : this.input.subarray(offset);
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
      this.goAway(error.code);
    }
  }

  private cancelAll(): void {
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const stream of streams) stream.cancel();
  }

  /** Ends the connection for a protocol error: GOAWAY, then the socket; a peer that keeps it open is cut after 1 s. */
  private goAway(code: number): void {
    this.sendFrame(GOAWAY, 0, 0, Buffer.concat([uint32(this.lastStreamId), uint32(code)]));
    this.socket.removeAllListeners('data');
    this.input = Buffer.alloc(0);
    this.cancelAll();
    process.nextTick(() => this.socket.end());
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.continuing && type !== CONTINUATION) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a header block was interrupted');
    }
    switch (type) {
      case DATA:
        return this.onData(flags, id, payload);
      case HEADERS:
        return this.onHeaders(flags, id, payload);
      case CONTINUATION:
        return this.onContinuation(flags, id, payload);
      case RST_STREAM: {
        if (payload.length !== 4)
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'an RST_STREAM not 4 bytes long');
        if (id === 0 || id > this.lastStreamId) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on a stream never opened');
        }
        const stream = this.streams.get(id);
        if (!stream) return;
        this.forget(stream);
        stream.cancel();
        return;
      }
      case SETTINGS:
        return this.onSettings(flags, id, payload);
      case PING:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'a PING not 8 bytes long');
        if ((flags & ACK) === 0) this.sendFrame(PING, ACK, 0, payload);
        return;
      case GOAWAY:
        // The client will open no more streams; those it has opened are served as usual.
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'a GOAWAY shorter than 8 bytes');
        return;
      case WINDOW_UPDATE:
        return this.onWindowUpdate(id, payload);
      case PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a client must not push');
      case PRIORITY:
        if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (payload.length !== 5) this.sendFrame(RST_STREAM, 0, id, uint32(ErrorCode.FRAME_SIZE_ERROR));
        return; // priorities are advisory
      default:
        return; // unknown frame types are ignored (RFC 9113 §4.1)
    }
  }

  /** The payload without padding (and without the priority fields of HEADERS). */
  private unpadded(flags: number, payload: Buffer, priority: boolean): Buffer {
    let start = 0;
    let end = payload.length;
    if (flags & PADDED) {
      if (payload.length < 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a padded frame has no pad length');
      end -= payload[0]!;
      start = 1;
    }
    if (priority) start += 5;
    if (end < start) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds the frame');
    return payload.subarray(start, end);
  }

  private onData(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    // The whole frame, padding included, counts against the windows.
    this.receiveUnacknowledged += payload.length;
    if (this.receiveUnacknowledged > RECEIVE_WINDOW) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'the client overran the connection window');
    }
    if (this.receiveUnacknowledged >= RECEIVE_WINDOW / 2) {
      this.sendFrame(WINDOW_UPDATE, 0, 0, uint32(this.receiveUnacknowledged));
      this.receiveUnacknowledged = 0;
    }
    if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
    const stream = this.streams.get(id);
    if (!stream) return; // a stream this side has ended or reset: what still arrives is ignored (RFC 9113 §5.4.2)
    if (stream.remoteEnded) return stream.fail(ErrorCode.STREAM_CLOSED);
    stream.receiveUnacknowledged += payload.length;
    if (stream.receiveUnacknowledged > RECEIVE_WINDOW) return stream.fail(ErrorCode.FLOW_CONTROL_ERROR);
    const data = this.unpadded(flags, payload, false);
    const ended = (flags & END_STREAM) !== 0;
    if (!ended && stream.receiveUnacknowledged >= RECEIVE_WINDOW / 2) {
      this.sendFrame(WINDOW_UPDATE, 0, id, uint32(stream.receiveUnacknowledged));
      stream.receiveUnacknowledged = 0;
    }
    if (data.length > 0) stream.notify(stream.ondata, data);
    if (ended) this.endRemote(stream);
  }

  private endRemote(stream: Stream): void {
    stream.remoteEnded = true;
    if (stream.localEnded) this.forget(stream);
    stream.notify(stream.onend);
  }

  private onHeaders(flags: number, id: number, payload: Buffer): void {
    if (id === 0 || id % 2 === 0)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on a stream a client cannot open');
    const fragment = this.unpadded(flags, payload, (flags & PRIORITY_FLAG) !== 0);
    this.continuing = { id, flags, fragments: [fragment], length: fragment.length };
    if (flags & END_HEADERS) this.headerBlockDone();
  }

  private onContinuation(flags: number, id: number, payload: Buffer): void {
    const continuing = this.continuing;
    if (!continuing || continuing.id !== id)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'an unexpected CONTINUATION');
    continuing.fragments.push(payload);
    // Frame headers count too: empty CONTINUATION frames must not pile up without end.
    continuing.length += FRAME_HEADER + payload.length;
    if (continuing.length > MAX_HEADER_BLOCK_SIZE) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a header block is larger than announced');
    }
    if (flags & END_HEADERS) this.headerBlockDone();
  }

  private headerBlockDone(): void {
    const { id, flags, fragments } = this.continuing!;
    this.continuing = undefined;
    // Decoded whatever comes next: the dynamic table must follow every block the client sent.
    let decoded: { headers: [string, string][]; oversized: boolean };
    try {
      decoded = this.decoder.decode(fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments));
    } catch (error) {
      if (error instanceof HpackError) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, error.message);
      throw error;
    }
    const existing = this.streams.get(id);
    if (existing) {
      // Trailers of the request: only the end of the stream matters here.
      if (!(flags & END_STREAM) || existing.remoteEnded) return existing.fail(ErrorCode.PROTOCOL_ERROR);
      return this.endRemote(existing);
    }
    // A stream this side has reset or ended: what the client had already sent on it is ignored (RFC 9113 §5.1).
    if (id <= this.lastStreamId) return;
    this.lastStreamId = id;
    const stream = new Stream(id, this);
    if (this.streams.size >= this.options.maxConcurrentStreams) return stream.reset(ErrorCode.REFUSED_STREAM);
    this.streams.set(id, stream);
    stream.remoteEnded = (flags & END_STREAM) !== 0;
    // Headers beyond the announced SETTINGS_MAX_HEADER_LIST_SIZE: this request alone is refused (HTTP 431).
    if (decoded.oversized) return stream.respond([[':status', '431']], true);
    const headers: Record<string, string> = Object.create(null);
    for (const [name, value] of decoded.headers) {
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    stream.notify(this.options.onStream, stream, headers);
    if (stream.remoteEnded && !stream.closed) stream.notify(stream.onend);
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & ACK) {
      if (payload.length > 0)
        throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'a SETTINGS acknowledgement with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'a bad SETTINGS frame');
    for (let offset = 0; offset < payload.length; offset += 6) {
      const setting = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      if (setting === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'a window above 2^31-1');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW) {
            throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'a new initial window overflows a stream window');
          }
        }
      } else if (setting === SETTINGS_MAX_FRAME_SIZE) {
        if (value < MAX_FRAME_SIZE || value > 16_777_215)
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a bad frame size');
        this.peerMaxFrameSize = value;
      }
      // The others concern what this side may send and it never pushes nor indexes its headers.
    }
    this.sendFrame(SETTINGS, ACK, 0);
    this.flushBlocked();
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'a bad WINDOW_UPDATE');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a zero window increment');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'the window overflowed');
      this.flushBlocked();
      return;
    }
    if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
    const stream = this.streams.get(id);
    if (!stream) return;
    stream.sendWindow += increment;
    if (increment === 0 || stream.sendWindow > MAX_WINDOW) {
      return stream.fail(increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR);
    }
    if (this.blocked.has(stream)) {
      this.blocked.delete(stream);
      this.flushStream(stream);
    }
  }
}
