// What the generated bindings give a cdktf user, checked by the real terraform binary and provider: the HCL that
// `cdktf synth --hcl` writes is a configuration terraform accepts (it held empty cpi_* blocks before the bindings
// came from `cdktf get`), and `generateConfigForImport` lets terraform write the configuration of an existing
// tenant entry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { App, TerraformStack, Testing } from '../../constructs/cdktf';
import { CpiProvider } from '../../constructs/bindings/provider';
import { KeystoreCertificate } from '../../constructs/bindings/keystore-certificate';
import { RenewalGate } from '../../constructs/bindings/renewal-gate';
import { DataCpiKeystoreEntry } from '../../constructs/bindings/data-cpi-keystore-entry';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const ALIAS = 'orders_encryption';
const PEM = generateKeyPairWithCertificate({
  algorithm: 'RSA-2048',
  subject: 'CN=orders-2026,O=Receiver',
  validityDays: 365,
  now: new Date(),
}).certificatePem;

describe('generated bindings through terraform', { timeout: 240_000 }, () => {
  let emulator: TenantEmulator;
  let dataDir: string;
  const outdir = mkdtempSync(join(tmpdir(), 'cpi-bindings-tf-'));
  const workdirs: TerraformWorkdir[] = [];
  const workdir = (): TerraformWorkdir => {
    const tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-bindings-tf-' });
    workdirs.push(tf);
    Object.assign(tf.env, {
      CPI_TENANT_URL: emulator.url,
      CPI_USERNAME: emulator.credentials.username,
      CPI_PASSWORD: emulator.credentials.password,
    });
    return tf;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-'));
    emulator = await startTenantEmulator({
      dataDir,
      config: { iflows: [], certificates: [{ alias: ALIAS, pem: PEM }] },
    });
  });
  after(async () => {
    for (const tf of workdirs) tf.remove();
    await emulator?.close();
    rmSync(outdir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('terraform validates and plans the HCL that cdktf synthesizes from the bindings', async () => {
    const stack = new TerraformStack(new App({ outdir }), 'hcl');
    new CpiProvider(stack, 'cpi', { requestsPerSecond: 5 });
    const cert = new KeystoreCertificate(stack, 'cert', { alias: 'orders_next', certificatePem: PEM });
    new RenewalGate(stack, 'gate', {
      renewalId: 'r1',
      gate: 'retire-old-key',
      waitsFor: ['tenant-admin'],
      alias: ALIAS,
      newCertificatePem: cert.certificatePem,
      oldFingerprintSha256: new X509Certificate(PEM).fingerprint256,
      // Holds at plan (the seeded alias still holds the certificate), so the plan goes through the gate.
      requirement: [{ kind: 'tenant_alias', certificate: 'old' }],
    });
    new DataCpiKeystoreEntry(stack, 'entry', { alias: ALIAS });
    const tf = workdir();
    writeFileSync(join(tf.dir, 'main.tf'), stack.toHclTerraform().hcl);
    await tf.ok(['init']);
    await tf.ok(['validate']);
    // The plan shows the arguments terraform read from the HCL, and the data source read the seeded entry.
    const plan = (await tf.ok(['plan', '-out=plan.bin'])).stdout;
    assert.match(plan, /cpi_keystore_certificate\.cert will be created/, plan);
    const shown = JSON.parse((await tf.ok(['show', '-json', 'plan.bin'])).stdout) as {
      resource_changes: { address: string; change: { after: Record<string, unknown> } }[];
      configuration: { provider_config: { cpi: { expressions: Record<string, { constant_value?: unknown }> } } };
    };
    const after = (address: string) => shown.resource_changes.find((c) => c.address === address)?.change.after;
    assert.equal(after('cpi_keystore_certificate.cert')?.alias, 'orders_next');
    // cdktf 0.21 writes a multi-line string as a heredoc that adds one newline at its end (docs/cdktf-and-cdktn.md).
    assert.equal(after('cpi_keystore_certificate.cert')?.certificate_pem, `${PEM}\n`);
    assert.deepEqual(after('cpi_renewal_gate.gate')?.waits_for, ['tenant-admin']);
    assert.deepEqual(after('cpi_renewal_gate.gate')?.requirement, [
      { kind: 'tenant_alias', certificate: 'old', party: null, moment: null, state: null },
    ]);
    assert.equal(shown.configuration.provider_config.cpi.expressions.requests_per_second?.constant_value, 5);
  });

  test('generateConfigForImport: terraform writes the configuration of an existing tenant entry', async () => {
    const stack = new TerraformStack(new App({ outdir }), 'import');
    new CpiProvider(stack, 'cpi');
    KeystoreCertificate.generateConfigForImport(stack, 'adopted', ALIAS);
    const tf = workdir();
    writeFileSync(join(tf.dir, 'main.tf.json'), Testing.synth(stack));
    await tf.ok(['init']);
    const plan = await tf.ok(['plan', '-generate-config-out=generated.tf']);
    assert.match(plan.stdout, /1 to import/, plan.stdout);
    const generated = readFileSync(join(tf.dir, 'generated.tf'), 'utf8');
    assert.match(generated, /resource "cpi_keystore_certificate" "adopted" \{/, generated);
    assert.match(generated, new RegExp(`^\\s*alias\\s*= "${ALIAS}"$`, 'm'), generated);
    const body = PEM.split('\n')[1]!;
    assert.ok(generated.includes(body), `generated.tf holds the certificate:\n${generated}`);
  });
});
