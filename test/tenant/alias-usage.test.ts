// Discovery of the deployed iFlows that use an alias, against the tenant emulator: every deployed iFlow whose
// externalized parameters name the alias is found (listed in a renewal or not), undeployed ones and other aliases
// are not, and the cost is one listing plus one Configurations call per deployed iFlow, cached per index.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { AliasUsageIndex, type AliasUsageSource } from '../../src/tenant/alias-usage';
import { TenantClient } from '../../src/tenant/tenant-client';

describe('which deployed iFlows use an alias', { timeout: 60_000 }, () => {
  let emulator: TenantEmulator;
  let dataDir: string;
  let client: TenantClient;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-usage-'));
    emulator = await startTenantEmulator({
      dataDir,
      config: {
        deployDelayMs: 50,
        undeployDelayMs: 50,
        iflows: [
          { id: 'Orders', deployed: true, publicKeyAlias: 'orders_enc' },
          { id: 'Invoices', deployed: true, publicKeyAlias: 'other_enc', parameters: { Fallback_Alias: 'Orders_Enc' } },
          { id: 'Returns', deployed: true, publicKeyAlias: 'other_enc' },
          { id: 'Archive', deployed: false, publicKeyAlias: 'orders_enc' },
        ],
      },
    });
    client = new TenantClient({
      tenantUrl: emulator.url,
      auth: { kind: 'basic', username: emulator.credentials.username, password: emulator.credentials.password },
      requestsPerSecond: 1000,
    });
  });
  after(async () => {
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The client, counting what discovery asks. */
  const counting = () => {
    const calls = { list: 0, configurations: [] as string[] };
    const source: AliasUsageSource = {
      listRuntimeArtifacts: (opts) => {
        calls.list++;
        return client.listRuntimeArtifacts(opts);
      },
      getConfigurations: (id, version, opts) => {
        calls.configurations.push(`${id}@${version}`);
        return client.getConfigurations(id, version, opts);
      },
    };
    return { calls, index: new AliasUsageIndex(source) };
  };

  test('finds every deployed iFlow with a parameter naming the alias, through any parameter, case-insensitively', async () => {
    const { index } = counting();
    const usage = await index.usage('orders_enc');
    assert.deepEqual(
      usage.users.map((u) => [u.iflowId, u.status, u.parameterKey]),
      [
        ['Invoices', 'STARTED', 'Fallback_Alias'],
        ['Orders', 'STARTED', 'Receiver_PublicKeyAliasEncryption'],
      ],
    );
    assert.equal(usage.scanned, 3, 'the undeployed Archive is not looked at');
    assert.deepEqual(usage.unreadable, []);
    assert.deepEqual(
      (await index.usage('other_enc')).users.map((u) => u.iflowId),
      ['Invoices', 'Returns'],
    );
    assert.deepEqual((await index.usage('unused_alias')).users, []);
  });

  test('costs one listing plus one Configurations call per deployed iFlow, shared by every alias asked', async () => {
    const { index, calls } = counting();
    await index.usage('orders_enc');
    await index.usage('other_enc');
    assert.equal(calls.list, 1);
    assert.deepEqual(calls.configurations.sort(), ['Invoices@active', 'Orders@active', 'Returns@active']);
  });

  test('after forget() the runtime is listed again; configurations are read again only for changed deployments', async () => {
    const { index, calls } = counting();
    assert.equal((await index.usage('orders_enc')).users.length, 2);
    await client.undeployIntegrationFlow('Orders');
    for (let i = 0; i < 100 && (await client.getRuntimeArtifact('Orders')); i++)
      await new Promise((r) => setTimeout(r, 20));
    index.forget();
    assert.deepEqual(
      (await index.usage('orders_enc')).users.map((u) => u.iflowId),
      ['Invoices'],
      'an undeployed iFlow no longer counts',
    );
    assert.equal(calls.list, 2);
    assert.equal(calls.configurations.length, 3, 'unchanged deployments are not read twice');
    const { taskId } = await client.deployIntegrationFlow('Orders', 'active');
    await client.waitForDeployment('Orders', taskId, { timeoutMs: 10_000, pollMs: 20 });
    index.forget();
    assert.deepEqual(
      (await index.usage('orders_enc')).users.map((u) => u.iflowId),
      ['Invoices', 'Orders'],
    );
    assert.equal(calls.configurations.length, 4, 'the redeployed iFlow is read once more');
  });

  test('a deployed iFlow without a design-time artifact is reported as unreadable, not silently skipped', async () => {
    const index = new AliasUsageIndex({
      listRuntimeArtifacts: async () => [
        { id: 'Orphan', version: '1.0.0', status: 'STARTED', type: 'INTEGRATION_FLOW' },
        { id: 'Mapping', version: '1.0.0', status: 'STARTED', type: 'VALUE_MAPPING' },
      ],
      getConfigurations: async () => undefined,
    });
    const usage = await index.usage('orders_enc');
    assert.deepEqual(usage.unreadable, ['Orphan']);
    assert.equal(usage.scanned, 1, 'value mappings carry no channel and are not read');
  });

  test('a failed scan is not cached: the next question asks the tenant again', async () => {
    let fail = true;
    const index = new AliasUsageIndex({
      listRuntimeArtifacts: async () => {
        if (fail) throw new Error('tenant down');
        return [{ id: 'Orders', version: '1', status: 'STARTED' }];
      },
      getConfigurations: async () => [{ key: 'Receiver_PublicKeyAliasEncryption', value: 'orders_enc' }],
    });
    await assert.rejects(index.usage('orders_enc'), /tenant down/);
    fail = false;
    assert.equal((await index.usage('orders_enc')).users.length, 1);
  });
});
