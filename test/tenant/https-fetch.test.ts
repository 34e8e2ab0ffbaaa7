import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { TenantClient } from '../../src/tenant/tenant-client';
import { CpiError } from '../../src/errors';

/** A self-signed server certificate for 127.0.0.1 (it is its own CA). */
function serverCertificate(): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 86400_000);
  const name = [{ name: 'commonName', value: 'test tenant' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key };
}

describe('TLS with a private CA (caCertificatePem)', () => {
  const { cert, key } = serverCertificate();
  let server: Server;
  let url: string;

  before(async () => {
    server = createServer({ cert, key }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['A=1', 'B=2'] });
      res.end(JSON.stringify({ d: { results: [{ Hexalias: '313233', Alias: '123' }] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('trusts a tenant whose certificate chains to the given CA bundle', async () => {
    const client = new TenantClient({
      tenantUrl: url,
      auth: { kind: 'basic', username: 'u', password: 'p' },
      caCertificatePem: cert,
    });
    assert.deepEqual(
      (await client.listKeystoreEntries()).map((e) => e.alias),
      ['123'],
    );
  });

  test('keeps verification on: without the CA the same tenant is refused at once, as a TLS failure', async () => {
    const client = new TenantClient({ tenantUrl: url, auth: { kind: 'basic', username: 'u', password: 'p' } });
    await assert.rejects(client.listKeystoreEntries(), (e: unknown) => {
      assert.ok(e instanceof CpiError, 'e instanceof CpiError');
      assert.equal(e.code, 'CPI_TENANT_UNREACHABLE');
      assert.match(e.detail, /TLS verification failed/);
      assert.doesNotMatch(e.detail, /retries/);
      return true;
    });
  });

  test('a CA bundle that does not sign the tenant certificate is refused too', async () => {
    const other = serverCertificate().cert;
    const client = new TenantClient({
      tenantUrl: url,
      auth: { kind: 'basic', username: 'u', password: 'p' },
      caCertificatePem: other,
    });
    await assert.rejects(client.listKeystoreEntries(), /CPI_TENANT_UNREACHABLE.*TLS verification failed/);
  });
});
