// The export of a whole integration package (IntegrationPackages('{Id}')/$value) and its import back
// (POST IntegrationPackages with PackageContent): a package moved as a file arrives with its iFlows, their
// resources and parameter values. Every answer is validated against SAP's definitions by the harness.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeZip } from '../../src/zip-archive';
import { Harness } from './support/emulator-harness';
import { unzip } from './support/unzip';

const json = { 'content-type': 'application/json' };

describe('integration package export ($value)', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      iflows: [
        { id: 'Orders', packageId: 'Shop', publicKeyAlias: 'partner_enc' },
        { id: 'Invoices', packageId: 'Shop', version: '2.0.0' },
        { id: 'Elsewhere' },
      ],
    });
  });
  after(() => h?.close());

  test("is a zip of the package's description and one bundle per iFlow, resources and parameter values included", async () => {
    const added = await h.call('POST', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')/Resources", {
      headers: json,
      body: JSON.stringify({
        Name: 'enrich.js',
        ResourceType: 'js',
        ResourceContent: Buffer.from('x()').toString('base64'),
      }),
    });
    assert.equal(added.status, 201, added.text);
    const answer = await h.call('GET', "/IntegrationPackages('Shop')/$value");
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/zip/);
    assert.match(answer.headers.get('content-disposition') ?? '', /filename="Shop\.zip"/);
    const files = await unzip(answer.bytes);
    const described = JSON.parse(Buffer.from(files.get('resources.cnt')!.toString(), 'base64').toString('utf8'));
    assert.equal(described.Id, 'Shop');
    const resources = described.resources as Array<{ id: string; name: string; resourceType: string; version: string }>;
    assert.deepEqual(
      resources.map((r) => [r.name, r.resourceType, r.version]),
      [
        ['Invoices', 'IFlow', '2.0.0'],
        ['Orders', 'IFlow', '1.0.0'],
      ],
    );
    assert.ok(files.has('contentmetadata.md'), 'the export has contentmetadata.md');
    const orders = await unzip(files.get(`${resources[1]!.id}_content`)!);
    assert.equal(orders.get('src/main/resources/script/enrich.js')?.toString(), 'x()');
    assert.match(
      orders.get('src/main/resources/parameters.prop')?.toString() ?? '',
      /^Receiver_PublicKeyAliasEncryption=partner_enc$/m,
    );
    assert.ok(![...files.keys()].some((name) => name.includes('Elsewhere')), 'other packages stay out');
    assert.equal(files.size, 4, `files: ${[...files.keys()].join(', ')}`);
  });

  test('answers 404 for an unknown package', async () => {
    const answer = await h.call('GET', "/IntegrationPackages('Nope')/$value");
    assert.equal(answer.status, 404);
  });
});

describe('integration package import (PackageContent)', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      iflows: [
        { id: 'Orders', packageId: 'Shop', publicKeyAlias: 'partner_enc' },
        { id: 'Invoices', packageId: 'Shop', version: '2.0.0' },
        { id: 'Elsewhere', packageId: 'Other' },
      ],
    });
  });
  after(() => h?.close());

  const importPackage = (body: Record<string, unknown>, query = '') =>
    h.call('POST', `/IntegrationPackages${query}`, { headers: json, body: JSON.stringify(body) });

  test('an exported package deleted and imported again comes back with its iFlows, resources and values', async () => {
    const added = await h.call('POST', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')/Resources", {
      headers: json,
      body: JSON.stringify({
        Name: 'map.xsl',
        ResourceType: 'xslt',
        ResourceContent: Buffer.from('<x/>').toString('base64'),
      }),
    });
    assert.equal(added.status, 201, added.text);
    const exported = (await h.call('GET', "/IntegrationPackages('Shop')/$value")).bytes;
    assert.equal((await h.call('DELETE', "/IntegrationPackages('Shop')")).status, 202);
    assert.equal((await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')")).status, 404);

    const imported = await importPackage({ Id: 'Shop', PackageContent: exported.toString('base64') });
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.json.d.Name, 'Shop');
    const listed = await h.call('GET', "/IntegrationPackages('Shop')/IntegrationDesigntimeArtifacts");
    assert.deepEqual(
      listed.json.d.results.map((a: { Id: string; Version: string }) => [a.Id, a.Version]),
      [
        ['Invoices', '2.0.0'],
        ['Orders', '1.0.0'],
      ],
    );
    const resource = await h.call(
      'GET',
      "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')/Resources(Name='map.xsl',ResourceType='xslt')/$value",
    );
    assert.equal(resource.text, '<x/>');
    const configurations = await h.call(
      'GET',
      "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')/Configurations",
    );
    assert.ok(
      configurations.json.d.results.some(
        (p: { ParameterKey: string; ParameterValue: string }) =>
          p.ParameterKey === 'Receiver_PublicKeyAliasEncryption' && p.ParameterValue === 'partner_enc',
      ),
      'the encryption alias parameter came back with its value',
    );
    const deploy = await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Orders'&Version='active'");
    assert.equal(deploy.status, 202, 'an imported iFlow deploys');
  });

  test("an existing package is 409 unless Overwrite=true, which replaces its iFlows with the file's", async () => {
    const exported = (await h.call('GET', "/IntegrationPackages('Shop')/$value")).bytes;
    const created = await h.call('POST', '/IntegrationDesigntimeArtifacts', {
      headers: json,
      body: JSON.stringify({ Id: 'Extra', Name: 'Extra', PackageId: 'Shop' }),
    });
    assert.equal(created.status, 201, created.text);
    const refused = await importPackage({ Id: 'Shop', PackageContent: exported.toString('base64') });
    assert.equal(refused.status, 409);
    assert.equal((await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Extra',Version='active')")).status, 200);
    const replaced = await importPackage(
      { Id: 'Shop', PackageContent: exported.toString('base64') },
      '?Overwrite=true',
    );
    assert.equal(replaced.status, 201, replaced.text);
    assert.equal((await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Extra',Version='active')")).status, 404);
  });

  test("refuses a file that is not a package file, another package's Id, an iFlow of another package; nothing changes", async () => {
    const exported = (await h.call('GET', "/IntegrationPackages('Shop')/$value")).bytes;
    const notZip = await importPackage({ Id: 'New1', PackageContent: 'bm90IGEgemlw' });
    assert.equal(notZip.status, 400);
    assert.match(notZip.json.error.message.value, /not a package file/);
    const noResources = await importPackage({
      Id: 'New2',
      PackageContent: writeZip([{ name: 'readme.txt', data: Buffer.from('x') }]).toString('base64'),
    });
    assert.equal(noResources.status, 400);
    assert.match(noResources.json.error.message.value, /resources\.cnt/);
    const otherId = await importPackage({ Id: 'New3', PackageContent: exported.toString('base64') });
    assert.equal(otherId.status, 400);
    assert.match(otherId.json.error.message.value, /not the Id of the package/);
    const valueMapping = writeZip([
      {
        name: 'resources.cnt',
        data: Buffer.from(
          Buffer.from(
            JSON.stringify({
              Id: 'New4',
              Name: 'New4',
              resources: [{ id: 'a1', name: 'VM', resourceType: 'ValueMapping' }],
            }),
          ).toString('base64'),
        ),
      },
    ]);
    const vm = await importPackage({ Id: 'New4', PackageContent: valueMapping.toString('base64') });
    assert.equal(vm.status, 400);
    assert.match(vm.json.error.message.value, /integration flows only/);
    // the Shop file holds Orders and Invoices; under a package Other that does not hold them, they clash
    const files = await unzip(exported);
    const described = JSON.parse(Buffer.from(files.get('resources.cnt')!.toString(), 'base64').toString('utf8'));
    const moved = writeZip([
      ...[...files].map(([name, data]) => ({ name, data })).filter((f) => f.name !== 'resources.cnt'),
      {
        name: 'resources.cnt',
        data: Buffer.from(Buffer.from(JSON.stringify({ ...described, Id: 'Other' })).toString('base64')),
      },
    ]);
    const clash = await importPackage({ Id: 'Other', PackageContent: moved.toString('base64') }, '?Overwrite=true');
    assert.equal(clash.status, 409);
    assert.match(clash.json.error.message.value, /exists in the Shop package/);
    const packages = (await h.call('GET', '/IntegrationPackages')).json.d.results.map((p: { Id: string }) => p.Id);
    assert.deepEqual(packages, ['Other', 'Shop'], 'no package was created by a refused import');
    const other = await h.call('GET', "/IntegrationPackages('Other')/IntegrationDesigntimeArtifacts");
    assert.deepEqual(
      other.json.d.results.map((a: { Id: string }) => a.Id),
      ['Elsewhere'],
    );
  });
});
