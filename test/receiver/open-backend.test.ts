import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { openReceiverBackend } from '../../src/receiver/open-backend';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';

describe('openReceiverBackend', () => {
  test('opens the backend the settings name', () => {
    assert.ok(
      openReceiverBackend({ kind: 'embedded', url: 'http://127.0.0.1:1' }) instanceof EmbeddedBackend,
      "openReceiverBackend({ kind: 'embedded', url: 'http://127.0.0.1:1' }) instanceof EmbeddedBackend",
    );
    assert.ok(
      openReceiverBackend({
        kind: 'pkcs12',
        keystorePath: '/tmp/a.p12',
        archivePath: '/tmp/b.p12',
        password: 'x',
      }) instanceof Pkcs12Backend,
      "openReceiverBackend({ kind: 'pkcs12', keystorePath: '/tmp/a.p12', archivePath: '/tmp/b.p12', password: 'x', }) instan...",
    );
  });
});

describe('EmbeddedBackend', () => {
  test('a receiver that is not running gives CPI_RECEIVER_UNREACHABLE naming the URL', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    await assert.rejects(
      new EmbeddedBackend({ url: `http://127.0.0.1:${port}/` }).listKeys(),
      (e: Error & { code?: string }) =>
        e.code === 'CPI_RECEIVER_UNREACHABLE' &&
        e.message.includes(`127.0.0.1:${port}/admin/keys`) &&
        e.message.includes('ECONNREFUSED'),
    );
  });
});
