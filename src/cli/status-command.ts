// `cpi-renewal status`: where a renewal stands, stage by stage, read from what synth wrote, what Terraform recorded
// and, for the next stage, a live check of its gate against the same evidence the provider checks at plan. The
// decision is src/renewal/renewal-status.ts; this file reads files, the tenant and the receiver, and prints.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CpiError } from '../errors';
import type { ObjectValue } from '../provider/cty';
import { defaultConfirmationsDir, parseRfc3339 } from '../renewal/confirmation';
import { evaluateGate, liveEvidenceSources, type GateEvidenceSpec } from '../renewal/evidence';
import { normalizeFingerprint } from '../renewal/gate-decision';
import {
  gateToCheck,
  parseState,
  renewalStatus,
  renewalsInManifest,
  synthesizedStage,
  type ConfirmStep,
  type LiveGateCheck,
  type RecordedState,
  type RenewalStatus,
  type SynthesizedRenewal,
} from '../renewal/renewal-status';
import { PARTY_TITLES, renewalStages, stageStackName, type Party } from '../renewal/stages';

export interface StatusOptions {
  /** The cdktf output directory. @default 'cdktf.out' */
  readonly outdir?: string;
  /** Only this renewal. @default - every renewal in the output directory */
  readonly renewal?: string;
  /** Where tenant credentials (CPI_*) and receiver secrets come from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Paths in commands are shown relative to this directory. @default process.cwd() */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readJson(
  path: string,
  code: 'CPI_STATUS_NO_RENEWAL' | 'CPI_STATUS_STACK_UNREADABLE' | 'CPI_STATUS_STATE_UNREADABLE',
): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CpiError(code, `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CpiError(code, `${path} is not JSON: ${(error as Error).message}`);
  }
}

/** The renewals synthesized into `outdir` (all, or the one named). */
export function readSynthesizedRenewals(outdir: string, renewalId?: string): SynthesizedRenewal[] {
  const root = resolve(outdir);
  const manifestPath = join(root, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `${manifestPath} does not exist; expected the output of \`cdktf synth\``,
    );
  }
  const found = renewalsInManifest(readJson(manifestPath, 'CPI_STATUS_NO_RENEWAL'), manifestPath);
  if (found.length === 0) {
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `${manifestPath} lists no renewal's stage stacks (<renewal>-1-prepare-receiver, …)`,
    );
  }
  const chosen = renewalId === undefined ? found : found.filter((r) => r.renewalId === renewalId);
  if (chosen.length === 0) {
    throw new CpiError(
      'CPI_STATUS_NO_RENEWAL',
      `--renewal "${renewalId}" is not in ${root}; it holds ${found.map((r) => `"${r.renewalId}"`).join(', ')}`,
    );
  }
  return chosen.map(({ renewalId: id, variant }) => ({
    renewalId: id,
    variant,
    stages: renewalStages(variant).map((stage) => {
      const stackName = stageStackName(id, stage);
      const stackDir = join(root, 'stacks', stackName);
      return synthesizedStage(
        stage,
        stackName,
        stackDir,
        readJson(join(stackDir, 'cdk.tf.json'), 'CPI_STATUS_STACK_UNREADABLE'),
      );
    }),
  }));
}

/** Every state file the renewal's stacks write or read; a file that does not exist is simply absent. */
export function readStates(renewal: SynthesizedRenewal): Map<string, RecordedState> {
  const paths = new Set(renewal.stages.flatMap((s) => [s.statePath, ...Object.values(s.remoteStates)]));
  const states = new Map<string, RecordedState>();
  for (const path of paths) {
    if (existsSync(path)) states.set(path, parseState(readJson(path, 'CPI_STATUS_STATE_UNREADABLE'), path));
  }
  return states;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The gate as the evidence collector needs it, as the provider builds it from the same configuration. */
async function evidenceSpec(
  config: Record<string, unknown>,
  stackDir: string,
  env: NodeJS.ProcessEnv,
): Promise<GateEvidenceSpec> {
  const renewalId = String(config.renewal_id);
  // Terraform runs in the stack directory: the gate's relative paths start there.
  const confirmationsDir = resolve(stackDir, str(config.confirmations_dir) ?? defaultConfirmationsDir(renewalId));
  const spec: {
    -readonly [K in keyof GateEvidenceSpec]: GateEvidenceSpec[K];
  } = {
    renewalId,
    gate: String(config.gate),
    mode: config.mode === 'any' ? 'any' : 'all',
    confirmationsDir,
    confirmations: (Array.isArray(config.confirmation) ? config.confirmation : []).filter(isRecord).map((c) => ({
      party: c.party as Party,
      fingerprintSha256: normalizeFingerprint(String(c.fingerprint_sha256)),
    })),
  };
  if (isRecord(config.probe)) {
    const certificatePem = String(config.probe.certificate_pem);
    const [{ parseCertificatePem }, { receiverSettingsFrom }] = await Promise.all([
      import('../pki/certificate-info'),
      import('../provider/receiver-settings'),
    ]);
    const settings = receiverSettingsFrom(
      (isRecord(config.probe.receiver) ? config.probe.receiver : {}) as ObjectValue,
      env,
      'probe.receiver',
    );
    const receiver =
      settings.kind === 'pkcs12'
        ? {
            ...settings,
            keystorePath: resolve(stackDir, settings.keystorePath),
            archivePath: resolve(stackDir, settings.archivePath),
          }
        : settings;
    spec.probe = { certificatePem, fingerprintSha256: parseCertificatePem(certificatePem).fingerprintSha256, receiver };
  }
  if (isRecord(config.tenant_alias)) {
    spec.tenantAlias = {
      alias: String(config.tenant_alias.alias),
      fingerprintSha256: normalizeFingerprint(String(config.tenant_alias.fingerprint_sha256)),
    };
  }
  if (isRecord(config.iflow_state)) {
    spec.iflowState = {
      iflowIds: (Array.isArray(config.iflow_state.iflow_ids) ? config.iflow_state.iflow_ids : []).map(String),
      state: config.iflow_state.state === 'started' ? 'started' : 'undeployed',
    };
  }
  const notBefore = str(config.not_before);
  if (notBefore !== undefined) {
    const at = parseRfc3339(notBefore);
    if (!at)
      throw new CpiError('CPI_VALUE_INVALID', `not_before "${notBefore}" is not an RFC 3339 time`, ['not_before']);
    spec.notBefore = at;
  }
  return spec;
}

/** The tenant client from the stack's provider block and the CPI_* variables of `env`, created on first use. */
function tenantFrom(providerConfig: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv) {
  let client: Promise<import('../tenant/tenant-client').TenantClient> | undefined;
  return () =>
    (client ??= (async () => {
      const [{ tenantConnection }, { TenantClient }] = await Promise.all([
        import('../provider/provider-config'),
        import('../tenant/tenant-client'),
      ]);
      // The provider block wins over the environment, as in the provider itself.
      const fromEnv = (name: string, variable: string) => str(providerConfig[name]) ?? env[variable];
      const config = {
        ...providerConfig,
        tenant_url: fromEnv('tenant_url', 'CPI_TENANT_URL'),
        username: fromEnv('username', 'CPI_USERNAME'),
        password: fromEnv('password', 'CPI_PASSWORD'),
        service_key: fromEnv('service_key', 'CPI_SERVICE_KEY'),
        ca_certificate_pem: fromEnv('ca_certificate_pem', 'CPI_CA_CERTIFICATE_PEM'),
      };
      const connection = await tenantConnection(config as ObjectValue);
      if (!connection) {
        throw new CpiError(
          'CPI_PROVIDER_INVALID_CONFIG',
          'no tenant is configured: set CPI_TENANT_URL with CPI_USERNAME/CPI_PASSWORD, or CPI_SERVICE_KEY, where status runs',
        );
      }
      return new TenantClient(connection);
    })());
}

/** The confirm commands for the confirmations still missing, with paths relative to where status runs. */
function confirmSteps(
  spec: GateEvidenceSpec,
  satisfied: readonly { kind: string; text: string }[],
  cwd: string,
): ConfirmStep[] {
  const root = resolve(spec.confirmationsDir, '..', '..');
  const standard = join(root, spec.renewalId, 'confirmations') === spec.confirmationsDir;
  const shownRoot = relative(cwd, root) || '.';
  const where = standard
    ? shownRoot === 'renewals'
      ? ''
      : ` --dir ${shownRoot}`
    : ` --confirmations-dir ${relative(cwd, spec.confirmationsDir) || '.'}`;
  return spec.confirmations
    .filter((c) => !satisfied.some((r) => r.kind === 'confirmation' && r.text.startsWith(`confirmation: ${c.party} `)))
    .map((c) => ({
      party: c.party,
      command: `cpi-renewal confirm --renewal ${spec.renewalId} --gate ${spec.gate} --party ${c.party} --fingerprint ${c.fingerprintSha256} --person "<your name>"${where}`,
      file: relative(cwd, join(spec.confirmationsDir, `${spec.gate}.json`)),
    }));
}

/** Status of one synthesized renewal: its recorded state and a live check of the next stage's gate. */
export async function statusOf(renewal: SynthesizedRenewal, options: StatusOptions = {}): Promise<RenewalStatus> {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const cwd = options.cwd ?? process.cwd();
  const states = readStates(renewal);
  const toCheck = gateToCheck(renewal, states);
  let live: LiveGateCheck | undefined;
  if (toCheck && toCheck.unresolved.length === 0) {
    try {
      const spec = await evidenceSpec(toCheck.config, toCheck.stage.stackDir, env);
      const sources = liveEvidenceSources({ now, tenant: tenantFrom(toCheck.stage.providerConfig, env) });
      const evaluation = await evaluateGate(spec, sources, options.signal);
      live = { kind: 'evaluated', evaluation, toConfirm: confirmSteps(spec, evaluation.satisfied, cwd) };
    } catch (error) {
      live = { kind: 'failed', detail: error instanceof Error ? error.message : String(error) };
    }
  }
  return renewalStatus(renewal, states, live, now());
}

/** Status of every renewal in the output directory (or the one named). */
export async function renewalStatuses(options: StatusOptions = {}): Promise<RenewalStatus[]> {
  const renewals = readSynthesizedRenewals(options.outdir ?? 'cdktf.out', options.renewal);
  const statuses: RenewalStatus[] = [];
  for (const renewal of renewals) statuses.push(await statusOf(renewal, options));
  return statuses;
}

/** A readable table of the stages, then the details that say who must do what. */
export function formatRenewalStatus(status: RenewalStatus): string {
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
      : 'Every stage is applied.',
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
    if (s.openedAt && s.condition !== 'blocked') details.push(`  gate opened at ${s.openedAt}`);
    if (s.evidence.length > 0) {
      const label = s.condition === 'applied' || s.openedAt ? 'evidence recorded in state' : 'evidence found now';
      details.push(`  ${label}:`, ...s.evidence.map((e) => `    - ${e}`));
    }
    if (s.notBefore && s.condition !== 'applied') details.push(`  ${s.notBefore.meaning}: ${s.notBefore.at}`);
    for (const [name, value] of Object.entries(s.outputs)) {
      if (!value.includes('\n')) details.push(`  ${name} = ${value}`);
    }
    details.push(...s.notes.map((n) => `  note: ${n}`));
    if (details.length > 0) out.push('', `${s.index} ${s.name} — ${s.condition}`, ...details);
  }
  return `${out.join('\n')}\n`;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('Show each stage of a renewal: applied (with evidence), ready, blocked on whom and why, or pending.')
    .option('--outdir <dir>', 'the cdktf output directory', 'cdktf.out')
    .option('--renewal <id>', 'only this renewal (default: every renewal in the output directory)')
    .option('--json', 'print JSON instead of the table: one object with --renewal, else an array of them')
    .action(async (options: { outdir: string; renewal?: string; json?: boolean }) => {
      const statuses = await renewalStatuses({
        outdir: options.outdir,
        ...(options.renewal ? { renewal: options.renewal } : {}),
      });
      if (options.json) process.stdout.write(`${JSON.stringify(options.renewal ? statuses[0] : statuses, null, 2)}\n`);
      else process.stdout.write(statuses.map(formatRenewalStatus).join('\n'));
    });
}
