// The provider's handle on the tenant: the client is created on first use (its code is loaded only then, which
// keeps start-up cheap for launches that never touch the tenant), and one keystore listing per configuration
// serves every resource's refresh, because the tenant allows about 12 requests/s. An apply-time re-check asks for
// a read made during its own operation (`freshFor`): the checks of one operation share it, the next one reads again.
import { CpiError } from '../errors';
import type { AliasUsage, AliasUsageIndex } from '../tenant/alias-usage';
import type { KeystoreEntry, TenantClient, TenantConnection } from '../tenant/tenant-client';
import type { Logger } from './logger';

export class TenantAccess {
  private client: TenantClient | undefined;
  private listing: Promise<Map<string, KeystoreEntry>> | undefined;
  /** The operation whose fresh read `listing` is (undefined: read for whoever asked first). */
  private listingFreshFor: object | undefined;
  private usageIndex: AliasUsageIndex | undefined;
  private usageFreshFor: object | undefined;

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

  /**
   * The keystore entry under an alias, from the shared listing; with `freshFor` (an operation's context) from a
   * listing made during that operation.
   */
  async keystoreEntry(alias: string, signal?: AbortSignal, freshFor?: object): Promise<KeystoreEntry | undefined> {
    if (freshFor && this.listingFreshFor !== freshFor) this.forgetListing();
    if (!this.listing) this.listingFreshFor = freshFor;
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
    this.listingFreshFor = undefined;
  }

  /**
   * The deployed iFlows that use an alias (src/tenant/alias-usage.ts), from one scan of the tenant per provider
   * configuration; with `freshFor` (an operation's context) from a runtime listing made during that operation
   * (apply-time re-checks), reusing configurations already read.
   */
  async aliasUsage(alias: string, signal?: AbortSignal, freshFor?: object): Promise<AliasUsage> {
    if (!this.usageIndex) {
      const { AliasUsageIndex } = await import('../tenant/alias-usage');
      this.usageIndex = new AliasUsageIndex(await this.tenant());
    }
    if (freshFor && this.usageFreshFor !== freshFor) {
      this.usageIndex.forget();
      this.usageFreshFor = freshFor;
    }
    return this.usageIndex.usage(alias, signal);
  }

  /** After a deploy or undeploy the runtime listing behind aliasUsage is stale. */
  forgetDeployments(): void {
    this.usageIndex?.forget();
    this.usageFreshFor = undefined;
  }
}
