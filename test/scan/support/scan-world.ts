// A tenant and receiver on the emulators, seeded with encryption certificates that expire in 5, 40 and 400 days
// and one that expired, each used by a deployed iFlow; plus the receiver's own key under a fifth alias, so that the
// scan can name the receiver key. Shared by the scan and propose tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorConfig } from '../../../src/emulator/emulator-config';
import { startEmulators, type RunningEmulators } from '../../../src/emulator/start-emulators';
import { EmbeddedBackend } from '../../../src/receiver/embedded-backend';
import { TenantClient } from '../../../src/tenant/tenant-client';

export const RECEIVER_ALIAS = 'orders_encryption';
export const RECEIVER_KEY = 'orders-2026';

/** alias → [days until not-after, validity days]; 40 of 730 is due by the last-third rule, not with 30d. */
export const SEEDS = {
  cert_in_5: [5, 365],
  cert_in_40: [40, 730],
  cert_in_400: [400, 825],
  cert_expired: [-2, 365],
  cert_unused: [3, 365],
} as const;

export interface ScanWorld {
  readonly emulators: RunningEmulators;
  readonly dir: string;
  /** The environment `cpi-renewal` runs with: the tenant under the prefix TENANT_A_, the receiver token. */
  readonly env: NodeJS.ProcessEnv;
  /** A fleet file naming this tenant (and its receiver). */
  readonly fleetFile: string;
  close(): Promise<void>;
}

function config(receiverSoapUrl: string | undefined): EmulatorConfig {
  const at = receiverSoapUrl ? { receiverUrl: receiverSoapUrl } : {};
  return {
    deployDelayMs: 50,
    undeployDelayMs: 50,
    certificates: Object.entries(SEEDS).map(([alias, [expiresInDays, validityDays]]) => ({
      alias,
      expiresInDays,
      validityDays,
    })),
    iflows: [
      { id: 'Orders5', publicKeyAlias: 'cert_in_5', deployed: true, ...at },
      // typed into the channel: found in the bundle, not in the configuration
      { id: 'Orders40', publicKeyAlias: 'cert_in_40', deployed: true, externalizeChannel: false, ...at },
      { id: 'Invoices40', publicKeyAlias: 'cert_in_40', deployed: true, ...at },
      { id: 'Orders400', publicKeyAlias: 'cert_in_400', deployed: true, ...at },
      { id: 'OrdersExpired', publicKeyAlias: 'cert_expired', deployed: true, ...at },
      // not deployed: its alias is not in use
      { id: 'Unused', publicKeyAlias: 'cert_unused', deployed: false, ...at },
      { id: 'OrdersToReceiver', publicKeyAlias: RECEIVER_ALIAS, deployed: true, ...at },
      { id: 'ReturnsToReceiver', publicKeyAlias: RECEIVER_ALIAS, deployed: true, externalizeChannel: false, ...at },
    ],
  };
}

export async function startScanWorld(options: { withReceiverAlias?: boolean } = {}): Promise<ScanWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-scan-'));
  const configFile = join(dir, 'emulator.json');
  writeFileSync(configFile, JSON.stringify(config(undefined)));
  const emulators = await startEmulators({ dataDir: join(dir, 'emulator'), configFile });
  try {
    const { ready } = emulators;
    const receiver = new EmbeddedBackend({ url: ready.receiverUrl!, adminToken: ready.adminToken });
    const key = await receiver.generateKey({
      name: RECEIVER_KEY,
      algorithm: 'RSA-2048',
      subject: 'CN=orders-receiver-2026,O=Example',
      validityDays: 365,
    });
    if (options.withReceiverAlias !== false) {
      const tenant = new TenantClient({
        tenantUrl: ready.tenantUrl,
        auth: { kind: 'basic', username: ready.username, password: ready.password },
      });
      await tenant.putCertificate(RECEIVER_ALIAS, key.certificatePem, { update: false, fingerprintVerified: true });
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TENANT_A_CPI_TENANT_URL: ready.tenantUrl,
      TENANT_A_CPI_USERNAME: ready.username,
      TENANT_A_CPI_PASSWORD: ready.password,
      CPI_RECEIVER_ADMIN_TOKEN: ready.adminToken,
    };
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(
      fleetFile,
      JSON.stringify({
        tenants: [
          {
            name: 'tenant-a',
            env_prefix: 'TENANT_A_',
            receivers: [{ name: 'orders', kind: 'embedded', url: ready.receiverUrl }],
          },
        ],
      }),
    );
    return {
      emulators,
      dir,
      env,
      fleetFile,
      close: async () => {
        await emulators.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await emulators.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
