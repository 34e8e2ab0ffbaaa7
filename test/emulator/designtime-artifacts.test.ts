// Design-time iFlows as SAP's Integration Content API manages them: the bundle download ($value) with the .iflw whose
// SOAP receiver channel carries the encryption alias (typed in or as a {{parameter}}), upload of a bundle, update,
// delete. Every answer is validated against SAP's definition by the harness.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { writeZip } from '../../src/zip-archive';
import { eventually, Harness } from './support/emulator-harness';
import { unzip } from './support/unzip';

const IFLW = 'src/main/resources/scenarioflows/integrationflow/';
const json = { 'content-type': 'application/json' };

/** The properties of the SOAP receiver channel in a bundle's .iflw, read as a client would. */
async function receiverChannel(zip: Buffer): Promise<{ files: Map<string, Buffer>; channel: Map<string, string> }> {
  const files = await unzip(zip);
  const model = [...files].find(([name]) => name.startsWith(IFLW) && name.endsWith('.iflw'));
  assert.ok(model, `the bundle has an .iflw (files: ${[...files.keys()].join(', ')})`);
  const document = new DOMParser().parseFromString(model[1].toString('utf8'), 'text/xml');
  for (const flow of Array.from(document.getElementsByTagName('bpmn2:messageFlow'))) {
    const channel = new Map<string, string>();
    for (const property of Array.from(flow.getElementsByTagName('ifl:property'))) {
      channel.set(
        property.getElementsByTagName('key')[0]?.textContent ?? '',
        property.getElementsByTagName('value')[0]?.textContent ?? '',
      );
    }
    if (channel.get('ComponentType') === 'SOAP' && channel.get('direction') === 'Receiver') return { files, channel };
  }
  return assert.fail('the .iflw has no SOAP receiver channel');
}

/** A bundle as a developer exports it from another tenant: its channel types the alias in. */
function exportedBundle(id: string, version: string, alias: string, receiverUrl: string): Buffer {
  const property = (key: string, value: string) =>
    `<ifl:property><key>${key}</key><value>${value}</value></ifl:property>`;
  const iflw = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:ifl="http:///com.sap.ifl.model/Ifl.xsd">
  <bpmn2:collaboration id="Collaboration_1">
    <bpmn2:messageFlow id="MessageFlow_3" sourceRef="EndEvent_2" targetRef="Participant_2">
      <bpmn2:extensionElements>
        ${property('ComponentType', 'HTTP')}${property('direction', 'Receiver')}${property('address', 'http://elsewhere')}
      </bpmn2:extensionElements>
    </bpmn2:messageFlow>
    <bpmn2:messageFlow id="MessageFlow_4" sourceRef="EndEvent_2" targetRef="Participant_3">
      <bpmn2:extensionElements>
        ${property('ComponentType', 'SOAP')}${property('direction', 'Receiver')}${property('address', '{{Partner_Url}}')}
        ${property('PublicKeyAliasEncryption', alias)}${property('PrivateKeyAliasSigning', 'tenant_signing')}
      </bpmn2:extensionElements>
    </bpmn2:messageFlow>
  </bpmn2:collaboration>
</bpmn2:definitions>`;
  return writeZip([
    {
      name: 'META-INF/MANIFEST.MF',
      data: Buffer.from(
        `Manifest-Version: 1.0\r\nBundle-Name: Partner Orders\r\nBundle-SymbolicName: ${id}; singleton:=true\r\nBundle-Version: ${version}\r\n`,
      ),
    },
    { name: `${IFLW}${id}.iflw`, data: Buffer.from(iflw) },
    {
      name: 'src/main/resources/parameters.prop',
      data: Buffer.from(`Partner_Url=${receiverUrl.replace(':', '\\:')}\n`),
    },
    { name: 'src/main/resources/script/mapping.groovy', data: Buffer.from('// kept as uploaded\n') },
  ]);
}

describe('design-time iFlows: the bundle ($value)', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      iflows: [
        { id: 'Externalized', publicKeyAlias: 'partner_enc' },
        { id: 'TypedIn', publicKeyAlias: 'partner_typed', externalizeChannel: false, parameters: { Other: 'x' } },
      ],
      deployDelayMs: 50,
    });
  });
  after(() => h?.close());

  test('is a zip whose .iflw channel references the alias parameter, whose value parameters.prop holds', async () => {
    const answer = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Externalized',Version='active')/$value");
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/zip/);
    const { files, channel } = await receiverChannel(answer.bytes);
    assert.equal(channel.get('PublicKeyAliasEncryption'), '{{Receiver_PublicKeyAliasEncryption}}');
    assert.equal(channel.get('WSSecurityType_outbound'), 'SignAndEncryptMessage');
    const parameters = files.get('src/main/resources/parameters.prop')?.toString('utf8') ?? '';
    assert.match(parameters, /^Receiver_PublicKeyAliasEncryption=partner_enc$/m);
    assert.match(files.get('META-INF/MANIFEST.MF')?.toString('utf8') ?? '', /^Bundle-SymbolicName: Externalized;/m);

    const changed = await h.call(
      'PUT',
      "/IntegrationDesigntimeArtifacts(Id='Externalized',Version='active')/$links/Configurations('Receiver_PublicKeyAliasEncryption')",
      { headers: json, body: '{"ParameterValue":"partner_enc_2027"}' },
    );
    assert.equal(changed.status, 202);
    const after = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Externalized',Version='1.0.0')/$value");
    const { files: later } = await receiverChannel(after.bytes);
    assert.match(
      later.get('src/main/resources/parameters.prop')?.toString('utf8') ?? '',
      /^Receiver_PublicKeyAliasEncryption=partner_enc_2027$/m,
    );
  });

  test('of an iFlow whose alias is typed into the channel carries the alias itself; Configurations do not', async () => {
    const answer = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='TypedIn',Version='active')/$value");
    const { channel } = await receiverChannel(answer.bytes);
    assert.equal(channel.get('PublicKeyAliasEncryption'), 'partner_typed');
    const configurations = await h.call(
      'GET',
      "/IntegrationDesigntimeArtifacts(Id='TypedIn',Version='active')/Configurations",
    );
    assert.deepEqual(
      configurations.json.d.results.map((p: { ParameterKey: string }) => p.ParameterKey),
      ['Other'],
    );
    const deploy = await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='TypedIn'&Version='active'");
    assert.equal(deploy.status, 202);
    const deployed = await eventually(async () =>
      h.emulator.state.runtimeArtifacts().find((a) => a.id === 'TypedIn' && a.status === 'STARTED'),
    );
    assert.equal(deployed.channel.publicKeyAlias, 'partner_typed', 'the runtime sends with the typed-in alias');
  });

  test('answers 404 for an unknown iFlow or version', async () => {
    const missing = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Nope',Version='active')/$value");
    assert.equal(missing.status, 404);
    const version = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='TypedIn',Version='9.9.9')/$value");
    assert.equal(version.status, 404);
  });
});

describe('design-time iFlows: create, upload, update, delete', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ iflows: [{ id: 'Seeded', packageId: 'Orders', deployed: true }], deployDelayMs: 50 });
  });
  after(() => h?.close());

  const create = (body: unknown) =>
    h.call('POST', '/IntegrationDesigntimeArtifacts', { headers: json, body: JSON.stringify(body) });

  test('uploads a bundle: the iFlow reports its version, deploys with its typed-in alias, and downloads as uploaded', async () => {
    const bundle = exportedBundle('PartnerOrders', '2.1.0', 'partner_typed', 'http://127.0.0.1:9/partner');
    const created = await create({
      Id: 'PartnerOrders',
      Name: 'Partner Orders',
      PackageId: 'Orders',
      ArtifactContent: bundle.toString('base64'),
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.d.Version, '2.1.0');
    assert.equal(created.json.d.PackageId, 'Orders');
    const listed = await h.call('GET', "/IntegrationPackages('Orders')/IntegrationDesigntimeArtifacts");
    assert.deepEqual(
      listed.json.d.results.map((a: { Id: string }) => a.Id),
      ['PartnerOrders', 'Seeded'],
    );
    const configurations = await h.call(
      'GET',
      "/IntegrationDesigntimeArtifacts(Id='PartnerOrders',Version='active')/Configurations",
    );
    assert.deepEqual(
      configurations.json.d.results.map((p: { ParameterKey: string; ParameterValue: string }) => [
        p.ParameterKey,
        p.ParameterValue,
      ]),
      [['Partner_Url', 'http://127.0.0.1:9/partner']],
    );
    await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='PartnerOrders'&Version='active'");
    const deployed = await eventually(async () =>
      h.emulator.state.runtimeArtifacts().find((a) => a.id === 'PartnerOrders' && a.status === 'STARTED'),
    );
    assert.deepEqual(
      [deployed.channel.publicKeyAlias, deployed.channel.receiverUrl],
      ['partner_typed', 'http://127.0.0.1:9/partner'],
    );
    const download = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='PartnerOrders',Version='2.1.0')/$value");
    const { files, channel } = await receiverChannel(download.bytes);
    assert.equal(channel.get('PublicKeyAliasEncryption'), 'partner_typed');
    assert.equal(files.get('src/main/resources/script/mapping.groovy')?.toString(), '// kept as uploaded\n');
  });

  test('refuses a bad name (400), an unknown package (404), a bundle that is not one (400), an existing Id (500)', async () => {
    const badName = await create({ Id: 'X1', Name: '1st flow.', PackageId: 'Orders' });
    assert.equal(badName.status, 400);
    assert.match(badName.json.error.message.value, /begins with a letter or underscore/);
    assert.equal((await create({ Id: 'X2', Name: 'X2', PackageId: 'Nowhere' })).status, 404);
    const notZip = await create({ Id: 'X3', Name: 'X3', PackageId: 'Orders', ArtifactContent: 'bm90IGEgemlw' });
    assert.equal(notZip.status, 400);
    assert.match(notZip.json.error.message.value, /not a usable iFlow bundle/);
    const otherId = exportedBundle('SomethingElse', '1.0.0', 'a', 'http://127.0.0.1:9/');
    const mismatch = await create({
      Id: 'X4',
      Name: 'X4',
      PackageId: 'Orders',
      ArtifactContent: otherId.toString('base64'),
    });
    assert.equal(mismatch.status, 400);
    const taken = await create({ Id: 'Seeded', Name: 'Seeded', PackageId: 'Orders' });
    assert.equal(taken.status, 500);
    assert.match(taken.json.error.message.value, /already exists/);
    const ids = (await h.call('GET', "/IntegrationPackages('Orders')/IntegrationDesigntimeArtifacts")).json.d.results;
    assert.ok(!ids.some((a: { Id: string }) => /^X\d$/.test(a.Id)), 'nothing was created by a refused request');
  });

  test('creates an iFlow without a bundle, renames it as a draft, then replaces its bundle', async () => {
    const created = await create({ Id: 'Fresh', Name: 'Fresh', PackageId: 'Orders' });
    assert.equal(created.status, 201);
    assert.equal(created.json.d.Version, '1.0.0');
    const renamed = await h.call('PUT', "/IntegrationDesigntimeArtifacts(Id='Fresh',Version='active')", {
      headers: json,
      body: '{"Name":"Fresh Orders"}',
    });
    assert.equal(renamed.status, 200);
    const read = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Fresh',Version='active')");
    assert.equal(read.json.d.Name, 'Fresh Orders');
    const replaced = await h.call('PUT', "/IntegrationDesigntimeArtifacts(Id='Fresh',Version='1.0.0')", {
      headers: json,
      body: JSON.stringify({
        ArtifactContent: exportedBundle('Fresh', '1.0.1', 'fresh_enc', 'http://127.0.0.1:9/').toString('base64'),
      }),
    });
    assert.equal(replaced.status, 200);
    const after = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Fresh',Version='active')");
    assert.deepEqual([after.json.d.Version, after.json.d.Name], ['1.0.1', 'Partner Orders']);
    const { channel } = await receiverChannel(
      (await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Fresh',Version='active')/$value")).bytes,
    );
    assert.equal(channel.get('PublicKeyAliasEncryption'), 'fresh_enc');
    const empty = await h.call('PUT', "/IntegrationDesigntimeArtifacts(Id='Fresh',Version='active')", {
      headers: json,
      body: '{}',
    });
    assert.equal(empty.status, 400);
  });

  test('deletes a design-time iFlow (200, then 404); a deployed one keeps running', async () => {
    const deleted = await h.call('DELETE', "/IntegrationDesigntimeArtifacts(Id='Seeded',Version='active')");
    assert.equal(deleted.status, 200);
    const gone = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Seeded',Version='active')");
    assert.equal(gone.status, 404);
    assert.equal(h.emulator.state.runtimeArtifacts().find((a) => a.id === 'Seeded')?.status, 'STARTED');
    const again = await h.call('DELETE', "/IntegrationDesigntimeArtifacts(Id='Seeded',Version='active')");
    assert.equal(again.status, 404);
  });
});

describe('design-time iFlows: a delete survives a restart', { timeout: 60_000 }, () => {
  test('an iFlow of the configuration that a client deleted is not seeded again', async () => {
    const config = { iflows: [{ id: 'Seeded' }, { id: 'Kept' }] };
    const first = await Harness.start(config);
    try {
      assert.equal(
        (await first.call('DELETE', "/IntegrationDesigntimeArtifacts(Id='Seeded',Version='active')")).status,
        200,
      );
      await first.close(true);
      const second = await Harness.start(config, { dataDir: first.dataDir });
      try {
        assert.equal(
          (await second.call('GET', "/IntegrationDesigntimeArtifacts(Id='Seeded',Version='active')")).status,
          404,
        );
        assert.equal(
          (await second.call('GET', "/IntegrationDesigntimeArtifacts(Id='Kept',Version='active')")).status,
          200,
        );
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
