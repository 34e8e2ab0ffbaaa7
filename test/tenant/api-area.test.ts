// The client paces each API area at the tenant's per-user limit (docs/design/sap-api.md#rate-limits): runtime
// calls (deploy status polls) do not wait behind keystore calls, Security Content stays at 10/s, and with the real
// clock every client of the process for one tenant and user shares the same budget.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiAreaOf } from '../../src/tenant/api-area';
import { TenantClient } from '../../src/tenant/tenant-client';
import { BASIC, fakeClock, json, rawEntry, scriptedFetch } from './fake-fetch';

const answer = (req: { url: URL }) =>
  req.url.pathname.includes('IntegrationRuntimeArtifacts')
    ? json(200, { d: { Id: 'Flow', Version: '1.0.0', Name: 'Flow', Status: 'STARTED' } })
    : json(200, { d: rawEntry('partner-enc') });

describe('API areas and their rate limits', { timeout: 30_000 }, () => {
  test('paths map to the areas whose limits SAP documents; unknown paths count as the tightest', () => {
    assert.equal(apiAreaOf("/KeystoreEntries('70')"), 'securityContent');
    assert.equal(apiAreaOf("/CertificateResources('70')/$value"), 'securityContent');
    assert.equal(apiAreaOf("/IntegrationRuntimeArtifacts('Flow')"), 'runtimeArtifacts');
    assert.equal(apiAreaOf("/BuildAndDeployStatus(TaskId='1')"), 'runtimeArtifacts');
    assert.equal(
      apiAreaOf("/IntegrationDesigntimeArtifacts(Id='Flow',Version='active')/$value"),
      'designtimeArtifacts',
    );
    assert.equal(apiAreaOf('/DeployIntegrationDesigntimeArtifact'), 'designtimeArtifacts');
    assert.equal(apiAreaOf('/'), 'root');
    assert.equal(apiAreaOf('/SomethingNew'), 'securityContent');
  });

  test('eleven keystore reads wait once; eleven runtime reads do not wait', async () => {
    const clock = fakeClock();
    const { fetch } = scriptedFetch(answer);
    const client = new TenantClient(BASIC, { fetch, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 11; i++) await client.getRuntimeArtifact('Flow');
    assert.deepEqual(clock.sleeps, []);
    for (let i = 0; i < 11; i++) await client.getKeystoreEntry('partner-enc');
    assert.equal(clock.sleeps.length, 1);
    assert.ok(clock.sleeps[0]! > 0 && clock.sleeps[0]! <= 1000, `waited ${clock.sleeps[0]} ms`);
  });

  test('requests_per_second caps every area', async () => {
    const clock = fakeClock();
    const { fetch } = scriptedFetch(answer);
    const client = new TenantClient({ ...BASIC, requestsPerSecond: 2 }, { fetch, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 3; i++) await client.getRuntimeArtifact('Flow');
    assert.equal(clock.sleeps.length, 1);
  });

  test('with the real clock, two clients of one tenant and user share the Security Content budget', async () => {
    const { fetch } = scriptedFetch(answer);
    const user = { ...BASIC, auth: { ...BASIC.auth, username: `shared-${process.pid}-${Date.now()}` } };
    const first = new TenantClient(user, { fetch });
    const second = new TenantClient(user, { fetch });
    const started = Date.now();
    for (let i = 0; i < 6; i++) await first.getKeystoreEntry('partner-enc');
    for (let i = 0; i < 5; i++) await second.getKeystoreEntry('partner-enc');
    // the eleventh request of the same second waits for the window: two separate budgets would not
    assert.ok(Date.now() - started >= 900, `11 requests took ${Date.now() - started} ms`);
  });
});
