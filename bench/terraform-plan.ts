// No-op `terraform plan` timings through the real terraform binary:
//  - the plugin runtime: the test-only provider with 1, 100 and 1,000 resources;
//  - the tenant resources: N = 10, 100, 1000 cpi_keystore_certificate refreshed against the tenant emulator,
//    counting the tenant API calls of the refresh (goal ⌈N/1000⌉ + 1) and comparing the plan time with N
//    terraform_data resources in the same run (goal ≤ 1.5×).
// Besides wall time, every plan reports where the CPU went: terraform's own process and the provider processes it
// started (each provider process writes its CPU time on exit through a preload given in NODE_OPTIONS). On a
// shared machine wall time follows the load; CPU time is the steadier measure of a change.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTenantEmulator } from '../src/emulator/tenant-emulator';
import { PROVIDER_VERSION } from '../src/provider/cpi-provider';
import { automationEnv, impliedMirrorDir, installProvider } from '../src/provider/install';
import { certificateFacts } from '../src/provider/resources/keystore-certificate';
import { generateKeyPairWithCertificate } from '../src/pki/key-pair';
import { parseCertificatePem } from '../src/pki/certificate-info';
import { createSelfSignedCertificate } from '../src/pki/self-signed-certificate';
import { conditions, median } from './floor';

const RUNS = 5;

/** One plan: wall time, terraform's own CPU, and the CPU of the provider processes it started (all ms). */
export interface PlanTiming {
  readonly wallMs: number;
  readonly terraformCpuMs: number;
  readonly providerCpuMs: number;
  /** How many provider processes terraform started for the plan. */
  readonly providerLaunches: number;
}

// Appends "<cpu ms>" of the process it is preloaded into to $CPI_BENCH_CPU_LOG when the process ends (Terraform
// ends the provider through go-plugin's Shutdown, which exits normally).
const PROVIDER_CPU_PRELOAD = `
const { appendFileSync } = require('node:fs');
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  if (process.env.CPI_BENCH_CPU_LOG) appendFileSync(process.env.CPI_BENCH_CPU_LOG, ((user + system) / 1000).toFixed(1) + '\\n');
});
`;

// POSIX `times` after terraform ends prints the CPU of the shell's children: terraform and the providers it waited for.
const TERRAFORM_WITH_TIMES = 'terraform "$@"; status=$?; times > "$CPI_BENCH_TIMES"; exit $status';

function secondsOf(text: string): number {
  const [, minutes, seconds] = /(\d+)m([\d.]+)s/.exec(text) ?? [];
  return Number(minutes) * 60 + Number(seconds);
}

// Asynchronous on purpose: the tenant emulator runs in this process and must keep answering meanwhile.
function terraform(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<PlanTiming> {
  const scratch = mkdtempSync(join(tmpdir(), 'cpi-bench-cpu-'));
  const preload = join(scratch, 'provider-cpu.cjs');
  const cpuLog = join(scratch, 'provider-cpu.log');
  const times = join(scratch, 'times');
  writeFileSync(preload, PROVIDER_CPU_PRELOAD);
  writeFileSync(cpuLog, '');
  const started = process.hrtime.bigint();
  return new Promise<PlanTiming>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', TERRAFORM_WITH_TIMES, 'sh', ...args], {
      cwd: dir,
      env: {
        ...env,
        NODE_OPTIONS: `--require ${preload}`,
        CPI_BENCH_CPU_LOG: cpuLog,
        CPI_BENCH_TIMES: times,
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`terraform ${args.join(' ')}: ${output}`));
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      // Second line of `times`: user and system time of the children.
      const [user = '0m0s', system = '0m0s'] = (readFileSync(times, 'utf8').split('\n')[1] ?? '').split(/\s+/);
      const providers = readFileSync(cpuLog, 'utf8').split('\n').filter(Boolean).map(Number);
      const providerCpuMs = providers.reduce((a, b) => a + b, 0);
      resolve({
        wallMs,
        terraformCpuMs: (secondsOf(user) + secondsOf(system)) * 1000 - providerCpuMs,
        providerCpuMs,
        providerLaunches: providers.length,
      });
    });
  }).finally(() => rmSync(scratch, { recursive: true, force: true }));
}

function workdir(bundle: string, version: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-plan-'));
  // a home of its own: Terraform finds the provider in its implied local mirror, with no CLI configuration
  installProvider({ dir: impliedMirrorDir(join(dir, '.home')), bundle, version });
  return {
    dir,
    env: { ...process.env, ...automationEnv(), HOME: join(dir, '.home'), TF_CLI_CONFIG_FILE: undefined },
  };
}

type Target = { dir: string; env: NodeJS.ProcessEnv };

function planOnce(target: Target): Promise<PlanTiming> {
  return terraform(target.dir, target.env, ['plan', '-input=false', '-detailed-exitcode', '-no-color']);
}

function medianOf(runs: readonly PlanTiming[]): PlanTiming {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    terraformCpuMs: median(runs.map((r) => r.terraformCpuMs)),
    providerCpuMs: median(runs.map((r) => r.providerCpuMs)),
    providerLaunches: median(runs.map((r) => r.providerLaunches)),
  };
}

/**
 * Median of each measure over RUNS no-op plans of each target, the targets taking turns run by run, so that a
 * change of the machine's load during the bench hits every one of them alike.
 */
async function noOpPlans(targets: readonly Target[]): Promise<PlanTiming[]> {
  const runs = targets.map((): PlanTiming[] => []);
  for (let i = 0; i < RUNS; i++) for (const [t, target] of targets.entries()) runs[t]!.push(await planOnce(target));
  return runs.map(medianOf);
}

/** Writes a main.tf.json configuration, then initializes and applies it. */
async function applied(target: Target, config: object): Promise<Target> {
  writeFileSync(join(target.dir, 'main.tf.json'), JSON.stringify(config));
  await terraform(target.dir, target.env, ['init', '-input=false']);
  await terraform(target.dir, target.env, ['apply', '-auto-approve', '-input=false']);
  return target;
}

/** Applies a main.tf.json configuration, then times no-op plans of it. */
async function planOf(target: Target, config: object): Promise<PlanTiming> {
  return (await noOpPlans([await applied(target, config)]))[0]!;
}

export async function benchRuntimePlan(count: number): Promise<PlanTiming> {
  const target = workdir(resolve(__dirname, '../dist/test-provider.js'), '0.0.1');
  try {
    const items = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`i${i}`, { name: `item-${i}`, content: 'x' }]),
    );
    return await planOf(target, {
      terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: '0.0.1' } } },
      provider: { cpi: { store_dir: join(target.dir, 'store') } },
      resource: { cpi_test_item: items },
    });
  } finally {
    rmSync(target.dir, { recursive: true, force: true });
  }
}

/** N terraform_data resources, built into terraform: no provider process at all. Applied, ready to plan. */
async function terraformDataTarget(inputs: readonly unknown[]): Promise<Target> {
  const target = workdir(resolve(__dirname, '../dist/provider.js'), PROVIDER_VERSION);
  return applied(target, {
    resource: { terraform_data: Object.fromEntries(inputs.map((input, i) => [`d${i}`, { input }])) },
  });
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
  const target = workdir(resolve(__dirname, '../dist/provider.js'), PROVIDER_VERSION);
  const baselines: Target[] = [];
  try {
    Object.assign(target.env, {
      CPI_TENANT_URL: emulator.url,
      CPI_USERNAME: emulator.credentials.username,
      CPI_PASSWORD: emulator.credentials.password,
    });
    const config = {
      terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
      provider: { cpi: { requests_per_second: 1000 } },
      resource: {
        cpi_keystore_certificate: Object.fromEntries(
          certificates.map((c, i) => [`c${i}`, { alias: c.alias, certificate_pem: c.pem }]),
        ),
      },
    };
    // The entries exist on the emulator already: adopt them with import blocks, then drop the blocks, as a project
    // does once the import is applied (at N = 1,000 they cost terraform about 1 s of CPU on every plan).
    writeFileSync(
      join(target.dir, 'main.tf.json'),
      JSON.stringify({
        ...config,
        import: certificates.map((c, i) => ({ to: `cpi_keystore_certificate.c${i}`, id: c.alias })),
      }),
    );
    await terraform(target.dir, target.env, ['init', '-input=false']);
    await terraform(target.dir, target.env, ['apply', '-auto-approve', '-input=false', '-parallelism=20']);
    writeFileSync(join(target.dir, 'main.tf.json'), JSON.stringify(config));
    // The first plan after the import: the one that reads every certificate and marks it checked (private state);
    // an apply keeps the marks, as any apply of a project does.
    await terraform(target.dir, target.env, ['apply', '-auto-approve', '-input=false', '-parallelism=20']);

    // Two baselines: terraform_data holding only the alias (the goal's), and terraform_data holding the same data
    // as the certificate resource (PEM and the certificate facts), which shows terraform's own cost of that data.
    baselines.push(await terraformDataTarget(certificates.map((c) => c.alias)));
    baselines.push(
      await terraformDataTarget(
        certificates.map((c) => ({
          alias: c.alias,
          certificate_pem: c.pem,
          ...certificateFacts(parseCertificatePem(c.pem)),
        })),
      ),
    );
    apiCalls = 0;
    const [plan, baseline, sameData] = await noOpPlans([target, ...baselines]);
    const callsPerPlan = apiCalls / RUNS;
    return {
      count,
      plan: plan!,
      baseline: baseline!,
      sameData: sameData!,
      ratio: plan!.wallMs / baseline!.wallMs,
      sameDataRatio: plan!.wallMs / sameData!.wallMs,
      callsPerPlan,
      goalCalls: Math.ceil(count / 1000) + 1,
    };
  } finally {
    await emulator.close();
    for (const d of [target.dir, dataDir, ...baselines.map((b) => b.dir)]) rmSync(d, { recursive: true, force: true });
  }
}

function describeTiming(t: PlanTiming): string {
  const providers =
    t.providerLaunches > 0 ? `, ${t.providerLaunches} provider processes ${t.providerCpuMs.toFixed(0)} ms` : '';
  return `median ${t.wallMs.toFixed(0)} ms (CPU: terraform ${t.terraformCpuMs.toFixed(0)} ms${providers})`;
}

/** The target of issue 17: a no-op plan of N cpi_keystore_certificate ≤ 1.5× the same data in terraform_data. */
export const PLAN_TARGET_RATIO = 1.5;

export function describeKeystoreRefresh(r: Awaited<ReturnType<typeof benchKeystoreRefresh>>): string {
  return (
    `no-op plan, ${r.count} cpi_keystore_certificate: ${describeTiming(r.plan)}; tenant API calls per plan ${r.callsPerPlan} (goal ${r.goalCalls})\n` +
    `  ${r.count} terraform_data (same data as the certificate resource): ${describeTiming(r.sameData)} -> ratio ${r.sameDataRatio.toFixed(2)}× (target ≤ ${PLAN_TARGET_RATIO}×)\n` +
    `  ${r.count} terraform_data (alias only): ${describeTiming(r.baseline)} -> ratio ${r.ratio.toFixed(2)}×`
  );
}

if (require.main === module) {
  void (async () => {
    // `terraform-plan.ts 1000` measures only the keystore comparison at that N (what `npm run bench` runs).
    const only = process.argv[2] ? [Number(process.argv[2])] : undefined;
    if (!only)
      for (const n of [1, 100, 1000])
        console.log(`no-op plan, test provider, ${n} resource(s): ${describeTiming(await benchRuntimePlan(n))}`);
    for (const n of only ?? [10, 100, 1000])
      console.log(`${describeKeystoreRefresh(await benchKeystoreRefresh(n))}; ${conditions()}`);
  })();
}
