// The renewal manifest: what the L3 construct knows at synth, written beside the runbook as
// `<outdir>/renewal-<renewalId>.json`, so that `cpi-renewal status` reads the renewal as it was declared (stages,
// stack names, parties, gates, where each stack runs, where confirmations live) instead of decoding stack names.
// Paths in the file are relative to the file's directory, so the output directory can be moved or checked out
// elsewhere.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CpiError } from '../errors';
import type { GateSpec } from './gate';
import { type RenewalVariant, type StageName } from './stages';
import type { RollbackManifest } from './rollback-stages';
import { PARTY_TITLES, type Party } from './party';

export const MANIFEST_FORMAT = 'cpi-renewal/manifest-1';

/** A value a stage publishes as a Terraform output, that a later gate refers to. */
export interface OutputReference {
  readonly stage: StageName;
  readonly output: string;
}

/** The receiver backend without secrets: secrets are read from the environment variables named here. */
export type ManifestReceiver =
  | { readonly kind: 'embedded'; readonly url: string; readonly adminTokenEnv?: string }
  | {
      readonly kind: 'pkcs12';
      readonly keystorePath: string;
      readonly archivePath: string;
      readonly passwordEnv?: string;
    };

export interface ManifestStage {
  readonly index: number;
  readonly name: StageName;
  readonly title: string;
  readonly party: Party;
  /** The stack's name (the user may have renamed it). */
  readonly stack: string;
  /** Where Terraform runs the stack, relative to the manifest's directory. */
  readonly stackDir: string;
  readonly gate?: GateSpec;
}

export interface RenewalManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly renewalId: string;
  readonly variant: RenewalVariant;
  readonly alias: string;
  readonly iflowIds: readonly string[];
  readonly newKeyName: string;
  readonly oldKeyName: string;
  /** Every party that applies a stage or is waited for. */
  readonly parties: readonly Party[];
  readonly retentionDays: number;
  readonly downtimeWindow?: { readonly start: string; readonly end: string };
  readonly receiver: ManifestReceiver;
  /** The `cpi` provider settings the stacks share (never credentials). */
  readonly tenant: {
    readonly tenantUrl?: string;
    readonly caCertificatePem?: string;
    readonly requestsPerSecond?: number;
  };
  /** Each party's allowed_signers text (public keys) where the renewal asks for SSH-signed confirmations. */
  readonly confirmationSigners?: Readonly<Partial<Record<Party, string>>>;
  /** Directory of the confirmation files (`<gate>.json`), relative to the manifest's directory. */
  readonly confirmationsDir: string;
  /** The runbook's file name, in the manifest's directory. */
  readonly runbook: string;
  /** Where the gates' cross-stage facts come from. */
  readonly facts: {
    readonly newCertificatePem: OutputReference;
    /** The old key's certificate, the one the alias held before the exchange. */
    readonly oldFingerprint: OutputReference;
    readonly exchangedAt: OutputReference;
  };
  /** In the order they are applied. */
  readonly stages: readonly ManifestStage[];
  /** The way back (docs/rollback.md), absent in manifests written before it existed. */
  readonly rollback?: RollbackManifest;
}

/** The manifest's file name for a renewal. */
export function manifestFileName(renewalId: string): string {
  return `renewal-${renewalId}.json`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a manifest; `source` names the file in errors. */
export function parseManifest(text: string, source: string): RenewalManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CpiError('CPI_STATUS_NO_RENEWAL', `${source} is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(data) || data.format !== MANIFEST_FORMAT)
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `${source} is not a renewal manifest of format ${MANIFEST_FORMAT} (found ${isRecord(data) ? JSON.stringify(data.format) : 'no object'}); synthesize again with this version`,
    );
  const stages = data.stages;
  if (
    typeof data.renewalId !== 'string' ||
    (data.variant !== 'overlap' && data.variant !== 'single-key') ||
    !Array.isArray(stages) ||
    stages.length === 0 ||
    !stages.every((s) => isRecord(s) && typeof s.stack === 'string' && typeof s.stackDir === 'string') ||
    !Array.isArray(data.parties) ||
    !data.parties.every((p) => typeof p === 'string' && Object.hasOwn(PARTY_TITLES, p))
  )
    throw new CpiError('CPI_STATUS_NO_RENEWAL', `${source} lacks renewalId, variant, parties or stages`);
  return data as unknown as RenewalManifest;
}

/** Every renewal manifest in a cdktf output directory, with the directory its paths are relative to. */
export function readManifests(outdir: string): { manifest: RenewalManifest; dir: string; file: string }[] {
  const dir = resolve(outdir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `cannot read ${dir}: ${(error as Error).message}; expected the output of \`cdktf synth\``,
    );
  }
  return names
    .filter((n) => /^renewal-.+\.json$/.test(n))
    .sort()
    .map((n) => {
      const file = join(dir, n);
      return { manifest: parseManifest(readFileSync(file, 'utf8'), file), dir, file };
    });
}
