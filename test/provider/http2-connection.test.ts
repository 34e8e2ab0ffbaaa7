// The server side of the provider's own HTTP/2 connection (src/provider/http2/connection.ts), on a cleartext Unix
// socket: against node:http2's client (large bodies both ways through flow control, PING, many streams at once), and
// against frames written by hand, for what a broken or hostile client may send (RFC 9113).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  serveConnection,
  type ConnectionOptions,
  type HeaderList,
  type ServerStream,
} from '../../src/provider/http2/connection';
import { encodeHeaders } from '../../src/provider/http2/hpack';

const dir = mkdtempSync(join(tmpdir(), 'cpi-h2-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Run after each test: whatever it opened. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let sockets = 0;

/** `serveConnection` on a new Unix socket; closed (its connections destroyed) by `close`. */
async function serve(options: ConnectionOptions) {
  const path = join(dir, `h2-${sockets++}.sock`);
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    serveConnection(socket, options);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
  return { path, close };
}

/** A server-side stream as the tests see it: its headers, the data and end it received, its cancellations. */
interface Seen {
  readonly stream: ServerStream;
  readonly headers: Record<string, string>;
  readonly data: Buffer[];
  ended: boolean;
  cancelled: number;
}

/** A raw-frame server whose streams are recorded and left unanswered (the test answers them). */
async function recordingServer(maxConcurrentStreams = 10) {
  const seen: Seen[] = [];
  const served = await serve({
    maxConcurrentStreams,
    onStream: (stream, headers) => {
      const entry: Seen = { stream, headers, data: [], ended: false, cancelled: 0 };
      stream.ondata = (chunk) => entry.data.push(Buffer.from(chunk));
      stream.onend = () => (entry.ended = true);
      stream.oncancel = () => entry.cancelled++;
      seen.push(entry);
    },
  });
  cleanups.push(served.close);
  const byPath = (path: string) => seen.find((entry) => entry.headers[':path'] === path);
  return { ...served, seen, byPath };
}

/** Polls `condition` until it holds (10 s at most). */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (const start = Date.now(); !condition(); await sleep(5)) {
    if (Date.now() - start > 10_000) assert.fail(`not within 10 s: ${what}`);
  }
}

// RFC 9113 §6: frame types, flags and settings.
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const CANCEL = 0x8;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** One frame: 9 bytes of header, then the payload. */
function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)) {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, payload]);
}

/** One SETTINGS parameter. */
const setting = (id: number, value: number) => {
  const out = Buffer.alloc(6);
  out.writeUInt16BE(id, 0);
  out.writeUInt32BE(value, 2);
  return out;
};

const uint32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value, 0);
  return out;
};

/** A request's header block: POST `path`, plus `extra`. */
const requestBlock = (path: string, extra: HeaderList = []) =>
  encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', path], [':authority', 'localhost'], ...extra]);

/** HEADERS opening stream `id` on `path`, in one frame; END_STREAM unless `open`. */
const request = (id: number, path: string, open = false) =>
  frame(HEADERS, END_HEADERS | (open ? 0 : END_STREAM), id, requestBlock(path));

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** A GOAWAY's fields. */
function goAwayOf(frame: Frame) {
  return { lastStreamId: frame.payload.readUInt32BE(0) & 0x7fffffff, code: frame.payload.readUInt32BE(4) };
}

/** A client that writes bytes as given and parses every frame the server sends, in order. */
class RawClient {
  readonly frames: Frame[] = [];
  /** Resolves once the server has closed the connection (or it closed otherwise). */
  readonly closed: Promise<void>;
  isClosed = false;
  private input = Buffer.alloc(0);
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.input = Buffer.concat([this.input, chunk]);
      while (this.input.length >= 9) {
        const length = this.input.readUIntBE(0, 3);
        if (this.input.length < 9 + length) break;
        this.frames.push({
          type: this.input[3]!,
          flags: this.input[4]!,
          stream: this.input.readUInt32BE(5) & 0x7fffffff,
          payload: Buffer.from(this.input.subarray(9, 9 + length)),
        });
        this.input = this.input.subarray(9 + length);
      }
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.notify();
        resolve();
      }),
    );
  }

  /** Connected to `path`; with `preface`, the connection preface and an empty SETTINGS already sent. */
  static async open(path: string, preface = true, allowHalfOpen = false): Promise<RawClient> {
    const socket = connect({ path, allowHalfOpen });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    cleanups.push(() => socket.destroy());
    if (preface) client.send(PREFACE, frame(SETTINGS, 0, 0));
    return client;
  }

  send(...bytes: Buffer[]): void {
    this.socket.write(Buffer.concat(bytes));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** The first frame from index `from` on that matches; fails if the connection closes or 10 s pass first. */
  waitFor(what: string, match: (frame: Frame) => boolean, from = 0): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        const found = this.frames.slice(from).find(match);
        if (found) {
          done();
          resolve(found);
        } else if (this.isClosed) {
          done();
          reject(new Error(`the connection closed before ${what}; frames: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what} did not come within 10 s; frames: ${this.describe()}`));
      }, 10_000);
      this.listeners.add(check);
      check();
    });
  }

  /** A PING and its ACK: whatever the server sent before answering it has arrived. */
  async roundTrip(): Promise<void> {
    const payload = randomBytes(8);
    this.send(frame(PING, 0, 0, payload));
    await this.waitFor('the PING ACK', (f) => f.type === PING && f.flags === ACK && f.payload.equals(payload));
  }

  /** The server's GOAWAY (failing if there is none), once the server has also closed the connection. */
  async goAwayAndClose(): Promise<{ lastStreamId: number; code: number }> {
    const [goAway] = await Promise.all([this.waitFor('a GOAWAY', (f) => f.type === GOAWAY), this.closesWithin()]);
    return goAwayOf(goAway);
  }

  /** Fails unless the server closes the connection within 10 s. */
  async closesWithin(): Promise<void> {
    const timeout = sleep(10_000).then(() => 'timeout' as const);
    assert.notEqual(await Promise.race([this.closed, timeout]), 'timeout', 'the server closes the connection');
  }

  describe(): string {
    return this.frames
      .map((f) => `type ${f.type} flags ${f.flags} stream ${f.stream} (${f.payload.length})`)
      .join(', ');
  }
}

/** One request over node:http2: the response headers, the whole body and the trailers. */
async function exchange(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer) {
  const stream = session.request({ ':method': 'POST', ...headers });
  const chunks: Buffer[] = [];
  let response: http2.IncomingHttpHeaders | undefined;
  let trailers: http2.IncomingHttpHeaders | undefined;
  let bytesAtTrailers = -1;
  let received = 0;
  stream.on('response', (h) => (response = h));
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
  });
  stream.on('trailers', (t) => {
    trailers = t;
    bytesAtTrailers = received;
  });
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    stream.on('close', () => setImmediate(() => reject(new Error(`stream closed, code ${stream.rstCode}`))));
  });
  stream.end(body);
  await ended;
  return { response, data: Buffer.concat(chunks), trailers, bytesAtTrailers };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('serveConnection with node:http2 as the client', { timeout: 60_000 }, () => {
  const download = randomBytes(6 * 1024 * 1024 + 12_345); // far above the client's 64 KiB stream window
  const uploads: Buffer[] = [];
  let served: Awaited<ReturnType<typeof serve>>;
  let session: http2.ClientHttp2Session;

  before(async () => {
    served = await serve({
      maxConcurrentStreams: 100,
      onStream: (stream, headers) => {
        const path = headers[':path'] ?? '';
        if (path === '/download') {
          stream.respond([
            [':status', '200'],
            ['content-type', 'application/octet-stream'],
          ]);
          stream.write(download.subarray(0, 1000));
          stream.write(download.subarray(1000));
          stream.end([
            ['x-sha256', sha256(download)],
            ['grpc-status', '0'],
          ]);
        } else if (path === '/upload') {
          const chunks: Buffer[] = [];
          stream.ondata = (chunk) => chunks.push(Buffer.from(chunk));
          stream.onend = () => {
            const body = Buffer.concat(chunks);
            uploads.push(body);
            stream.respond([[':status', '200']]);
            stream.write(Buffer.from(sha256(body)));
            stream.end([['x-length', String(body.length)]]);
          };
        } else if (path.startsWith('/echo/')) {
          const n = Number(path.slice('/echo/'.length));
          // answers out of order
          setTimeout(
            () => {
              stream.respond([[':status', '200']]);
              stream.write(Buffer.from(`answer ${n}`));
              stream.end([['x-n', String(n)]]);
            },
            (n * 7) % 13,
          );
        } else stream.respond([[':status', '404']], true);
      },
    });
  });
  after(() => served.close());

  before(() => {
    session = http2.connect('http://localhost', { createConnection: () => connect(served.path) });
    session.on('error', () => {});
  });
  after(() => session.destroy());

  test('a body of several MB arrives byte for byte, then the trailers', async () => {
    const { response, data, trailers, bytesAtTrailers } = await exchange(session, { ':path': '/download' });
    assert.equal(response?.[':status'], 200);
    assert.equal(response?.['content-type'], 'application/octet-stream');
    assert.equal(data.length, download.length);
    assert.ok(data.equals(download), 'the body is the one sent');
    assert.equal(trailers?.['x-sha256'], sha256(download));
    assert.equal(trailers?.['grpc-status'], '0');
    assert.equal(bytesAtTrailers, download.length, 'the trailers come after the whole body');
  });

  test('a request body of 10 MB, above the server’s 4 MiB receive window, arrives intact', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    const { response, data, trailers } = await exchange(session, { ':path': '/upload' }, body);
    assert.equal(response?.[':status'], 200);
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]!.length, body.length);
    assert.ok(uploads[0]!.equals(body), 'the server received the body as sent');
    assert.equal(data.toString(), sha256(body));
    assert.equal(trailers?.['x-length'], String(body.length));
  });

  test('a PING is acknowledged with its payload', async () => {
    const payload = Buffer.from('8 bytes!');
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const sent = session.ping(payload, (error, _duration, answer) => (error ? reject(error) : resolve(answer)));
      assert.ok(sent, 'the PING was sent');
    });
    assert.deepEqual(echoed, payload);
  });

  test('many concurrent streams each get their own answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, n) => exchange(session, { ':path': `/echo/${n}` })),
    );
    answers.forEach(({ response, data, trailers }, n) => {
      assert.equal(response?.[':status'], 200);
      assert.equal(data.toString(), `answer ${n}`);
      assert.equal(trailers?.['x-n'], String(n));
    });
  });
});

describe('serveConnection with frames written by hand', { timeout: 60_000 }, () => {
  test('announces its settings and connection window, and acknowledges the client’s SETTINGS', async () => {
    const server = await recordingServer(7);
    const client = await RawClient.open(server.path);
    const settings = await client.waitFor('SETTINGS', (f) => f.type === SETTINGS && (f.flags & ACK) === 0);
    const values = new Map<number, number>();
    for (let at = 0; at < settings.payload.length; at += 6) {
      values.set(settings.payload.readUInt16BE(at), settings.payload.readUInt32BE(at + 2));
    }
    assert.deepEqual(
      Object.fromEntries(values),
      { 1: 4096, 3: 7, 4: 4 * 1024 * 1024, 5: 16_384, 6: 16_384 }, // table, streams, window, frame, header list
    );
    const update = await client.waitFor('a connection WINDOW_UPDATE', (f) => f.type === WINDOW_UPDATE);
    assert.equal(update.stream, 0);
    assert.equal(update.payload.readUInt32BE(0), 4 * 1024 * 1024 - 65_535, 'the connection window becomes 4 MiB');
    await client.waitFor('a SETTINGS ACK', (f) => f.type === SETTINGS && f.flags === ACK && f.payload.length === 0);
  });

  test('garbage instead of the connection preface closes the connection', async () => {
    const server = await recordingServer();
    const http1 = await RawClient.open(server.path, false);
    http1.send(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n'));
    await http1.closesWithin();
    // a short one too: the server does not wait for 24 bytes to know
    const short = await RawClient.open(server.path, false);
    short.send(Buffer.from('HELLO\r\n'));
    await short.closesWithin();
    assert.equal(server.seen.length, 0);
  });

  test('an invalid HPACK block gets GOAWAY COMPRESSION_ERROR, the connection ends, open streams are cancelled', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/valid', true));
    await until('stream 1 is open', () => server.seen.length === 1);
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, Buffer.from([0x80]))); // index 0 does not exist
    assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 1, code: ErrorCode.COMPRESSION_ERROR });
    assert.equal(server.seen.length, 1, 'stream 3 never reached the server');
    assert.equal(server.byPath('/valid')!.cancelled, 1);
  });

  test('a frame longer than 16384 bytes gets GOAWAY FRAME_SIZE_ERROR', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/upload', true));
    client.send(frame(DATA, 0, 1, Buffer.alloc(16_384, 7))); // the largest frame allowed
    await until(
      '16384 bytes arrived',
      () => server.byPath('/upload')?.data.reduce((n, c) => n + c.length, 0) === 16_384,
    );
    client.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, Buffer.alloc(16_385, 0x82)));
    assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 1, code: ErrorCode.FRAME_SIZE_ERROR });
    assert.equal(server.seen.length, 1);
  });

  test('a stream beyond maxConcurrentStreams is refused (REFUSED_STREAM) while the others are served', async () => {
    const server = await recordingServer(2);
    const client = await RawClient.open(server.path);
    client.send(request(1, '/one'), request(3, '/three'), request(5, '/five'));
    const reset = await client.waitFor('RST_STREAM on stream 5', (f) => f.type === RST_STREAM);
    assert.equal(reset.stream, 5);
    assert.equal(reset.payload.readUInt32BE(0), ErrorCode.REFUSED_STREAM);
    assert.deepEqual(
      server.seen.map((entry) => entry.headers[':path']),
      ['/one', '/three'],
    );
    for (const [path, id] of [
      ['/one', 1],
      ['/three', 3],
    ] as const) {
      const { stream } = server.byPath(path)!;
      stream.respond([[':status', '200']]);
      stream.write(Buffer.from(`answer ${path}`));
      stream.end([['grpc-status', '0']]);
      const data = await client.waitFor(`DATA on ${id}`, (f) => f.type === DATA && f.stream === id);
      assert.equal(data.payload.toString(), `answer ${path}`);
      await client.waitFor(
        `trailers on ${id}`,
        (f) => f.type === HEADERS && f.stream === id && !!(f.flags & END_STREAM),
      );
    }
    // both are closed now: there is room for another stream
    client.send(request(7, '/seven'));
    await until('stream 7 is served', () => server.byPath('/seven') !== undefined);
    assert.equal(client.frames.filter((f) => f.type === RST_STREAM).length, 1, 'only stream 5 was refused');
  });

  test('a client that keeps to the advertised windows can send 10 MiB: the server replenishes both windows', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    const settings = await client.waitFor('SETTINGS', (f) => f.type === SETTINGS && (f.flags & ACK) === 0);
    let streamWindow = 65_535;
    for (let at = 0; at < settings.payload.length; at += 6) {
      if (settings.payload.readUInt16BE(at) === SETTINGS_INITIAL_WINDOW_SIZE) {
        streamWindow = settings.payload.readUInt32BE(at + 2);
      }
    }
    let connectionWindow = 65_535;
    let read = 0; // frames already counted
    const count = () => {
      for (; read < client.frames.length; read++) {
        const f = client.frames[read]!;
        if (f.type !== WINDOW_UPDATE) continue;
        if (f.stream === 0) connectionWindow += f.payload.readUInt32BE(0);
        else if (f.stream === 1) streamWindow += f.payload.readUInt32BE(0);
      }
    };
    client.send(request(1, '/upload', true));
    const body = randomBytes(10 * 1024 * 1024);
    for (let offset = 0; offset < body.length;) {
      count();
      const size = Math.min(connectionWindow, streamWindow, 16_384, body.length - offset);
      if (size <= 0) {
        await client.waitFor('a WINDOW_UPDATE', (f) => f.type === WINDOW_UPDATE, read);
        continue;
      }
      const last = offset + size === body.length;
      client.send(frame(DATA, last ? END_STREAM : 0, 1, body.subarray(offset, offset + size)));
      offset += size;
      connectionWindow -= size;
      streamWindow -= size;
    }
    const upload = server.byPath('/upload')!;
    await until('the request ended', () => upload.ended);
    assert.ok(Buffer.concat(upload.data).equals(body), 'the server received the body as sent');
    const updates = client.frames.filter((f) => f.type === WINDOW_UPDATE);
    assert.ok(updates.filter((f) => f.stream === 0).length > 1, 'the connection window was replenished');
    assert.ok(
      updates.some((f) => f.stream === 1),
      'the stream window was replenished',
    );
    assert.equal(upload.cancelled, 0);
  });

  test('the server’s DATA keeps to the client’s stream and connection windows, and resumes as they open', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path, false);
    client.send(PREFACE, frame(SETTINGS, 0, 0, setting(SETTINGS_INITIAL_WINDOW_SIZE, 1000)), request(1, '/download'));
    await until('stream 1 is open', () => server.seen.length === 1);
    const body = randomBytes(70_000);
    const { stream } = server.byPath('/download')!;
    stream.respond([[':status', '200']]);
    stream.write(body);
    stream.end([['grpc-status', '0']]);
    const data = () => client.frames.filter((f) => f.type === DATA && f.stream === 1);
    const sent = () => data().reduce((n, f) => n + f.payload.length, 0);
    const ended = () => client.frames.some((f) => f.type === HEADERS && f.stream === 1 && !!(f.flags & END_STREAM));

    await client.roundTrip();
    assert.equal(sent(), 1000, 'the stream window of 1000 the client announced');
    client.send(frame(WINDOW_UPDATE, 0, 1, uint32(20_000)));
    await client.roundTrip();
    assert.equal(sent(), 21_000, 'a stream WINDOW_UPDATE lets that much more go');
    // a larger initial window opens the stream's window too (RFC 9113 §6.9.2); now the connection's 65535 bounds it
    client.send(frame(SETTINGS, 0, 0, setting(SETTINGS_INITIAL_WINDOW_SIZE, 1_000_000)));
    await client.roundTrip();
    assert.equal(sent(), 65_535, 'the connection window');
    assert.equal(ended(), false, 'no trailers while data is held back');
    client.send(frame(WINDOW_UPDATE, 0, 0, uint32(10_000)));
    await client.waitFor('the trailers', (f) => f.type === HEADERS && f.stream === 1 && !!(f.flags & END_STREAM));
    assert.ok(Buffer.concat(data().map((f) => f.payload)).equals(body), 'the body arrived whole and in order');
    assert.ok(
      data().every((f) => f.payload.length <= 16_384),
      'no DATA frame above the default SETTINGS_MAX_FRAME_SIZE',
    );
  });

  test('a WINDOW_UPDATE taking the connection window above 2^31-1 gets GOAWAY FLOW_CONTROL_ERROR', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/one'));
    await until('stream 1 is open', () => server.seen.length === 1);
    client.send(frame(WINDOW_UPDATE, 0, 0, uint32(0x7fffffff))); // 65535 + 2^31-1
    assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 1, code: ErrorCode.FLOW_CONTROL_ERROR });
    assert.equal(server.byPath('/one')!.cancelled, 1);
  });

  test('a WINDOW_UPDATE taking a stream window above 2^31-1 resets that stream only', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/one'), request(3, '/three'));
    await until('both streams are open', () => server.seen.length === 2);
    client.send(frame(WINDOW_UPDATE, 0, 1, uint32(0x7fffffff)));
    const reset = await client.waitFor('RST_STREAM', (f) => f.type === RST_STREAM);
    assert.deepEqual([reset.stream, reset.payload.readUInt32BE(0)], [1, ErrorCode.FLOW_CONTROL_ERROR]);
    await until('stream 1 is cancelled', () => server.byPath('/one')!.cancelled === 1);
    server.byPath('/three')!.stream.respond([[':status', '200']], true);
    await client.waitFor('the answer on 3', (f) => f.type === HEADERS && f.stream === 3);
    assert.equal(client.isClosed, false);
  });

  test('a PING gets a PING with the ACK flag and the same 8 bytes; a PING ACK gets nothing', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(frame(PING, ACK, 0, Buffer.from('unasked!'))); // an acknowledgement: not answered
    const payload = Buffer.from([1, 2, 3, 4, 0xfd, 0xfe, 0xff, 0]);
    client.send(frame(PING, 0, 0, payload));
    const pong = await client.waitFor('a PING', (f) => f.type === PING);
    assert.equal(pong.flags, ACK);
    assert.equal(pong.stream, 0);
    assert.deepEqual(pong.payload, payload);
    await sleep(50);
    assert.equal(client.frames.filter((f) => f.type === PING).length, 1, 'one PING answered, the ACK ignored');
  });

  test('a client RST_STREAM calls the stream’s oncancel, and the server sends nothing more on it', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/one', true), request(3, '/three', true));
    await until('both streams are open', () => server.seen.length === 2);
    client.send(frame(RST_STREAM, 0, 1, uint32(CANCEL)));
    const one = server.byPath('/one')!;
    await until('oncancel of stream 1', () => one.cancelled === 1);
    assert.equal(one.stream.closed, true);
    one.stream.respond([[':status', '200']]);
    one.stream.write(Buffer.from('too late'));
    one.stream.end([['grpc-status', '0']]);
    const three = server.byPath('/three')!;
    assert.equal(three.cancelled, 0);
    three.stream.respond([[':status', '200']], true);
    await client.waitFor('the answer on 3', (f) => f.type === HEADERS && f.stream === 3);
    const ping = Buffer.from('ordering');
    client.send(frame(PING, 0, 0, ping));
    await client.waitFor('the PING ACK', (f) => f.type === PING && f.payload.equals(ping));
    assert.deepEqual(
      client.frames.filter((f) => f.stream === 1),
      [],
      'nothing was sent on the cancelled stream',
    );
  });

  test('a header block split over HEADERS (padded, with priority) and CONTINUATIONs is decoded as one', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    const extra: HeaderList = [
      ['content-type', 'application/grpc'],
      ['x-long', 'v'.repeat(300)],
      ['te', 'trailers'],
    ];
    const block = requestBlock('/split', extra);
    // cut inside the long value and inside its length prefix
    const [a, b, c] = [10, block.indexOf(Buffer.from('x-long')) + 7, block.length - 150];
    const pieces = [block.subarray(0, a), block.subarray(a, b), block.subarray(b, c)];
    const padding = 5;
    const priority = Buffer.from([0, 0, 0, 0, 16]); // depends on stream 0, weight 17
    client.send(
      frame(
        HEADERS,
        PADDED | PRIORITY | END_STREAM,
        1,
        Buffer.concat([Buffer.from([padding]), priority, pieces[0]!, Buffer.alloc(padding)]),
      ),
      frame(CONTINUATION, 0, 1, pieces[1]!),
      frame(CONTINUATION, 0, 1, pieces[2]!),
    );
    await sleep(50);
    assert.equal(server.seen.length, 0, 'no stream before END_HEADERS');
    client.send(frame(CONTINUATION, END_HEADERS, 1, block.subarray(c)));
    await until('the stream is open', () => server.seen.length === 1);
    const [entry] = server.seen;
    assert.deepEqual(
      { ...entry!.headers },
      {
        ':method': 'POST',
        ':scheme': 'http',
        ':path': '/split',
        ':authority': 'localhost',
        'content-type': 'application/grpc',
        'x-long': 'v'.repeat(300),
        te: 'trailers',
      },
    );
    assert.equal(entry!.ended, true, 'END_STREAM of the HEADERS frame counts');
  });

  test('another frame inside a header block gets GOAWAY PROTOCOL_ERROR', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    const block = requestBlock('/split');
    client.send(
      frame(HEADERS, END_STREAM, 1, block.subarray(0, 4)),
      frame(PING, 0, 0, Buffer.alloc(8)),
      frame(CONTINUATION, END_HEADERS, 1, block.subarray(4)),
    );
    assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 0, code: ErrorCode.PROTOCOL_ERROR });
    assert.equal(server.seen.length, 0);
  });

  test('a client closing the connection cancels its open streams, not the finished ones', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/half-closed', true), request(3, '/open', false), request(5, '/done', true));
    await until('three streams are open', () => server.seen.length === 3);
    server.byPath('/done')!.stream.respond([[':status', '200']], true);
    await client.waitFor('the answer on 5', (f) => f.type === HEADERS && f.stream === 5);
    client.socket.destroy();
    await until('both open streams are cancelled', () =>
      ['/half-closed', '/open'].every((path) => server.byPath(path)!.cancelled === 1),
    );
    assert.equal(server.byPath('/done')!.cancelled, 0);
  });
});

// RFC 9113 names the error code of each malformed control frame; the connection must end with that one.
describe(
  'serveConnection answers malformed control frames with the error codes of RFC 9113',
  { timeout: 60_000 },
  () => {
    test('a PING whose payload is not 8 bytes: GOAWAY FRAME_SIZE_ERROR (§6.7)', async () => {
      const server = await recordingServer();
      const client = await RawClient.open(server.path);
      client.send(frame(PING, 0, 0, Buffer.alloc(7)));
      assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 0, code: ErrorCode.FRAME_SIZE_ERROR });
    });

    test('an RST_STREAM whose payload is not 4 bytes: GOAWAY FRAME_SIZE_ERROR (§6.4)', async () => {
      const server = await recordingServer();
      const client = await RawClient.open(server.path);
      client.send(request(1, '/one', true));
      await until('stream 1 is open', () => server.seen.length === 1);
      client.send(frame(RST_STREAM, 0, 1, Buffer.alloc(3)));
      assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 1, code: ErrorCode.FRAME_SIZE_ERROR });
    });

    test('an RST_STREAM for an idle stream: GOAWAY PROTOCOL_ERROR (§6.4)', async () => {
      const server = await recordingServer();
      const client = await RawClient.open(server.path);
      client.send(frame(RST_STREAM, 0, 9, uint32(CANCEL)));
      assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 0, code: ErrorCode.PROTOCOL_ERROR });
    });

    test('a SETTINGS ACK with a payload: GOAWAY FRAME_SIZE_ERROR (§6.5)', async () => {
      const server = await recordingServer();
      const client = await RawClient.open(server.path);
      client.send(frame(SETTINGS, ACK, 0, Buffer.from([0, 4, 0, 0, 0xff, 0xff])));
      assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 0, code: ErrorCode.FRAME_SIZE_ERROR });
    });

    test('a WINDOW_UPDATE of 0 on a stream: RST_STREAM PROTOCOL_ERROR (§6.9)', async () => {
      const server = await recordingServer();
      const client = await RawClient.open(server.path);
      client.send(request(1, '/one'));
      await until('stream 1 is open', () => server.seen.length === 1);
      client.send(frame(WINDOW_UPDATE, 0, 1, uint32(0)));
      const reset = await client.waitFor('RST_STREAM', (f) => f.type === RST_STREAM);
      assert.deepEqual([reset.stream, reset.payload.readUInt32BE(0)], [1, ErrorCode.PROTOCOL_ERROR]);
    });
  },
);

// What a hostile or broken client may try beyond single malformed frames: none of it may end the process, and a
// stream's trouble must not end the other streams.
describe('serveConnection under abuse', { timeout: 60_000 }, () => {
  test('a flood of empty CONTINUATION frames is cut off with GOAWAY, not held in memory', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    const empty = frame(CONTINUATION, 0, 1);
    client.send(frame(HEADERS, 0, 1, requestBlock('/flood')), ...Array.from({ length: 5000 }, () => empty));
    assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 0, code: ErrorCode.PROTOCOL_ERROR });
    assert.equal(server.seen.length, 0);
  });

  test('a callback that throws resets its stream only: the connection and the other streams go on', async () => {
    const served = await serve({
      maxConcurrentStreams: 10,
      onStream: (stream, headers) => {
        if (headers[':path'] === '/throws') throw new Error('a bug in onStream');
        stream.ondata = () => {
          throw new Error('a bug in ondata');
        };
        stream.onend = () => stream.respond([[':status', '200']], true);
      },
    });
    cleanups.push(served.close);
    const client = await RawClient.open(served.path);
    client.send(request(1, '/throws'), request(3, '/data', true), frame(DATA, 0, 3, Buffer.from('x')));
    client.send(request(5, '/fine'));
    const resets = await Promise.all(
      [1, 3].map((id) => client.waitFor(`RST_STREAM ${id}`, (f) => f.type === RST_STREAM && f.stream === id)),
    );
    assert.deepEqual(
      resets.map((f) => f.payload.readUInt32BE(0)),
      [ErrorCode.INTERNAL_ERROR, ErrorCode.INTERNAL_ERROR],
    );
    await client.waitFor('the answer on 5', (f) => f.type === HEADERS && f.stream === 5);
    await client.roundTrip();
  });

  test('the rest of a request the server has already answered and reset is ignored, not a connection error', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/early', true), request(3, '/later', true));
    await until('both streams are open', () => server.seen.length === 2);
    server.byPath('/early')!.stream.respond([[':status', '415']], true); // answered while the client still sends
    await client.waitFor('RST_STREAM NO_ERROR', (f) => f.type === RST_STREAM && f.stream === 1);
    // what the client had on its way: more data, then its trailers
    client.send(frame(DATA, 0, 1, Buffer.from('more')), frame(HEADERS, END_HEADERS | END_STREAM, 1, encodeHeaders([])));
    await client.roundTrip();
    const later = server.byPath('/later')!;
    later.stream.respond([[':status', '200']], true);
    await client.waitFor('the answer on 3', (f) => f.type === HEADERS && f.stream === 3);
    assert.equal(client.frames.filter((f) => f.type === GOAWAY).length, 0);
  });

  test('a header list over the announced 16 KiB is refused with 431 on its stream alone', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    const big = encodeHeaders([
      [':method', 'POST'],
      [':path', '/big'],
      ...Array.from({ length: 5 }, (_, i) => [`x-meta-${i}`, 'v'.repeat(4000)] as const),
    ]);
    const half = Math.ceil(big.length / 2);
    client.send(
      request(1, '/small', true),
      frame(HEADERS, 0, 3, big.subarray(0, half)),
      frame(CONTINUATION, END_HEADERS | END_STREAM, 3, big.subarray(half)),
    );
    const answer = await client.waitFor('the answer on 3', (f) => f.type === HEADERS && f.stream === 3);
    assert.equal(answer.flags & END_STREAM, END_STREAM);
    assert.equal(answer.payload.toString('latin1').includes('431'), true, 'the answer is :status 431');
    assert.deepEqual(
      server.seen.map((s) => s.headers[':path']),
      ['/small'],
      'the oversized request never reaches the server',
    );
    server.byPath('/small')!.stream.respond([[':status', '200']], true);
    await client.waitFor('the answer on 1', (f) => f.type === HEADERS && f.stream === 1);
  });

  test('after a GOAWAY from the client, its streams opened later are still served; a malformed one is refused', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(frame(GOAWAY, 0, 0, Buffer.concat([uint32(0), uint32(0)])), request(1, '/after'));
    await until('stream 1 reaches the server', () => server.seen.length === 1);
    server.seen[0]!.stream.respond([[':status', '200']], true);
    await client.waitFor('the answer on 1', (f) => f.type === HEADERS && f.stream === 1);

    const other = await RawClient.open(server.path);
    other.send(frame(GOAWAY, 0, 0, Buffer.alloc(3)));
    assert.deepEqual(await other.goAwayAndClose(), { lastStreamId: 0, code: ErrorCode.FRAME_SIZE_ERROR });
  });

  test('a new initial window that would take a stream window above 2^31-1 is FLOW_CONTROL_ERROR', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path);
    client.send(request(1, '/one', true));
    await until('stream 1 is open', () => server.seen.length === 1);
    client.send(frame(WINDOW_UPDATE, 0, 1, uint32(2 ** 31 - 1 - 65_535))); // the stream window at 2^31-1
    client.send(frame(SETTINGS, 0, 0, setting(SETTINGS_INITIAL_WINDOW_SIZE, 2 ** 31 - 1)));
    assert.deepEqual(await client.goAwayAndClose(), { lastStreamId: 1, code: ErrorCode.FLOW_CONTROL_ERROR });
  });

  test('a client that keeps the connection open after the server’s GOAWAY is cut off', async () => {
    const server = await recordingServer();
    const client = await RawClient.open(server.path, true, true); // it never ends its own side
    client.send(frame(PING, 0, 0, Buffer.alloc(7)));
    await client.waitFor('a GOAWAY', (f) => f.type === GOAWAY);
    await sleep(1_500);
    client.send(frame(PING, 0, 0, Buffer.alloc(8))); // a server that only ended its side would take this quietly
    await client.closesWithin();
  });
});
