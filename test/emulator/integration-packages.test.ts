// Integration packages and the design-time iFlows in them: what a client walks to find every iFlow of a tenant
// (packages → iFlows → configurations), consistent with the PackageId each iFlow reports.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Harness } from './support/emulator-harness';

const IFLOWS = [
  { id: 'OrderToReceiver', packageId: 'Orders', publicKeyAlias: 'receiver_enc' },
  { id: 'InvoiceToReceiver', packageId: 'Orders', version: '2.1.0' },
  { id: 'Standalone' },
];

describe('integration content: packages', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ iflows: IFLOWS });
  });
  after(() => h?.close());

  test('lists each package that holds an iFlow, the default one included', async () => {
    const answer = await h.call('GET', '/IntegrationPackages');
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.json.d.results.map((p: { Id: string }) => p.Id),
      ['Emulator', 'Orders'],
    );
    const orders = answer.json.d.results[1];
    assert.equal(orders.Name, 'Orders');
    assert.equal(orders.Mode, 'EDIT_ALLOWED');
    assert.match(orders.CreationDate, /^\d+$/);
  });

  test('pages with $top and $skip, and selects nothing by a custom tag the packages do not carry', async () => {
    const second = await h.call('GET', '/IntegrationPackages?$top=1&$skip=1');
    assert.deepEqual(
      second.json.d.results.map((p: { Id: string }) => p.Id),
      ['Orders'],
    );
    const tagged = await h.call('GET', '/IntegrationPackages?Author=Fred');
    assert.deepEqual(tagged.json.d.results, []);
  });

  test('reads one package, and answers 404 for an unknown one', async () => {
    const answer = await h.call('GET', "/IntegrationPackages('Orders')");
    assert.equal(answer.status, 200);
    assert.equal(answer.json.d.Id, 'Orders');
    const missing = await h.call('GET', "/IntegrationPackages('Nope')");
    assert.equal(missing.status, 404);
    assert.match(missing.json.error.message.value, /Nope/);
  });

  test("lists a package's iFlows with the PackageId that the design-time artifact itself reports", async () => {
    const answer = await h.call('GET', "/IntegrationPackages('Orders')/IntegrationDesigntimeArtifacts");
    assert.equal(answer.status, 200);
    const listed = answer.json.d.results as Array<{ Id: string; Version: string; PackageId: string }>;
    assert.deepEqual(
      listed.map((a) => [a.Id, a.Version]),
      [
        ['InvoiceToReceiver', '2.1.0'],
        ['OrderToReceiver', '1.0.0'],
      ],
    );
    for (const artifact of listed) {
      const own = await h.call('GET', `/IntegrationDesigntimeArtifacts(Id='${artifact.Id}',Version='active')`);
      assert.equal(own.json.d.PackageId, 'Orders');
      assert.equal(artifact.PackageId, own.json.d.PackageId);
    }
    const standalone = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Standalone',Version='active')");
    assert.equal(standalone.json.d.PackageId, 'Emulator');
    const emulator = await h.call('GET', "/IntegrationPackages('Emulator')/IntegrationDesigntimeArtifacts");
    assert.deepEqual(
      emulator.json.d.results.map((a: { Id: string }) => a.Id),
      ['Standalone'],
    );
    assert.equal((await h.call('GET', "/IntegrationPackages('Nope')/IntegrationDesigntimeArtifacts")).status, 404);
  });

  test('the deferred Configurations link of a listed iFlow leads to its parameters, and $count counts them', async () => {
    const listed = await h.call('GET', "/IntegrationPackages('Orders')/IntegrationDesigntimeArtifacts");
    const order = listed.json.d.results.find((a: { Id: string }) => a.Id === 'OrderToReceiver');
    const link = new URL(order.Configurations.__deferred.uri);
    assert.ok(link.href.startsWith(h.emulator.apiUrl), link.href);
    const path = decodeURIComponent(link.pathname.slice(new URL(h.emulator.apiUrl).pathname.length));
    const parameters = await h.call('GET', path);
    const alias = parameters.json.d.results.find(
      (p: { ParameterKey: string }) => p.ParameterKey === 'Receiver_PublicKeyAliasEncryption',
    );
    assert.equal(alias.ParameterValue, 'receiver_enc');
    const count = await h.call('GET', `${path}/$count`);
    assert.equal(count.status, 200);
    assert.equal(count.text, String(parameters.json.d.results.length));
    const filtered = await h.call('GET', `${path}/$count?$filter=startswith(ParameterKey,'Receiver_Public')`);
    assert.equal(filtered.text, '1');
  });

  test('reads one iFlow through its package, and answers 404 through another package', async () => {
    const through = await h.call(
      'GET',
      "/IntegrationPackages('Orders')/IntegrationDesigntimeArtifacts(Id='OrderToReceiver',Version='active')",
    );
    assert.equal(through.status, 200);
    assert.equal(through.json.d.Id, 'OrderToReceiver');
    const elsewhere = await h.call(
      'GET',
      "/IntegrationPackages('Emulator')/IntegrationDesigntimeArtifacts(Id='OrderToReceiver',Version='active')",
    );
    assert.equal(elsewhere.status, 404);
  });
});

describe('integration content: packages in a state file written before packages existed', { timeout: 60_000 }, () => {
  test('puts the earlier iFlows in the default package, as their PackageId already said', async () => {
    const first = await Harness.start({ iflows: [{ id: 'Earlier' }] });
    await first.close(true);
    // the state file as the emulator wrote it before packages: no package table, no packageId on the iFlow
    const file = join(first.dataDir, 'tenant-state.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    delete state.packages;
    delete state.iflows.Earlier.packageId;
    writeFileSync(file, JSON.stringify(state));
    const again = await Harness.start({ iflows: [{ id: 'Earlier' }] }, { dataDir: first.dataDir });
    try {
      const packages = await again.call('GET', '/IntegrationPackages');
      assert.deepEqual(
        packages.json.d.results.map((p: { Id: string }) => p.Id),
        ['Emulator'],
      );
      const iflows = await again.call('GET', "/IntegrationPackages('Emulator')/IntegrationDesigntimeArtifacts");
      assert.deepEqual(
        iflows.json.d.results.map((a: { Id: string; PackageId: string }) => [a.Id, a.PackageId]),
        [['Earlier', 'Emulator']],
      );
    } finally {
      await again.close();
    }
  });
});

describe('integration content: creating, changing and deleting packages', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ iflows: [{ id: 'Legacy', packageId: 'Old', deployed: true }] });
  });
  after(() => h?.close());

  const json = { 'content-type': 'application/json' };
  const create = (body: unknown, query = '') =>
    h.call('POST', `/IntegrationPackages${query}`, { headers: json, body: JSON.stringify(body) });

  test('creates a package (201, listed), refuses its Id again (409) unless Overwrite=true', async () => {
    const created = await create({ Id: 'Renewal', Name: 'Certificate renewal', ShortText: 'Renewal' });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(
      [created.json.d.Id, created.json.d.Name, created.json.d.ShortText],
      ['Renewal', 'Certificate renewal', 'Renewal'],
    );
    const listed = await h.call('GET', '/IntegrationPackages');
    assert.deepEqual(
      listed.json.d.results.map((p: { Id: string }) => p.Id),
      ['Old', 'Renewal'],
    );
    const again = await create({ Id: 'Renewal', Name: 'Other' });
    assert.equal(again.status, 409);
    assert.equal((await h.call('GET', "/IntegrationPackages('Renewal')")).json.d.Name, 'Certificate renewal');
    const overwritten = await create({ Id: 'Renewal', Name: 'Renewal 2027' }, '?Overwrite=true');
    assert.equal(overwritten.status, 201);
    assert.equal((await h.call('GET', "/IntegrationPackages('Renewal')")).json.d.Name, 'Renewal 2027');
    assert.equal((await create({ Name: 'no id' })).status, 400);
    assert.equal((await create({ Id: 'NoName' })).status, 400);
  });

  test('updates a package (202): what was sent changes, the rest stays', async () => {
    const updated = await h.call('PUT', "/IntegrationPackages('Renewal')", {
      headers: json,
      body: '{"Description":"Renews WS-Security certificates","Vendor":"ACME"}',
    });
    assert.equal(updated.status, 202);
    const read = (await h.call('GET', "/IntegrationPackages('Renewal')")).json.d;
    assert.deepEqual(
      [read.Name, read.Description, read.Vendor],
      ['Renewal 2027', 'Renews WS-Security certificates', 'ACME'],
    );
    const missing = await h.call('PUT', "/IntegrationPackages('Nope')", { headers: json, body: '{"Name":"x"}' });
    assert.equal(missing.status, 404);
  });

  test('deletes a package with its design-time iFlows (202); what was deployed keeps running', async () => {
    const deleted = await h.call('DELETE', "/IntegrationPackages('Old')");
    assert.equal(deleted.status, 202);
    assert.equal((await h.call('GET', "/IntegrationPackages('Old')")).status, 404);
    assert.equal((await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Legacy',Version='active')")).status, 404);
    assert.equal(h.emulator.state.runtimeArtifacts().find((a) => a.id === 'Legacy')?.status, 'STARTED');
    assert.equal((await h.call('DELETE', "/IntegrationPackages('Old')")).status, 404);
  });
});
