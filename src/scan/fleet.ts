// The fleet file: which tenants to scan and which receivers belong to each. Secrets never go in the file: each
// tenant's credentials come from the environment exactly as the provider takes them (CPI_TENANT_URL, CPI_USERNAME,
// CPI_PASSWORD or CPI_SERVICE_KEY, …), optionally under a per-tenant prefix, and each receiver is the provider's
// `receiver` block, whose secrets are named by environment variable. Both are read by the provider's own code.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { CpiError } from '../errors';
import type { ObjectValue } from '../provider/cty';
import { tenantConnection } from '../provider/provider-config';
import { receiverSettingsFrom } from '../provider/receiver-settings';
import type { ReceiverSettings } from '../receiver/receiver-backend';
import type { TenantConnection } from '../tenant/connection';

/** One receiver system of a tenant: the provider's `receiver` block plus a name. */
export interface FleetReceiver {
  readonly name: string;
  readonly settings: ReceiverSettings;
  /** The block as written (secrets only named by environment variable): what a proposed renewal app is given. */
  readonly block: Readonly<Record<string, string>>;
  /**
   * The receiver system decrypts with one key only (then a renewal needs the single-key variant with a downtime
   * window). Both receiver backends decrypt with every active key, so the default is false: overlap.
   */
  readonly singleKey: boolean;
}

export interface FleetTenant {
  readonly name: string;
  readonly connection: TenantConnection;
  readonly receivers: readonly FleetReceiver[];
}

export interface Fleet {
  readonly tenants: readonly FleetTenant[];
}

/** The provider's CPI_* variables that describe a tenant; a tenant's `env_prefix` is put in front of each. */
const TENANT_VARIABLES = [
  'CPI_TENANT_URL',
  'CPI_USERNAME',
  'CPI_PASSWORD',
  'CPI_SERVICE_KEY',
  'CPI_CA_CERTIFICATE_PEM',
  'CPI_REQUEST_TIMEOUT_SECONDS',
] as const;

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' };

const FLEET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['tenants'],
  properties: {
    tenants: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: NAME,
          tenant_url: { type: 'string' },
          env_prefix: { type: 'string', pattern: '^[A-Z0-9_]*$' },
          requests_per_second: { type: 'number', exclusiveMinimum: 0 },
          receivers: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'kind'],
              properties: {
                name: NAME,
                kind: { type: 'string' },
                url: { type: 'string' },
                admin_token_env: { type: 'string' },
                keystore_path: { type: 'string' },
                archive_path: { type: 'string' },
                password_env: { type: 'string' },
                single_key: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: false }).compile(FLEET_SCHEMA);

interface RawReceiver {
  name: string;
  kind: string;
  single_key?: boolean;
  [attribute: string]: string | boolean | undefined;
}
interface RawTenant {
  name: string;
  tenant_url?: string;
  env_prefix?: string;
  requests_per_second?: number;
  receivers?: RawReceiver[];
}

function invalid(where: string, message: string): CpiError {
  return new CpiError('CPI_SCAN_FLEET_INVALID', `${where}: ${message}`);
}

/** The environment a tenant's connection is read from: its prefixed variables under the provider's names. */
function tenantEnvironment(prefix: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (prefix === '') return env;
  const scoped: NodeJS.ProcessEnv = { ...env };
  for (const name of TENANT_VARIABLES) scoped[name] = env[`${prefix}${name}`];
  return scoped;
}

/** Checks a parsed fleet file and resolves credentials from the environment. */
export async function resolveFleet(
  json: unknown,
  env: NodeJS.ProcessEnv = process.env,
  file = 'fleet',
): Promise<Fleet> {
  if (!validate(json)) {
    const error = validate.errors?.[0];
    throw invalid(`${file} ${error?.instancePath || '(top level)'}`, error?.message ?? 'is invalid');
  }
  const raw = (json as { tenants: RawTenant[] }).tenants;
  const names = new Set<string>();
  const tenants: FleetTenant[] = [];
  for (const [index, tenant] of raw.entries()) {
    const where = `${file} /tenants/${index} (${tenant.name})`;
    if (names.has(tenant.name)) throw invalid(where, `the tenant name "${tenant.name}" appears twice`);
    names.add(tenant.name);
    const prefix = tenant.env_prefix ?? '';
    let connection: TenantConnection | undefined;
    try {
      connection = await tenantConnection(
        {
          ...(tenant.tenant_url !== undefined ? { tenant_url: tenant.tenant_url } : {}),
          ...(tenant.requests_per_second !== undefined ? { requests_per_second: tenant.requests_per_second } : {}),
        },
        tenantEnvironment(prefix, env),
      );
    } catch (error) {
      throw invalid(where, `${(error as Error).message}${prefix ? ` (variables prefixed ${prefix})` : ''}`);
    }
    if (!connection) {
      throw invalid(
        where,
        `no tenant URL: set tenant_url in the file or ${prefix}CPI_TENANT_URL, with ${prefix}CPI_USERNAME/${prefix}CPI_PASSWORD or ${prefix}CPI_SERVICE_KEY in the environment`,
      );
    }
    const receiverNames = new Set<string>();
    const receivers = (tenant.receivers ?? []).map((receiver, r): FleetReceiver => {
      const at = `${where} /receivers/${r} (${receiver.name})`;
      if (receiverNames.has(receiver.name)) throw invalid(at, `the receiver name "${receiver.name}" appears twice`);
      receiverNames.add(receiver.name);
      const { name, single_key: singleKey, ...block } = receiver;
      try {
        return {
          name,
          settings: receiverSettingsFrom(block as ObjectValue, env),
          block: block as Record<string, string>,
          singleKey: singleKey ?? false,
        };
      } catch (error) {
        throw invalid(at, (error as Error).message);
      }
    });
    tenants.push({ name: tenant.name, connection, receivers });
  }
  return { tenants };
}

/** Reads and resolves a fleet file (JSON). */
export async function loadFleet(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Fleet> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CpiError('CPI_SCAN_FLEET_INVALID', `cannot read the fleet file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CpiError('CPI_SCAN_FLEET_INVALID', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  return resolveFleet(json, env, path);
}

/** No fleet file: the one tenant the CPI_* environment describes, as the provider would reach it. */
export async function tenantFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<FleetTenant> {
  const connection = await tenantConnection({}, env);
  if (!connection) {
    throw new CpiError(
      'CPI_SCAN_FLEET_INVALID',
      'no tenant to scan: give --fleet <file>, or set CPI_TENANT_URL with CPI_USERNAME/CPI_PASSWORD, or CPI_SERVICE_KEY',
    );
  }
  return { name: new URL(connection.tenantUrl).host, connection, receivers: [] };
}
