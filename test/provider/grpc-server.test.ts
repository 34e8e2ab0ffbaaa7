// The provider's own gRPC server (src/provider/grpc-server.ts) against grpc-js's client: what Terraform's Go client
// relies on (unary answers, statuses, open streams, AutoMTLS) and what a broken or hostile client must not do to it.
// Terraform itself drives it in terraform-e2e and served-provider-e2e.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type Implementation } from '../../src/provider/grpc-server';
import { loadPluginProtocols } from '../../src/provider/proto/load-protocols';
import { createTlsIdentity, type TlsIdentity } from '../../src/provider/tls-certificate';
import { autoMtls, callUnary, pluginClient, type PluginClient } from '../support/plugin-client';

type StreamClient = grpc.Client & Record<string, (request?: object) => grpc.ClientReadableStream<object>>;

const clientOf = pluginClient;
const call = callUnary;
const tlsCredentials = (server: TlsIdentity, client: TlsIdentity) => autoMtls(server.certificatePem, client);

const protocols = loadPluginProtocols();
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Serves `implementation` as tfplugin6.Provider (plus health and broker) on a Unix socket; returns its address. */
async function serve(
  implementation: Implementation,
  options: { tls?: { server: TlsIdentity; client: TlsIdentity }; maxMessageBytes?: number } = {},
) {
  const errors: unknown[] = [];
  const server = createGrpcServer(
    [
      [protocols.provider, implementation],
      [
        protocols.health,
        {
          Check: async () => ({ status: 'SERVING' }),
          Watch: (write: (message: object) => void) => write({ status: 'SERVING' }),
        },
      ],
      [protocols.broker, { StartStream: () => {} }],
    ],
    {
      tls: options.tls && {
        key: options.tls.server.privateKeyPem,
        cert: options.tls.server.certificatePem,
        clientCa: options.tls.client.certificatePem,
      },
      maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
      onError: (_path, error) => errors.push(error),
    },
  );
  const dir = mkdtempSync(join(tmpdir(), 'cpi-grpc-test-'));
  dirs.push(dir);
  const socket = join(dir, 'plugin.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { address: `unix:${socket}`, socket, errors, close: () => server.close() };
}

describe('the provider gRPC server', { timeout: 60_000 }, () => {
  describe('over AutoMTLS', () => {
    const serverIdentity = createTlsIdentity();
    const terraform = createTlsIdentity();
    let served: Awaited<ReturnType<typeof serve>>;
    let calls = 0;
    before(async () => {
      served = await serve(
        {
          GetMetadata: async () => {
            calls++;
            return { resources: [{ type_name: 'cpi_test' }], diagnostics: [] };
          },
        },
        { tls: { server: serverIdentity, client: terraform } },
      );
    });
    after(() => served.close());

    test('answers the client whose certificate Terraform sent', async () => {
      const provider = clientOf('tfplugin6.Provider', served.address, tlsCredentials(serverIdentity, terraform));
      const answer = await call(provider, 'GetMetadata', {});
      assert.deepEqual(answer.resources, [{ type_name: 'cpi_test' }]);
      provider.close();
    });

    test('refuses any other client before a method runs', async () => {
      const before = calls;
      const stranger = clientOf(
        'tfplugin6.Provider',
        served.address,
        tlsCredentials(serverIdentity, createTlsIdentity()),
      );
      await assert.rejects(call(stranger, 'GetMetadata', {}), { code: grpc.status.UNAVAILABLE });
      const plaintext = clientOf('tfplugin6.Provider', served.address, grpc.credentials.createInsecure());
      await assert.rejects(call(plaintext, 'GetMetadata', {}), { code: grpc.status.UNAVAILABLE });
      assert.equal(calls, before);
      stranger.close();
      plaintext.close();
    });

    test('a client that connects before the TLS side is built gets mutual TLS all the same', async () => {
      const server = createGrpcServer([[protocols.health, { Check: async () => ({ status: 'SERVING' }) }]], {
        tls: {
          key: serverIdentity.privateKeyPem,
          cert: serverIdentity.certificatePem,
          clientCa: terraform.certificatePem,
        },
        maxMessageBytes: 1024,
        onError: () => {},
      });
      const dir = mkdtempSync(join(tmpdir(), 'cpi-grpc-test-'));
      dirs.push(dir);
      const path = join(dir, 'plugin.sock');
      const connect = (client: TlsIdentity) =>
        tls.connect({
          path,
          servername: 'localhost',
          ca: serverIdentity.certificatePem,
          key: client.privateKeyPem,
          cert: client.certificatePem,
          ALPNProtocols: ['h2'],
        });
      /** Sends HTTP/2's preface once connected: served if the answer is a frame of type SETTINGS (4). */
      const outcome = (socket: net.Socket, connected: string) =>
        new Promise<string>((resolve) => {
          socket.once(connected, () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
          socket.once('data', (bytes: Buffer) => resolve(bytes[3] === 4 ? 'served' : 'refused'));
          socket.once('error', () => resolve('refused')).once('close', () => resolve('refused'));
        }).finally(() => socket.destroy());
      // Listening from within a check phase puts the set-up (a setImmediate) behind the poll phase that accepts
      // these three connections.
      const early = await new Promise<Promise<string>[]>((resolve) =>
        setImmediate(() =>
          server.listen(path, () =>
            resolve([
              outcome(connect(terraform), 'secureConnect'),
              outcome(connect(createTlsIdentity()), 'secureConnect'),
              outcome(net.connect(path), 'connect'),
            ]),
          ),
        ),
      );
      assert.deepEqual(await Promise.all(early), ['served', 'refused', 'refused']);
      server.close();
    });
  });

  describe('in cleartext (a served provider on its private socket)', () => {
    let served: Awaited<ReturnType<typeof serve>>;
    let provider: PluginClient;
    let validated = 0;
    let release = () => {};
    let held = new Promise<void>((resolve) => (release = resolve));
    before(async () => {
      served = await serve(
        {
          // answers out of order: each request must still get its own answer
          ValidateResourceConfig: async (request: Record<string, unknown>) => {
            validated++;
            const n = Number((request.type_name as string).slice(1));
            await sleep((n * 7) % 13);
            return { diagnostics: [{ severity: 'WARNING', summary: request.type_name, detail: '' }] };
          },
          GetMetadata: async () => {
            throw new Error('a bug in a handler');
          },
          StopProvider: async () => {
            await sleep(200);
            return { Error: '' };
          },
          // held until the test releases it: a handler that runs on after its client has gone
          ApplyResourceChange: async () => {
            await held;
            return {};
          },
          // what a careless method may throw: text cut inside an emoji, and an object with no toString
          GetFunctions: async () => {
            throw new Error('cut \n😀'.slice(0, -1));
          },
          CallFunction: async () => {
            throw Object.create(null) as Error;
          },
        },
        { maxMessageBytes: 256 },
      );
      provider = clientOf('tfplugin6.Provider', served.address, grpc.credentials.createInsecure());
    });
    after(() => {
      provider.close();
      served.close();
    });

    test('concurrent calls each get their own answer', async () => {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(provider, 'ValidateResourceConfig', { type_name: `t${i}` })),
      );
      answers.forEach((answer, i) => {
        const [diagnostic] = answer.diagnostics as Record<string, unknown>[];
        assert.equal(diagnostic!.summary, `t${i}`);
        assert.equal(diagnostic!.severity, 'WARNING');
      });
    });

    test('a method it does not implement is UNIMPLEMENTED', async () => {
      await assert.rejects(call(provider, 'ReadResource', {}), { code: grpc.status.UNIMPLEMENTED });
    });

    test('a handler that throws is INTERNAL with its message, and reported', async () => {
      await assert.rejects(call(provider, 'GetMetadata', {}), (error: grpc.ServiceError) => {
        assert.equal(error.code, grpc.status.INTERNAL);
        assert.match(error.details, /a bug in a handler/);
        return true;
      });
      assert.match(String(served.errors.at(-1)), /a bug in a handler/);
    });

    test('a request over the size limit is RESOURCE_EXHAUSTED and never reaches the handler', async () => {
      const before = validated;
      const config = { msgpack: Buffer.alloc(4096, 1) };
      await assert.rejects(call(provider, 'ValidateResourceConfig', { type_name: 't1', config }), {
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
      assert.equal(validated, before);
      assert.ok((await call(provider, 'ValidateResourceConfig', { type_name: 't2' })).diagnostics, 'still serving');
    });

    test('a call the client cancels leaves the server serving', async () => {
      const stop = provider.StopProvider as unknown as (request: object, done: () => void) => grpc.ClientUnaryCall;
      const pending = stop.call(provider, {}, () => {});
      await sleep(20);
      pending.cancel();
      await sleep(300); // the handler has answered into the cancelled stream by now
      assert.ok((await call(provider, 'ValidateResourceConfig', { type_name: 't3' })).diagnostics, 'still serving');
    });

    test('streams stay open until the client ends them', async () => {
      const health = clientOf(
        'grpc.health.v1.Health',
        served.address,
        grpc.credentials.createInsecure(),
      ) as unknown as StreamClient;
      const watch = health.Watch!({ service: 'plugin' });
      const [first] = (await new Promise((resolve) => watch.once('data', (m) => resolve([m])))) as object[];
      assert.deepEqual(first, { status: 'SERVING' });
      watch.on('error', () => {}); // CANCELLED, by us
      watch.cancel();
      health.close();

      const broker = clientOf(
        'plugin.GRPCBroker',
        served.address,
        grpc.credentials.createInsecure(),
      ) as unknown as grpc.Client & Record<string, () => grpc.ClientDuplexStream<object, object>>;
      const stream = broker.StartStream!();
      const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
      stream.on('data', () => {});
      await sleep(50);
      stream.end();
      assert.equal((await status).code, grpc.status.OK, 'a client stream it ends ends with OK');
      broker.close();
    });

    test('whatever a method throws, the client gets INTERNAL and the server goes on serving', async () => {
      await assert.rejects(call(provider, 'GetFunctions', {}), (error: grpc.ServiceError) => {
        assert.equal(error.code, grpc.status.INTERNAL);
        assert.match(error.details, /^Error: cut /);
        return true;
      });
      await assert.rejects(call(provider, 'CallFunction', {}), { code: grpc.status.INTERNAL });
      assert.ok((await call(provider, 'ValidateResourceConfig', { type_name: 't4' })).diagnostics, 'still serving');
    });

    test('requests being read may hold twice the message limit at most; a cancelled one gives its share back', async () => {
      const session = http2.connect('http://localhost', { path: served.socket } as http2.ClientSessionOptions);
      const open = (declared: number) => {
        const request = session.request({
          ':method': 'POST',
          ':path': '/tfplugin6.Provider/ValidateResourceConfig',
          'content-type': 'application/grpc',
        });
        request.on('error', () => {});
        request.write(Buffer.from([0, 0, 0, 0, declared])); // the prefix alone: the message never comes
        return request;
      };
      const first = open(200);
      const second = open(200); // 400 of the 512 (2 × 256) held
      await sleep(100);
      const third = open(200);
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => third.on('response', resolve));
      assert.equal(headers['grpc-status'], String(grpc.status.RESOURCE_EXHAUSTED));
      assert.match(decodeURIComponent(String(headers['grpc-message'])), /hold the memory allowed/);
      first.close(http2.constants.NGHTTP2_CANCEL);
      second.close(http2.constants.NGHTTP2_CANCEL);
      await sleep(100);
      const fourth = open(200);
      fourth.end(Buffer.alloc(200)); // not a valid message, but read whole: the budget was given back
      const answer = await new Promise<http2.IncomingHttpHeaders>((resolve) => fourth.on('response', resolve));
      assert.notEqual(answer['grpc-status'], String(grpc.status.RESOURCE_EXHAUSTED));
      session.destroy();
    });

    test('a message whose prefix and bytes arrive in pieces is read whole', async () => {
      const message = protocols.provider.ValidateResourceConfig!.requestSerialize({ type_name: 't7' });
      const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
      const session = http2.connect('http://localhost', { path: served.socket } as http2.ClientSessionOptions);
      const request = session.request({
        ':method': 'POST',
        ':path': '/tfplugin6.Provider/ValidateResourceConfig',
        'content-type': 'application/grpc',
      });
      for (const piece of [bytes.subarray(0, 2), bytes.subarray(2, 7), bytes.subarray(7)]) {
        request.write(piece);
        await sleep(20); // each write its own DATA frame
      }
      request.end();
      const body: Buffer[] = [];
      request.on('data', (chunk: Buffer) => body.push(chunk));
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => request.on('trailers', resolve));
      assert.equal(trailers['grpc-status'], '0');
      const answer = protocols.provider.ValidateResourceConfig!.responseDeserialize(Buffer.concat(body).subarray(5));
      assert.equal((answer as { diagnostics: { summary: string }[] }).diagnostics[0]!.summary, 't7');
      session.destroy();
    });

    test('handlers still running after their clients cancelled count against the 100 calls in progress', async () => {
      const apply = provider.ApplyResourceChange as unknown as (
        request: object,
        done: (error: grpc.ServiceError | null) => void,
      ) => grpc.ClientUnaryCall;
      const calls = Array.from({ length: 100 }, () => apply.call(provider, {}, () => {}));
      await sleep(300);
      calls.forEach((pending) => pending.cancel());
      await sleep(100);
      await assert.rejects(
        call(provider, 'ValidateResourceConfig', { type_name: 't5' }),
        (error: grpc.ServiceError) => {
          assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
          assert.match(error.details, /100 calls are in progress/);
          return true;
        },
      );
      release();
      held = new Promise<void>((resolve) => (release = resolve));
      await sleep(100);
      assert.ok((await call(provider, 'ValidateResourceConfig', { type_name: 't6' })).diagnostics, 'serving again');
    });

    /** One raw HTTP/2 request to the server: its response headers, once they come. */
    async function rawRequest(headers: http2.OutgoingHttpHeaders, body?: Buffer, end = true) {
      const session = http2.connect('http://localhost', { path: served.socket } as http2.ClientSessionOptions);
      const request = session.request({ ':method': 'POST', 'content-type': 'application/grpc', ...headers });
      request.on('error', () => {});
      if (body) request.write(body);
      if (end) request.end();
      const response = await new Promise<http2.IncomingHttpHeaders>((resolve) => request.on('response', resolve));
      session.destroy();
      return response;
    }

    test('a request announcing more than the limit is refused at once, before its bytes arrive', async () => {
      const prefix = Buffer.from([0, 0x40, 0, 0, 0]); // 1 GiB announced; nothing follows and the request never ends
      const response = await rawRequest({ ':path': '/tfplugin6.Provider/ValidateResourceConfig' }, prefix, false);
      assert.equal(response['grpc-status'], String(grpc.status.RESOURCE_EXHAUSTED));
    });

    test('bytes that are not the method’s message are INTERNAL, the client’s error and not a bug', async () => {
      const errors = served.errors.length;
      const garbage = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
      const response = await rawRequest({ ':path': '/tfplugin6.Provider/ValidateResourceConfig' }, garbage);
      assert.equal(response['grpc-status'], String(grpc.status.INTERNAL));
      assert.match(decodeURIComponent(String(response['grpc-message'])), /is not a .*ValidateResourceConfig message/);
      assert.equal(served.errors.length, errors, 'not reported as a bug');
    });

    test('a request that is not gRPC is refused with 415', async () => {
      const web = await rawRequest({
        ':path': '/tfplugin6.Provider/GetMetadata',
        'content-type': 'application/grpc-web',
      });
      assert.equal(web[':status'], 415);

      const session = http2.connect(`http://localhost`, { path: served.socket } as http2.ClientSessionOptions);
      const request = session.request({ ':method': 'GET', ':path': '/tfplugin6.Provider/GetMetadata' });
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => request.on('response', resolve));
      assert.equal(headers[':status'], 415);
      request.close();
      session.close();
    });
  });
});
