// Contract test: the client runs against a small recording HTTP server (node:http, not the emulator) that answers
// with SAP's own response examples; every request it made is then checked against SAP's API definitions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TenantClient } from '../../src/tenant/tenant-client';
import { SapApiContract, type RecordedRequest } from './sap-api-contract';

const PEM = `-----BEGIN CERTIFICATE-----\n${Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x0a]), Buffer.alloc(60, 7)]).toString('base64')}\n-----END CERTIFICATE-----\n`;
const ROOT = '/api/v1';

describe('tenant client against the SAP API definitions', () => {
  let contract: SapApiContract;
  let server: Server;
  let client: TenantClient;
  const recorded: RecordedRequest[] = [];

  function answer(req: RecordedRequest, res: ServerResponse): void {
    const send = (status: number, body?: unknown, headers: Record<string, string | string[]> = {}): void => {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, {
        ...(typeof body === 'object' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      });
      res.end(text);
    };
    const op = contract.match(req.method, req.path);
    const path = decodeURIComponent(req.path);
    const key = `${req.method} ${op?.template}`;
    switch (key) {
      case 'GET /':
        return send(200, undefined, { 'x-csrf-token': 'csrf-1', 'set-cookie': ['JSESSIONID=abc; Path=/; HttpOnly'] });
      case 'GET /KeystoreEntries':
        return send(200, contract.example('GET', '/KeystoreEntries', '200'));
      case "GET /KeystoreEntries('{Hexalias}')": {
        const example = contract.example('GET', "/KeystoreEntries('{Hexalias}')", '200') as {
          d: Record<string, unknown>;
        };
        const hex = /\('([0-9A-F]+)'\)/.exec(path)![1]!;
        if (hex === Buffer.from('gone').toString('hex').toUpperCase())
          return send(404, {
            error: { code: 'Not Found', message: { lang: 'en', value: "Alias 'gone' not found in the keystore" } },
          });
        return send(200, { d: { ...example.d, Hexalias: hex, Alias: Buffer.from(hex, 'hex').toString() } });
      }
      case "GET /KeystoreEntries('{Hexalias}')/Certificate/$value":
        return send(200, PEM, { 'content-type': 'application/pkix-cert' });
      case "PUT /CertificateResources('{Hexalias}')/$value":
        return send(204);
      case "DELETE /KeystoreEntries('{Hexalias}')":
        // a tenant without the per-entry DELETE, for the alias "legacy"
        return path.includes(Buffer.from('legacy').toString('hex').toUpperCase()) ? send(405) : send(204);
      case "PUT /KeystoreResources('system')":
        return send(204);
      case 'POST /KeystoreResources':
        return send(200, contract.example('POST', '/KeystoreResources', '200') ?? { d: { results: [] } });
      case 'GET /IntegrationRuntimeArtifacts':
        return send(200, contract.example('GET', '/IntegrationRuntimeArtifacts', '200'));
      case "GET /IntegrationRuntimeArtifacts('{Id}')": {
        const list = contract.example('GET', '/IntegrationRuntimeArtifacts', '200') as {
          d: { results: { Id: string }[] };
        };
        const id = /\('([^']+)'\)/.exec(path)![1]!;
        const found = list.d.results.find((a) => a.Id === id);
        return found
          ? send(200, { d: found })
          : send(404, {
              error: { code: 'Not Found', message: { lang: 'en', value: 'Requested entity could not be found.' } },
            });
      }
      case 'POST /DeployIntegrationDesigntimeArtifact':
        return send(202, 'abcd-1c3d-4v5w-x12y-ab123ghij567', { 'content-type': 'text/plain' });
      case "GET /BuildAndDeployStatus(TaskId='{taskId}')":
        return send(200, contract.example('GET', "/BuildAndDeployStatus(TaskId='{taskId}')", '200'));
      case "GET /IntegrationRuntimeArtifacts('{Id}')/ErrorInformation/$value":
        return send(200, {
          message: {
            subsystemName: 'IFLMAP',
            subsytemPartName: 'Runtime',
            messageId: 'M1',
            messageText: 'Failed to create route',
          },
          parameter: ['receiver'],
        });
      case "DELETE /IntegrationRuntimeArtifacts('{Id}')":
        return send(202);
      case "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Configurations('{ParameterKey}')":
        return send(202);
      default:
        return send(501, {
          error: { code: 'Not Implemented', message: { lang: 'en', value: `fake tenant has no answer for ${key}` } },
        });
    }
  }

  before(async () => {
    contract = await SapApiContract.load();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://127.0.0.1');
        const recordedRequest: RecordedRequest = {
          method: req.method!,
          path: url.pathname.startsWith(ROOT) ? url.pathname.slice(ROOT.length) || '/' : url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        recorded.push(recordedRequest);
        answer(recordedRequest, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new TenantClient(
      {
        tenantUrl: `http://127.0.0.1:${port}`,
        auth: { kind: 'basic', username: 'ops', password: 'pw' },
        requestsPerSecond: 1000,
      },
      { sleep: async () => {} },
    );
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('parses the keystore listing example into typed entries', async () => {
    const entries = await client.listKeystoreEntries();
    assert.deepEqual(
      entries.map((e) => [e.alias, e.hexAlias, e.type, e.owner]),
      [
        ['123', '313233', 'Key Pair', 'Tenant Administrator'],
        ['sap_test_certificate', '7361705F746573745F6365727469666963617465', 'Certificate', 'SAP'],
      ],
    );
    assert.deepEqual(entries[0]!.validNotAfter, new Date(1559804924000));
    assert.deepEqual(entries[0]!.lastModifiedTime, new Date(1552296324222));
    // SAP's example abbreviates fingerprints with "...": not a fingerprint, so not reported as one
    assert.equal(entries[0]!.fingerprintSha256, undefined);
  });

  test('reads, imports, exchanges, deletes and backs up keystore entries', async () => {
    const entry = await client.getKeystoreEntry('123', { withCertificate: true });
    assert.equal(entry?.keySize, 2048);
    assert.equal(entry?.certificatePem, PEM);
    assert.equal(await client.getKeystoreEntry('gone'), undefined);
    assert.equal((await client.putCertificate('partner-enc', PEM, { update: false })).alias, 'partner-enc');
    assert.equal(
      (await client.putCertificate('partner-enc', PEM, { update: true, fingerprintVerified: true })).alias,
      'partner-enc',
    );
    await client.deleteKeystoreEntry('partner-enc');
    await client.deleteKeystoreEntry('legacy'); // falls back to the mass-delete form
    await client.backupKeystore();
  });

  test('reads runtime artifacts, deploys, waits, undeploys and updates a parameter', async () => {
    const all = await client.listRuntimeArtifacts();
    assert.ok(
      all.some((a) => a.id === 'IntegrationFlow_MessageStore_COMPLETED_PROCESSING' && a.status === 'STARTED'),
      "all.some((a) => a.id === 'IntegrationFlow_MessageStore_COMPLETED_PROCESSING' && a.status === 'STARTED')",
    );
    assert.deepEqual(all[0]!.deployedOn, new Date(1521463557739));
    const { taskId } = await client.deployIntegrationFlow(
      'IntegrationFlow_MessageStore_COMPLETED_PROCESSING',
      'active',
    );
    assert.equal(taskId, 'abcd-1c3d-4v5w-x12y-ab123ghij567');
    const started = await client.waitForDeployment('IntegrationFlow_MessageStore_COMPLETED_PROCESSING', taskId, {
      timeoutMs: 10_000,
      pollMs: 1,
    });
    assert.equal(started.status, 'STARTED');
    const failedId = all.find((a) => a.status === 'ERROR')?.id;
    assert.ok(failedId, 'the example lists a failed deployment');
    await assert.rejects(
      client.waitForDeployment(failedId, taskId, { timeoutMs: 10_000, pollMs: 1 }),
      /CPI_TENANT_DEPLOY_FAILED.*Failed to create route \| receiver/,
    );
    await client.undeployIntegrationFlow('IntegrationFlow_MessageStore_COMPLETED_PROCESSING');
    await client.updateConfigurationParameter(
      'IntegrationFlow_MessageStore_COMPLETED_PROCESSING',
      'active',
      'Receiver_PublicKeyAlias',
      'partner-enc',
    );
  });

  test('every request the client made matches an operation of the SAP API definitions', () => {
    const problems = recorded.flatMap((req) => contract.check(req));
    assert.deepEqual(problems, []);
    const operations = new Set(
      recorded.map((req) => `${req.method} ${contract.match(req.method, req.path)?.template}`),
    );
    // the client's whole surface was exercised, so a new call cannot slip past this check unseen
    assert.deepEqual([...operations].sort(), [
      "DELETE /IntegrationRuntimeArtifacts('{Id}')",
      "DELETE /KeystoreEntries('{Hexalias}')",
      'GET /',
      "GET /BuildAndDeployStatus(TaskId='{taskId}')",
      'GET /IntegrationRuntimeArtifacts',
      "GET /IntegrationRuntimeArtifacts('{Id}')",
      "GET /IntegrationRuntimeArtifacts('{Id}')/ErrorInformation/$value",
      'GET /KeystoreEntries',
      "GET /KeystoreEntries('{Hexalias}')",
      "GET /KeystoreEntries('{Hexalias}')/Certificate/$value",
      'POST /DeployIntegrationDesigntimeArtifact',
      'POST /KeystoreResources',
      "PUT /CertificateResources('{Hexalias}')/$value",
      "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Configurations('{ParameterKey}')",
      "PUT /KeystoreResources('system')",
    ]);
  });

  test('the contract check notices a request that departs from the definitions', () => {
    const base = {
      headers: {
        authorization: 'Basic x',
        accept: 'application/json',
        'content-type': 'application/pkix-cert',
        'x-csrf-token': 't',
      },
      body: 'MIIB',
    };
    const missingUpdate = contract.check({
      ...base,
      method: 'PUT',
      path: "/CertificateResources('AB')/$value",
      query: new URLSearchParams('fingerprintVerified=true&returnKeystoreEntries=false'),
    });
    assert.match(missingUpdate.join('\n'), /required query option "update" is missing/);
    const wrong = contract.check({
      ...base,
      method: 'PUT',
      path: "/CertificateResources('ab')/$value",
      headers: { authorization: 'Basic x' },
      body: '-----BEGIN CERTIFICATE-----',
      query: new URLSearchParams('fingerprintVerified=yes&returnKeystoreEntries=false&update=true&x=1'),
    });
    const text = wrong.join('\n');
    for (const expected of [
      /not upper-case/,
      /"yes" is not one of/,
      /"x" is not declared/,
      /X-CSRF-Token is missing/,
      /PEM armour/,
    ])
      assert.match(text, expected);
    assert.match(
      contract.check({ ...base, method: 'PATCH', path: '/KeystoreEntries', query: new URLSearchParams() }).join(),
      /no operation/,
    );
  });
});
