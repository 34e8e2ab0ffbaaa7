// The provider block: how to reach the tenant. Values come from HCL or from the CPI_* environment variables, so
// that pipelines keep credentials out of the configuration. Secrets are sensitive and never stored in state
// (Terraform does not keep provider configuration in state at all).
import { CpiError } from '../errors';
import type { ObjectValue } from './cty';
import type { SchemaSpec } from './schema';
import type { Logger } from './logger';
import { TenantAccess } from './tenant-access';
import type { TenantConnection } from '../tenant/connection';

export const providerConfigSchema: SchemaSpec = {
  version: 0,
  description: 'Renews WS-Security encryption certificates between an SAP Cloud Integration tenant and its receivers.',
  block: {
    attributes: {
      tenant_url: {
        type: 'string',
        optional: true,
        description:
          'Base URL of the tenant API host, e.g. `https://my-tenant.it-cpi018.cfapps.eu10-003.hana.ondemand.com`. Defaults to the `CPI_TENANT_URL` environment variable.',
      },
      username: { type: 'string', optional: true, description: 'Basic auth user. Defaults to `CPI_USERNAME`.' },
      password: {
        type: 'string',
        optional: true,
        sensitive: true,
        description: 'Basic auth password. Defaults to `CPI_PASSWORD`.',
      },
      service_key: {
        type: 'string',
        optional: true,
        sensitive: true,
        description:
          'The service key JSON of a Process Integration Runtime `api` instance (OAuth2 client credentials); takes precedence over Basic auth. Defaults to `CPI_SERVICE_KEY`.',
      },
      ca_certificate_pem: {
        type: 'string',
        optional: true,
        description: 'Extra CA certificates (PEM) to trust for the tenant. Defaults to the system trust store only.',
      },
      requests_per_second: {
        type: 'number',
        optional: true,
        description:
          "Client-side cap on tenant API calls per second, in each API area. Defaults to the tenant's per-user limit of each area: `10` for Security Content and design-time artifacts, `50` for runtime artifacts.",
      },
      request_timeout_seconds: {
        type: 'number',
        optional: true,
        description:
          'How long to wait for the answer to one tenant API request before retrying it (requests that are safe to repeat) or failing. Defaults to the `CPI_REQUEST_TIMEOUT_SECONDS` environment variable, else `30`.',
      },
    },
  },
};

/** What resources get from ctx.provider(). */
export interface ProviderClients {
  readonly tenant: TenantAccess;
}

function pick(config: ObjectValue, name: string, variable: string, env: NodeJS.ProcessEnv): string | undefined {
  const value = config[name];
  if (typeof value === 'string' && value !== '') return value;
  const fromEnv = env[variable];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
}

/** request_timeout_seconds (or CPI_REQUEST_TIMEOUT_SECONDS) in milliseconds; undefined leaves the client's default. */
function requestTimeoutMs(config: ObjectValue, env: NodeJS.ProcessEnv): number | undefined {
  const fromConfig = config.request_timeout_seconds;
  const fromEnv = env.CPI_REQUEST_TIMEOUT_SECONDS;
  const value =
    typeof fromConfig === 'number' ? fromConfig : fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : undefined;
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0 || value > 3600) {
    const source = typeof fromConfig === 'number' ? 'request_timeout_seconds' : 'CPI_REQUEST_TIMEOUT_SECONDS';
    throw new CpiError(
      'CPI_PROVIDER_INVALID_CONFIG',
      `${source} "${typeof fromConfig === 'number' ? fromConfig : fromEnv}" is not a number of seconds above 0 and at most 3600`,
      ['request_timeout_seconds'],
    );
  }
  return Math.round(value * 1000);
}

/** The tenant connection from the provider block and the CPI_* variables; undefined when none is configured. */
export async function tenantConnection(
  config: ObjectValue,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TenantConnection | undefined> {
  const serviceKey = pick(config, 'service_key', 'CPI_SERVICE_KEY', env);
  const tenantUrl = pick(config, 'tenant_url', 'CPI_TENANT_URL', env);
  const common = {
    caCertificatePem: pick(config, 'ca_certificate_pem', 'CPI_CA_CERTIFICATE_PEM', env),
    requestsPerSecond: typeof config.requests_per_second === 'number' ? config.requests_per_second : undefined,
    timeoutMs: requestTimeoutMs(config, env),
  };
  if (tenantUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(tenantUrl)) {
    throw new CpiError('CPI_PROVIDER_INVALID_CONFIG', `tenant_url "${tenantUrl}" is not an http(s) URL`, [
      'tenant_url',
    ]);
  }
  if (serviceKey !== undefined) {
    const { parseServiceKey } = await import('../tenant/service-key');
    const fromKey = parseServiceKey(serviceKey);
    return { ...fromKey, ...(tenantUrl ? { tenantUrl } : {}), ...common };
  }
  if (tenantUrl === undefined) return undefined;
  const username = pick(config, 'username', 'CPI_USERNAME', env);
  const password = pick(config, 'password', 'CPI_PASSWORD', env);
  if (username === undefined || password === undefined) {
    throw new CpiError(
      'CPI_PROVIDER_INVALID_CONFIG',
      `tenant_url is set but ${username === undefined ? 'username (CPI_USERNAME)' : 'password (CPI_PASSWORD)'} is not; give both, or a service_key`,
      [username === undefined ? 'username' : 'password'],
    );
  }
  return { tenantUrl, auth: { kind: 'basic', username, password }, ...common };
}

export async function configureProvider(config: ObjectValue, ctx: { log: Logger }): Promise<ProviderClients> {
  return { tenant: new TenantAccess(await tenantConnection(config), ctx.log) };
}
