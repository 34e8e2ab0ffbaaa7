// The provider's handle on the tenant: the client is created on first use (its code is loaded only then, which
// keeps start-up cheap for launches that never touch the tenant), and one keystore listing per provider process
// serves every resource's refresh, because the tenant allows about 12 requests/s.
import { CpiError } from '../errors';
import type { AliasUsage, AliasUsageIndex } from '../tenant/alias-usage';
import type { KeystoreEntry, TenantClient, TenantConnection } from '../tenant/tenant-client';
import type { Logger } from './logger';

export class TenantAccess {
  private client: TenantClient | undefined;
  private listing: Promise<Map<string, KeystoreEntry>> | undefined;
  private usageIndex: AliasUsageIndex | undefined;

  constructor(
    private readonly connection: TenantConnection | undefined,
    private readonly log: Logger,
  ) {}

  async tenant(): Promise<TenantClient> {
    if (!this.connection) {
      throw new CpiError(
        'CPI_PROVIDER_INVALID_CONFIG',
        'no tenant is configured: set tenant_url with username/password, or service_key, in the provider block (or CPI_TENANT_URL with CPI_USERNAME/CPI_PASSWORD, or CPI_SERVICE_KEY)',
      );
    }
    if (!this.client) {
      const { TenantClient } = await import('../tenant/tenant-client');
      const log = this.log;
      this.client = new TenantClient(this.connection, {
        log: (level, message, fields) => log.log(level, message, fields as Record<string, unknown>),
      });
    }
    return this.client;
  }

  /** The keystore entry under an alias, from the one listing this process makes. */
  async keystoreEntry(alias: string, signal?: AbortSignal): Promise<KeystoreEntry | undefined> {
    this.listing ??= this.tenant()
      .then((client) => client.listKeystoreEntries({ signal }))
      .then((entries) => new Map(entries.map((e) => [e.alias, e])));
    try {
      return (await this.listing).get(alias);
    } catch (error) {
      this.listing = undefined;
      throw error;
    }
  }

  /** After a change the cached listing is stale. */
  forgetListing(): void {
    this.listing = undefined;
  }

  /**
   * The deployed iFlows that use an alias (src/tenant/alias-usage.ts), from one scan of the tenant per provider
   * process; `fresh` lists the runtime again (apply-time re-checks), reusing configurations already read.
   */
  async aliasUsage(alias: string, signal?: AbortSignal, options: { fresh?: boolean } = {}): Promise<AliasUsage> {
    if (!this.usageIndex) {
      const { AliasUsageIndex } = await import('../tenant/alias-usage');
      this.usageIndex = new AliasUsageIndex(await this.tenant());
    }
    if (options.fresh) this.usageIndex.forget();
    return this.usageIndex.usage(alias, signal);
  }

  /** After a deploy or undeploy the runtime listing behind aliasUsage is stale. */
  forgetDeployments(): void {
    this.usageIndex?.forget();
  }
}
