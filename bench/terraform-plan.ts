// No-op `terraform plan` timings through the real terraform binary:
//  - the plugin runtime: the test-only provider with 1 and 100 resources;
//  - the tenant resources: N = 10, 100, 1000 cpi_keystore_certificate refreshed against the tenant emulator,
//    counting the tenant API calls of the refresh (goal ⌈N/1000⌉ + 1) and comparing the plan time with N
//    terraform_data resources in the same run (goal ≤ 1.5×).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTenantEmulator } from '../src/emulator/tenant-emulator';
import { PROVIDER_VERSION } from '../src/provider/cpi-provider';
import { installProvider } from '../src/provider/install';
import { generateKeyPairWithCertificate } from '../src/pki/key-pair';
import { createSelfSignedCertificate } from '../src/pki/self-signed-certificate';

const RUNS = 5;

// Asynchronous on purpose: the tenant emulator runs in this process and must keep answering meanwhile.
function terraform(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, { cwd: dir, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
        : reject(new Error(`terraform ${args.join(' ')}: ${output}`)),
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function workdir(bundle: string, version: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-plan-'));
  const { cliConfigFile } = installProvider({ dir: join(dir, '.provider'), bundle, version });
  return {
    dir,
    env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfigFile, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
  };
}

async function noOpPlan(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++)
    times.push(await terraform(dir, env, ['plan', '-input=false', '-detailed-exitcode', '-no-color']));
  return median(times);
}

export async function benchRuntimePlan(count: number): Promise<number> {
  const { dir, env } = workdir(resolve(__dirname, '../dist/test-provider.js'), '0.0.1');
  try {
    const items = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`i${i}`, { name: `item-${i}`, content: 'x' }]),
    );
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: '0.0.1' } } },
        provider: { cpi: { store_dir: join(dir, 'store') } },
        resource: { cpi_test_item: items },
      }),
    );
    await terraform(dir, env, ['init', '-input=false']);
    await terraform(dir, env, ['apply', '-auto-approve', '-input=false']);
    return await noOpPlan(dir, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchKeystoreRefresh(count: number) {
  const now = new Date();
  const { privateKeyPem } = generateKeyPairWithCertificate({
    algorithm: 'RSA-2048',
    subject: 'CN=bench',
    validityDays: 365,
    now,
  });
  const certificates = Array.from({ length: count }, (_, i) => ({
    alias: `bench_${i}`,
    pem: createSelfSignedCertificate({
      privateKeyPem,
      subject: `CN=bench-${i}`,
      notBefore: now,
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
    }),
  }));
  const dataDir = mkdtempSync(join(tmpdir(), 'cpi-bench-emu-'));
  let apiCalls = 0;
  const emulator = await startTenantEmulator({
    dataDir,
    config: { certificates, rateLimits: false, iflows: [] },
    log: (line) => {
      if (line.includes('/api/v1')) apiCalls++;
    },
  });
  const { dir, env } = workdir(resolve(__dirname, '../dist/provider.js'), PROVIDER_VERSION);
  const tfData = workdir(resolve(__dirname, '../dist/provider.js'), PROVIDER_VERSION);
  try {
    Object.assign(env, {
      CPI_TENANT_URL: emulator.url,
      CPI_USERNAME: emulator.credentials.username,
      CPI_PASSWORD: emulator.credentials.password,
    });
    const resources = Object.fromEntries(
      certificates.map((c, i) => [`c${i}`, { alias: c.alias, certificate_pem: c.pem }]),
    );
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
        provider: { cpi: { requests_per_second: 1000 } },
        resource: { cpi_keystore_certificate: resources },
        import: certificates.map((c, i) => ({ to: `cpi_keystore_certificate.c${i}`, id: c.alias })),
      }),
    );
    await terraform(dir, env, ['init', '-input=false']);
    await terraform(dir, env, ['apply', '-auto-approve', '-input=false', '-parallelism=20']);
    apiCalls = 0;
    const planMs = await noOpPlan(dir, env);
    const callsPerPlan = apiCalls / RUNS;

    writeFileSync(
      join(tfData.dir, 'main.tf.json'),
      JSON.stringify({
        resource: { terraform_data: Object.fromEntries(certificates.map((c, i) => [`d${i}`, { input: c.alias }])) },
      }),
    );
    await terraform(tfData.dir, tfData.env, ['init', '-input=false']);
    await terraform(tfData.dir, tfData.env, ['apply', '-auto-approve', '-input=false']);
    const baselineMs = await noOpPlan(tfData.dir, tfData.env);
    return {
      count,
      planMs,
      baselineMs,
      ratio: planMs / baselineMs,
      callsPerPlan,
      goalCalls: Math.ceil(count / 1000) + 1,
    };
  } finally {
    await emulator.close();
    for (const d of [dir, tfData.dir, dataDir]) rmSync(d, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void (async () => {
    for (const n of [1, 100])
      console.log(`no-op plan, test provider, ${n} resource(s): median ${(await benchRuntimePlan(n)).toFixed(0)} ms`);
    for (const n of [10, 100, 1000]) {
      const r = await benchKeystoreRefresh(n);
      console.log(
        `no-op plan, ${n} cpi_keystore_certificate: median ${r.planMs.toFixed(0)} ms vs ${r.baselineMs.toFixed(0)} ms for ${n} terraform_data ` +
          `(${r.ratio.toFixed(2)}x, goal <= 1.5x); tenant API calls per plan ${r.callsPerPlan} (goal ${r.goalCalls})`,
      );
    }
  })();
}
