// The emulated tenant's durable state: keystores, iFlows, runtime artifacts, deploy tasks, issued bearer tokens
// and generated credentials, in one JSON file in the data directory. Every change is written to a temporary file,
// flushed and renamed over the old one, so that a crash leaves either the old or the new state, never half of one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CpiError } from '../errors';
import { DEFAULT_PACKAGE_ID, type KeyIdentifier } from './emulator-config';

export type KeystoreName = 'system' | 'backup_admin_system' | 'KeyRenewal';

/** One keystore entry as stored; the wire facts are derived from the certificate when read. */
export interface StoredKeystoreEntry {
  alias: string;
  type: 'Certificate' | 'Key Pair';
  owner: 'SAP' | 'Tenant Administrator';
  certificatePem: string;
  /** Only for key pairs; never served by the API. */
  privateKeyPem?: string;
  createdBy: string;
  createdTime: number;
  lastModifiedBy: string;
  lastModifiedTime: number;
}

/** An externalized configuration parameter of an iFlow. */
export interface StoredParameter {
  ParameterKey: string;
  ParameterValue: string;
  DataType: string;
  Description: string;
}

/** An integration package (IntegrationPackages): the container of design-time iFlows. */
export interface StoredPackage {
  id: string;
  name: string;
  createdBy: string;
  createdAt: number;
  modifiedBy?: string;
  modifiedAt?: number;
  /** Description, ShortText, Vendor, … as a client set them; absent = the tenant's defaults. */
  texts?: Record<string, string>;
}

/** The receiver channel as the .iflw writes it: each setting a literal or a `{{ParameterKey}}` reference. */
export type ChannelTemplate = { [Field in keyof DeployedChannel]: string };

/** A design-time iFlow: its bundle's receiver channel and externalized parameters (see channel-parameters.ts). */
export interface StoredIflow {
  id: string;
  name: string;
  version: string;
  packageId: string;
  channel: ChannelTemplate;
  parameters: StoredParameter[];
  /** An uploaded bundle (base64 zip), handed out again with the current parameter values; absent = generated. */
  bundle?: string;
  /** A deploy ends in runtime status ERROR with this text; null = deploys succeed. */
  deployError: string | null;
}

/** The WS-Security receiver channel of a deployed iFlow, fixed at deploy time (what the runtime sends with). */
export interface DeployedChannel {
  receiverUrl: string;
  publicKeyAlias: string;
  signingAlias: string;
  keyIdentifier: KeyIdentifier;
}

export type RuntimeStatus = 'STARTING' | 'STARTED' | 'ERROR' | 'STOPPING';

/** A deployed iFlow (IntegrationRuntimeArtifacts). */
export interface StoredRuntimeArtifact {
  id: string;
  version: string;
  name: string;
  deployedBy: string;
  deployedOn: number;
  status: RuntimeStatus;
  errorText: string | null;
  channel: DeployedChannel;
  /** The deploy task that owns the STARTING state. */
  taskId: string | null;
  /** When STOPPING ends and the artifact disappears. */
  undeployDueAt: number | null;
}

export interface StoredDeployTask {
  taskId: string;
  iflowId: string;
  status: 'DEPLOYING' | 'SUCCESS' | 'FAIL';
  createdAt: number;
  dueAt: number;
}

export interface StoredToken {
  clientId: string;
  expiresAt: number;
}

/** Everything the emulated tenant remembers across restarts. */
export interface TenantState {
  formatVersion: 1;
  keystores: Record<KeystoreName, Record<string, StoredKeystoreEntry>>;
  /** null until the first backup; a backup overwrites the previous one (one generation only). */
  backupTakenAt: number | null;
  packages: Record<string, StoredPackage>;
  iflows: Record<string, StoredIflow>;
  /** Ids of the iFlows the configuration ever seeded, so that a restart does not bring back one a client deleted. */
  seededIflows?: string[];
  runtime: Record<string, StoredRuntimeArtifact>;
  tasks: Record<string, StoredDeployTask>;
  /** Keyed by SHA-256 of the bearer token, so the file holds no usable token. */
  tokens: Record<string, StoredToken>;
  generatedCredentials: { username: string; password: string; clientId: string; clientSecret: string } | null;
}

export const STATE_FILE = 'tenant-state.json';

function emptyState(): TenantState {
  return {
    formatVersion: 1,
    keystores: { system: {}, backup_admin_system: {}, KeyRenewal: {} },
    backupTakenAt: null,
    packages: {},
    iflows: {},
    runtime: {},
    tasks: {},
    tokens: {},
    generatedCredentials: null,
  };
}

/** Loads, holds and atomically saves the tenant state of one data directory. */
export class TenantStore {
  readonly path: string;
  readonly isNew: boolean;
  private readonly current: TenantState;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, STATE_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CpiError('CPI_EMULATOR_STATE_UNREADABLE', `${this.path}: ${(error as Error).message}`);
      }
    }
    this.isNew = text === undefined;
    if (text === undefined) {
      this.current = emptyState();
      return;
    }
    let parsed: TenantState;
    try {
      parsed = JSON.parse(text) as TenantState;
    } catch (error) {
      throw new CpiError(
        'CPI_EMULATOR_STATE_UNREADABLE',
        `${this.path} is not valid JSON: ${(error as Error).message}`,
      );
    }
    if (parsed.formatVersion !== 1) {
      throw new CpiError(
        'CPI_EMULATOR_STATE_UNREADABLE',
        `${this.path} has formatVersion ${String(parsed.formatVersion)}; this emulator reads formatVersion 1`,
      );
    }
    // state files from before packages: every iFlow was reported in the default package
    parsed.packages ??= {};
    // (state files from before bundles get their channel in tenant-seed.ts)
    for (const iflow of Object.values(parsed.iflows)) iflow.packageId ??= DEFAULT_PACKAGE_ID;
    this.current = parsed;
  }

  /** The live state; change it only inside update(). */
  get state(): Readonly<TenantState> {
    return this.current;
  }

  /** Applies a change and saves it before returning, so an answered request is never lost by a restart. */
  update<T>(change: (state: TenantState) => T): T {
    const result = change(this.current);
    this.save();
    return result;
  }

  private save(): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.current));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
  }
}
