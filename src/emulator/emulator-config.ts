// Configuration of the tenant emulator: seeded iFlows, credentials, delays, rate limits and faults. It comes from a
// JSON file or from code; every field has a default so that `{}` is a working tenant.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { CpiError } from '../errors';
import { DEFAULT_FAULTS, type FaultSettings, FAULT_SETTINGS_SCHEMA } from './faults';

/** The package an iFlow belongs to when nothing else is configured (and in state files written before packages). */
export const DEFAULT_PACKAGE_ID = 'Emulator';

/** How the receiver channel references the encryption certificate in the message. */
export type KeyIdentifier = 'IssuerSerial' | 'BinarySecurityToken' | 'SubjectKeyIdentifier' | 'Thumbprint';

/** An iFlow whose SOAP receiver channel signs and encrypts (WS-Security) for one receiver. */
export interface IflowSeed {
  readonly id: string;
  /** @default - same as id */
  readonly name?: string;
  /** @default '1.0.0' */
  readonly version?: string;
  /** The integration package that holds the iFlow (created when missing). @default 'Emulator' */
  readonly packageId?: string;
  /** Where the channel sends. @default 'http://127.0.0.1:9/receiver' (nothing listens there) */
  readonly receiverUrl?: string;
  /** Keystore alias of the receiver's certificate (Public Key Alias for Encryption). @default 'receiver_encryption' */
  readonly publicKeyAlias?: string;
  /** Keystore alias of the tenant key pair that signs (Private Key Alias for Signing). @default 'tenant_signing' */
  readonly signingAlias?: string;
  /** @default 'IssuerSerial' */
  readonly keyIdentifier?: KeyIdentifier;
  /** Deployed (STARTED) when the emulator first starts. @default false */
  readonly deployed?: boolean;
  /** When set, every deploy of this iFlow ends in runtime status ERROR with this text. @default - deploys succeed */
  readonly deployError?: string;
  /**
   * The channel settings (receiver URL, both aliases, key reference) are externalized parameters of the iFlow
   * (`{{Receiver_PublicKeyAliasEncryption}}` in its .iflw, listed under Configurations); false types the values into
   * the channel, so that they are found only in the iFlow's bundle. @default true
   */
  readonly externalizeChannel?: boolean;
  /** Further externalized parameters (ParameterKey → value). @default {} */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface UserSeed {
  readonly username: string;
  readonly password: string;
}

export interface OAuthClientSeed {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * A certificate placed in the tenant keystore on first start: a given PEM, or one the emulator issues to expire at a
 * chosen moment (so that expiry scans can be tried on the emulator alone).
 */
export interface CertificateSeed {
  readonly alias: string;
  /** PEM of the certificate. @default - issued by the emulator (see expiresInDays) */
  readonly pem?: string;
  /**
   * Days from the emulator's first start until the issued certificate's not-after; negative: already expired. Give
   * either this or `pem`.
   */
  readonly expiresInDays?: number;
  /** Whole validity of the issued certificate in days (not-before = not-after minus this). @default 365 */
  readonly validityDays?: number;
}

/** Requests per second per API area before 429; 0 switches the limit off (docs/design/sap-api.md#rate-limits). */
export interface RateLimits {
  /** @default 12 */
  readonly securityContent?: number;
  /** @default 120 */
  readonly runtimeArtifacts?: number;
  /** @default 15 */
  readonly designtimeArtifacts?: number;
}

/** The emulator configuration file (JSON) and options object. */
export interface EmulatorConfig {
  /** @default [{ id: 'EncryptedOrderToReceiver', deployed: true }] */
  readonly iflows?: readonly IflowSeed[];
  /** Basic-auth users. @default - one user with a generated password, kept in the data directory */
  readonly users?: readonly UserSeed[];
  /** OAuth2 clients (client credentials). @default - one client with a generated secret, kept in the data directory */
  readonly oauthClients?: readonly OAuthClientSeed[];
  /** @default [] */
  readonly certificates?: readonly CertificateSeed[];
  /** Time from a deploy request until STARTED or ERROR. @default 1000 */
  readonly deployDelayMs?: number;
  /** Time from an undeploy request until the runtime artifact is gone. @default 500 */
  readonly undeployDelayMs?: number;
  /** Lifetime of bearer tokens. @default 43200 (SAP's default for plan api) */
  readonly tokenLifetimeSeconds?: number;
  /** Require the CSRF token on modifying requests that authenticate with a bearer token. @default true */
  readonly csrfForBearer?: boolean;
  /** @default { securityContent: 12, runtimeArtifacts: 120, designtimeArtifacts: 15 } */
  readonly rateLimits?: RateLimits | false;
  /** @default - no faults */
  readonly faults?: Partial<FaultSettings>;
}

/** An iFlow seed with every default applied. */
export interface ResolvedIflow extends Required<Omit<IflowSeed, 'deployError'>> {
  readonly deployError: string | null;
}

/** The configuration with every default applied. */
export interface ResolvedEmulatorConfig {
  readonly iflows: readonly ResolvedIflow[];
  readonly users: readonly UserSeed[] | undefined;
  readonly oauthClients: readonly OAuthClientSeed[] | undefined;
  readonly certificates: readonly CertificateSeed[];
  readonly deployDelayMs: number;
  readonly undeployDelayMs: number;
  readonly tokenLifetimeSeconds: number;
  readonly csrfForBearer: boolean;
  readonly rateLimits: Required<RateLimits>;
  readonly faults: FaultSettings;
}

const IDENTIFIERS = ['IssuerSerial', 'BinarySecurityToken', 'SubjectKeyIdentifier', 'Thumbprint'];

const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    iflows: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,200}$' },
          name: { type: 'string' },
          version: { type: 'string', minLength: 1 },
          packageId: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,200}$' },
          receiverUrl: { type: 'string', pattern: '^https?://' },
          publicKeyAlias: { type: 'string', minLength: 1, maxLength: 250 },
          signingAlias: { type: 'string', minLength: 1, maxLength: 250 },
          keyIdentifier: { enum: IDENTIFIERS },
          deployed: { type: 'boolean' },
          deployError: { type: 'string', minLength: 1 },
          externalizeChannel: { type: 'boolean' },
          parameters: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
    users: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['username', 'password'],
        properties: {
          username: { type: 'string', minLength: 1, pattern: '^[^:]+$' },
          password: { type: 'string', minLength: 1 },
        },
      },
    },
    oauthClients: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['clientId', 'clientSecret'],
        properties: {
          clientId: { type: 'string', minLength: 1, pattern: '^[^:]+$' },
          clientSecret: { type: 'string', minLength: 1 },
        },
      },
    },
    certificates: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['alias'],
        oneOf: [{ required: ['pem'] }, { required: ['expiresInDays'] }],
        properties: {
          alias: { type: 'string', minLength: 1, maxLength: 250 },
          pem: { type: 'string', minLength: 1 },
          expiresInDays: { type: 'number', minimum: -36500, maximum: 36500 },
          validityDays: { type: 'number', exclusiveMinimum: 0, maximum: 36500 },
        },
      },
    },
    deployDelayMs: { type: 'integer', minimum: 0 },
    undeployDelayMs: { type: 'integer', minimum: 0 },
    tokenLifetimeSeconds: { type: 'integer', minimum: 1 },
    csrfForBearer: { type: 'boolean' },
    rateLimits: {
      anyOf: [
        { const: false },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            securityContent: { type: 'number', minimum: 0 },
            runtimeArtifacts: { type: 'number', minimum: 0 },
            designtimeArtifacts: { type: 'number', minimum: 0 },
          },
        },
      ],
    },
    faults: FAULT_SETTINGS_SCHEMA,
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: false }).compile(CONFIG_SCHEMA);

/** Checks a configuration and applies the defaults; throws CPI_EMULATOR_CONFIG_INVALID naming the bad field. */
export function resolveEmulatorConfig(config: EmulatorConfig = {}): ResolvedEmulatorConfig {
  if (!validate(config)) {
    const error = validate.errors?.[0];
    const where = error?.instancePath ? error.instancePath : '(top level)';
    throw new CpiError('CPI_EMULATOR_CONFIG_INVALID', `${where} ${error?.message ?? 'is invalid'}`);
  }
  const iflows = (config.iflows ?? [{ id: 'EncryptedOrderToReceiver', deployed: true }]).map((seed): ResolvedIflow => ({
    id: seed.id,
    name: seed.name ?? seed.id,
    version: seed.version ?? '1.0.0',
    packageId: seed.packageId ?? DEFAULT_PACKAGE_ID,
    receiverUrl: seed.receiverUrl ?? 'http://127.0.0.1:9/receiver',
    publicKeyAlias: seed.publicKeyAlias ?? 'receiver_encryption',
    signingAlias: seed.signingAlias ?? 'tenant_signing',
    keyIdentifier: seed.keyIdentifier ?? 'IssuerSerial',
    deployed: seed.deployed ?? false,
    deployError: seed.deployError ?? null,
    externalizeChannel: seed.externalizeChannel ?? true,
    parameters: seed.parameters ?? {},
  }));
  const ids = new Set<string>();
  for (const iflow of iflows) {
    if (ids.has(iflow.id))
      throw new CpiError('CPI_EMULATOR_CONFIG_INVALID', `/iflows: the id "${iflow.id}" appears twice`);
    ids.add(iflow.id);
  }
  const limits =
    config.rateLimits === false
      ? { securityContent: 0, runtimeArtifacts: 0, designtimeArtifacts: 0 }
      : config.rateLimits;
  return {
    iflows,
    users: config.users,
    oauthClients: config.oauthClients,
    certificates: config.certificates ?? [],
    deployDelayMs: config.deployDelayMs ?? 1000,
    undeployDelayMs: config.undeployDelayMs ?? 500,
    tokenLifetimeSeconds: config.tokenLifetimeSeconds ?? 43200,
    csrfForBearer: config.csrfForBearer ?? true,
    rateLimits: {
      securityContent: limits?.securityContent ?? 12,
      runtimeArtifacts: limits?.runtimeArtifacts ?? 120,
      designtimeArtifacts: limits?.designtimeArtifacts ?? 15,
    },
    faults: { ...DEFAULT_FAULTS, ...config.faults },
  };
}

/** Reads an emulator configuration file (JSON). */
export function loadEmulatorConfig(path: string): EmulatorConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CpiError(
      'CPI_EMULATOR_CONFIG_INVALID',
      `cannot read the configuration file ${path}: ${(error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as EmulatorConfig;
  } catch (error) {
    throw new CpiError('CPI_EMULATOR_CONFIG_INVALID', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}
