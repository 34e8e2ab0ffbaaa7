// The expiry scan: for each tenant, every certificate under an alias that deployed iFlows encrypt with, found by
// the same discovery the provider's alias rule uses (src/tenant/alias-usage.ts), with its not-after, days left, the
// receiver key it belongs to where a listed receiver holds one with the same fingerprint, and whether it is due
// (src/scan/renew-window.ts). Tenants are scanned concurrently; each has its own client, so its own rate limit.
import { CpiError } from '../errors';
import { openReceiverBackend } from '../receiver/open-backend';
import { sameFingerprint } from '../rules/fingerprint';
import { AliasUsageIndex, type AliasUser } from '../tenant/alias-usage';
import { TenantClient } from '../tenant/tenant-client';
import type { Fleet, FleetReceiver, FleetTenant } from './fleet';
import {
  daysLeft,
  describeRenewBefore,
  expiryStatus,
  renewFrom,
  type ExpiryStatus,
  type RenewBefore,
} from './renew-window';

/** The receiver key whose certificate is the one under the alias. */
export interface ReceiverKeyMatch {
  readonly receiver: string;
  readonly key: string;
  readonly state: string;
  /** The receiver decrypts with one key only (a renewal then needs the single-key variant). */
  readonly singleKey: boolean;
}

export interface CertificateExpiry {
  readonly alias: string;
  readonly subject: string | null;
  readonly fingerprintSha256: string | null;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly daysLeft: number;
  /** From this moment on the certificate is due (the renew-before window opens). */
  readonly renewFrom: string;
  readonly status: ExpiryStatus;
  /** The deployed iFlows that encrypt with the alias. */
  readonly iflows: readonly AliasUser[];
  /** null: no listed receiver holds a key for this certificate (or none is listed for the tenant). */
  readonly receiverKey: ReceiverKeyMatch | null;
}

export interface TenantScan {
  readonly tenant: string;
  readonly tenantUrl: string;
  /** Sorted by not-after, soonest first. */
  readonly certificates: readonly CertificateExpiry[];
  /** Deployed iFlows whose configuration or bundle the tenant did not hand out: their aliases are unknown. */
  readonly unreadableIflows: readonly string[];
  /** Why the tenant (or one of its receivers) could not be scanned; the scan is then incomplete. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** HTTP requests sent to the tenant (token, CSRF and retries included). */
  readonly apiCalls: number;
  readonly deployedIflows: number;
  readonly keystoreEntries: number;
  readonly ms: number;
}

export interface ScanResult {
  readonly scannedAt: string;
  readonly renewBefore: string;
  readonly tenants: readonly TenantScan[];
  readonly summary: {
    readonly certificates: number;
    readonly due: number;
    readonly expired: number;
    readonly failedTenants: number;
  };
}

export interface ScanOptions {
  readonly renewBefore: RenewBefore;
  /** @default new Date() */
  readonly now?: Date;
  /** Tenants scanned at once. @default 8 */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

async function receiverKeys(receivers: readonly FleetReceiver[], signal?: AbortSignal) {
  const keys: Array<{ fingerprint: string; match: ReceiverKeyMatch }> = [];
  for (const receiver of receivers) {
    let listed;
    try {
      listed = await openReceiverBackend(receiver.settings).listKeys(signal);
    } catch (error) {
      throw new CpiError(
        'CPI_SCAN_TENANT_FAILED',
        `receiver "${receiver.name}" could not be read: ${(error as Error).message}`,
      );
    }
    for (const key of listed) {
      keys.push({
        fingerprint: key.fingerprintSha256,
        match: { receiver: receiver.name, key: key.name, state: key.state, singleKey: receiver.singleKey },
      });
    }
  }
  return keys;
}

/** Scans one tenant; a failure is reported in the result (the fleet scan goes on), never thrown. */
export async function scanTenant(tenant: FleetTenant, options: ScanOptions): Promise<TenantScan> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const client = new TenantClient(tenant.connection);
  const base = { tenant: tenant.name, tenantUrl: tenant.connection.tenantUrl };
  try {
    const signal = options.signal;
    const [entries, keys] = await Promise.all([
      client.listKeystoreEntries({ signal }),
      receiverKeys(tenant.receivers, signal),
    ]);
    const index = new AliasUsageIndex(client);
    const certificates: CertificateExpiry[] = [];
    const unreadable = new Set<string>();
    // the index reads the tenant once; every alias below is answered from that one scan
    const deployed = (await index.usage('', signal)).scanned;
    // an encryption certificate is a Certificate entry (the receiver's public key); key pairs sign
    for (const entry of entries.filter((e) => e.type === 'Certificate')) {
      const usage = await index.usage(entry.alias, signal);
      for (const id of [...usage.unreadable, ...usage.unreadableBundles]) unreadable.add(id);
      if (usage.users.length === 0 || !entry.validNotAfter) continue;
      const notAfter = entry.validNotAfter;
      const notBefore = entry.validNotBefore ?? notAfter;
      const fingerprint = entry.fingerprintSha256 ?? null;
      const key = fingerprint ? keys.find((k) => sameFingerprint(k.fingerprint, fingerprint)) : undefined;
      certificates.push({
        alias: entry.alias,
        subject: entry.subjectDn ?? null,
        fingerprintSha256: fingerprint,
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        daysLeft: daysLeft(notAfter, now),
        renewFrom: renewFrom(notBefore, notAfter, options.renewBefore).toISOString(),
        status: expiryStatus(notBefore, notAfter, options.renewBefore, now),
        iflows: usage.users,
        receiverKey: key?.match ?? null,
      });
    }
    certificates.sort((a, b) => a.notAfter.localeCompare(b.notAfter) || a.alias.localeCompare(b.alias));
    return {
      ...base,
      certificates,
      unreadableIflows: [...unreadable].sort(),
      error: null,
      apiCalls: client.requestCount,
      deployedIflows: deployed,
      keystoreEntries: entries.length,
      ms: Date.now() - started,
    };
  } catch (error) {
    const code = error instanceof CpiError ? error.code : 'CPI_SCAN_TENANT_FAILED';
    return {
      ...base,
      certificates: [],
      unreadableIflows: [],
      error: { code, message: `tenant "${tenant.name}": ${(error as Error).message}` },
      apiCalls: client.requestCount,
      deployedIflows: 0,
      keystoreEntries: 0,
      ms: Date.now() - started,
    };
  }
}

/** Scans every tenant of the fleet, `concurrency` at a time, in the fleet file's order. */
export async function scanFleet(fleet: Fleet, options: ScanOptions): Promise<ScanResult> {
  const now = options.now ?? new Date();
  const results: TenantScan[] = new Array(fleet.tenants.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < fleet.tenants.length) {
      const index = next++;
      results[index] = await scanTenant(fleet.tenants[index]!, { ...options, now });
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 8, fleet.tenants.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  const all = results.flatMap((t) => t.certificates);
  return {
    scannedAt: now.toISOString(),
    renewBefore: describeRenewBefore(options.renewBefore),
    tenants: results,
    summary: {
      certificates: all.length,
      due: all.filter((c) => c.status === 'due').length,
      expired: all.filter((c) => c.status === 'expired').length,
      failedTenants: results.filter((t) => t.error).length,
    },
  };
}

/** Exit codes of `cpi-renewal scan` (docs/scan.md). */
export const SCAN_EXIT = { nothingDue: 0, error: 1, due: 2 } as const;

/** 1 when any tenant could not be scanned (the result is incomplete), else 2 when anything is due or expired. */
export function scanExitCode(result: ScanResult): number {
  if (result.summary.failedTenants > 0) return SCAN_EXIT.error;
  return result.summary.due + result.summary.expired > 0 ? SCAN_EXIT.due : SCAN_EXIT.nothingDue;
}
