// SAP's own CI/CD client (project "Piper", steps integrationArtifact*) must work against the emulated tenant. Each
// request below is shaped as those steps send it (SAP/jenkins-library cmd/integrationArtifact*.go): the token with
// Basic client credentials and grant_type in the query, bearer calls without a CSRF token, the version spelled
// `Active`, the deploy's task id read as the raw body, the service endpoint read from
// d.results[].EntryPoints.results[0].Url; and each answer is judged by the status the step treats as success.
// Every answer is also validated against SAP's definitions.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { writeZip } from '../../src/zip-archive';
import { eventually, Harness, sapContract } from './support/emulator-harness';
import { unzip } from './support/unzip';

const FLOW = 'PiperOrders';
const PACKAGE = 'CiCd';

/** An iFlow bundle as a developer keeps it in git: one SOAP receiver channel with externalized settings. */
function bundle(version: string): Buffer {
  const property = (key: string, value: string) =>
    `<ifl:property><key>${key}</key><value>${value}</value></ifl:property>`;
  const iflw = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:ifl="http:///com.sap.ifl.model/Ifl.xsd">
  <bpmn2:collaboration id="Collaboration_1"><bpmn2:messageFlow id="MessageFlow_1" sourceRef="End" targetRef="Receiver">
    <bpmn2:extensionElements>
      ${property('ComponentType', 'SOAP')}${property('direction', 'Receiver')}${property('address', '{{Receiver_Url}}')}
      ${property('PublicKeyAliasEncryption', '{{Receiver_Alias}}')}${property('PrivateKeyAliasSigning', 'tenant_signing')}
    </bpmn2:extensionElements>
  </bpmn2:messageFlow></bpmn2:collaboration>
</bpmn2:definitions>`;
  return writeZip([
    {
      name: 'META-INF/MANIFEST.MF',
      data: Buffer.from(
        `Manifest-Version: 1.0\r\nBundle-Name: Piper Orders\r\nBundle-SymbolicName: ${FLOW}; singleton:=true\r\nBundle-Version: ${version}\r\n`,
      ),
    },
    { name: `src/main/resources/scenarioflows/integrationflow/${FLOW}.iflw`, data: Buffer.from(iflw) },
    {
      name: 'src/main/resources/parameters.prop',
      data: Buffer.from('Receiver_Url=http\\://127.0.0.1\\:9/orders\nReceiver_Alias=partner_enc\n'),
    },
  ]);
}

interface PiperAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly bytes: Buffer;
}

describe("SAP's CI/CD steps (Piper integrationArtifact*) against the emulated tenant", { timeout: 120_000 }, () => {
  let h: Harness;
  let token: string;
  before(async () => {
    // Piper's steps send no CSRF token with their bearer calls (see docs/emulator.md, Authentication)
    h = await Harness.start({
      iflows: [{ id: 'Seeded', packageId: PACKAGE }],
      csrfForBearer: false,
      deployDelayMs: 100,
    });
  });
  after(() => h?.close());

  /**
   * One request as a Piper step sends it: exactly these headers (Go's HTTP client adds no Accept of its own, unlike
   * fetch), bearer token, no CSRF handshake.
   */
  async function piper(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<PiperAnswer> {
    const answer = await new Promise<{ status: number; headers: Headers; bytes: Buffer }>((resolve, reject) => {
      const request = http.request(
        `${h.emulator.apiUrl}${path}`,
        {
          method,
          headers: {
            'user-agent': 'Go-http-client/1.1',
            authorization: `Bearer ${token}`,
            ...options.headers,
            ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
            }
            resolve({ status: response.statusCode ?? 0, headers, bytes: Buffer.concat(chunks) });
          });
        },
      );
      request.on('error', reject);
      request.end(options.body);
    });
    const text = answer.bytes.toString('utf8');
    const json = (answer.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
    const decoded = decodeURIComponent(new URL(`http://x${path}`).pathname);
    const problems = (await sapContract()).check(method, decoded, answer.status, json ?? (text || undefined));
    assert.deepEqual(problems, [], `answer to ${method} ${path} breaks SAP's contract`);
    return { status: answer.status, headers: answer.headers, text, bytes: answer.bytes };
  }

  test('gets a token: POST <tokenurl>?grant_type=client_credentials with Basic client credentials', async () => {
    const { clientId, clientSecret, tokenUrl } = h.emulator.credentials;
    const response = await fetch(`${tokenUrl}?grant_type=client_credentials`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    });
    assert.equal(response.status, 200);
    token = ((await response.json()) as { access_token: string }).access_token;
    assert.ok(token, 'the token answer carries access_token');
  });

  test('integrationArtifactUpload: 404 for a new iFlow, then create (201); a second run updates it (200)', async () => {
    const status = await piper('GET', `/IntegrationDesigntimeArtifacts(Id='${FLOW}',Version='Active')`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(status.status, 404);
    const created = await piper('POST', '/IntegrationDesigntimeArtifacts', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Name: 'Piper Orders',
        Id: FLOW,
        PackageId: PACKAGE,
        ArtifactContent: bundle('1.0.0').toString('base64'),
      }),
    });
    assert.equal(created.status, 201, created.text);

    const again = await piper('GET', `/IntegrationDesigntimeArtifacts(Id='${FLOW}',Version='Active')`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(again.status, 200);
    const updated = await piper('PUT', `/IntegrationDesigntimeArtifacts(Id='${FLOW}',Version='Active')`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'Piper Orders', ArtifactContent: bundle('1.0.1').toString('base64') }),
    });
    assert.equal(updated.status, 200, updated.text);
  });

  test('integrationArtifactResource: create (201) and delete (200); its update answers 202 where the step wants 200', async () => {
    const base = `/IntegrationDesigntimeArtifacts(Id='${FLOW}',Version='Active')`;
    const created = await piper('POST', `${base}/Resources`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        Name: 'enrich.gsh',
        ResourceType: 'groovy',
        ResourceContent: Buffer.from('// v1').toString('base64'),
      }),
    });
    assert.equal(created.status, 201, created.text);
    const updated = await piper('PUT', `${base}/$links/Resources(Name='enrich.gsh',ResourceType='groovy')`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ResourceContent: Buffer.from('// v2').toString('base64') }),
    });
    // SAP's definition says 202; the step checks for 200 (a known difference, docs/emulator.md): the content changed
    assert.equal(updated.status, 202, updated.text);
    const value = await piper('GET', `${base}/Resources(Name='enrich.gsh',ResourceType='groovy')/$value`);
    assert.equal(value.text, '// v2');
    const deleted = await piper('DELETE', `${base}/$links/Resources(Name='enrich.gsh',ResourceType='groovy')`, {
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deleted.status, 200, deleted.text);
  });

  test('integrationArtifactUpdateConfiguration: PUT $links/Configurations with {"ParameterValue"} answers 202', async () => {
    const answer = await piper(
      'PUT',
      `/IntegrationDesigntimeArtifacts(Id='${FLOW}',Version='active')/$links/Configurations('Receiver_Alias')`,
      {
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ ParameterValue: 'partner_enc_2027' }),
      },
    );
    assert.equal(answer.status, 202, answer.text);
  });

  test('integrationArtifactDeploy: 202 with the task id as the body, polled to SUCCESS', async () => {
    const deploy = await piper('POST', `/DeployIntegrationDesigntimeArtifact?Id='${FLOW}'&Version='Active'`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(deploy.status, 202, deploy.text);
    const taskId = deploy.text;
    const status = await eventually(async () => {
      const answer = await piper('GET', `/BuildAndDeployStatus(TaskId='${taskId}')`, {
        headers: { 'content-type': 'application/json', accept: 'application/json' },
      });
      assert.equal(answer.status, 200);
      const value = (JSON.parse(answer.text) as { d: { Status: string } }).d.Status;
      return value === 'DEPLOYING' ? undefined : value;
    });
    assert.equal(status, 'SUCCESS');
    const deployed = await eventually(async () =>
      h.emulator.state.runtimeArtifacts().find((a) => a.id === FLOW && a.status === 'STARTED'),
    );
    assert.equal(deployed.channel.publicKeyAlias, 'partner_enc_2027', 'the deployment runs the updated configuration');
  });

  test('integrationArtifactGetServiceEndpoint + TriggerIntegrationTest: the endpoint URL takes a message', async () => {
    const answer = await piper('GET', '/ServiceEndpoints?$expand=EntryPoints', {
      headers: { accept: 'application/json' },
    });
    assert.equal(answer.status, 200);
    const endpoints = (JSON.parse(answer.text) as { d: { results: any[] } }).d.results;
    const mine = endpoints.find((child) => child.Name === FLOW);
    assert.ok(mine, `an endpoint named ${FLOW} is listed`);
    const url = mine.EntryPoints.results[0].Url as string;
    const sent = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
      body: '<order/>',
    });
    await sent.arrayBuffer();
    assert.ok(
      h.emulator.state.messages().some((m) => m.iflowId === FLOW),
      'the message posted to the endpoint URL went through the iFlow',
    );
  });

  test('integrationArtifactDownload: the file name comes from Content-Disposition; the zip is the bundle', async () => {
    const answer = await piper('GET', `/IntegrationDesigntimeArtifacts(Id='${FLOW}',Version='active')/$value`);
    assert.equal(answer.status, 200);
    const disposition = answer.headers.get('content-disposition') ?? '';
    assert.equal(/filename="([^"]+)"/.exec(disposition)?.[1], `${FLOW}.zip`);
    const files = await unzip(answer.bytes);
    assert.match(files.get('META-INF/MANIFEST.MF')?.toString() ?? '', /^Bundle-Version: 1\.0\.1\r?$/m);
  });

  test('integrationArtifactUnDeploy: DELETE IntegrationRuntimeArtifacts answers 202 and the iFlow goes', async () => {
    const answer = await piper('DELETE', `/IntegrationRuntimeArtifacts('${FLOW}')`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(answer.status, 202, answer.text);
    await eventually(async () => (h.emulator.state.runtimeArtifacts().some((a) => a.id === FLOW) ? undefined : true));
  });

  test('integrationArtifactGetMplStatus reads MessageProcessingLogs, an API the emulator does not serve (404)', async () => {
    const response = await fetch(
      `${h.emulator.apiUrl}/MessageProcessingLogs?$filter=IntegrationArtifact/Id${encodeURIComponent(' eq ')}'${FLOW}'`,
      { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
    );
    assert.equal(response.status, 404);
    await response.arrayBuffer();
  });
});
