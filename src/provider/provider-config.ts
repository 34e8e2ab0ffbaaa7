// The provider block: how to reach the tenant. Values come from HCL or from the CPI_* environment variables, so
// that pipelines keep credentials out of the configuration. Secrets are sensitive and never stored in state
// (Terraform does not keep provider configuration in state at all).
import { CpiError } from '../errors';
import type { ObjectValue } from './cty';
import type { SchemaSpec } from './schema';

export const providerConfigSchema: SchemaSpec = {
  version: 0,
  description: 'Renews WS-Security encryption certificates between an SAP Cloud Integration tenant and its receivers.',
  block: {
    attributes: {
      tenant_url: {
        type: 'string',
        optional: true,
        description: 'Base URL of the tenant API host, e.g. `https://my-tenant.it-cpi018.cfapps.eu10-003.hana.ondemand.com`. Defaults to the `CPI_TENANT_URL` environment variable.',
      },
      username: { type: 'string', optional: true, description: 'Basic auth user. Defaults to `CPI_USERNAME`.' },
      password: { type: 'string', optional: true, sensitive: true, description: 'Basic auth password. Defaults to `CPI_PASSWORD`.' },
      service_key: {
        type: 'string',
        optional: true,
        sensitive: true,
        description: 'The service key JSON of a Process Integration Runtime `api` instance (OAuth2 client credentials); takes precedence over Basic auth. Defaults to `CPI_SERVICE_KEY`.',
      },
      ca_certificate_pem: { type: 'string', optional: true, description: 'Extra CA certificates (PEM) to trust for the tenant. Defaults to the system trust store only.' },
      requests_per_second: { type: 'number', optional: true, description: 'Client-side rate limit for tenant API calls. Defaults to `10` (the tenant allows about 12).' },
    },
  },
};

/** What resources get from ctx.provider(): the tenant connection, resolved lazily so that start-up stays cheap. */
export interface ProviderClients {
  readonly tenantUrl: string | undefined;
  readonly settings: ObjectValue;
}

function pick(config: ObjectValue, name: string, env: string): string | undefined {
  const value = config[name];
  if (typeof value === 'string' && value !== '') return value;
  const fromEnv = process.env[env];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
}

export async function configureProvider(config: ObjectValue): Promise<ProviderClients> {
  const tenantUrl = pick(config, 'tenant_url', 'CPI_TENANT_URL');
  if (tenantUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(tenantUrl)) {
    throw new CpiError('CPI_PROVIDER_INVALID_CONFIG', `tenant_url "${tenantUrl}" is not an http(s) URL`, ['tenant_url']);
  }
  return { tenantUrl, settings: config };
}
