// The resources of a design-time iFlow (scripts, mappings, schemas) as SAP's Integration Content API manages them:
// each is a file of the iFlow's bundle, so the bundle download ($value) shows what a client added, replaced or
// deleted. Also SaveAsVersion, and the version `Active` as SAP's CI/CD steps spell it. Every answer is validated
// against SAP's definition by the harness.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeZip } from '../../src/zip-archive';
import { Harness } from './support/emulator-harness';
import { unzip } from './support/unzip';

const json = { 'content-type': 'application/json' };
const FLOW = "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')";
const SCRIPT = 'src/main/resources/script/';

async function bundleFiles(h: Harness, path = `${FLOW}/$value`): Promise<Map<string, Buffer>> {
  const answer = await h.call('GET', path);
  assert.equal(answer.status, 200, answer.text);
  return unzip(answer.bytes);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

describe('design-time iFlow resources', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ iflows: [{ id: 'Orders', packageId: 'Shop' }] });
  });
  after(() => h?.close());

  const add = (name: string, type: string, content: string, path = `${FLOW}/Resources`) =>
    h.call('POST', path, {
      headers: json,
      body: JSON.stringify({ Name: name, ResourceType: type, ResourceContent: base64(content) }),
    });

  test('a script added through the API is listed, read, downloaded, and inside the bundle', async () => {
    const created = await add('enrich.groovy', 'groovy', 'message.setBody("x")\n');
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.d, {
      Name: 'enrich.groovy',
      ResourceType: 'groovy',
      ReferencedResourceType: null,
      ResourceContent: null,
    });
    const mapping = await add('toInvoice.xsl', 'xslt', '<xsl:stylesheet version="1.0"/>');
    assert.equal(mapping.status, 201, mapping.text);

    const list = await h.call('GET', `${FLOW}/Resources`);
    assert.deepEqual(
      list.json.d.results.map((r: { Name: string; ResourceType: string }) => [r.Name, r.ResourceType]),
      [
        ['enrich.groovy', 'groovy'],
        ['toInvoice.xsl', 'xslt'],
      ],
    );
    const count = await h.call('GET', `${FLOW}/Resources/$count`);
    assert.equal(count.text, '2');
    const one = await h.call('GET', `${FLOW}/Resources(Name='enrich.groovy',ResourceType='groovy')`);
    assert.equal(one.json.d.Name, 'enrich.groovy');
    const value = await h.call('GET', `${FLOW}/Resources(Name='enrich.groovy',ResourceType='groovy')/$value`);
    assert.equal(value.text, 'message.setBody("x")\n');

    const files = await bundleFiles(h);
    assert.equal(files.get(`${SCRIPT}enrich.groovy`)?.toString(), 'message.setBody("x")\n');
    assert.equal(files.get('src/main/resources/mapping/toInvoice.xsl')?.toString(), '<xsl:stylesheet version="1.0"/>');
    assert.ok(
      [...files.keys()].some((name) => name.endsWith('/Orders.iflw')),
      'the bundle still holds the iFlow model',
    );
    // the iFlow still deploys from its bundle with the resources in it
    const deploy = await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Orders'&Version='active'");
    assert.equal(deploy.status, 202);
  });

  test('filters, orders and counts resources the way the definition documents', async () => {
    const groovy = await h.call('GET', `${FLOW}/Resources?$filter=ResourceType eq 'groovy'`);
    assert.deepEqual(
      groovy.json.d.results.map((r: { Name: string }) => r.Name),
      ['enrich.groovy'],
    );
    const byName = await h.call('GET', `${FLOW}/Resources?$orderby=Name desc`);
    assert.deepEqual(
      byName.json.d.results.map((r: { Name: string }) => r.Name),
      ['toInvoice.xsl', 'enrich.groovy'],
    );
    const counted = await h.call('GET', `${FLOW}/Resources/$count?$filter=substringof('xsl',Name) eq true`);
    assert.equal(counted.text, '1');
    const badOrder = await h.call('GET', `${FLOW}/Resources?$orderby=Size`);
    assert.equal(badOrder.status, 400);
  });

  test('replacing a resource (202) changes the file in the bundle; deleting it (200) removes it', async () => {
    const link = `${FLOW}/$links/Resources(Name='enrich.groovy',ResourceType='groovy')`;
    const replaced = await h.call('PUT', link, {
      headers: json,
      body: JSON.stringify({ ResourceContent: base64('// version 2\n') }),
    });
    assert.equal(replaced.status, 202, replaced.text);
    assert.equal((await bundleFiles(h)).get(`${SCRIPT}enrich.groovy`)?.toString(), '// version 2\n');

    const deleted = await h.call('DELETE', link);
    assert.equal(deleted.status, 200, deleted.text);
    const files = await bundleFiles(h);
    assert.ok(!files.has(`${SCRIPT}enrich.groovy`), 'the script left the bundle');
    assert.ok(files.has('src/main/resources/mapping/toInvoice.xsl'), 'the mapping stayed');
    const gone = await h.call('GET', `${FLOW}/Resources(Name='enrich.groovy',ResourceType='groovy')`);
    assert.equal(gone.status, 404);
    assert.equal((await h.call('DELETE', link)).status, 404);
  });

  test('refuses a type outside the definition, a name that does not fit its type, a duplicate, bad content', async () => {
    const before = (await h.call('GET', `${FLOW}/Resources/$count`)).text;
    const noType = await add('schema.xsd', '', '<xs:schema/>');
    assert.equal(noType.status, 400);
    assert.match(noType.json.error.message.value, /Invalid ResourceType "".*edmx, groovy/);
    const mismatch = await add('notes.txt', 'groovy', 'x');
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.json.error.message.value, /\.groovy or \.gsh/);
    const path = await add('../evil.groovy', 'groovy', 'x');
    assert.equal(path.status, 400);
    const duplicate = await add('toInvoice.xsl', 'xslt', 'other');
    assert.equal(duplicate.status, 409);
    const content = await h.call('POST', `${FLOW}/Resources`, {
      headers: json,
      body: JSON.stringify({ Name: 'a.js', ResourceType: 'js', ResourceContent: 'not base64!' }),
    });
    assert.equal(content.status, 400);
    assert.equal((await h.call('GET', `${FLOW}/Resources/$count`)).text, before, 'nothing was added');
    assert.equal(
      (await bundleFiles(h)).get('src/main/resources/mapping/toInvoice.xsl')?.toString(),
      '<xsl:stylesheet version="1.0"/>',
      'the duplicate did not overwrite the mapping',
    );
    const unknownFlow = await add(
      'a.js',
      'js',
      'x',
      "/IntegrationDesigntimeArtifacts(Id='Nope',Version='active')/Resources",
    );
    assert.equal(unknownFlow.status, 404);
  });

  test('lists the resources an uploaded bundle brought, and only files that are resources', async () => {
    const iflw = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:ifl="http:///com.sap.ifl.model/Ifl.xsd">
  <bpmn2:collaboration id="C"><bpmn2:messageFlow id="M" sourceRef="E" targetRef="P"><bpmn2:extensionElements>
    <ifl:property><key>ComponentType</key><value>SOAP</value></ifl:property>
    <ifl:property><key>direction</key><value>Receiver</value></ifl:property>
  </bpmn2:extensionElements></bpmn2:messageFlow></bpmn2:collaboration>
</bpmn2:definitions>`;
    const bundle = writeZip([
      { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\r\nBundle-SymbolicName: Uploaded\r\n') },
      { name: 'src/main/resources/scenarioflows/integrationflow/Uploaded.iflw', data: Buffer.from(iflw) },
      { name: `${SCRIPT}helper.gsh`, data: Buffer.from('// helper') },
      { name: `${SCRIPT}readme.txt`, data: Buffer.from('not a resource') },
      { name: 'src/main/resources/wsdl/partner.wsdl', data: Buffer.from('<definitions/>') },
      { name: 'src/main/resources/xsd/nested/deep.xsd', data: Buffer.from('<schema/>') },
    ]);
    const created = await h.call('POST', '/IntegrationDesigntimeArtifacts', {
      headers: json,
      body: JSON.stringify({
        Id: 'Uploaded',
        Name: 'Uploaded',
        PackageId: 'Shop',
        ArtifactContent: bundle.toString('base64'),
      }),
    });
    assert.equal(created.status, 201, created.text);
    const list = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Uploaded',Version='active')/Resources");
    assert.deepEqual(
      list.json.d.results.map((r: { Name: string; ResourceType: string }) => [r.Name, r.ResourceType]),
      [
        ['helper.gsh', 'groovy'],
        ['partner.wsdl', 'wsdl'],
      ],
    );
  });
});

describe('design-time iFlow versions', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ iflows: [{ id: 'Orders', version: '1.0.0' }] });
  });
  after(() => h?.close());

  test("Version is matched as `Active` too, the spelling of SAP's CI/CD steps", async () => {
    const answer = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='Active')");
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.d.Version, '1.0.0');
  });

  test('SaveAsVersion gives the iFlow the new version, in the API and in its bundle manifest', async () => {
    const saved = await h.call('POST', "/IntegrationDesigntimeArtifactSaveAsVersion?Id='Orders'&SaveAsVersion='1.0.5'");
    assert.equal(saved.status, 200, saved.text);
    assert.equal(saved.json.d.Version, '1.0.5');
    const read = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='1.0.5')");
    assert.equal(read.status, 200);
    const manifest = (await bundleFiles(h, "/IntegrationDesigntimeArtifacts(Id='Orders',Version='1.0.5')/$value"))
      .get('META-INF/MANIFEST.MF')
      ?.toString();
    assert.match(manifest ?? '', /^Bundle-Version: 1\.0\.5\r?$/m);
    assert.equal((await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='1.0.0')")).status, 404);
  });

  test('SaveAsVersion of a stored bundle rewrites its manifest, and the resources stay', async () => {
    const added = await h.call('POST', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')/Resources", {
      headers: json,
      body: JSON.stringify({ Name: 'a.js', ResourceType: 'js', ResourceContent: base64('1') }),
    });
    assert.equal(added.status, 201, added.text);
    const saved = await h.call('POST', "/IntegrationDesigntimeArtifactSaveAsVersion?Id='Orders'&SaveAsVersion='2.0.0'");
    assert.equal(saved.status, 200, saved.text);
    const files = await bundleFiles(h, "/IntegrationDesigntimeArtifacts(Id='Orders',Version='2.0.0')/$value");
    assert.match(files.get('META-INF/MANIFEST.MF')?.toString() ?? '', /^Bundle-Version: 2\.0\.0\r?$/m);
    assert.equal(files.get(`${SCRIPT}a.js`)?.toString(), '1');
  });

  test('SaveAsVersion refuses a malformed version, the current one, an unknown iFlow; nothing changes', async () => {
    for (const version of ["'1.0'", "'latest'", '2.0.1']) {
      const bad = await h.call(
        'POST',
        `/IntegrationDesigntimeArtifactSaveAsVersion?Id='Orders'&SaveAsVersion=${version}`,
      );
      assert.equal(bad.status, 400, version);
    }
    const same = await h.call('POST', "/IntegrationDesigntimeArtifactSaveAsVersion?Id='Orders'&SaveAsVersion='2.0.0'");
    assert.equal(same.status, 400);
    const unknown = await h.call('POST', "/IntegrationDesigntimeArtifactSaveAsVersion?Id='Nope'&SaveAsVersion='1.0.1'");
    assert.equal(unknown.status, 404);
    const read = await h.call('GET', "/IntegrationDesigntimeArtifacts(Id='Orders',Version='active')");
    assert.equal(read.json.d.Version, '2.0.0');
  });
});
