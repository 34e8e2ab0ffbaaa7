import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { TenantClient } from '../../src/tenant/tenant-client';
import { CpiError } from '../../src/errors';
import { BASIC, empty, fakeClock, json, odataError, rawEntry, scriptedFetch } from './fake-fetch';

function resetError(code = 'ECONNRESET'): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`read ${code}`), { code }) });
}

function client(
  handler: Parameters<typeof scriptedFetch>[0],
  conn: Partial<typeof BASIC & { maxRetries: number; timeoutMs: number }> = {},
) {
  const clock = fakeClock();
  const { fetch, seen } = scriptedFetch(handler);
  const c = new TenantClient({ ...BASIC, ...conn }, { fetch, now: clock.now, sleep: clock.sleep, random: () => 0.5 });
  return { client: c, seen, clock };
}

/** A small self-signed certificate (node crypto key, node-forge certificate). */
function certificatePem(cn: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '0a';
  cert.validity.notBefore = new Date('2026-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2027-01-01T00:00:00Z');
  cert.setSubject([{ name: 'commonName', value: cn }]);
  cert.setIssuer([{ name: 'commonName', value: cn }]);
  cert.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string),
    forge.md.sha256.create(),
  );
  return forge.pki.certificateToPem(cert);
}

describe('retries', () => {
  test('repeats a GET after 503 and a connection reset, backing off exponentially', async () => {
    const {
      client: c,
      seen,
      clock,
    } = client((_, i) => {
      if (i === 0) return odataError(503, 'Service unavailable - keystore is locked by another user');
      if (i === 1) throw resetError();
      return json(200, { d: rawEntry('a') });
    });
    assert.equal((await c.getKeystoreEntry('a'))?.alias, 'a');
    assert.equal(seen.length, 3);
    assert.deepEqual(clock.sleeps, [375, 750]); // equal jitter with random 0.5: 3/4 of 500, of 1000
    assert.equal(c.requestCount, 3);
  });

  test('honours Retry-After in seconds and as an HTTP date on 429', async () => {
    const clock0 = fakeClock();
    const httpDate = new Date(clock0.now() + 4000).toUTCString();
    const { client: c, clock } = client((_, i) => {
      if (i === 0) return odataError(429, 'Too many requests', { 'retry-after': '2' });
      if (i === 1) return odataError(429, 'Too many requests', { 'retry-after': httpDate });
      return json(200, { d: rawEntry('a') });
    });
    await c.getKeystoreEntry('a');
    assert.equal(clock.sleeps[0], 2000);
    assert.ok(clock.sleeps[1]! >= 1000 && clock.sleeps[1]! <= 2000, `date-based wait ${clock.sleeps[1]}`); // 4 s after start, minus the 2 s slept
  });

  test('gives up after maxRetries with CPI_TENANT_RATE_LIMITED naming the request', async () => {
    const { client: c, seen } = client(() => odataError(429, 'Too many requests'), { maxRetries: 2 });
    await assert.rejects(c.listKeystoreEntries(), (e: unknown) => {
      assert.ok(e instanceof CpiError, 'e instanceof CpiError');
      assert.equal(e.code, 'CPI_TENANT_RATE_LIMITED');
      assert.match(
        e.detail,
        /GET \/api\/v1\/KeystoreEntries\?keystoreName=system.*HTTP 429 after 2 retries: Too many requests/,
      );
      return true;
    });
    assert.equal(seen.length, 3);
  });

  test('sends a deployment once: a 500 is not repeated (it would start a second deployment) but a 429 is', async () => {
    const failing = client((req) =>
      req.method === 'GET' ? empty(200, { 'x-csrf-token': 't' }) : odataError(500, 'Internal error'),
    );
    await assert.rejects(failing.client.deployIntegrationFlow('Flow1', 'active'), /CPI_TENANT_SERVER_ERROR/);
    assert.equal(failing.seen.filter((r) => r.method === 'POST').length, 1);

    let posts = 0;
    const limited = client((req) => {
      if (req.method === 'GET') return empty(200, { 'x-csrf-token': 't' });
      return ++posts === 1 ? odataError(429, 'slow down') : new Response('task-7', { status: 202 });
    });
    assert.deepEqual(await limited.client.deployIntegrationFlow('Flow1', 'active'), { taskId: 'task-7' });
    assert.equal(posts, 2);
  });

  test('a create whose answer was lost is not repeated when the alias already holds the same certificate', async () => {
    const pem = certificatePem('partner');
    const fingerprint = new X509Certificate(pem).fingerprint256;
    let stored = false;
    const { client: c, seen } = client((req) => {
      if (req.method === 'GET' && req.url.pathname === '/api/v1/') return empty(200, { 'x-csrf-token': 't' });
      if (req.method === 'PUT') {
        stored = true;
        throw resetError(); // the tenant stored it, but the answer never arrived
      }
      return stored
        ? json(200, { d: rawEntry('partner', { FingerprintSha256: fingerprint }) })
        : odataError(404, 'not found');
    });
    const entry = await c.putCertificate('partner', pem, { update: false });
    assert.equal(entry.fingerprintSha256, fingerprint);
    assert.equal(seen.filter((r) => r.method === 'PUT').length, 1);
  });

  test('a create whose answer was lost is repeated when the alias is still absent', async () => {
    const pem = certificatePem('partner');
    let puts = 0;
    const { client: c } = client((req) => {
      if (req.method === 'GET' && req.url.pathname === '/api/v1/') return empty(200, { 'x-csrf-token': 't' });
      if (req.method === 'PUT') {
        if (++puts === 1) throw resetError('UND_ERR_SOCKET');
        return empty(204);
      }
      return puts < 2 ? odataError(404, 'not found') : json(200, { d: rawEntry('partner') });
    });
    await c.putCertificate('partner', pem, { update: false });
    assert.equal(puts, 2);
  });

  test('a create whose answer was lost and whose alias now holds another certificate fails as alias exists', async () => {
    const pem = certificatePem('partner');
    const { client: c } = client((req) => {
      if (req.method === 'GET' && req.url.pathname === '/api/v1/') return empty(200, { 'x-csrf-token': 't' });
      if (req.method === 'PUT') throw resetError();
      return json(200, { d: rawEntry('partner', { FingerprintSha256: 'AA:BB' }) });
    });
    await assert.rejects(c.putCertificate('partner', pem, { update: false }), /CPI_TENANT_ALIAS_EXISTS/);
  });
});

describe('transport failures', () => {
  test('a DNS failure is not retried and says the tenant is unreachable', async () => {
    const { client: c, seen } = client(() => {
      throw resetError('ENOTFOUND');
    });
    await assert.rejects(
      c.listKeystoreEntries(),
      /CPI_TENANT_UNREACHABLE.*GET \/api\/v1\/KeystoreEntries.*host name not found/,
    );
    assert.equal(seen.length, 1);
  });

  test('a TLS verification failure is not retried', async () => {
    const { client: c, seen } = client(() => {
      throw resetError('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });
    await assert.rejects(c.listKeystoreEntries(), /CPI_TENANT_UNREACHABLE.*TLS verification failed/);
    assert.equal(seen.length, 1);
  });

  test('a request that gets no answer within timeoutMs is cut off and retried', async () => {
    let calls = 0;
    // like the real fetch: the first call hangs until its signal aborts it
    const hanging: typeof fetch = (_input, init) =>
      ++calls === 1
        ? new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))
        : Promise.resolve(json(200, { d: rawEntry('a') }));
    const clock = fakeClock();
    const c = new TenantClient({ ...BASIC, timeoutMs: 20 }, { fetch: hanging, sleep: clock.sleep, now: clock.now });
    assert.equal((await c.getKeystoreEntry('a'))?.alias, 'a');
    assert.equal(calls, 2);
  });

  test('a request that keeps timing out ends as CPI_TENANT_UNREACHABLE naming the timeout', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const clock = fakeClock();
    const c = new TenantClient(
      { ...BASIC, timeoutMs: 10, maxRetries: 1 },
      { fetch: hanging, sleep: clock.sleep, now: clock.now },
    );
    await assert.rejects(c.listKeystoreEntries(), /CPI_TENANT_UNREACHABLE.*no answer within 10 ms after 1 retries/);
  });

  test('a cancelled call stops with CPI_PROVIDER_INTERRUPTED, also while backing off', async () => {
    const controller = new AbortController();
    const { client: c, seen } = client(() => {
      controller.abort();
      return odataError(503, 'busy');
    });
    await assert.rejects(c.listKeystoreEntries({ signal: controller.signal }), /CPI_PROVIDER_INTERRUPTED/);
    assert.equal(seen.length, 1);
  });

  test('a redirect (a login page instead of the API) is reported, not followed', async () => {
    const { client: c } = client(() => empty(302, { location: 'https://login.example.com/saml' }));
    await assert.rejects(
      c.listKeystoreEntries(),
      /CPI_TENANT_UNEXPECTED_RESPONSE.*redirect to https:\/\/login\.example\.com\/saml/,
    );
  });

  test('refuses plain http to a remote host, allows it to a loopback emulator', () => {
    assert.throws(
      () => new TenantClient({ ...BASIC, tenantUrl: 'http://tenant.example.com' }),
      /CPI_URL_NOT_HTTPS.*https/,
    );
    assert.doesNotThrow(() => new TenantClient({ ...BASIC, tenantUrl: 'http://127.0.0.1:8080' }));
  });
});

describe('secret redaction', () => {
  test('no password, Basic header or token reaches an error text, whatever the tenant echoes', async () => {
    const basic = Buffer.from(`${BASIC.auth.username}:${BASIC.auth.password}`).toString('base64');
    const { client: c } = client(() =>
      odataError(
        400,
        `bad request from ${BASIC.auth.password} with Authorization: Basic ${basic} and Bearer abc.def.ghi`,
      ),
    );
    await assert.rejects(c.listKeystoreEntries(), (e: unknown) => {
      assert.ok(e instanceof CpiError, 'e instanceof CpiError');
      assert.equal(e.code, 'CPI_TENANT_REQUEST_REJECTED');
      for (const secret of [BASIC.auth.password, basic, 'abc.def.ghi'])
        assert.ok(!e.message.includes(secret), `leaked ${secret}: ${e.message}`);
      assert.match(e.message, /bad request from \*\*\*/);
      return true;
    });
  });

  test('an OAuth access token the tenant echoes is redacted too', async () => {
    const { fetch } = scriptedFetch((req) =>
      req.url.hostname === 'auth.example.com'
        ? json(200, { access_token: 'eyJhbGciOi.secret-token-value', expires_in: 3600 })
        : odataError(404, 'nothing for token eyJhbGciOi.secret-token-value'),
    );
    const c = new TenantClient(
      {
        tenantUrl: 'https://tenant.example.com',
        auth: { kind: 'oauth2', tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'id', clientSecret: 'sec' },
      },
      { fetch },
    );
    await assert.rejects(
      c.listKeystoreEntries(),
      (e: unknown) =>
        e instanceof CpiError && e.code === 'CPI_TENANT_NOT_FOUND' && /nothing for token \*\*\*/.test(e.message),
    );
  });
});
