// The facade the provider uses: one object per tenant connection, holding the token, CSRF session and rate limit
// that all calls of a provider process share.
import { TenantHttp, type TenantLog } from './http';
import type { TenantConnection } from './connection';
import * as integrationContent from './integration-content';
import type { ConfigurationParameter, RuntimeArtifact, WaitOptions } from './integration-content';
import * as keystore from './keystore';
import type { CallOptions, KeystoreEntry } from './keystore';
import { realSleep, type Sleep } from './rate-limiter';

export type { BasicAuth, OAuth2ClientCredentials, TenantConnection } from './connection';
export type { KeystoreEntry, CallOptions } from './keystore';
export type { ConfigurationParameter, RuntimeArtifact, WaitOptions } from './integration-content';
export type { TenantLog } from './http';
export { parseServiceKey } from './service-key';
export { toHexAlias, fromHexAlias, normalizeHexAlias } from './hex-alias';
export { isSapOwnedAlias } from '../rules/alias';

/** Seams for tests and for the provider's clock and logger. */
export interface TenantClientOptions {
  /** @default the global fetch; one over node:https that trusts only caCertificatePem when that is set */
  fetch?: typeof fetch;
  /** @default a timer that an AbortSignal cancels */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @default Date.now */
  now?: () => number;
  /** Randomness of the back-off jitter in [0, 1). @default Math.random */
  random?: () => number;
  log?: TenantLog;
}

/** Client of one SAP Cloud Integration tenant (Security Content and Integration Content APIs, OData v2 JSON). */
export class TenantClient {
  private readonly http: TenantHttp;
  private readonly clock: { now: () => number; sleep: Sleep };

  constructor(conn: TenantConnection, opts: TenantClientOptions = {}) {
    this.http = new TenantHttp(conn, opts);
    this.clock = { now: opts.now ?? Date.now, sleep: opts.sleep ?? realSleep };
  }

  /** How many HTTP requests were sent (token, CSRF and retries included), for the benchmark goal ⌈N/1000⌉+1. */
  get requestCount(): number {
    return this.http.requestCount;
  }

  /** Every entry of the tenant keystore, following the tenant's 1000-entry pages. */
  listKeystoreEntries(opts: CallOptions = {}): Promise<KeystoreEntry[]> {
    return keystore.listKeystoreEntries(this.http, opts);
  }

  /** The PEM certificate under an alias, or undefined when absent. */
  getCertificatePem(alias: string, opts: CallOptions = {}): Promise<string | undefined> {
    return keystore.getCertificatePem(this.http, alias, opts);
  }

  /** The entry under an alias, or undefined; `withCertificate` also fetches its PEM (one more request). */
  getKeystoreEntry(
    alias: string,
    opts: CallOptions & { withCertificate?: boolean } = {},
  ): Promise<KeystoreEntry | undefined> {
    return keystore.getKeystoreEntry(this.http, alias, opts);
  }

  /**
   * Imports (`update: false`) or exchanges keeping the alias (`update: true`) a certificate; returns the stored entry.
   * `fingerprintVerified` defaults to false: the tenant then refuses a certificate without a trust path (409).
   */
  putCertificate(
    alias: string,
    certificatePem: string,
    opts: CallOptions & { update: boolean; fingerprintVerified?: boolean },
  ): Promise<KeystoreEntry> {
    return keystore.putCertificate(this.http, alias, certificatePem, opts);
  }

  /** Deletes the entry under an alias; absent is fine. */
  deleteKeystoreEntry(alias: string, opts: CallOptions = {}): Promise<void> {
    return keystore.deleteKeystoreEntry(this.http, alias, opts);
  }

  /** Backs up the tenant-owned entries into the single backup slot; returns what the tenant reports backed up. */
  backupKeystore(opts: CallOptions = {}): Promise<KeystoreEntry[]> {
    return keystore.backupKeystore(this.http, opts);
  }

  /** The deployed iFlow with this id, or undefined when not deployed. */
  getRuntimeArtifact(id: string, opts: CallOptions = {}): Promise<RuntimeArtifact | undefined> {
    return integrationContent.getRuntimeArtifact(this.http, id, opts);
  }

  /** The design-time iFlow in this version (`active`: the current one), or undefined when the tenant has none. */
  getDesigntimeArtifact(
    id: string,
    version: string,
    opts: CallOptions = {},
  ): Promise<{ id: string; version: string } | undefined> {
    return integrationContent.getDesigntimeArtifact(this.http, id, version, opts);
  }

  /** Every deployed artifact. */
  listRuntimeArtifacts(opts: CallOptions = {}): Promise<RuntimeArtifact[]> {
    return integrationContent.listRuntimeArtifacts(this.http, opts);
  }

  /** Starts deploying a design-time version (`active` or e.g. `1.0.5`); returns the task id to wait for. */
  deployIntegrationFlow(id: string, version: string, opts: CallOptions = {}): Promise<{ taskId: string }> {
    return integrationContent.deployIntegrationFlow(this.http, id, version, opts);
  }

  /** Resolves with the STARTED artifact; CPI_TENANT_DEPLOY_FAILED (tenant error text) or _DEPLOY_TIMEOUT otherwise. */
  waitForDeployment(id: string, taskId: string, opts: WaitOptions): Promise<RuntimeArtifact> {
    return integrationContent.waitForDeployment(this.http, this.clock, id, taskId, opts);
  }

  /** Undeploys an iFlow; not deployed is fine. */
  undeployIntegrationFlow(id: string, opts: CallOptions = {}): Promise<void> {
    return integrationContent.undeployIntegrationFlow(this.http, id, opts);
  }

  /** The externalized configuration parameters of a design-time iFlow version, or undefined when it has none. */
  getConfigurations(
    iflowId: string,
    version: string,
    opts: CallOptions = {},
  ): Promise<ConfigurationParameter[] | undefined> {
    return integrationContent.getConfigurations(this.http, iflowId, version, opts);
  }

  /** The bundle (zip) of a design-time iFlow version, or undefined when the tenant has no such iFlow. */
  getDesigntimeBundle(iflowId: string, version: string, opts: CallOptions = {}): Promise<Buffer | undefined> {
    return integrationContent.getDesigntimeBundle(this.http, iflowId, version, opts);
  }

  /** Sets an externalized configuration parameter (e.g. the channel's public key alias); redeploy to apply it. */
  updateConfigurationParameter(
    iflowId: string,
    version: string,
    key: string,
    value: string,
    opts: CallOptions = {},
  ): Promise<void> {
    return integrationContent.updateConfigurationParameter(this.http, iflowId, version, key, value, opts);
  }
}
