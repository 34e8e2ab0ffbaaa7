// What the alias rule costs a plan: `terraform plan` of a certificate exchange (cpi_keystore_certificate with its
// receiver block) against the tenant emulator with N = 10, 100, 500 deployed iFlows, one in ten of them using the
// alias. Reports the tenant API calls of the plan, the plan's wall time, and the discovery alone in-process
// (src/tenant/alias-usage.ts: one runtime listing + one Configurations call and one bundle download per deployed
// iFlow). The provider's client paces calls to requests_per_second (default 10, the tenant allows about 12), which
// dominates at large N.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReceiverEmulator } from '../src/emulator/receiver-emulator';
import { startTenantEmulator } from '../src/emulator/tenant-emulator';
import { PROVIDER_VERSION } from '../src/provider/cpi-provider';
import { automationEnv, impliedMirrorDir, installProvider } from '../src/provider/install';
import { EmbeddedBackend } from '../src/receiver/embedded-backend';
import { AliasUsageIndex } from '../src/tenant/alias-usage';
import { TenantClient } from '../src/tenant/tenant-client';

const ALIAS = 'orders_enc';
const SIZES = (process.env.CPI_BENCH_ALIAS_SIZES ?? '10,100,500').split(',').map(Number);

function terraform(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn('terraform', args, { cwd: dir, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code: code ?? -1, output }));
  });
}

export interface AliasRuleCost {
  readonly deployed: number;
  readonly users: number;
  /** Tenant API requests of the whole `terraform plan` (refresh included). */
  readonly planCalls: number;
  readonly planMs: number;
  /** The discovery alone, in-process, at the same client pacing. */
  readonly discoveryCalls: number;
  readonly discoveryMs: number;
}

export async function benchAliasRule(n: number): Promise<AliasRuleCost> {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-alias-'));
  const receiver = await startReceiverEmulator({ dataDir: join(dir, 'receiver') });
  const keys = new EmbeddedBackend({ url: receiver.url, adminToken: receiver.adminToken });
  const spec = { algorithm: 'RSA-2048' as const, validityDays: 365 };
  const oldKey = await keys.generateKey({ ...spec, name: 'old', subject: 'CN=old' });
  const newKey = await keys.generateKey({ ...spec, name: 'new', subject: 'CN=new' });
  let apiCalls = 0;
  const tenant = await startTenantEmulator({
    dataDir: join(dir, 'tenant'),
    config: {
      certificates: [{ alias: ALIAS, pem: oldKey.certificatePem }],
      iflows: Array.from({ length: n }, (_, i) => ({
        id: `Flow${String(i).padStart(4, '0')}`,
        deployed: true,
        publicKeyAlias: i % 10 === 0 ? ALIAS : `other_${i}`,
      })),
    },
    log: (line) => {
      if (line.includes('/api/v1')) apiCalls++;
    },
  });
  // a home of its own: Terraform finds the provider in its implied local mirror, with no CLI configuration
  installProvider({
    dir: impliedMirrorDir(join(dir, '.home')),
    bundle: resolve(__dirname, '../dist/provider.js'),
    version: PROVIDER_VERSION,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...automationEnv(),
    HOME: join(dir, '.home'),
    TF_CLI_CONFIG_FILE: undefined,
    CPI_TENANT_URL: tenant.url,
    CPI_USERNAME: tenant.credentials.username,
    CPI_PASSWORD: tenant.credentials.password,
    CPI_RECEIVER_ADMIN_TOKEN: receiver.adminToken,
  };
  const config = (pem: string) => ({
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
    provider: { cpi: {} },
    resource: {
      cpi_keystore_certificate: {
        orders: { alias: ALIAS, certificate_pem: pem, receiver: { kind: 'embedded', url: receiver.url } },
      },
    },
  });
  try {
    const ok = async (args: string[], codes = [0]) => {
      const result = await terraform(dir, env, [...args, '-no-color', '-input=false']);
      if (!codes.includes(result.code)) throw new Error(`terraform ${args.join(' ')}: ${result.output}`);
    };
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config(oldKey.certificatePem)));
    await ok(['init']);
    await ok(['apply', '-auto-approve']);
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config(newKey.certificatePem)));
    apiCalls = 0;
    const started = performance.now();
    await ok(['plan', '-detailed-exitcode'], [2]);
    const planMs = performance.now() - started;
    const planCalls = apiCalls;

    const client = new TenantClient({
      tenantUrl: tenant.url,
      auth: { kind: 'basic', username: tenant.credentials.username, password: tenant.credentials.password },
    });
    apiCalls = 0;
    const t0 = performance.now();
    const usage = await new AliasUsageIndex(client).usage(ALIAS);
    const discoveryMs = performance.now() - t0;
    return {
      deployed: n,
      users: usage.users.length,
      planCalls,
      planMs,
      discoveryCalls: apiCalls,
      discoveryMs,
    };
  } finally {
    await tenant.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void (async () => {
    for (const n of SIZES) {
      const r = await benchAliasRule(n);
      console.log(
        `alias rule, exchange plan, ${r.deployed} deployed iFlows (${r.users} use the alias): ` +
          `plan ${(r.planMs / 1000).toFixed(1)} s with ${r.planCalls} tenant API calls; ` +
          `discovery alone ${(r.discoveryMs / 1000).toFixed(1)} s, ${r.discoveryCalls} calls`,
      );
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
