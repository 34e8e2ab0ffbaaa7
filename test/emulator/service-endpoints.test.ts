// The endpoints of deployed iFlows (ServiceEndpoints), read by CI/CD clients to find where to send test messages, and
// the export of a whole integration package (IntegrationPackages('{Id}')/$value). Every answer is validated against
// SAP's definitions by the harness.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, Harness } from './support/emulator-harness';
import { unzip } from './support/unzip';

const json = { 'content-type': 'application/json' };

describe('service endpoints of deployed iFlows', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      iflows: [
        { id: 'Orders', deployed: true, version: '1.2.0' },
        { id: 'Invoices', deployed: true },
        { id: 'Draft' },
        { id: 'Broken', deployed: true, deployError: 'no certificate' },
      ],
      deployDelayMs: 50,
      undeployDelayMs: 50,
    });
    await eventually(async () =>
      h.emulator.state.runtimeArtifacts().filter((a) => a.status !== 'STARTING').length === 3 ? true : undefined,
    );
  });
  after(() => h?.close());

  test("lists one endpoint per started iFlow, whose entry point URL is that iFlow's sender endpoint", async () => {
    const answer = await h.call('GET', '/ServiceEndpoints?$expand=EntryPoints');
    assert.equal(answer.status, 200, answer.text);
    const endpoints = answer.json.d.results as Array<{
      Name: string;
      Version: string;
      EntryPoints: { results: Array<{ Url: string }> };
    }>;
    assert.deepEqual(
      endpoints.map((e) => [e.Name, e.Version]),
      [
        ['Invoices', '1.0.0'],
        ['Orders', '1.2.0'],
      ],
    );
    const url = endpoints.find((e) => e.Name === 'Orders')!.EntryPoints.results[0]!.Url;
    assert.equal(url, `${h.emulator.url}/http/Orders`);
    // the URL reaches the iFlow: the tenant's message log records a message for it
    await fetch(url, { method: 'POST', headers: { authorization: h.basicAuthorization() }, body: '<order/>' });
    assert.ok(
      h.emulator.state.messages().some((m) => m.iflowId === 'Orders'),
      'the message posted to the entry point URL went through the Orders iFlow',
    );
  });

  test('without $expand the navigations are deferred links; $filter, $top, $inlinecount and $count apply', async () => {
    const plain = await h.call('GET', '/ServiceEndpoints');
    const first = plain.json.d.results[0];
    assert.match(
      first.EntryPoints.__deferred.uri,
      /\/ServiceEndpoints\('Invoices%24endpointAddress%3DInvoices'\)\/EntryPoints$/,
    );
    const one = await h.call('GET', "/ServiceEndpoints?$filter=Name eq 'Orders'&$inlinecount=allpages");
    assert.deepEqual(
      one.json.d.results.map((e: { Name: string }) => e.Name),
      ['Orders'],
    );
    assert.equal(one.json.d.__count, '1');
    const top = await h.call('GET', '/ServiceEndpoints?$top=1&$skip=1');
    assert.deepEqual(
      top.json.d.results.map((e: { Name: string }) => e.Name),
      ['Orders'],
    );
    assert.equal((await h.call('GET', '/ServiceEndpoints/$count')).text, '2');
    assert.equal((await h.call('GET', "/ServiceEndpoints/$count?$filter=Protocol eq 'SOAP'")).text, '0');
    const bad = await h.call('GET', '/ServiceEndpoints?$expand=Owner');
    assert.equal(bad.status, 400);
  });

  test('an undeployed iFlow has no endpoint any more', async () => {
    assert.equal((await h.call('DELETE', "/IntegrationRuntimeArtifacts('Invoices')")).status, 202);
    await eventually(async () => ((await h.call('GET', '/ServiceEndpoints/$count')).text === '1' ? true : undefined));
    const answer = await h.call('GET', '/ServiceEndpoints');
    assert.deepEqual(
      answer.json.d.results.map((e: { Name: string }) => e.Name),
      ['Orders'],
    );
  });
});

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
