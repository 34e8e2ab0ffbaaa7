// `cpi-renewal status`: where a renewal stands, stage by stage, read from what synth wrote, what Terraform recorded
// and, for the next stage, a live check of its gate against the same evidence the provider checks at plan. The
// decision is src/renewal/renewal-status.ts; this file reads files, the tenant and the receiver, and prints.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { CpiError } from '../errors';
import type { ObjectValue } from '../provider/cty';
import { evaluateGate, liveEvidenceSources, tenantEvidence } from '../renewal/evidence';
import type { GateFacts } from '../renewal/gate';
import { confirmationLocation, confirmSteps } from '../renewal/gate-report';
import { readManifests, type RenewalManifest } from '../renewal/manifest';
import {
  declaredResources,
  gateFacts,
  parseState,
  renewalStatus,
  stageToCheck,
  unresolvedFor,
  type LiveGateCheck,
  type ObservedWorld,
  type RecordedState,
  type RenewalStatus,
  type StageRecord,
} from '../renewal/renewal-status';
import { PARTY_TITLES } from '../renewal/party';
import {
  formatRollbackStatus,
  rollbackStatus,
  type RollbackStageRecord,
  type RollbackStatus,
} from '../renewal/rollback-status';

export interface StatusOptions {
  /** The cdktf output directory. @default 'cdktf.out' */
  readonly outdir?: string;
  /** Only this renewal. @default - every renewal in the output directory */
  readonly renewal?: string;
  /** Where tenant credentials (CPI_*), receiver secrets and terraform's settings come from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Paths in commands are shown relative to this directory. @default process.cwd() */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  /**
   * Run `terraform init` in every stack of the renewal not initialised yet, first: a fresh checkout (a pipeline job
   * after `cdktf synth`) whose stages keep their state in a remote backend has no `.terraform` anywhere.
   * @default false: a stack not initialised is reported as unreadable (a way back's as not started)
   */
  readonly init?: boolean;
}

const run = promisify(execFile);

/**
 * The state of one stack, read through terraform (`terraform state pull` in the stack's directory), so whatever
 * backend the stack uses is read the way Terraform reads it. Undefined when the stack has no state yet.
 */
export async function pullState(
  stackDir: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<RecordedState | undefined> {
  if (!existsSync(join(stackDir, '.terraform'))) {
    throw new CpiError(
      'CPI_STATUS_STATE_UNREADABLE',
      `${stackDir} is not initialised; run \`terraform -chdir=${stackDir} init\` (status reads each stage's state through terraform)`,
    );
  }
  let stdout: string;
  try {
    ({ stdout } = await run('terraform', ['state', 'pull'], {
      cwd: stackDir,
      env,
      maxBuffer: 64 * 1024 * 1024,
      ...(signal ? { signal } : {}),
    }));
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new CpiError('CPI_STATUS_STATE_UNREADABLE', `terraform state pull in ${stackDir} failed: ${detail}`);
  }
  if (stdout.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new CpiError(
      'CPI_STATUS_STATE_UNREADABLE',
      `terraform state pull in ${stackDir} printed no JSON: ${(error as Error).message}`,
    );
  }
  return parseState(json, `the state of ${stackDir}`);
}

/**
 * `terraform init` in each of `stackDirs` that has not been initialised, one after the other: first inits of
 * several states in one PostgreSQL database at once race on the objects the pg backend shares between schemas.
 */
export async function initStacks(
  stackDirs: readonly string[],
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<void> {
  for (const stackDir of stackDirs) {
    if (existsSync(join(stackDir, '.terraform')) || !existsSync(join(stackDir, 'cdk.tf.json'))) continue;
    try {
      await run('terraform', ['init', '-input=false', '-no-color'], {
        cwd: stackDir,
        env,
        maxBuffer: 16 * 1024 * 1024,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new CpiError('CPI_STATUS_STATE_UNREADABLE', `terraform init in ${stackDir} failed: ${detail}`);
    }
  }
}

export function readDeclared(stackDir: string): string[] {
  const file = join(stackDir, 'cdk.tf.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CpiError('CPI_STATUS_STACK_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`);
  }
  return declaredResources(json, file);
}

/** The renewals synthesized into `outdir` (all, or the one named), by their manifests. */
export function readRenewals(outdir: string, renewalId?: string): { manifest: RenewalManifest; dir: string }[] {
  const found = readManifests(outdir);
  if (found.length === 0) {
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `${resolve(outdir)} holds no renewal manifest (renewal-<id>.json); run \`cdktf synth\` with an EncryptionCertificateRenewal first`,
    );
  }
  const chosen = renewalId === undefined ? found : found.filter((r) => r.manifest.renewalId === renewalId);
  if (chosen.length === 0) {
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `--renewal "${renewalId}" is not in ${resolve(outdir)}; it holds ${found.map((r) => `"${r.manifest.renewalId}"`).join(', ')}`,
    );
  }
  return chosen;
}

/** Each stage's declared resources and state, read through terraform. */
export async function stageRecords(
  manifest: RenewalManifest,
  dir: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<StageRecord[]> {
  return Promise.all(
    manifest.stages.map(async (stage): Promise<StageRecord> => {
      const stackDir = resolve(dir, stage.stackDir);
      const declared = readDeclared(stackDir);
      try {
        const state = await pullState(stackDir, env, signal);
        return { stage, declared, ...(state ? { state } : {}) };
      } catch (error) {
        if (!(error instanceof CpiError)) throw error;
        return { stage, declared, stateError: error.detail };
      }
    }),
  );
}

/** The tenant client from the renewal's provider settings and the CPI_* variables, created on first use. */
function tenantFrom(manifest: RenewalManifest, env: NodeJS.ProcessEnv) {
  let client: Promise<import('../tenant/tenant-client').TenantClient> | undefined;
  return () =>
    (client ??= (async () => {
      const [{ tenantConnection }, { TenantClient }] = await Promise.all([
        import('../provider/provider-config'),
        import('../tenant/tenant-client'),
      ]);
      const { tenantUrl, caCertificatePem, requestsPerSecond } = manifest.tenant;
      // The provider's own reading of its block and the environment: the same precedence, by construction.
      const connection = await tenantConnection(
        {
          ...(tenantUrl ? { tenant_url: tenantUrl } : {}),
          ...(caCertificatePem ? { ca_certificate_pem: caCertificatePem } : {}),
          ...(requestsPerSecond ? { requests_per_second: requestsPerSecond } : {}),
        } as ObjectValue,
        env,
      );
      if (!connection) {
        throw new CpiError(
          'CPI_PROVIDER_INVALID_CONFIG',
          'no tenant is configured: set CPI_TENANT_URL with CPI_USERNAME/CPI_PASSWORD, or CPI_SERVICE_KEY, where status runs',
        );
      }
      return new TenantClient(connection);
    })());
}

/** The receiver settings of the manifest with secrets from the environment, as the provider reads its block. */
async function receiverOf(manifest: RenewalManifest, env: NodeJS.ProcessEnv): Promise<GateFacts['receiver']> {
  const { receiverSettingsFrom } = await import('../provider/receiver-settings');
  const r = manifest.receiver;
  const block: ObjectValue =
    r.kind === 'embedded'
      ? { kind: 'embedded', url: r.url, admin_token_env: r.adminTokenEnv ?? null }
      : {
          kind: 'pkcs12',
          keystore_path: r.keystorePath,
          archive_path: r.archivePath,
          password_env: r.passwordEnv ?? null,
        };
  return receiverSettingsFrom(block, env, 'receiver');
}

/** A renewal's status, with its way back (docs/rollback.md) where the manifest has one. */
export type RenewalStatusWithRollback = RenewalStatus & { readonly rollback?: RollbackStatus };

/** The way back's stacks' state against the certificate the alias holds now (undefined when it was not read). */
async function rollbackOf(
  manifest: RenewalManifest,
  dir: string,
  env: NodeJS.ProcessEnv,
  aliasFingerprint: string | undefined,
  signal?: AbortSignal,
): Promise<RollbackStatus | undefined> {
  if (!manifest.rollback) return undefined;
  const records = await Promise.all(
    manifest.rollback.stages.map(async (stage): Promise<RollbackStageRecord> => {
      const stackDir = resolve(dir, stage.stackDir);
      try {
        const declared = readDeclared(stackDir);
        // A way back nobody initialised is a way back nobody started.
        if (!existsSync(join(stackDir, '.terraform'))) return { stage, declared };
        const state = await pullState(stackDir, env, signal);
        return { stage, declared, ...(state ? { state } : {}) };
      } catch (error) {
        if (!(error instanceof CpiError)) throw error;
        return { stage, declared: [], stateError: error.detail };
      }
    }),
  );
  return rollbackStatus(manifest.rollback, records, aliasFingerprint);
}

/**
 * What the tenant and the receiver hold now, against which each applied stage's effect is checked: the alias's
 * certificate, the receiver's keys, the iFlows' runtime. A side that cannot be read is named, not guessed.
 */
export async function observeWorld(
  manifest: RenewalManifest,
  tenant: ReturnType<typeof tenantFrom>,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<ObservedWorld> {
  const unobserved: string[] = [];
  const reason = (error: unknown) => (error instanceof CpiError ? error.detail : (error as Error).message);
  const [alias, iflows, keys] = await Promise.all([
    tenant()
      .then((client) => client.getKeystoreEntry(manifest.alias, { ...(signal ? { signal } : {}) }))
      .then(
        (entry) => entry?.fingerprintSha256 ?? null,
        (error) => void unobserved.push(`the tenant alias: ${reason(error)}`),
      ),
    tenant()
      .then((client) => client.listRuntimeArtifacts({ ...(signal ? { signal } : {}) }))
      .then(
        (artifacts) =>
          manifest.iflowIds.map((id) => {
            const status = artifacts.find((a) => a.id === id)?.status;
            return status === undefined ? { id } : { id, status };
          }),
        (error) => void unobserved.push(`the iFlow runtime: ${reason(error)}`),
      ),
    receiverOf(manifest, env)
      .then(async (settings) => {
        const { openReceiverBackend } = await import('../receiver/open-backend');
        return openReceiverBackend(settings!).listKeys(signal);
      })
      .then(
        (listed) => listed.map((k) => ({ name: k.name, state: k.state })),
        (error) => void unobserved.push(`the receiver keys: ${reason(error)}`),
      ),
  ]);
  return {
    ...(alias !== undefined ? { aliasFingerprint: alias } : {}),
    ...(iflows ? { iflows } : {}),
    ...(keys ? { keys } : {}),
    ...(unobserved.length > 0 ? { unobserved } : {}),
  };
}

/** Status of one renewal: its state read through terraform and a live check of the next stage's gate. */
export async function statusOf(
  renewal: { manifest: RenewalManifest; dir: string },
  options: StatusOptions = {},
): Promise<RenewalStatusWithRollback> {
  const { manifest, dir } = renewal;
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const cwd = options.cwd ?? process.cwd();
  if (options.init) {
    const stacks = [...manifest.stages, ...(manifest.rollback?.stages ?? [])];
    await initStacks(
      stacks.map((stage) => resolve(dir, stage.stackDir)),
      env,
      options.signal,
    );
  }
  const records = await stageRecords(manifest, dir, env, options.signal);
  const confirmationsDir = resolve(dir, manifest.confirmationsDir);
  const known = gateFacts(manifest, records, confirmationsDir);
  const next = stageToCheck(records);
  let live: LiveGateCheck | undefined;
  const tenant = tenantFrom(manifest, env);
  const gate = next?.stage.gate;
  if (gate && unresolvedFor(gate, known.unresolved).length === 0) {
    try {
      const facts: GateFacts = gate.requirements.some((r) => r.kind === 'probe')
        ? { ...known.facts, receiver: await receiverOf(manifest, env) }
        : known.facts;
      const sources = liveEvidenceSources({ now, ...tenantEvidence(tenant) });
      const evaluation = await evaluateGate(gate, facts, sources, options.signal);
      const location = confirmationLocation(confirmationsDir, cwd);
      live = { kind: 'evaluated', evaluation, toConfirm: confirmSteps(gate, facts, evaluation.results, location) };
    } catch (error) {
      live = { kind: 'failed', detail: error instanceof Error ? error.message : String(error) };
    }
  }
  const world = await observeWorld(manifest, tenant, env, options.signal);
  const status = renewalStatus(manifest, records, known, live, now(), world);
  const rollback = await rollbackOf(manifest, dir, env, world.aliasFingerprint ?? undefined, options.signal);
  return rollback ? { ...status, rollback } : status;
}

/** Status of every renewal in the output directory (or the one named). */
export async function renewalStatuses(options: StatusOptions = {}): Promise<RenewalStatusWithRollback[]> {
  const renewals = readRenewals(options.outdir ?? 'cdktf.out', options.renewal);
  const statuses: RenewalStatusWithRollback[] = [];
  for (const renewal of renewals) statuses.push(await statusOf(renewal, options));
  return statuses;
}

/** A readable table of the stages, then the details that say who must do what. */
export function formatRenewalStatus(status: RenewalStatusWithRollback): string {
  const rows = status.stages.map((s) => [`${s.index}`, s.name, PARTY_TITLES[s.party], s.summary]);
  const header = ['#', 'stage', 'party', 'status'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  const out = [
    `Renewal ${status.renewalId} (${status.variant}), checked at ${status.checkedAt}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    status.next
      ? `Next: stage ${status.next.index} ${status.next.name} is ${status.next.condition}.`
      : status.condition === 'completed'
        ? 'Every stage is applied and its effect holds: the renewal is completed.'
        : 'Every stage is applied.',
    ...(status.condition === 'undone'
      ? [
          `Undone out of band: ${status.stages
            .filter((s) => s.condition === 'undone')
            .map((s) => `stage ${s.index} ${s.name} (${s.seen ?? 'its effect'})`)
            .join('; ')}.`,
        ]
      : []),
    ...(status.condition === 'unchecked'
      ? ['Not confirmed as completed: the effect of some stage could not be checked (see its note).']
      : []),
  ];
  for (const s of status.stages) {
    const details: string[] = [];
    if (s.condition === 'blocked') {
      details.push(
        `  waiting for: ${s.waitingFor.map((p) => `${PARTY_TITLES[p]} (${p})`).join(' and ') || 'nobody named'}`,
      );
      if (s.action) details.push(`  what they must do: ${s.action}`);
      if (s.missing.length > 0) details.push('  missing:', ...s.missing.map((m) => `    - ${m}`));
      if (s.toConfirm.length > 0)
        details.push(
          '  to confirm:',
          ...s.toConfirm.flatMap((c) => [`    ${c.party} runs: ${c.command}`, `      and commits ${c.file}`]),
        );
    }
    if (s.seen) details.push(`  seen: ${s.seen}`);
    if (s.openedAt && s.condition !== 'blocked') details.push(`  gate opened at ${s.openedAt}`);
    if (s.evidence.length > 0) {
      const label =
        s.condition === 'applied' || s.condition === 'undone' || s.openedAt
          ? 'evidence recorded in state'
          : 'evidence found now';
      details.push(`  ${label}:`, ...s.evidence.map((e) => `    - ${e}`));
    }
    if (s.notBefore && s.condition !== 'applied') details.push(`  ${s.notBefore.meaning}: ${s.notBefore.at}`);
    for (const [name, value] of Object.entries(s.outputs)) {
      if (!value.includes('\n')) details.push(`  ${name} = ${value}`);
    }
    details.push(...s.notes.map((n) => `  note: ${n}`));
    if (details.length > 0) out.push('', `${s.index} ${s.name} — ${s.condition}`, ...details);
  }
  if (status.rollback && status.rollback.outcome !== 'not started') out.push(...formatRollbackStatus(status.rollback));
  return `${out.join('\n')}\n`;
}

/**
 * Exit codes of `cpi-renewal status`, so that a pipeline step can branch on them (docs/cli.md):
 * 0 every renewal's next stage is ready, or every stage is applied; 2 the next stage of a renewal is blocked
 * (waiting for a party or a time); 3 a stage's effect was undone out of band (takes precedence over 2).
 * 1 is left to errors: status could not be determined.
 */
export const STATUS_EXIT_CODES = { ready: 0, error: 1, blocked: 2, undone: 3 } as const;

export function statusExitCode(statuses: readonly RenewalStatus[]): number {
  if (statuses.some((s) => s.condition === 'undone')) return STATUS_EXIT_CODES.undone;
  if (statuses.some((s) => s.next?.condition === 'blocked')) return STATUS_EXIT_CODES.blocked;
  return STATUS_EXIT_CODES.ready;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'Show each stage of a renewal: applied (with evidence), undone (its effect reverted out of band: what was seen), ready, blocked on whom and why, or pending; and whether the renewal is completed.',
    )
    .option('--outdir <dir>', 'the cdktf output directory', 'cdktf.out')
    .option('--renewal <id>', 'only this renewal (default: every renewal in the output directory)')
    .option('--json', 'print JSON instead of the table: one object with --renewal, else an array of them')
    .option('--init', 'first run `terraform init` in every stack not initialised yet (a fresh checkout, remote state)')
    .addHelpText(
      'after',
      [
        '',
        "Each stage's state is read through terraform in its synthesized stack directory, so any backend works;",
        'the directory must be initialised (`cdktf diff/deploy` do it; --init does it for the stacks that are not).',
        'Exit codes:',
        `  ${STATUS_EXIT_CODES.ready}  the next stage of every renewal is ready, or every stage is applied`,
        `  ${STATUS_EXIT_CODES.error}  status could not be determined (the message names the error code)`,
        `  ${STATUS_EXIT_CODES.blocked}  the next stage of a renewal is blocked: waiting for a party or a time`,
        `  ${STATUS_EXIT_CODES.undone}  a stage's effect was undone out of band`,
      ].join('\n'),
    )
    .action(async (options: { outdir: string; renewal?: string; json?: boolean; init?: boolean }) => {
      const statuses = await renewalStatuses({
        outdir: options.outdir,
        ...(options.renewal ? { renewal: options.renewal } : {}),
        ...(options.init ? { init: true } : {}),
      });
      if (options.json) process.stdout.write(`${JSON.stringify(options.renewal ? statuses[0] : statuses, null, 2)}\n`);
      else process.stdout.write(statuses.map(formatRenewalStatus).join('\n'));
      process.exitCode = statusExitCode(statuses);
    });
}
