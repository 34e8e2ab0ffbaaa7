// The tenant resources through the real terraform binary against the embedded tenant: create, exchange keeping
// the alias, no-op re-plan, drift, import, undeploy/redeploy, a deploy that ends in ERROR, and bad input refused
// at plan time with the tenant left unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { TenantClient } from '../../src/tenant/tenant-client';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const now = new Date();
const certificate = (cn: string, validityDays = 365) =>
  generateKeyPairWithCertificate({ algorithm: 'RSA-2048', subject: `CN=${cn},O=Receiver`, validityDays, now })
    .certificatePem;

describe('tenant resources through terraform against the emulator', () => {
  let emulator: TenantEmulator;
  let tf: TerraformWorkdir;
  let dataDir: string;
  let client: TenantClient;
  const oldCert = certificate('receiver-2025');
  const newCert = certificate('receiver-2026');

  const config = (resources: object, data: object = {}) => ({
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
    provider: { cpi: {} },
    resource: resources,
    ...(Object.keys(data).length > 0 ? { data } : {}),
  });
  const snapshot = () =>
    JSON.stringify({ keys: emulator.state.keystoreEntries(), runtime: emulator.state.runtimeArtifacts() });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-'));
    emulator = await startTenantEmulator({
      dataDir,
      config: {
        deployDelayMs: 300,
        undeployDelayMs: 100,
        iflows: [
          { id: 'OrderToReceiver', deployed: true },
          { id: 'BrokenFlow', deployed: false, deployError: 'Unresolved property: receiver_url' },
        ],
      },
    });
    tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION });
    Object.assign(tf.env, {
      CPI_TENANT_URL: emulator.url,
      CPI_USERNAME: emulator.credentials.username,
      CPI_PASSWORD: emulator.credentials.password,
    });
    client = new TenantClient({
      tenantUrl: emulator.url,
      auth: { kind: 'basic', username: emulator.credentials.username, password: emulator.credentials.password },
    });
    tf.writeConfig(
      config({ cpi_keystore_certificate: { receiver: { alias: 'receiver_enc', certificate_pem: oldCert } } }),
    );
    await tf.ok(['init']);
  });
  after(async () => {
    tf?.remove();
    await emulator?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const entry = (alias: string) => emulator.state.keystoreEntries().find((e) => e.alias === alias);

  test('apply imports the certificate under the alias, with its facts in state', async () => {
    await tf.ok(['apply', '-auto-approve']);
    const stored = entry('receiver_enc');
    assert.ok(stored, 'the tenant holds the alias');
    const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
    const values = state.values.root_module.resources[0].values;
    assert.equal(values.fingerprint_sha256, stored.fingerprintSha256);
    assert.equal(values.hexalias, Buffer.from('receiver_enc').toString('hex').toUpperCase());
    assert.match(values.subject_dn, /CN=receiver-2025/);
  });

  test('a second plan is a no-op', async () => {
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('a new certificate is exchanged in place, keeping the alias, and the plan shows the new fingerprint', async () => {
    tf.writeConfig(
      config({ cpi_keystore_certificate: { receiver: { alias: 'receiver_enc', certificate_pem: newCert } } }),
    );
    const plan = await tf.ok(['plan'], [0, 2]);
    assert.match(plan.stdout, /update in-place/);
    assert.doesNotMatch(plan.stdout, /must be replaced/);
    const before = entry('receiver_enc')!.fingerprintSha256;
    await tf.ok(['apply', '-auto-approve']);
    const after = entry('receiver_enc')!;
    assert.notEqual(after.fingerprintSha256, before);
    assert.match(
      after.certificatePem.replace(/\s/g, ''),
      new RegExp(newCert.split('\n')[1]!.slice(0, 40).replace(/[+/]/g, '.')),
    );
    assert.equal(emulator.state.keystoreEntries().filter((e) => e.alias === 'receiver_enc').length, 1);
  });

  test('a certificate exchanged out of band shows as drift and is put back', async () => {
    await client.putCertificate('receiver_enc', oldCert, { update: true, fingerprintVerified: true });
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /certificate_pem/);
    await tf.ok(['apply', '-auto-approve']);
    const fingerprint = JSON.parse((await tf.ok(['show', '-json'])).stdout).values.root_module.resources[0].values
      .fingerprint_sha256;
    assert.equal(entry('receiver_enc')!.fingerprintSha256, fingerprint);
  });

  test('an existing entry is imported by alias, after which plan is a no-op', async () => {
    await tf.ok(['state', 'rm', 'cpi_keystore_certificate.receiver']);
    await tf.ok(['import', 'cpi_keystore_certificate.receiver', 'receiver_enc']);
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  const badInputs: [string, object, RegExp][] = [
    ['not PEM', { alias: 'bad_one', certificate_pem: 'hello' }, /CPI_PKI_NOT_PEM/],
    [
      'a private key pasted',
      { alias: 'bad_one', certificate_pem: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n' },
      /CPI_PKI_PRIVATE_KEY_PASTED/,
    ],
    [
      'an expired certificate',
      {
        alias: 'bad_one',
        certificate_pem: generateKeyPairWithCertificate({
          algorithm: 'RSA-2048',
          subject: 'CN=old',
          validityDays: 10,
          now: new Date(Date.now() - 400 * 86_400_000),
        }).certificatePem,
      },
      /CPI_PKI_CERT_EXPIRED/,
    ],
    [
      'a SAP-owned alias',
      { alias: 'sap_cloudintegrationcertificate', certificate_pem: newCert },
      /CPI_TENANT_ALIAS_RESERVED/,
    ],
    ['an alias with upper case', { alias: 'Receiver', certificate_pem: newCert }, /CPI_ALIAS_INVALID/],
    ['an alias too long', { alias: 'a'.repeat(251), certificate_pem: newCert }, /CPI_ALIAS_INVALID/],
    ['an alias with a slash', { alias: 'a/b', certificate_pem: newCert }, /CPI_ALIAS_INVALID/],
    [
      'an alias taken by another certificate',
      { alias: 'receiver_enc', certificate_pem: oldCert },
      /CPI_TENANT_ALIAS_EXISTS/,
    ],
  ];
  for (const [name, attrs, code] of badInputs) {
    test(`refuses ${name} at plan time with its code, and the tenant is unchanged`, async () => {
      const before = snapshot();
      tf.writeConfig(
        config({
          cpi_keystore_certificate: {
            receiver: {
              alias: 'receiver_enc',
              certificate_pem: JSON.parse((await tf.ok(['show', '-json'])).stdout).values.root_module.resources[0]
                .values.certificate_pem,
            },
            bad: attrs,
          },
        }),
      );
      const plan = await tf.run(['plan', '-no-color']);
      assert.equal(plan.code, 1);
      assert.match(plan.stderr, code);
      assert.match(plan.stderr, /cpi_keystore_certificate\.bad/);
      const apply = await tf.run(['apply', '-auto-approve', '-no-color']);
      assert.equal(apply.code, 1);
      assert.equal(snapshot(), before);
    });
  }

  test('undeploys and redeploys an iFlow, waiting for STARTED', async () => {
    const current = JSON.parse((await tf.ok(['show', '-json'])).stdout).values.root_module.resources[0].values
      .certificate_pem;
    const cert = { receiver: { alias: 'receiver_enc', certificate_pem: current } };
    tf.writeConfig(
      config({
        cpi_keystore_certificate: cert,
        cpi_iflow_deployment: { order: { iflow_id: 'OrderToReceiver', deployed: false } },
      }),
    );
    await tf.ok(['apply', '-auto-approve']);
    assert.equal(
      emulator.state.runtimeArtifacts().find((a) => a.id === 'OrderToReceiver'),
      undefined,
    );
    tf.writeConfig(
      config({
        cpi_keystore_certificate: cert,
        cpi_iflow_deployment: { order: { iflow_id: 'OrderToReceiver', deployed: true } },
      }),
    );
    await tf.ok(['apply', '-auto-approve']);
    assert.equal(emulator.state.runtimeArtifacts().find((a) => a.id === 'OrderToReceiver')?.status, 'STARTED');
    const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
    const deployment = state.values.root_module.resources.find(
      (r: { type: string }) => r.type === 'cpi_iflow_deployment',
    );
    assert.equal(deployment.values.status, 'STARTED');
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test("a deploy that ends in ERROR fails with the tenant's error text", async () => {
    const current = JSON.parse((await tf.ok(['show', '-json'])).stdout).values.root_module.resources.find(
      (r: { type: string }) => r.type === 'cpi_keystore_certificate',
    ).values.certificate_pem;
    tf.writeConfig(
      config({
        cpi_keystore_certificate: { receiver: { alias: 'receiver_enc', certificate_pem: current } },
        cpi_iflow_deployment: { order: { iflow_id: 'OrderToReceiver' }, broken: { iflow_id: 'BrokenFlow' } },
      }),
    );
    const apply = await tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(apply.code, 1);
    assert.match(apply.stderr, /CPI_TENANT_DEPLOY_FAILED/);
    assert.match(apply.stderr.replace(/\s+/g, ' '), /Unresolved property: receiver_url/);
  });

  test('data sources read the keystore and the runtime', async () => {
    const current = JSON.parse((await tf.ok(['show', '-json'])).stdout).values.root_module.resources.find(
      (r: { type: string }) => r.type === 'cpi_keystore_certificate',
    ).values.certificate_pem;
    tf.writeConfig({
      ...config(
        {
          cpi_keystore_certificate: { receiver: { alias: 'receiver_enc', certificate_pem: current } },
          cpi_iflow_deployment: { order: { iflow_id: 'OrderToReceiver' } },
        },
        {
          cpi_keystore_entry: { receiver: { alias: 'receiver_enc' } },
          cpi_keystore_entries: { soon: { expiring_within_days: 400, alias_prefix: 'receiver' } },
          cpi_iflow_runtime: { order: { iflow_id: 'OrderToReceiver' } },
        },
      ),
      output: {
        fingerprint: { value: '${data.cpi_keystore_entry.receiver.fingerprint_sha256}' },
        expiring: { value: '${[for e in data.cpi_keystore_entries.soon.entries : e.alias]}' },
        status: { value: '${data.cpi_iflow_runtime.order.status}' },
      },
    });
    await tf.ok(['apply', '-auto-approve']);
    const out = JSON.parse((await tf.ok(['output', '-json'])).stdout);
    assert.equal(out.fingerprint.value, entry('receiver_enc')!.fingerprintSha256);
    assert.deepEqual(out.expiring.value, ['receiver_enc']);
    assert.equal(out.status.value, 'STARTED');
  });

  test('destroy removes the entry and undeploys the iFlow', async () => {
    await tf.ok(['destroy', '-auto-approve']);
    assert.equal(entry('receiver_enc'), undefined);
    assert.equal(
      emulator.state.runtimeArtifacts().find((a) => a.id === 'OrderToReceiver'),
      undefined,
    );
  });
});
