// The endpoints of deployed iFlows (ServiceEndpoints), read by CI/CD clients to find where to send test messages.
// Every answer is validated against SAP's definitions by the harness.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, Harness } from './support/emulator-harness';

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
