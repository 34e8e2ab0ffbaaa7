import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TenantClient } from '../../src/tenant/tenant-client';
import { CpiError } from '../../src/errors';
import { BASIC, empty, fakeClock, json, odataError, scriptedFetch, type SeenRequest } from './fake-fetch';

function artifact(status: string, version = '1.0.1'): Record<string, unknown> {
  return {
    Id: 'Flow1',
    Version: version,
    Name: 'Flow 1',
    Type: 'INTEGRATION_FLOW',
    DeployedBy: 'ops',
    DeployedOn: '/Date(1521463557739)/',
    Status: status,
  };
}

/** A tenant whose task and runtime answers follow the given scripts, one step per poll. */
function deployingTenant(taskStates: string[], runtimeStates: (string | 404)[], errorInformation?: string) {
  let task = 0;
  let runtime = 0;
  const handler = (req: SeenRequest): Response => {
    const path = decodeURIComponent(req.url.pathname);
    if (path.startsWith('/api/v1/BuildAndDeployStatus')) {
      const status = taskStates[Math.min(task++, taskStates.length - 1)]!;
      return json(200, {
        d: { __metadata: { type: 'com.sap.hci.api.BuildAndDeployStatus' }, TaskId: 'task-1', Status: status },
      });
    }
    if (path.endsWith('/ErrorInformation/$value')) {
      return errorInformation ? new Response(errorInformation, { status: 200 }) : empty(204);
    }
    if (path.startsWith("/api/v1/IntegrationRuntimeArtifacts('Flow1')")) {
      const state = runtimeStates[Math.min(runtime++, runtimeStates.length - 1)]!;
      return state === 404 ? odataError(404, 'Requested entity could not be found') : json(200, { d: artifact(state) });
    }
    return odataError(500, `unexpected ${req.method} ${path}`);
  };
  const clock = fakeClock();
  const { fetch, seen } = scriptedFetch(handler);
  return { client: new TenantClient(BASIC, { fetch, now: clock.now, sleep: clock.sleep }), seen, clock };
}

describe('deploying an iFlow', () => {
  test('triggers the deployment with quoted Id and Version and returns the task id from the plain-text body', async () => {
    const { fetch, seen } = scriptedFetch((req) =>
      req.method === 'GET' ? empty(200, { 'x-csrf-token': 't' }) : new Response('e3b0c442-task', { status: 202 }),
    );
    const { taskId } = await new TenantClient(BASIC, { fetch }).deployIntegrationFlow("Flow'1", 'active');
    assert.equal(taskId, 'e3b0c442-task');
    const post = seen.find((r) => r.method === 'POST')!;
    assert.equal(post.url.pathname, '/api/v1/DeployIntegrationDesigntimeArtifact');
    assert.equal(post.url.searchParams.get('Id'), "'Flow''1'");
    assert.equal(post.url.searchParams.get('Version'), "'active'");
  });

  test('waits for the task to leave DEPLOYING, then for STARTED, polling quickly at first', async () => {
    const { client, clock } = deployingTenant(['DEPLOYING', 'DEPLOYING', 'SUCCESS'], [404, 'STARTING', 'STARTED']);
    const started = await client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 60_000, pollMs: 1000 });
    assert.equal(started.status, 'STARTED');
    assert.deepEqual(started.deployedOn, new Date(1521463557739));
    // a short deploy is seen within a tenth of a second of its end, not a whole pollMs later
    assert.deepEqual(clock.sleeps, [100, 100, 100, 100]);
  });

  test('a long deploy is polled less and less often, never less often than pollMs', async () => {
    const { client, clock } = deployingTenant([...Array<string>(40).fill('DEPLOYING'), 'SUCCESS'], ['STARTED']);
    await client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 600_000, pollMs: 1000 });
    assert.equal(
      clock.sleeps.length,
      40,
      `one pause after each of the 40 DEPLOYING answers: ${clock.sleeps.join(', ')}`,
    );
    assert.equal(clock.sleeps[0], 100, 'the first pause is short');
    assert.ok(
      clock.sleeps.every((ms, i) => i === 0 || ms >= clock.sleeps[i - 1]!),
      `pauses never shrink: ${clock.sleeps.join(', ')}`,
    );
    assert.equal(
      Math.max(...clock.sleeps),
      1000,
      `pauses grow up to pollMs and no further: ${clock.sleeps.join(', ')}`,
    );
    let waited = 0;
    for (const ms of clock.sleeps) {
      assert.ok(
        ms <= Math.max(100, Math.round(waited / 5)),
        `a pause of ${ms} ms after ${waited} ms waited sees the end late`,
      );
      waited += ms;
    }
  });

  test('a runtime ERROR fails with the tenant error text', async () => {
    const info = JSON.stringify({
      message: {
        subsystemName: 'IFlow',
        subsytemPartName: 'Runtime',
        messageId: 'X',
        messageText: 'Receiver certificate alias partner-enc not found',
      },
      parameter: ['partner-enc'],
    });
    const { client } = deployingTenant(['SUCCESS'], ['STARTING', 'ERROR'], info);
    await assert.rejects(
      client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 60_000, pollMs: 10 }),
      (e: unknown) => {
        assert.ok(e instanceof CpiError, 'e instanceof CpiError');
        assert.equal(e.code, 'CPI_TENANT_DEPLOY_FAILED');
        assert.match(
          e.detail,
          /iFlow "Flow1" version 1\.0\.1 is in status ERROR: Receiver certificate alias partner-enc not found \| partner-enc/,
        );
        return true;
      },
    );
  });

  test('a failed build fails without waiting for the runtime', async () => {
    const { client, seen } = deployingTenant(['DEPLOYING', 'FAIL'], ['STARTED'], 'Bundle could not be built');
    await assert.rejects(
      client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 60_000, pollMs: 10 }),
      /CPI_TENANT_DEPLOY_FAILED.*build and deploy status FAIL: Bundle could not be built/,
    );
    assert.ok(
      !seen.some((r) => decodeURIComponent(r.url.pathname) === "/api/v1/IntegrationRuntimeArtifacts('Flow1')"),
      '!seen.some((r) => decodeURIComponent(r.url.pathname) === "/api/v1/IntegrationRuntimeArtifacts(\'Flow1\')")',
    );
  });

  test('does not take the previous version for the new one when a version is expected', async () => {
    const tenant = deployingTenant(['SUCCESS'], ['STARTED']);
    await assert.rejects(
      tenant.client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 5000, pollMs: 1000, expectedVersion: '2.0.0' }),
      /CPI_TENANT_DEPLOY_TIMEOUT.*still in runtime status STARTED \(version 1\.0\.1\) after 5000 ms/,
    );
  });

  test('gives up at the timeout with the last status seen', async () => {
    const { client } = deployingTenant(['DEPLOYING'], []);
    await assert.rejects(
      client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 3000, pollMs: 1000 }),
      /CPI_TENANT_DEPLOY_TIMEOUT.*in build and deploy status DEPLOYING/,
    );
  });

  test('stops waiting when cancelled', async () => {
    const controller = new AbortController();
    const { client } = deployingTenant(['DEPLOYING'], []);
    controller.abort();
    await assert.rejects(
      client.waitForDeployment('Flow1', 'task-1', { timeoutMs: 60_000, signal: controller.signal }),
      /CPI_PROVIDER_INTERRUPTED/,
    );
  });
});

describe('runtime artifacts', () => {
  test('reads one deployed artifact, and undefined when not deployed', async () => {
    const { fetch } = scriptedFetch((req) =>
      req.url.pathname.includes('Flow1')
        ? json(200, { d: artifact('STARTED') })
        : odataError(404, 'Requested entity could not be found'),
    );
    const client = new TenantClient(BASIC, { fetch });
    assert.deepEqual(await client.getRuntimeArtifact('Flow1'), {
      id: 'Flow1',
      version: '1.0.1',
      name: 'Flow 1',
      type: 'INTEGRATION_FLOW',
      status: 'STARTED',
      deployedBy: 'ops',
      deployedOn: new Date(1521463557739),
    });
    assert.equal(await client.getRuntimeArtifact('Other'), undefined);
  });

  test('lists every deployed artifact', async () => {
    const { fetch } = scriptedFetch(() =>
      json(200, { d: { results: [artifact('STARTED'), { ...artifact('ERROR'), Id: 'Flow2' }] } }),
    );
    const all = await new TenantClient(BASIC, { fetch }).listRuntimeArtifacts();
    assert.deepEqual(
      all.map((a) => `${a.id}:${a.status}`),
      ['Flow1:STARTED', 'Flow2:ERROR'],
    );
  });

  test('undeploy is idempotent: a 404 (not deployed) is success', async () => {
    const { fetch, seen } = scriptedFetch((req) =>
      req.method === 'GET' ? empty(200, { 'x-csrf-token': 't' }) : odataError(404, 'not deployed'),
    );
    await new TenantClient(BASIC, { fetch }).undeployIntegrationFlow('Flow1');
    assert.equal(seen.at(-1)!.method, 'DELETE');
  });

  test('updates an externalized parameter such as the public key alias', async () => {
    const { fetch, seen } = scriptedFetch((req) =>
      req.method === 'GET' ? empty(200, { 'x-csrf-token': 't' }) : empty(202),
    );
    await new TenantClient(BASIC, { fetch }).updateConfigurationParameter(
      'Flow1',
      'active',
      'Receiver_PublicKeyAlias',
      'partner-enc-2027',
    );
    const put = seen.at(-1)!;
    assert.equal(
      decodeURIComponent(put.url.pathname),
      "/api/v1/IntegrationDesigntimeArtifacts(Id='Flow1',Version='active')/$links/Configurations('Receiver_PublicKeyAlias')",
    );
    assert.deepEqual(JSON.parse(put.body!), { ParameterValue: 'partner-enc-2027' });
  });
});
