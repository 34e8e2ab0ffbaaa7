// Discovery of an alias typed into an iFlow's channel instead of an externalized parameter: the tenant client reads
// the iFlow's bundle ($value) and finds the alias in its .iflw, against the tenant emulator's real zip bundles.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { AliasUsageIndex, type AliasUsageSource } from '../../src/tenant/alias-usage';
import { TenantClient } from '../../src/tenant/tenant-client';

describe('which deployed iFlows use an alias typed into their channel', { timeout: 60_000 }, () => {
  let emulator: TenantEmulator;
  let dataDir: string;
  let client: TenantClient;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-usage-bundles-'));
    emulator = await startTenantEmulator({
      dataDir,
      config: {
        iflows: [
          { id: 'Typed', deployed: true, publicKeyAlias: 'Orders_Enc', externalizeChannel: false },
          { id: 'Parameter', deployed: true, publicKeyAlias: 'orders_enc' },
          { id: 'Other', deployed: true, publicKeyAlias: 'other_enc', externalizeChannel: false },
          { id: 'Undeployed', deployed: false, publicKeyAlias: 'orders_enc', externalizeChannel: false },
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
    await emulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('finds the iFlow whose channel names the alias itself, beside the one with a parameter', async () => {
    const usage = await new AliasUsageIndex(client).usage('orders_enc');
    assert.deepEqual(
      usage.users.map((u) => [u.iflowId, u.parameterKey, u.source]),
      [
        ['Parameter', 'Receiver_PublicKeyAliasEncryption', 'configuration'],
        ['Typed', null, 'bundle'],
      ],
    );
    assert.deepEqual([usage.unreadable, usage.unreadableBundles], [[], []]);
  });

  test('reads each bundle once for every alias asked, and names an iFlow whose bundle it cannot read', async () => {
    const bundles: string[] = [];
    const source: AliasUsageSource = {
      listRuntimeArtifacts: (opts) => client.listRuntimeArtifacts(opts),
      getConfigurations: (id, version, opts) => client.getConfigurations(id, version, opts),
      getDesigntimeBundle: async (id, version, opts) => {
        bundles.push(id);
        // Other's bundle is refused, as a tenant refuses to hand out configure-only content
        if (id === 'Other') throw new Error('403 Forbidden');
        return client.getDesigntimeBundle(id, version, opts);
      },
    };
    const index = new AliasUsageIndex(source);
    const orders = await index.usage('orders_enc');
    assert.deepEqual(
      orders.users.map((u) => u.iflowId),
      ['Parameter', 'Typed'],
    );
    assert.deepEqual(orders.unreadableBundles, ['Other'], 'whether Other types orders_enc in is unknown');
    const other = await index.usage('other_enc');
    assert.deepEqual(other.users, [], 'a refused bundle finds nothing');
    assert.deepEqual(bundles.sort(), ['Other', 'Parameter', 'Typed'], 'one download per deployed iFlow, shared');
  });
});
