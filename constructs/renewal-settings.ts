// Parts of a renewal's props: the new key, the tenant connection, the downtime window.

/** The key pair the receiver generates for the renewal. */
export interface NewKeySpec {
  /** The key's name in the receiver backend, e.g. `orders-2026`. */
  readonly name: string;
  /**
   * The key pair's algorithm: `RSA-2048`, `RSA-3072` or `RSA-4096`.
   * @default 'RSA-2048'
   */
  readonly algorithm?: string;
  /** Subject DN of the new certificate, e.g. `CN=orders-receiver-2026,O=Example`. */
  readonly subject: string;
  /**
   * Validity of the new certificate in days.
   * @default 730
   */
  readonly validityDays?: number;
}

/** How to reach the tenant. Credentials never go into the construct: they come from the environment. */
export interface TenantConnectionProps {
  /**
   * Base URL of the tenant API host.
   * @default - the `CPI_TENANT_URL` environment variable where Terraform runs
   */
  readonly tenantUrl?: string;
  /**
   * Extra CA certificates (PEM) to trust for the tenant.
   * @default - the system trust store only
   */
  readonly caCertificatePem?: string;
  /**
   * Client-side cap on tenant API calls per second, in each API area.
   * @default - the tenant's per-user limit of each area (10/s Security Content and design-time, 50/s runtime)
   */
  readonly requestsPerSecond?: number;
}

/** The downtime window both administrators agreed for a single-key renewal. */
export interface DowntimeWindow {
  /** Start (RFC 3339 with a zone): the stop-sending gate stays closed before it. */
  readonly start: string;
  /** End (RFC 3339 with a zone): when sending should have resumed; shown in the runbook. */
  readonly end: string;
}
