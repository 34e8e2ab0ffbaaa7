import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TenantClient } from '../../src/tenant/tenant-client';
import { BASIC, empty, json, odataError, rawEntry, scriptedFetch } from './fake-fetch';
import { CpiError } from '../../src/errors';

describe('CSRF handshake', () => {
  test('fetches a token with its session cookie before the first write and sends both with every write', async () => {
    const { fetch, seen } = scriptedFetch((req) => {
      if (req.method === 'GET' && req.url.pathname === '/api/v1/') {
        return empty(200, [
          ['x-csrf-token', 'tok-A'],
          ['set-cookie', 'JSESSIONID=s1; Path=/; Secure; HttpOnly'],
          ['set-cookie', '__VCAP_ID__=v1; Path=/'],
        ]);
      }
      return empty(req.method === 'DELETE' ? 204 : 404);
    });
    const client = new TenantClient(BASIC, { fetch });
    await client.deleteKeystoreEntry('one');
    await client.deleteKeystoreEntry('two');
    assert.deepEqual(
      seen.map((r) => `${r.method} ${r.url.pathname}`),
      ['GET /api/v1/', "DELETE /api/v1/KeystoreEntries('6F6E65')", "DELETE /api/v1/KeystoreEntries('74776F')"],
    );
    assert.equal(seen[0]!.headers.get('x-csrf-token'), 'Fetch');
    for (const write of seen.slice(1)) {
      assert.equal(write.headers.get('x-csrf-token'), 'tok-A');
      assert.equal(write.headers.get('cookie'), 'JSESSIONID=s1; __VCAP_ID__=v1');
    }
  });

  test('refetches once on 403 "X-CSRF-Token: Required" and repeats the write', async () => {
    let tokens = 0;
    const { fetch, seen } = scriptedFetch((req) => {
      if (req.method === 'GET') return empty(200, { 'x-csrf-token': `tok-${++tokens}`, 'set-cookie': `S=${tokens}` });
      if (req.headers.get('x-csrf-token') === 'tok-1')
        return odataError(403, 'CSRF token validation failed', { 'x-csrf-token': 'Required' });
      return empty(204);
    });
    const client = new TenantClient(BASIC, { fetch });
    await client.deleteKeystoreEntry('one');
    assert.equal(tokens, 2);
    assert.equal(seen.at(-1)!.headers.get('x-csrf-token'), 'tok-2');
    assert.equal(seen.at(-1)!.headers.get('cookie'), 'S=2');
  });

  test('gives up after one refetch: a second CSRF 403 is an error, not a loop', async () => {
    const { fetch, seen } = scriptedFetch((req) =>
      req.method === 'GET'
        ? empty(200, { 'x-csrf-token': 't' })
        : odataError(403, 'CSRF token validation failed', { 'x-csrf-token': 'Required' }),
    );
    const client = new TenantClient(BASIC, { fetch });
    await assert.rejects(
      client.deleteKeystoreEntry('one'),
      (e: unknown) => e instanceof CpiError && e.code === 'CPI_TENANT_FORBIDDEN',
    );
    assert.equal(seen.length, 4);
  });

  test('a 403 without the CSRF marker is a missing role, named in the error', async () => {
    const { fetch } = scriptedFetch((req) =>
      req.method === 'GET' && req.url.pathname === '/api/v1/'
        ? empty(200, { 'x-csrf-token': 't' })
        : odataError(403, 'Forbidden'),
    );
    const client = new TenantClient(BASIC, { fetch });
    await assert.rejects(
      client.deleteKeystoreEntry('one'),
      /CPI_TENANT_FORBIDDEN.*DELETE \/api\/v1\/KeystoreEntries\('6F6E65'\).*keystore alias "one".*SecurityMaterialEdit/,
    );
  });

  test('reads need no token', async () => {
    const { fetch, seen } = scriptedFetch(() => json(200, { d: rawEntry('a') }));
    await new TenantClient(BASIC, { fetch }).getKeystoreEntry('a');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.headers.get('x-csrf-token'), null);
  });
});
