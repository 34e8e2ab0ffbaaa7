// What `cpi-renewal scan` costs over a fleet: 20 tenant emulators, each with 500 certificate entries (spread
// expiries, some expired) and 200 deployed iFlows encrypting with them, plus one embedded receiver listed for every
// tenant. Reports the tenant API calls (counted by the emulators, and by the scanning clients) and the wall time of
// scanFleet (src/scan/expiry-scan.ts) at the given concurrencies. Each tenant's client paces itself to 10 requests/s
// (the tenant allows about 12), so one tenant takes at least (2N + 2) / 10 s for N deployed iFlows; tenants
// scanned concurrently overlap those waits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiverEmulator } from '../src/emulator/receiver-emulator';
import { startTenantEmulator, type TenantEmulator } from '../src/emulator/tenant-emulator';
import { scanFleet } from '../src/scan/expiry-scan';
import type { Fleet } from '../src/scan/fleet';
import { parseRenewBefore } from '../src/scan/renew-window';

const TENANTS = Number(process.env.CPI_BENCH_FLEET_TENANTS ?? 20);
const ENTRIES = Number(process.env.CPI_BENCH_FLEET_ENTRIES ?? 500);
const DEPLOYED = Number(process.env.CPI_BENCH_FLEET_DEPLOYED ?? 200);
const CONCURRENCIES = (process.env.CPI_BENCH_FLEET_CONCURRENCY ?? '20,8').split(',').map(Number);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-fleet-'));
  const tenants: TenantEmulator[] = [];
  let apiCalls = 0;
  const receiver = await startReceiverEmulator({ dataDir: join(dir, 'receiver') });
  try {
    const seeding = performance.now();
    for (let t = 0; t < TENANTS; t++) {
      tenants.push(
        await startTenantEmulator({
          dataDir: join(dir, `tenant-${t}`),
          config: {
            certificates: Array.from({ length: ENTRIES }, (_, i) => ({
              alias: `cert_${String(i).padStart(4, '0')}`,
              expiresInDays: ((i * 37 + t * 11) % 760) - 30,
              validityDays: 730,
            })),
            iflows: Array.from({ length: DEPLOYED }, (_, i) => ({
              id: `Flow${String(i).padStart(4, '0')}`,
              deployed: true,
              publicKeyAlias: `cert_${String((i * 2) % ENTRIES).padStart(4, '0')}`,
            })),
          },
          log: (line) => {
            if (line.includes('/api/v1')) apiCalls++;
          },
        }),
      );
    }
    console.log(
      `fleet: ${TENANTS} tenant emulators × ${ENTRIES} certificate entries × ${DEPLOYED} deployed iFlows seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );
    const fleet: Fleet = {
      tenants: tenants.map((tenant, t) => ({
        name: `tenant-${t}`,
        connection: {
          tenantUrl: tenant.url,
          auth: { kind: 'basic', username: tenant.credentials.username, password: tenant.credentials.password },
        },
        receivers: [
          {
            name: 'shared',
            settings: { kind: 'embedded', url: receiver.url, adminToken: receiver.adminToken },
            block: { kind: 'embedded', url: receiver.url },
            singleKey: false,
          },
        ],
      })),
    };
    for (const concurrency of CONCURRENCIES) {
      apiCalls = 0;
      const started = performance.now();
      const result = await scanFleet(fleet, { renewBefore: parseRenewBefore('30d'), concurrency });
      const ms = performance.now() - started;
      const clientCalls = result.tenants.reduce((sum, t) => sum + t.apiCalls, 0);
      const slowest = Math.max(...result.tenants.map((t) => t.ms));
      const failed = result.tenants.filter((t) => t.error).map((t) => `${t.tenant}: ${t.error!.message}`);
      console.log(
        `fleet scan, concurrency ${concurrency}: ${(ms / 1000).toFixed(1)} s wall, ${apiCalls} tenant API calls ` +
          `(${clientCalls} by the clients incl. token/CSRF/retries; ${(clientCalls / TENANTS).toFixed(0)} per tenant), ` +
          `slowest tenant ${(slowest / 1000).toFixed(1)} s; ${result.summary.certificates} certificates in use, ` +
          `${result.summary.due} due, ${result.summary.expired} expired, ${result.summary.failedTenants} tenants failed`,
      );
      if (failed.length > 0) console.log(`  failed: ${failed.join('; ')}`);
    }
  } finally {
    for (const tenant of tenants) await tenant.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
