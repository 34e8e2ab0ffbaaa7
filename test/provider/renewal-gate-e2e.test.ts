// cpi_renewal_gate through the real terraform binary against the embedded tenant: a closed gate fails the plan
// naming the party and what to do; a confirmation opens it only when it names this renewal, gate and certificate;
// tenant_alias and iflow_state gates read the tenant; a probe gate asks the receiver's keystore; a moment in the
// future keeps a gate closed; a repeated requirement or one whose fact is missing is refused; an opened gate keeps its evidence in state and is not evaluated again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { openReceiverBackend } from '../../src/receiver/open-backend';
import { formatConfirmationFile, writeConfirmation, type Confirmation } from '../../src/renewal/confirmation';
import { TenantClient } from '../../src/tenant/tenant-client';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const now = new Date();
const certificate = (cn: string) =>
  generateKeyPairWithCertificate({ algorithm: 'RSA-2048', subject: `CN=${cn},O=Receiver`, validityDays: 365, now })
    .certificatePem;
const oneLine = (text: string) => text.replace(/[\s│╷╵]+/g, ' ');

describe('cpi_renewal_gate through terraform against the emulator', () => {
  let emulator: TenantEmulator;
  let tf: TerraformWorkdir;
  let dataDir: string;
  let client: TenantClient;
  const oldCert = certificate('receiver-2025');
  const newCert = certificate('receiver-2026');
  const OLD = parseCertificatePem(oldCert).fingerprintSha256;
  const NEW = parseCertificatePem(newCert).fingerprintSha256;
  // Gates that are open and applied stay in the configuration, as they would in a stage stack.
  const applied: Record<string, object> = {};

  const exchangeGate = {
    renewal_id: 'acme-2026',
    gate: 'exchange-certificate',
    waits_for: ['receiver-admin'],
    new_certificate_pem: newCert,
    requirement: [{ kind: 'confirmation', party: 'receiver-admin' }],
  };
  const configure = (gates: Record<string, object>, others: Record<string, object> = {}) =>
    tf.writeConfig({
      terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
      provider: { cpi: {} },
      resource: { cpi_renewal_gate: { ...applied, ...gates }, ...others },
    });
  const confirmationsDir = () => join(tf.dir, 'renewals', 'acme-2026', 'confirmations');
  const confirmation = (overrides: Partial<Confirmation> = {}): Confirmation => ({
    renewalId: 'acme-2026',
    gate: 'exchange-certificate',
    fingerprintSha256: NEW,
    party: 'receiver-admin',
    person: 'Jane Roe',
    // now: a confirmation may not predate the certificate, which the suite made moments ago
    confirmedAt: new Date(),
    ...overrides,
  });
  const putConfirmations = (...confirmations: Confirmation[]) => {
    mkdirSync(confirmationsDir(), { recursive: true });
    writeFileSync(join(confirmationsDir(), 'exchange-certificate.json'), formatConfirmationFile({ confirmations }));
  };
  const closedPlan = async () => {
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1, plan.stdout + plan.stderr);
    assert.match(plan.stderr, /CPI_GATE_CLOSED/);
    return oneLine(plan.stderr);
  };
  const gateState = async (name: string) => {
    const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
    return state.values.root_module.resources.find((r: { name: string }) => r.name === name).values;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-'));
    emulator = await startTenantEmulator({
      dataDir,
      config: {
        deployDelayMs: 50,
        undeployDelayMs: 50,
        iflows: [{ id: 'OrderToReceiver', deployed: true }],
        certificates: [{ alias: 'receiver_enc', pem: oldCert }],
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
    configure({ exchange: exchangeGate });
    await tf.ok(['init']);
  });
  after(async () => {
    tf?.remove();
    await emulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('plan fails while closed, naming the gate, the party, the action and the confirm command', async () => {
    const stderr = await closedPlan();
    assert.match(stderr, /gate "exchange-certificate" of renewal "acme-2026" is closed/);
    assert.match(stderr, /Waiting for: receiver administrator \(receiver-admin\)/);
    assert.match(stderr, /What they must do: the receiver administrator confirms\./);
    assert.ok(
      stderr.includes(
        `cpi-renewal confirm --renewal acme-2026 --gate exchange-certificate --party receiver-admin --fingerprint ${NEW} --person "<your name>"`,
      ),
      stderr,
    );
    assert.match(stderr, /commits renewals\/acme-2026\/confirmations\/exchange-certificate\.json/);
    assert.match(stderr, /Evidence found so far: none/);
  });

  test('confirmations for another certificate, renewal or gate do not open it, and the error says why for each', async () => {
    // Written as found in a commit: entries in this gate's file, each naming something else. Were any of them
    // counted, the gate would open.
    putConfirmations(
      confirmation({ fingerprintSha256: OLD, person: 'Ann Cert' }),
      confirmation({ renewalId: 'acme-2025', person: 'Ben Renewal' }),
      confirmation({ gate: 'retire-old-key', person: 'Cat Gate' }),
    );
    const stderr = await closedPlan();
    assert.ok(stderr.includes(`receiver-admin (Ann Cert) confirmed the certificate ${OLD}, not ${NEW}`), stderr);
    assert.match(stderr, /receiver-admin \(Ben Renewal\) confirmed renewal "acme-2025", not "acme-2026"/);
    assert.match(stderr, /receiver-admin \(Cat Gate\) confirmed gate "retire-old-key", not "exchange-certificate"/);
    assert.match(stderr, /Evidence found so far: none/);
  });

  test('a matching confirmation opens it: apply stores opened_at and the evidence', async () => {
    writeConfirmation(confirmationsDir(), confirmation());
    const started = Date.now();
    await tf.ok(['apply', '-auto-approve']);
    const values = await gateState('exchange');
    assert.equal(values.id, 'acme-2026/exchange-certificate');
    const openedAt = Date.parse(values.opened_at);
    assert.ok(openedAt >= started - 1000 && openedAt <= Date.now(), values.opened_at);
    assert.equal(values.evidence.length, 1);
    assert.match(values.evidence[0], new RegExp(`^confirmation: receiver-admin \\(Jane Roe\\) confirmed ${NEW} at `));
    applied.exchange = exchangeGate;
  });

  test('every plan decides again: with the confirmation gone the plan fails, the record stays; back, a no-op', async () => {
    const file = join(confirmationsDir(), 'exchange-certificate.json');
    const kept = readFileSync(file, 'utf8');
    rmSync(file);
    const stderr = await closedPlan();
    assert.match(stderr, /a confirmation by receiver-admin for the certificate .*none found/);
    assert.match((await gateState('exchange')).evidence[0], /^confirmation: receiver-admin \(Jane Roe\)/);
    writeFileSync(file, kept);
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('a tenant_alias gate stays closed while the alias holds the old certificate and opens once it holds the new one', async () => {
    const retire = {
      renewal_id: 'acme-2026',
      gate: 'retire-old-key',
      waits_for: ['tenant-admin'],
      mode: 'any',
      alias: 'receiver_enc',
      new_certificate_pem: newCert,
      requirement: [
        { kind: 'tenant_alias', certificate: 'new' },
        { kind: 'confirmation', party: 'tenant-admin' },
      ],
    };
    configure({ retire });
    // The tenant administrator confirms the exchange, but the alias still holds the old certificate: what the
    // provider sees itself wins, and the plan names it.
    writeConfirmation(
      confirmationsDir(),
      confirmation({ gate: 'retire-old-key', party: 'tenant-admin', person: 'Max Muster' }),
    );
    const stderr = await closedPlan();
    assert.match(
      stderr,
      /What the provider observed contradicts it, and a confirmation cannot overrule an observation/,
    );
    assert.match(stderr, /\[AliasHoldsOtherCertificate\]/);
    assert.match(stderr, /confirmation: tenant-admin \(Max Muster\) confirmed/, 'the confirmation is shown as found');
    assert.match(stderr, /Waiting for: tenant administrator \(tenant-admin\)/);
    assert.match(
      stderr,
      /What they must do: the tenant alias holds the new certificate or the tenant administrator confirms\./,
    );
    assert.ok(stderr.includes(`the tenant alias "receiver_enc" holds the certificate ${NEW}; it holds ${OLD}`), stderr);
    await client.putCertificate('receiver_enc', newCert, { update: true, fingerprintVerified: true });
    await tf.ok(['apply', '-auto-approve']);
    assert.deepEqual((await gateState('retire')).evidence, [
      `tenant_alias: "receiver_enc" holds ${NEW}`,
      (await gateState('retire')).evidence[1],
    ]);
    assert.match((await gateState('retire')).evidence[1], /^confirmation: tenant-admin \(Max Muster\)/);
    applied.retire = retire;
  });

  test('an iflow_state gate stays closed while the iFlow runs and opens once it is undeployed', async () => {
    const exchangeB = {
      renewal_id: 'acme-b',
      gate: 'exchange-certificate',
      waits_for: ['integration-developer'],
      iflow_ids: ['OrderToReceiver'],
      requirement: [{ kind: 'iflow_state', state: 'undeployed' }],
    };
    configure({ exchange_b: exchangeB });
    const stderr = await closedPlan();
    assert.match(stderr, /Waiting for: integration developer \(integration-developer\)/);
    assert.match(stderr, /What they must do: every iFlow that uses the alias is undeployed/);
    assert.match(stderr, /"OrderToReceiver" is deployed \(STARTED\)/);
    await client.undeployIntegrationFlow('OrderToReceiver');
    for (let i = 0; i < 100 && emulator.state.runtimeArtifacts().some((a) => a.id === 'OrderToReceiver'); i++)
      await sleep(20);
    await tf.ok(['apply', '-auto-approve']);
    assert.deepEqual((await gateState('exchange_b')).evidence, ['iflow_state: "OrderToReceiver" undeployed']);
    applied.exchange_b = exchangeB;
  });

  test('an applied gate whose evidence went away refuses the plan, unless settled: its effect holds already', async () => {
    // The iFlow runs again (as after the resume stage): the exchange gate is decided again and is closed.
    await client.deployIntegrationFlow('OrderToReceiver', 'active');
    for (let i = 0; i < 100 && !emulator.state.runtimeArtifacts().some((a) => a.id === 'OrderToReceiver'); i++)
      await sleep(20);
    assert.match(await closedPlan(), /"OrderToReceiver" is deployed/);
    // With settled_by, the alias holding the new certificate settles it: the stage's effect holds already.
    const settled = {
      ...applied.exchange_b,
      alias: 'receiver_enc',
      new_certificate_pem: newCert,
      settled_by: [{ kind: 'tenant_alias', certificate: 'new' }],
    };
    configure({ exchange_b: settled });
    await tf.ok(['apply', '-auto-approve']);
    assert.deepEqual((await gateState('exchange_b')).evidence, [`settled: tenant_alias: "receiver_enc" holds ${NEW}`]);
    const again = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(again.code, 0, 'a settled gate plans no change: ' + again.stdout + again.stderr);
    applied.exchange_b = settled;
  });

  test('a not_before in the future keeps the gate closed; once it has passed the gate opens', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const cleanup = {
      renewal_id: 'acme-2026',
      gate: 'cleanup',
      waits_for: ['receiver-admin'],
      window_start: future,
      requirement: [{ kind: 'not_before', moment: 'window_start' }],
    };
    configure({ cleanup });
    const stderr = await closedPlan();
    assert.ok(stderr.includes(`the time ${future} (not_before)`), stderr);
    const past = new Date(Date.now() - 1000).toISOString();
    configure({ cleanup: { ...cleanup, window_start: past } });
    await tf.ok(['apply', '-auto-approve']);
    assert.match((await gateState('cleanup')).evidence[0], new RegExp(`^not_before: ${past} has passed`));
  });

  test('a probe gate stays closed for a certificate the receiver has no key for and opens for its own', async () => {
    const receiverDir = join(tf.dir, 'receiver');
    const settings = {
      kind: 'pkcs12' as const,
      keystorePath: join(receiverDir, 'active.p12'),
      archivePath: join(receiverDir, 'archive.p12'),
      password: 'receiver-secret',
    };
    const key = await openReceiverBackend(settings).generateKey({
      name: 'receiver-2026',
      algorithm: 'RSA-2048',
      subject: 'CN=receiver-2026,O=Receiver',
      validityDays: 365,
    });
    const receiver = { kind: 'pkcs12', keystore_path: settings.keystorePath, archive_path: settings.archivePath };
    const resume = {
      renewal_id: 'acme-b',
      gate: 'resume-sending',
      waits_for: ['receiver-admin'],
      new_certificate_pem: newCert,
      receiver,
      requirement: [{ kind: 'probe' }],
    };
    configure({ resume });
    const run = (args: string[]) =>
      tf.run([...args, '-no-color'], { CPI_RECEIVER_KEYSTORE_PASSWORD: settings.password });
    const closed = await run(['plan']);
    assert.equal(closed.code, 1, closed.stdout + closed.stderr);
    assert.match(
      oneLine(closed.stderr),
      /CPI_GATE_CLOSED.*the receiver decrypts a probe encrypted for the certificate [0-9A-F:]+; it did not decrypt/,
    );
    configure({ resume: { ...resume, new_certificate_pem: key.certificatePem } });
    const apply = await run(['apply', '-auto-approve']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.match(
      (await gateState('resume')).evidence[0],
      new RegExp(`^probe: the receiver decrypted a canary encrypted for ${key.fingerprintSha256}`),
    );
    applied.resume = { ...resume, new_certificate_pem: key.certificatePem };
    // The gate is decided on every later plan too: its receiver's secret must be where terraform runs.
    Object.assign(tf.env, { CPI_RECEIVER_KEYSTORE_PASSWORD: settings.password });
  });

  test('a gate whose inputs are known only at apply passes the plan and is decided at apply', async () => {
    const late = {
      renewal_id: 'acme-late',
      gate: 'exchange-certificate',
      waits_for: ['receiver-admin'],
      new_certificate_pem: '${terraform_data.handed_over.output}',
      requirement: [{ kind: 'confirmation', party: 'receiver-admin' }],
    };
    configure({ late }, { terraform_data: { handed_over: { input: newCert } } });
    assert.match((await tf.ok(['plan'])).stdout, /cpi_renewal_gate\.late will be created/);
    const apply = await tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(
      oneLine(apply.stderr),
      /CPI_GATE_CLOSED.*gate "exchange-certificate" of renewal "acme-late" is closed/,
    );
    writeConfirmation(join(tf.dir, 'renewals', 'acme-late', 'confirmations'), confirmation({ renewalId: 'acme-late' }));
    await tf.ok(['apply', '-auto-approve']);
    assert.match((await gateState('late')).evidence[0], /^confirmation: receiver-admin \(Jane Roe\)/);
  });

  test('a gate without any evidence to wait for, or waiting for an unknown party, is refused at plan time', async () => {
    const window = {
      window_start: '2026-01-01T00:00:00Z',
      requirement: [{ kind: 'not_before', moment: 'window_start' }],
    };
    configure({
      empty: { renewal_id: 'acme-2026', gate: 'cleanup', waits_for: ['receiver-admin'] },
      auditor: { renewal_id: 'acme-2026', gate: 'cleanup', waits_for: ['auditor'], ...window },
      twice: {
        renewal_id: 'acme-2026',
        gate: 'cleanup',
        waits_for: ['receiver-admin'],
        window_start: '2026-01-01T00:00:00Z',
        requirement: [
          { kind: 'not_before', moment: 'window_start' },
          { kind: 'not_before', moment: 'window_start' },
        ],
      },
      no_alias: {
        renewal_id: 'acme-2026',
        gate: 'retire-old-key',
        waits_for: ['tenant-admin'],
        new_certificate_pem: newCert,
        requirement: [{ kind: 'tenant_alias', certificate: 'new' }],
      },
    });
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1);
    const stderr = oneLine(plan.stderr);
    assert.match(stderr, /CPI_GATE_NO_EVIDENCE.*gate "cleanup" has no requirement block, so it could never be checked/);
    assert.match(stderr, /CPI_VALUE_INVALID.*requirement not_before:window_start is given more than once/);
    assert.match(
      stderr,
      /CPI_VALUE_INVALID.*requirement\[0\] \(tenant_alias\) refers to alias, which the gate does not set/,
    );
    assert.match(
      stderr,
      /CPI_VALUE_INVALID.*waits_for\[0\] "auditor" is not one of receiver-admin, tenant-admin, integration-developer/,
    );
  });

  test('a malformed confirmation file fails the plan with its own code', async () => {
    mkdirSync(confirmationsDir(), { recursive: true });
    writeFileSync(
      join(confirmationsDir(), 'switch-receiver-key.json'),
      '{"confirmations": [{"party": "tenant-admin"}]}',
    );
    configure({
      switch: {
        renewal_id: 'acme-2026',
        gate: 'switch-receiver-key',
        waits_for: ['tenant-admin'],
        new_certificate_pem: newCert,
        requirement: [{ kind: 'confirmation', party: 'tenant-admin' }],
      },
    });
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1);
    assert.match(
      oneLine(plan.stderr),
      /CPI_GATE_CONFIRMATION_MALFORMED.*switch-receiver-key\.json: confirmations\[0\]\.renewal_id is missing/,
    );
  });
});
