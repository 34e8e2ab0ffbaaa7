import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { startEmulators, type EmulatorReadyLine, type ReceiverStarter } from '../../src/emulator/start-emulators';
import { verifyAndDecrypt } from '../../src/wssecurity';
import { makeCertificate } from '../emulator/support/certificates';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-emulator-command-'));
  dirs.push(dir);
  return dir;
}

interface Started {
  readonly child: ChildProcess;
  readonly ready: EmulatorReadyLine;
  readonly stdoutLines: string[];
  readonly stderr: () => string;
}

/** Spawns `cpi-renewal emulator …` and waits for its first stdout line. */
async function spawnEmulator(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'emulator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const stdoutLines: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 60 s; stderr: ${stderr}`)), 60_000);
    lines.on('line', (line) => {
      stdoutLines.push(line);
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its ready line; stderr: ${stderr}`));
    });
  });
  return { child, ready: JSON.parse(first) as EmulatorReadyLine, stdoutLines, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, ms: 0 });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - started })));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function basic(ready: EmulatorReadyLine): string {
  return `Basic ${Buffer.from(`${ready.username}:${ready.password}`).toString('base64')}`;
}

describe('cpi-renewal emulator', () => {
  test('prints one JSON line with working URLs and credentials, stops on SIGTERM leaving no process, and keeps its URL and credentials across a restart', async () => {
    const dataDir = tempDir();
    const first = await spawnEmulator(['--data-dir', dataDir]);
    const { ready } = first;
    try {
      assert.equal(ready.event, 'ready');
      assert.equal(ready.dataDir, dataDir);
      assert.match(ready.tenantUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(ready.apiUrl, `${ready.tenantUrl}/api/v1`);

      const entries = await fetch(`${ready.apiUrl}/KeystoreEntries`, {
        headers: { authorization: basic(ready), accept: 'application/json' },
      });
      assert.equal(entries.status, 200);
      const aliases = ((await entries.json()) as { d: { results: Array<{ Alias: string }> } }).d.results.map(
        (e) => e.Alias,
      );
      assert.ok(aliases.includes('tenant_signing'), `the signing key pair is in the keystore: ${aliases.join(', ')}`);
      assert.match(ready.signingCertificates.tenant_signing ?? '', /^-----BEGIN CERTIFICATE-----/);

      const token = await fetch(`${ready.tokenUrl}?grant_type=client_credentials`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${ready.clientId}:${ready.clientSecret}`).toString('base64')}`,
        },
      });
      assert.equal(token.status, 200);
      assert.equal((await fetch(ready.messagesUrl)).status, 401, 'the control endpoints need the admin token');
      const withToken = await fetch(ready.messagesUrl, { headers: { authorization: `Bearer ${ready.adminToken}` } });
      assert.equal(withToken.status, 200);
      assert.match(ready.adminToken, /^[\w-]{43}$/, 'a fresh 256-bit token');
    } finally {
      first.child.kill('SIGTERM');
    }
    const stop = await exited(first.child);
    assert.equal(stop.code, 0, first.stderr());
    assert.ok(stop.ms < 5000, `stopped in ${stop.ms} ms`);
    assert.equal(alive(ready.pid), false, 'no process is left behind');
    assert.equal(first.stdoutLines.length, 1, 'stdout carries exactly the ready line');
    await assert.rejects(fetch(ready.tenantUrl), 'the port is closed');

    const second = await spawnEmulator(['--data-dir', dataDir]);
    try {
      assert.equal(second.ready.tenantUrl, ready.tenantUrl, 'the port is remembered in the data directory');
      assert.equal(second.ready.receiverUrl, ready.receiverUrl, "so the iFlows' frozen receiver URL still reaches it");
      assert.equal(second.ready.password, ready.password);
      assert.equal(second.ready.signingCertificates.tenant_signing, ready.signingCertificates.tenant_signing);
    } finally {
      second.child.kill('SIGINT');
    }
    assert.equal((await exited(second.child)).code, 0, second.stderr());
  });

  test('runs the embedded receiver: a key generated there and put under the alias decrypts a message sent through the default iFlow', async () => {
    const started = await spawnEmulator(['--data-dir', tempDir()]);
    const { ready } = started;
    try {
      assert.ok(ready.receiverUrl, 'the embedded receiver runs');
      assert.equal(ready.receiverSoapUrl, `${ready.receiverUrl}/soap`);
      const admin = { authorization: `Bearer ${ready.adminToken}` };
      const created = await fetch(`${ready.receiverUrl}/admin/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...admin },
        body: JSON.stringify({
          name: 'orders-2026',
          algorithm: 'RSA-2048',
          subject: 'CN=orders-2026,O=Example',
          validityDays: 30,
        }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      const key = (await created.json()) as { certificatePem: string; fingerprintSha256: string };

      // the tenant administrator's part: the certificate goes under the channel's alias (CSRF handshake first)
      const csrf = await fetch(`${ready.apiUrl}/`, {
        headers: { authorization: basic(ready), 'x-csrf-token': 'Fetch' },
      });
      const put = await fetch(
        `${ready.apiUrl}/CertificateResources('${Buffer.from('receiver_encryption').toString('hex').toUpperCase()}')/$value?fingerprintVerified=true&returnKeystoreEntries=false&update=false`,
        {
          method: 'PUT',
          headers: {
            authorization: basic(ready),
            'x-csrf-token': csrf.headers.get('x-csrf-token') ?? '',
            cookie: (csrf.headers.get('set-cookie') ?? '').split(';')[0]!,
            'content-type': 'application/pkix-cert',
          },
          body: key.certificatePem,
        },
      );
      assert.equal(put.status, 204, await put.text());

      const sent = await fetch(`${ready.tenantUrl}/http/EncryptedOrderToReceiver`, {
        method: 'POST',
        headers: { authorization: basic(ready), 'content-type': 'application/xml' },
        body: '<order id="42"/>',
      });
      const answer = await sent.text();
      assert.equal(sent.status, 200, answer);
      assert.match(answer, /<ack:Element>order<\/ack:Element>/);
      const counters = (await (await fetch(`${ready.receiverUrl}/admin/counters`, { headers: admin })).json()) as {
        counters: Record<string, { decrypted: number }>;
      };
      assert.equal(counters.counters[key.fingerprintSha256]?.decrypted, 1, JSON.stringify(counters));
      const log = (await (await fetch(ready.messagesUrl, { headers: admin })).json()) as {
        messages: Array<{ outcome: string; certificateFingerprint: string }>;
      };
      assert.deepEqual(
        log.messages.map((m) => [m.outcome, m.certificateFingerprint]),
        [['delivered', key.fingerprintSha256]],
      );
    } finally {
      started.child.kill('SIGTERM');
    }
    assert.equal((await exited(started.child)).code, 0, started.stderr());
    assert.equal(alive(ready.pid), false);
    await assert.rejects(fetch(`${ready.receiverUrl}/admin/keys`), 'the receiver port is closed');
  });

  test('an invalid configuration file ends with exit code 1, the error code and its fix on stderr, and nothing on stdout', async () => {
    const dir = tempDir();
    const config = join(dir, 'emulator.json');
    writeFileSync(config, JSON.stringify({ iflows: [{ id: 'A', keyIdentifier: 'Fingerprint' }] }));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'emulator', '--data-dir', dir, '--config', config],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    assert.equal((await exited(child)).code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /CPI_EMULATOR_CONFIG_INVALID: .*keyIdentifier/);
    assert.match(stderr, /Correct the named field/);
  });

  test('a tenant port in use is refused with a message that names the port and the flag', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(startEmulators({ dataDir: tempDir(), tenantPort: port }), (error: Error) => {
        assert.match(error.message, new RegExp(`CPI_EMULATOR_CONFIG_INVALID: .*port ${port} is in use.*--tenant-port`));
        return true;
      });
    } finally {
      blocker.close();
    }
  });
});

describe('startEmulators with the embedded receiver', () => {
  test('warns when the receiver moves to another port while deployed iFlows still send to the earlier one', async () => {
    const dataDir = tempDir();
    const first = await startEmulators({ dataDir });
    const earlier = first.ready.receiverSoapUrl;
    await first.close();
    assert.deepEqual(first.warnings, []);
    const again = await startEmulators({ dataDir });
    await again.close();
    assert.equal(again.ready.receiverSoapUrl, earlier);
    assert.deepEqual(again.warnings, []);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    blocker.close();
    const moved = await startEmulators({ dataDir, receiverPort: port });
    try {
      assert.equal(moved.warnings.length, 1);
      assert.match(moved.warnings[0]!, new RegExp(`port ${port}.*EncryptedOrderToReceiver.*${earlier}`));
    } finally {
      await moved.close();
    }
  });
});

describe('startEmulators with a stand-in receiver', () => {
  test("sends the iFlows to the receiver's /soap and pins the tenant's signing certificate there", async () => {
    const receiverKey = makeCertificate('embedded-receiver.example.test');
    const received: string[] = [];
    let pinned: string | undefined;
    // a stand-in for the embedded receiver: what matters here is how the command wires it
    const startReceiver: ReceiverStarter = async ({ port, trustedSignerCertificatePem }) => {
      pinned = trustedSignerCertificatePem;
      const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const message = verifyAndDecrypt(
            Buffer.concat(chunks).toString('utf8'),
            [{ certificatePem: receiverKey.pem, privateKeyPem: receiverKey.privateKeyPem }],
            [trustedSignerCertificatePem!],
          );
          received.push(`${request.url} ${message.body}`);
          response.end('<ok/>');
        });
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    };
    const dir = tempDir();
    const config = join(dir, 'emulator.json');
    writeFileSync(
      config,
      JSON.stringify({
        iflows: [
          { id: 'ToEmbedded', deployed: true },
          { id: 'ToElsewhere', deployed: true, receiverUrl: 'http://127.0.0.1:9/other' },
        ],
        certificates: [{ alias: 'receiver_encryption', pem: receiverKey.pem }],
      }),
    );
    const running = await startEmulators({ dataDir: join(dir, 'state'), configFile: config }, startReceiver);
    try {
      const { ready } = running;
      assert.equal(pinned, ready.signingCertificates.tenant_signing);
      assert.equal(ready.receiverSoapUrl, `${ready.receiverUrl}/soap`);
      const channels = Object.fromEntries(
        running.tenant.state.runtimeArtifacts().map((a) => [a.id, a.channel.receiverUrl]),
      );
      assert.deepEqual(channels, { ToEmbedded: ready.receiverSoapUrl, ToElsewhere: 'http://127.0.0.1:9/other' });

      const answer = await fetch(`${ready.tenantUrl}/http/ToEmbedded`, {
        method: 'POST',
        headers: { authorization: basic(ready), 'content-type': 'application/xml' },
        body: '<order id="1"/>',
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(received, ['/soap <order id="1"/>']);
    } finally {
      await running.close();
    }
  });
});
