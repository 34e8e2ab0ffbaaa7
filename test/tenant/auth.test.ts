import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TenantClient } from '../../src/tenant/tenant-client';
import { CpiError } from '../../src/errors';
import { fakeClock, json, odataError, rawEntry, scriptedFetch } from './fake-fetch';

const OAUTH = {
  tenantUrl: 'https://tenant.example.com',
  auth: {
    kind: 'oauth2' as const,
    tokenUrl: 'https://sub.authentication.example.com/oauth/token',
    clientId: 'sb-client',
    clientSecret: 'cl13nt-S3cret',
  },
};

describe('OAuth2 client credentials', () => {
  function tokenServer(lifetimeS: number) {
    let issued = 0;
    const tenantAuth: string[] = [];
    const { fetch, seen } = scriptedFetch((req) => {
      if (req.url.hostname === 'sub.authentication.example.com') {
        issued++;
        return json(200, { access_token: `tok-${issued}`, token_type: 'bearer', expires_in: lifetimeS });
      }
      tenantAuth.push(req.headers.get('authorization') ?? '');
      return json(200, { d: rawEntry('a') });
    });
    return { fetch, seen, tenantAuth, issued: () => issued };
  }

  test('asks the token URL with grant_type=client_credentials and Basic client auth', async () => {
    const server = tokenServer(43200);
    const client = new TenantClient(OAUTH, { fetch: server.fetch });
    await client.getKeystoreEntry('a');
    const tokenRequest = server.seen[0]!;
    assert.equal(tokenRequest.method, 'POST');
    assert.equal(tokenRequest.url.searchParams.get('grant_type'), 'client_credentials');
    assert.equal(
      tokenRequest.headers.get('authorization'),
      `Basic ${Buffer.from('sb-client:cl13nt-S3cret').toString('base64')}`,
    );
    assert.deepEqual(server.tenantAuth, ['Bearer tok-1']);
  });

  test('reuses one token for many calls, and renews it shortly before it expires', async () => {
    const clock = fakeClock();
    const server = tokenServer(43200);
    const client = new TenantClient(OAUTH, { fetch: server.fetch, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 5; i++) await client.getKeystoreEntry('a');
    assert.equal(server.issued(), 1);
    clock.advance(43200_000 - 301_000); // 5 min margin not reached yet
    await client.getKeystoreEntry('a');
    assert.equal(server.issued(), 1);
    clock.advance(2_000); // inside the last 5 minutes: renew before the tenant would see an expired token
    await client.getKeystoreEntry('a');
    assert.equal(server.issued(), 2);
    assert.equal(server.tenantAuth.at(-1), 'Bearer tok-2');
  });

  test('shares one token request among concurrent calls', async () => {
    const server = tokenServer(3600);
    const client = new TenantClient({ ...OAUTH, requestsPerSecond: 100 }, { fetch: server.fetch });
    await Promise.all([client.getKeystoreEntry('a'), client.getKeystoreEntry('a'), client.getKeystoreEntry('a')]);
    assert.equal(server.issued(), 1);
  });

  test('fetches a new token once when the tenant answers 401 to a cached one (revoked)', async () => {
    let issued = 0;
    const { fetch } = scriptedFetch((req) => {
      if (req.url.hostname !== 'tenant.example.com')
        return json(200, { access_token: `tok-${++issued}`, expires_in: 43200 });
      return req.headers.get('authorization') === 'Bearer tok-1'
        ? odataError(401, 'token revoked')
        : json(200, { d: rawEntry('a') });
    });
    const client = new TenantClient(OAUTH, { fetch });
    assert.equal((await client.getKeystoreEntry('a'))?.alias, 'a');
    assert.equal(issued, 2);
  });

  test('reports refused client credentials as CPI_TENANT_UNAUTHORIZED without the secret', async () => {
    const { fetch } = scriptedFetch(() => json(401, { error: 'unauthorized', error_description: 'Bad credentials' }));
    const client = new TenantClient(OAUTH, { fetch });
    await assert.rejects(client.listKeystoreEntries(), (e: unknown) => {
      assert.ok(e instanceof CpiError, 'e instanceof CpiError');
      assert.equal(e.code, 'CPI_TENANT_UNAUTHORIZED');
      assert.match(e.message, /sb-client/);
      assert.doesNotMatch(e.message, /cl13nt-S3cret/);
      return true;
    });
  });
});
