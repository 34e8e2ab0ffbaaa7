// go-plugin's process contract as a launched provider keeps it (src/provider/plugin-server.ts), seen from the
// outside as Terraform sees it: the handshake line, AutoMTLS on a Unix socket only this user can open, and the
// socket directory gone when the process ends. terraform-e2e drives the same through Terraform itself.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createTlsIdentity } from '../../src/provider/tls-certificate';
import {
  autoMtls,
  callUnary,
  handshakeAddress,
  handshakeCertificatePem,
  pluginClient,
  type PluginClient,
} from '../support/plugin-client';

const BUNDLE = resolve(__dirname, '../../dist/test-provider.js');
const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const terraform = createTlsIdentity();
const socketRoot = mkdtempSync(join(tmpdir(), 'cpi-handshake-test-'));
after(() => rmSync(socketRoot, { recursive: true, force: true }));

interface Launched {
  readonly child: ChildProcessWithoutNullStreams;
  readonly fields: string[];
  readonly exited: Promise<number | null>;
}

async function launch(env: NodeJS.ProcessEnv = {}): Promise<Launched> {
  const child = spawn(process.execPath, [BUNDLE], {
    env: {
      ...process.env,
      TF_PLUGIN_MAGIC_COOKIE: COOKIE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: terraform.certificatePem,
      PLUGIN_UNIX_SOCKET_DIR: socketRoot,
      ...env,
    },
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const line = await new Promise<string>((done, fail) => {
    child.stdout.once('data', (data: Buffer) => done(data.toString('ascii').trim()));
    child.once('exit', (code) => fail(new Error(`the provider exited (${code}) before its handshake`)));
  });
  return { child, fields: line.split('|'), exited };
}

function clientOf(service: string, launched: Launched): PluginClient {
  const [, , network, address, , certField] = launched.fields;
  const credentials = autoMtls(handshakeCertificatePem(certField!), terraform);
  return pluginClient(service, handshakeAddress(network!, address!), credentials);
}

const call = (client: PluginClient, method: string) => callUnary(client, method);

describe('the launched provider’s handshake', { timeout: 60_000 }, () => {
  test('announces AutoMTLS on a Unix socket in a directory only this user can open', async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build`);
    const launched = await launch();
    try {
      const [core, protocol, network, path, kind, certField] = launched.fields;
      assert.deepEqual([core, protocol, network, kind], ['1', '6', 'unix', 'grpc']);
      assert.equal(dirname(dirname(path!)), socketRoot, 'under PLUGIN_UNIX_SOCKET_DIR');
      assert.equal(statSync(dirname(path!)).mode & 0o777, 0o700);
      assert.ok(statSync(path!).isSocket(), 'a socket');
      assert.match(certField!, /^[A-Za-z0-9+/]{100,}$/, "the certificate in go's unpadded base64");

      const provider = clientOf('tfplugin6.Provider', launched);
      const schema = await call(provider, 'GetProviderSchema');
      assert.ok((schema.resource_schemas as Record<string, unknown>).cpi_test_item, 'the schema is served');
      provider.close();

      const controller = clientOf('plugin.GRPCController', launched);
      await call(controller, 'Shutdown');
      controller.close();
      assert.equal(await launched.exited, 0, 'Shutdown ends the process at once');
      assert.equal(existsSync(dirname(path!)), false, 'the socket directory is gone');
    } finally {
      launched.child.kill('SIGKILL');
    }
  });

  test('a terminated provider removes its socket directory too', async () => {
    const launched = await launch();
    const path = launched.fields[3]!;
    assert.ok(existsSync(path), 'a socket');
    launched.child.kill('SIGTERM');
    assert.equal(await launched.exited, 143);
    assert.equal(existsSync(dirname(path)), false, 'the socket directory is gone');
  });

  test('started by hand (no magic cookie) it explains itself and serves nothing', async () => {
    const child = spawn(process.execPath, [BUNDLE], {
      env: { ...process.env, TF_PLUGIN_MAGIC_COOKIE: '', PLUGIN_UNIX_SOCKET_DIR: socketRoot },
    });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    assert.equal(code, 1);
    assert.match(stderr, /started by Terraform, not by hand/);
    assert.deepEqual(
      readdirSync(socketRoot).filter((name) => name.startsWith('cpi-provider-')),
      [],
      'no socket left behind by any test here',
    );
  });
});
