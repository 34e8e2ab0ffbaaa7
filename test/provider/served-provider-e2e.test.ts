// One served provider process for a run of terraform commands (src/provider/served-provider.ts): terraform
// reattaches instead of starting the provider, each command sees relative paths as a launched provider would
// (from its own working directory), nothing carries over between commands, provider blocks with different
// settings in one stack are refused, and the socket is reachable by this user only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { ServedProvider } from '../../src/provider/served-provider';
import { formatConfirmationFile } from '../../src/renewal/confirmation';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const newCert = generateKeyPairWithCertificate({
  algorithm: 'RSA-2048',
  subject: 'CN=receiver-2026,O=Receiver',
  validityDays: 365,
  now: new Date(),
}).certificatePem;
const NEW = parseCertificatePem(newCert).fingerprintSha256;
const required = { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } };
const gate = {
  renewal_id: 'acme-2026',
  gate: 'exchange-certificate',
  waits_for: ['receiver-admin'],
  new_certificate_pem: newCert,
  requirement: [{ kind: 'confirmation', party: 'receiver-admin' }],
};

describe('a served provider through terraform', { timeout: 240_000 }, () => {
  let emulator: TenantEmulator;
  let tf: TerraformWorkdir;
  let dataDir: string;
  let served: ServedProvider;
  const logs: string[] = [];
  const run = async (args: string[]) => {
    await served.enter(tf.dir);
    return tf.run([...args, '-no-color'], served.reattachEnv());
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-'));
    emulator = await startTenantEmulator({ dataDir, config: { deployDelayMs: 50, undeployDelayMs: 50 } });
    tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION });
    Object.assign(tf.env, {
      CPI_TENANT_URL: emulator.url,
      CPI_USERNAME: emulator.credentials.username,
      CPI_PASSWORD: emulator.credentials.password,
    });
    tf.writeConfig({ terraform: required, provider: { cpi: {} }, resource: { cpi_renewal_gate: { exchange: gate } } });
    await tf.ok(['init']);
    // started elsewhere than the stack: the gate's default confirmations_dir is relative to terraform's directory
    served = await ServedProvider.start({ executable: BUNDLE, env: tf.env, log: (line) => logs.push(line) });
  });
  after(async () => {
    await served?.close();
    tf?.remove();
    await emulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('plan and apply run in the served process, relative paths mean what they mean to terraform', async () => {
    const closed = await run(['plan']);
    assert.equal(closed.code, 1, closed.stdout + closed.stderr);
    assert.match(closed.stderr, /CPI_GATE_CLOSED/);

    const confirmations = join(tf.dir, 'renewals', 'acme-2026', 'confirmations');
    mkdirSync(confirmations, { recursive: true });
    writeFileSync(
      join(confirmations, 'exchange-certificate.json'),
      formatConfirmationFile({
        confirmations: [
          {
            renewalId: 'acme-2026',
            gate: 'exchange-certificate',
            fingerprintSha256: NEW,
            party: 'receiver-admin',
            person: 'Jane Roe',
            confirmedAt: new Date(),
          },
        ],
      }),
    );
    const apply = await run(['apply', '-auto-approve']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.match(apply.stdout, /Apply complete! Resources: 1 added/);

    // terraform started no provider of its own: its debug log shows no plugin start, and the served one answered
    await served.enter(tf.dir);
    const again = await tf.run(['plan', '-detailed-exitcode', '-no-color'], {
      ...served.reattachEnv(),
      TF_LOG: 'debug',
    });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.doesNotMatch(again.stderr, /starting plugin: path=\S*terraform-provider-cpi/);
    assert.match(again.stderr, /registry.terraform.io\/cpi-renewal\/cpi is overridden as an "unmanaged provider"/);
  });

  test('a stack whose provider blocks differ is refused with a code, not served with the wrong settings', async () => {
    const other = mkdtempSync(join(tmpdir(), 'cpi-served-'));
    try {
      writeFileSync(
        join(other, 'main.tf.json'),
        JSON.stringify({
          terraform: required,
          provider: { cpi: [{}, { alias: 'slow', requests_per_second: 2 }] },
          data: {
            cpi_keystore_entries: { fast: {}, slow: { provider: 'cpi.slow' } },
          },
        }),
      );
      await served.enter(other);
      const init = await tf.run(['-chdir=' + other, 'init', '-no-color']);
      assert.equal(init.code, 0, init.stdout + init.stderr);
      await served.enter(other);
      const plan = await tf.run(['-chdir=' + other, 'plan', '-no-color'], served.reattachEnv());
      assert.equal(plan.code, 1, plan.stdout + plan.stderr);
      assert.match(plan.stderr, /CPI_PROVIDER_SERVED_CONFIG_CONFLICT/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('the socket is in a directory only this user can open, and close ends the process and removes it', async () => {
    const socket = JSON.parse(served.reattachEnv().TF_REATTACH_PROVIDERS)['registry.terraform.io/cpi-renewal/cpi'];
    assert.equal(socket.Addr.Network, 'unix');
    const dir = dirname(socket.Addr.String);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(statSync(socket.Addr.String).isSocket(), `${socket.Addr.String} is a socket`);
    await served.close();
    assert.equal(existsSync(dir), false);
    assert.throws(() => process.kill(socket.Pid, 0), /ESRCH/);
    await assert.rejects(served.enter(tf.dir), /ended/);
  });
});
