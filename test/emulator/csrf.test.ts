import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, hex } from './support/emulator-harness';

const deletePath = `/KeystoreEntries('${hex('tenant_signing')}')`;

describe('CSRF handshake', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ iflows: [{ id: 'Flow', signingAlias: 'tenant_signing' }] });
  });
  after(() => h?.close());

  test('a write without a token answers 403 with X-CSRF-Token: Required and changes nothing', async () => {
    const answer = await h.call('DELETE', deletePath, { csrf: false });
    assert.equal(answer.status, 403);
    assert.equal(answer.headers.get('x-csrf-token'), 'Required');
    assert.equal(answer.json.error.message.value, 'CSRF token validation failed');
    assert.ok(
      h.emulator.state.keystoreEntries().some((e) => e.alias === 'tenant_signing'),
      'the keystore still holds tenant_signing',
    );
  });

  test('a fetched token works only together with its session cookie', async () => {
    const token = await h.fetchCsrf();
    const withoutCookie = await fetch(`${h.emulator.apiUrl}${deletePath}`, {
      method: 'DELETE',
      headers: { authorization: h.basicAuthorization(), 'x-csrf-token': token, accept: 'application/json' },
    });
    assert.equal(withoutCookie.status, 403);
    const withCookie = await h.call('DELETE', deletePath);
    assert.equal(withCookie.status, 204);
  });

  test('fetching twice in one session returns the same token', async () => {
    const first = await h.fetchCsrf();
    assert.equal(await h.fetchCsrf(), first);
  });
});

describe('CSRF with bearer tokens', () => {
  async function bearer(h: Harness): Promise<string> {
    const { clientId, clientSecret, tokenUrl } = h.emulator.credentials;
    const response = await fetch(`${tokenUrl}?grant_type=client_credentials`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    });
    return String(((await response.json()) as { access_token: string }).access_token);
  }

  test('is enforced for bearer clients by default, and a token fetched with the bearer works without cookies', async () => {
    const h = await Harness.start({ iflows: [{ id: 'Flow' }] });
    try {
      const auth = { bearer: await bearer(h) };
      const refused = await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Flow'&Version='active'", {
        auth,
        csrf: false,
      });
      assert.equal(refused.status, 403);
      const fetched = await fetch(`${h.emulator.apiUrl}/`, {
        headers: { authorization: `Bearer ${auth.bearer}`, 'x-csrf-token': 'Fetch' },
      });
      const token = fetched.headers.get('x-csrf-token')!;
      const accepted = await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Flow'&Version='active'", {
        auth,
        csrf: false,
        headers: { 'x-csrf-token': token },
      });
      assert.equal(accepted.status, 202);
    } finally {
      await h.close();
    }
  });

  test('can be switched off for bearer clients (csrfForBearer: false) while Basic clients still need it', async () => {
    const h = await Harness.start({ iflows: [{ id: 'Flow' }], csrfForBearer: false });
    try {
      const auth = { bearer: await bearer(h) };
      assert.equal(
        (await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Flow'&Version='active'", { auth, csrf: false }))
          .status,
        202,
      );
      assert.equal(
        (await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Flow'&Version='active'", { csrf: false }))
          .status,
        403,
      );
    } finally {
      await h.close();
    }
  });
});
