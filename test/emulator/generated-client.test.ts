// What a third-party client generated from SAP's API definitions does must work against the emulated tenant: its
// token request (client credentials in the query string, empty body), then one call of every operation the
// emulator serves, each assembled only from the definitions and each answer validated against them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import forge from 'node-forge';
import { makeCertificate } from './support/certificates';
import { eventually, Harness, hex, sapContract } from './support/emulator-harness';
import { GeneratedClient } from './support/generated-client';

const ca = makeCertificate('Generated Client CA', undefined, true);
const partner = makeCertificate('partner.example.test');

describe('a client generated from SAP API definitions', { timeout: 120_000 }, () => {
  let h: Harness;
  let client: GeneratedClient;
  before(async () => {
    h = await Harness.start({
      iflows: [
        { id: 'OrderToReceiver', packageId: 'Orders' },
        { id: 'BrokenFlow', packageId: 'Orders', deployed: true, deployError: 'Receiver channel has no certificate' },
      ],
      certificates: [{ alias: 'receiver_ca', pem: ca.pem }],
      deployDelayMs: 100,
      undeployDelayMs: 100,
    });
    client = new GeneratedClient(await sapContract(), h.emulator.apiUrl, h.emulator.credentials);
  });
  after(() => h?.close());

  test('gets its token with the client credentials in the query string of a body-less POST', async () => {
    await client.authenticate();
    assert.ok(
      h.log.some((line) => line.endsWith('client authenticated by query')),
      'the log says the client authenticated by query',
    );
  });

  test('manages keystore entries: list, read, download, import, generate, rename, size, backup, restore, delete', async () => {
    const list = await client.invoke('GET /KeystoreEntries');
    assert.ok(
      list.json.d.results.some((e: { Alias: string }) => e.Alias === 'receiver_ca'),
      'the list holds receiver_ca',
    );
    const one = await client.invoke("GET /KeystoreEntries('{Hexalias}')", { path: { Hexalias: hex('receiver_ca') } });
    assert.equal(one.json.d.Alias, 'receiver_ca');
    const pem = await client.invoke("GET /KeystoreEntries('{Hexalias}')/Certificate/$value", {
      path: { Hexalias: hex('receiver_ca') },
    });
    assert.match(pem.text, /BEGIN CERTIFICATE/);
    const size = Number(
      (await client.invoke("GET /Keystores('{KeystoreName}')/Size/$value", { path: { KeystoreName: 'system' } })).text,
    );
    const imported = await client.invoke("PUT /CertificateResources('{Hexalias}')/$value", {
      path: { Hexalias: hex('partner_enc') },
      query: { fingerprintVerified: 'true' },
      body: partner.pem,
    });
    assert.equal(imported.status, 204);
    const generated = await client.invoke('POST /KeyPairGenerationRequests', {
      body: JSON.stringify({ Hexalias: '00', Alias: 'signing_next', CommonName: 'tenant.example.test', KeySize: 2048 }),
    });
    assert.equal(generated.status, 204);
    const keystore = await client.invoke("GET /Keystores('{KeystoreName}')", { path: { KeystoreName: 'system' } });
    assert.equal(keystore.json.d.Size, size + 2);
    const renamed = await client.invoke("PUT /KeystoreEntries('{Hexalias}')", {
      path: { Hexalias: hex('signing_next') },
      query: { renameAlias: 'signing_2027' },
      body: '{"Status":null}',
    });
    assert.equal(renamed.status, 204);
    assert.ok(h.emulator.state.signingCertificatePem('signing_2027'), 'signing_2027 is a key pair');
    const backup = await client.invoke('POST /KeystoreResources', { body: '{"Name":"backup_admin_system"}' });
    assert.equal(backup.status, 200);
    const deleted = await client.invoke("DELETE /KeystoreEntries('{Hexalias}')", {
      path: { Hexalias: hex('partner_enc') },
    });
    assert.equal(deleted.status, 204);
    const restored = await client.invoke("PUT /KeystoreResources('system')", {
      query: { retrieveBackup: 'backup_admin_system' },
      body: '{"Resource":null}',
    });
    assert.equal(restored.status, 200);
    assert.ok(
      h.emulator.state.keystoreEntries().some((e) => e.alias === 'partner_enc'),
      'partner_enc was imported',
    );
  });

  test('finds iFlows through packages and changes a configuration parameter', async () => {
    const packages = await client.invoke('GET /IntegrationPackages');
    assert.ok(
      packages.json.d.results.some((p: { Id: string }) => p.Id === 'Orders'),
      'the package Orders is listed',
    );
    await client.invoke("GET /IntegrationPackages('{Id}')", { path: { Id: 'Orders' } });
    const iflows = await client.invoke("GET /IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts", {
      path: { Id: 'Orders' },
    });
    assert.deepEqual(
      iflows.json.d.results.map((a: { Id: string }) => a.Id),
      ['BrokenFlow', 'OrderToReceiver'],
    );
    await client.invoke(
      "GET /IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts(Id='{ArtifactId}',Version='{ArtifactVersion}')",
      { path: { Id: 'Orders', ArtifactId: 'OrderToReceiver', ArtifactVersion: 'active' } },
    );
    const iflow = { Id: 'OrderToReceiver' };
    const artifact = await client.invoke("GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')", {
      path: iflow,
    });
    assert.equal(artifact.json.d.PackageId, 'Orders');
    const configurations = await client.invoke(
      "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Configurations",
      { path: iflow },
    );
    const count = await client.invoke(
      "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Configurations/$count",
      { path: iflow },
    );
    assert.equal(count.text, String(configurations.json.d.results.length));
    const updated = await client.invoke(
      "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Configurations('{ParameterKey}')",
      { path: { ...iflow, ParameterKey: 'Receiver_Address' }, body: '{"ParameterValue":"http://127.0.0.1:9/other"}' },
    );
    assert.equal(updated.status, 202);
  });

  test('deploys, follows the task and the runtime status, reads error information, undeploys', async () => {
    const deploy = await client.invoke('POST /DeployIntegrationDesigntimeArtifact', {
      query: { Id: "'OrderToReceiver'" },
    });
    assert.equal(deploy.status, 202);
    await eventually(async () => {
      const task = await client.invoke("GET /BuildAndDeployStatus(TaskId='{taskId}')", {
        path: { taskId: deploy.text },
      });
      return task.json.d.Status === 'SUCCESS' ? true : undefined;
    });
    await eventually(async () => {
      const runtime = await client.invoke("GET /IntegrationRuntimeArtifacts('{Id}')", {
        path: { Id: 'OrderToReceiver' },
      });
      return runtime.json.d.Status === 'STARTED' ? true : undefined;
    });
    const all = await client.invoke('GET /IntegrationRuntimeArtifacts');
    const count = await client.invoke('GET /IntegrationRuntimeArtifacts/$count');
    assert.equal(count.text, String(all.json.d.results.length));
    const failed = await client.invoke("GET /IntegrationRuntimeArtifacts('{Id}')/ErrorInformation/$value", {
      path: { Id: 'BrokenFlow' },
    });
    assert.equal(failed.json.message.messageText, 'Receiver channel has no certificate');
    const started = await client.invoke("GET /IntegrationRuntimeArtifacts('{Id}')/ErrorInformation/$value", {
      path: { Id: 'OrderToReceiver' },
    });
    assert.equal(started.status, 204);
    const undeploy = await client.invoke("DELETE /IntegrationRuntimeArtifacts('{Id}')", { path: { Id: 'BrokenFlow' } });
    assert.equal(undeploy.status, 202);
  });

  test('imports a key pair from a PKCS#12 file', async () => {
    const p12 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(partner.privateKeyPem),
      [forge.pki.certificateFromPem(partner.pem)],
      'secret',
      { algorithm: '3des' },
    );
    const resource = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64');
    const imported = await client.invoke('POST /KeyPairResources', {
      query: { fingerprintVerified: 'true', returnKeystoreEntries: 'false', update: 'false' },
      body: JSON.stringify({ Alias: 'partner_pair', Password: 'secret', Resource: resource }),
    });
    assert.equal(imported.status, 204);
    assert.ok(h.emulator.state.signingCertificatePem('partner_pair'), 'partner_pair is a key pair');
  });

  test('manages packages and design-time iFlows: create, download the bundle, upload it again, update, delete', async () => {
    const created = await client.invoke('POST /IntegrationPackages', {
      body: JSON.stringify({ Id: 'Copies', Name: 'Copies', ShortText: 'Copies' }),
    });
    assert.equal(created.status, 201);
    const changed = await client.invoke("PUT /IntegrationPackages('{Id}')", {
      path: { Id: 'Copies' },
      body: '{"Description":"copies of Orders"}',
    });
    assert.equal(changed.status, 202);
    const bundle = await client.invoke("GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$value", {
      path: { Id: 'OrderToReceiver' },
    });
    assert.equal(bundle.status, 200);
    assert.equal(bundle.bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'the bundle is a zip');
    const empty = await client.invoke('POST /IntegrationDesigntimeArtifacts', {
      body: JSON.stringify({ Id: 'CopyOfOrders', Name: 'Copy of Orders', PackageId: 'Copies' }),
    });
    assert.equal(empty.status, 201);
    const uploaded = await client.invoke("PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')", {
      path: { Id: 'CopyOfOrders' },
      // the downloaded bundle names OrderToReceiver as its symbolic name; a copy gets its own
      body: JSON.stringify({ Name: 'Copy of Orders' }),
    });
    assert.equal(uploaded.status, 200);
    const deleted = await client.invoke("DELETE /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')", {
      path: { Id: 'CopyOfOrders' },
    });
    assert.equal(deleted.status, 200);
    const gone = await client.invoke("DELETE /IntegrationPackages('{Id}')", { path: { Id: 'Copies' } });
    assert.equal(gone.status, 202);
  });

  test('manages resources and versions of an iFlow, exports a package and the keystore, finds endpoints', async () => {
    const iflow = { Id: 'OrderToReceiver' };
    const resource = { ...iflow, Name: 'enrich.groovy', Type: 'groovy' };
    const added = await client.invoke("POST /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources", {
      path: iflow,
      body: JSON.stringify({
        Name: 'enrich.groovy',
        ResourceType: 'groovy',
        ResourceContent: Buffer.from('// v1').toString('base64'),
      }),
    });
    assert.equal(added.status, 201);
    const listed = await client.invoke("GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources", {
      path: iflow,
    });
    const count = await client.invoke(
      "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources/$count",
      { path: iflow },
    );
    assert.equal(count.text, String(listed.json.d.results.length));
    const one = await client.invoke(
      "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources(Name='{Name}',ResourceType='{Type}')",
      { path: resource },
    );
    assert.equal(one.json.d.ResourceType, 'groovy');
    const replaced = await client.invoke(
      "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Resources(Name='{Name}',ResourceType='{Type}')",
      { path: resource, body: JSON.stringify({ ResourceContent: Buffer.from('// v2').toString('base64') }) },
    );
    assert.equal(replaced.status, 202);
    const value = await client.invoke(
      "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources(Name='{Name}',ResourceType='{Type}')/$value",
      { path: resource },
    );
    assert.equal(value.text, '// v2');
    const removed = await client.invoke(
      "DELETE /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Resources(Name='{Name}',ResourceType='{Type}')",
      { path: resource },
    );
    assert.equal(removed.status, 200);
    const saved = await client.invoke('POST /IntegrationDesigntimeArtifactSaveAsVersion', {
      query: { Id: "'OrderToReceiver'", SaveAsVersion: "'1.0.7'" },
    });
    assert.equal(saved.status, 200);
    const exported = await client.invoke("GET /IntegrationPackages('{Id}')/$value", { path: { Id: 'Orders' } });
    assert.equal(exported.bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'the package export is a zip');
    const endpoints = await client.invoke('GET /ServiceEndpoints', { query: { $expand: 'EntryPoints' } });
    assert.ok(
      endpoints.json.d.results.some((e: { Name: string }) => e.Name === 'OrderToReceiver'),
      'the deployed iFlow has an endpoint',
    );
    const endpointCount = await client.invoke('GET /ServiceEndpoints/$count');
    assert.equal(endpointCount.text, String(endpoints.json.d.results.length));
    const keystore = await client.invoke("GET /KeystoreResources('{KeystoreName}')", {
      path: { KeystoreName: 'system' },
    });
    assert.equal(Buffer.from(keystore.json.d.Resource, 'base64').readUInt32BE(0), 0xcececece, 'a JCEKS keystore');
  });

  test('has now called every operation the emulator serves, each answered as SAP defines it', () => {
    assert.deepEqual([...client.invoked].sort(), [...h.emulator.servedOperations].sort());
  });
});
