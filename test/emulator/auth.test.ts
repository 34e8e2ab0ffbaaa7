import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TenantClient } from '../../src/tenant/tenant-client';
import { Harness } from './support/emulator-harness';

interface TokenRequestInit {
  /** Authorization header; '' sends none. @default Basic with the emulator's client */
  auth?: string;
  query?: string;
  body?: string;
  contentType?: string;
}

async function tokenWithHeaders(h: Harness, init: TokenRequestInit = {}) {
  const { clientId, clientSecret, tokenUrl } = h.emulator.credentials;
  const authorization = init.auth ?? `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const response = await fetch(`${tokenUrl}${init.query ?? '?grant_type=client_credentials'}`, {
    method: 'POST',
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(init.contentType ? { 'content-type': init.contentType } : {}),
    },
    body: init.body,
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function token(h: Harness, init: TokenRequestInit = {}) {
  const { status, body } = await tokenWithHeaders(h, init);
  return { status, body };
}

describe('authentication: Basic', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ users: [{ username: 'tenant-admin', password: 's3cret-Pa55' }] });
  });
  after(() => h?.close());

  test('accepts the configured user and returns it as the credentials', async () => {
    assert.equal(h.emulator.credentials.username, 'tenant-admin');
    assert.equal((await h.call('GET', '/KeystoreEntries')).status, 200);
  });

  test('answers 401 with a Basic challenge without credentials or with a wrong password', async () => {
    for (const auth of ['none', { basic: ['tenant-admin', 'wrong'] }] as const) {
      const answer = await h.call('GET', '/KeystoreEntries', { auth });
      assert.equal(answer.status, 401);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic /);
    }
  });
});

describe('authentication: OAuth2 client credentials', () => {
  let h: Harness;
  let clock = Date.now();
  before(async () => {
    h = await Harness.start({ tokenLifetimeSeconds: 600 }, { now: () => clock });
  });
  after(() => h?.close());

  test('issues a bearer token (Basic client authentication, grant_type in the query) that the API accepts', async () => {
    const answer = await token(h);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.token_type, 'bearer');
    assert.equal(answer.body.expires_in, 600);
    const api = await h.call('GET', '/IntegrationRuntimeArtifacts', {
      auth: { bearer: String(answer.body.access_token) },
    });
    assert.equal(api.status, 200);
  });

  test('also takes client_id, client_secret and grant_type as form fields', async () => {
    const { clientId, clientSecret } = h.emulator.credentials;
    const answer = await token(h, {
      auth: '',
      query: '',
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    });
    assert.equal(answer.status, 200);
  });

  test('takes client_id and client_secret in the query of a body-less POST without Authorization, as UAA does', async () => {
    const { clientId, clientSecret } = h.emulator.credentials;
    const query = `?${new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })}`;
    const answer = await token(h, { auth: '', query });
    assert.equal(answer.status, 200);
    const api = await h.call('GET', '/IntegrationRuntimeArtifacts', {
      auth: { bearer: String(answer.body.access_token) },
    });
    assert.equal(api.status, 200);
    assert.ok(
      h.log.some((line) => line.endsWith('client authenticated by query')),
      'the log says the client authenticated by query',
    );
    assert.ok(!h.log.join('\n').includes(clientSecret), 'the query string with the secret is never logged');
  });

  test("answers wrong or missing client credentials (Basic, form, query) with 401 in UAA's shape", async () => {
    const { clientId } = h.emulator.credentials;
    const wrongForm = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: 'nope',
    }).toString();
    const attempts = [
      { auth: `Basic ${Buffer.from(`${clientId}:nope`).toString('base64')}` },
      { auth: '', query: '', contentType: 'application/x-www-form-urlencoded', body: wrongForm },
      { auth: '', query: `?${wrongForm}` },
      { auth: '', query: `?grant_type=client_credentials&client_id=${clientId}` },
      { auth: '', query: '?grant_type=client_credentials&client_id=unknown-client&client_secret=nope' },
    ];
    for (const attempt of attempts) {
      const answer = await tokenWithHeaders(h, attempt);
      assert.equal(answer.status, 401, JSON.stringify(attempt.query ?? attempt.body ?? 'basic'));
      assert.deepEqual(answer.body, { error: 'unauthorized', error_description: 'Bad credentials' });
      assert.match(answer.challenge ?? '', /^Basic realm="UAA\/client"/);
    }
  });

  test('answers 400 unsupported_grant_type to another grant', async () => {
    const grant = await token(h, { query: '?grant_type=password' });
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, 'unsupported_grant_type');
  });

  test("the project's own tenant client authenticates with Basic, never with its secret in the URL", async () => {
    const { clientId, clientSecret, tokenUrl } = h.emulator.credentials;
    const client = new TenantClient({
      tenantUrl: h.emulator.url,
      auth: { kind: 'oauth2', tokenUrl, clientId, clientSecret },
    });
    const before = h.log.length;
    await client.listRuntimeArtifacts();
    const issued = h.log.slice(before).filter((line) => line.startsWith('token issued'));
    assert.deepEqual(issued, ['token issued; client authenticated by basic']);
  });

  test('refuses an expired or unknown bearer token with 401', async () => {
    const issued = String((await token(h)).body.access_token);
    clock += 601_000;
    const expired = await h.call('GET', '/IntegrationRuntimeArtifacts', { auth: { bearer: issued } });
    assert.equal(expired.status, 401);
    assert.match(expired.json.error.message.value, /expired/);
    const unknown = await h.call('GET', '/IntegrationRuntimeArtifacts', { auth: { bearer: 'not-a-token' } });
    assert.equal(unknown.status, 401);
  });

  test('never writes passwords, client secrets, tokens or Authorization headers to the log or the state file', async () => {
    const issued = String((await token(h)).body.access_token);
    await h.call('GET', '/KeystoreEntries', { auth: { bearer: issued } });
    const { clientSecret, password } = h.emulator.credentials;
    const log = h.log.join('\n');
    assert.ok(h.log.length > 0, 'the emulator logged its requests');
    for (const secret of [issued, clientSecret, password, 'Basic ', 'Bearer '])
      assert.ok(!log.includes(secret), `log leaks ${secret.slice(0, 6)}…`);
    const { readFileSync } = await import('node:fs');
    const state = readFileSync(`${h.dataDir}/tenant-state.json`, 'utf8');
    assert.ok(!state.includes(issued), 'the state file holds no usable bearer token');
  });
});
