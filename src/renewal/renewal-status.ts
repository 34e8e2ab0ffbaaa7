// Where a renewal stands, stage by stage: a pure function of what synth wrote (cdktf.out), what Terraform recorded
// (each stage's local state) and, for the one stage that could be applied next, a live evaluation of its gate.
// Reading files, asking the tenant and probing the receiver is src/cli/status-command.ts's job; every rule here is
// tested with parsed JSON and a fixed clock.
import { resolve } from 'node:path';
import { CpiError } from '../errors';
import type { GateEvaluation } from './evidence';
import { PARTY_TITLES, renewalStages, stageStackName, type Party, type RenewalVariant, type StageSpec } from './stages';

/** `applied`: the stage's resources are in its state. `ready`: its gate is open now, its party can apply it.
 * `blocked`: its gate is closed, waiting for another party (or a time). `pending`: an earlier stage is not applied. */
export type StageCondition = 'applied' | 'ready' | 'blocked' | 'pending';

/** The `cpi_renewal_gate` of a synthesized stack. */
export interface SynthesizedGate {
  /** Its address in the stack, `cpi_renewal_gate.<name>`. */
  readonly address: string;
  /** Its configuration as synth wrote it; values may be Terraform expressions (`${data.terraform_remote_state…}`). */
  readonly config: Readonly<Record<string, unknown>>;
}

/** What the synthesized stack of one stage says, reduced to what status needs. */
export interface SynthesizedStage {
  readonly stage: StageSpec;
  readonly stackName: string;
  /** Absolute directory Terraform runs the stack in: the stack's relative paths start here. */
  readonly stackDir: string;
  /** Absolute path of the stack's local state file. */
  readonly statePath: string;
  /** The managed resources the stack declares, as addresses `type.name`. */
  readonly resources: readonly string[];
  readonly gate?: SynthesizedGate;
  /** Absolute state file path of each `terraform_remote_state` data source, by its name. */
  readonly remoteStates: Readonly<Record<string, string>>;
  /** The stack's `cpi` provider block (tenant URL and the like, where the renewal sets them). */
  readonly providerConfig: Readonly<Record<string, unknown>>;
}

export interface SynthesizedRenewal {
  readonly renewalId: string;
  readonly variant: RenewalVariant;
  /** In the order they are applied. */
  readonly stages: readonly SynthesizedStage[];
}

/** What Terraform recorded in one local state file. */
export interface RecordedState {
  /** Addresses (`type.name`) of the managed resources with at least one instance. */
  readonly resources: readonly string[];
  readonly outputs: Readonly<Record<string, { readonly value: unknown; readonly sensitive: boolean }>>;
  /** Opened gates by address: when and on which evidence (the audit trail). */
  readonly gates: Readonly<Record<string, { readonly openedAt?: string; readonly evidence: readonly string[] }>>;
}

/** A `cpi-renewal confirm` command that would supply a missing confirmation. */
export interface ConfirmStep {
  readonly party: Party;
  readonly command: string;
  /** The file to commit afterwards. */
  readonly file: string;
}

/** The live check of the next stage's gate, made by the caller. */
export type LiveGateCheck =
  | { readonly kind: 'evaluated'; readonly evaluation: GateEvaluation; readonly toConfirm: readonly ConfirmStep[] }
  /** The gate could not be checked at all (e.g. a malformed confirmation file, a receiver secret not set). */
  | { readonly kind: 'failed'; readonly detail: string };

/** A moment a gate waits for, where it is known. */
export interface GateMoment {
  /** RFC 3339. */
  readonly at: string;
  /** e.g. `retention ends`. */
  readonly meaning: string;
}

export interface StageStatus {
  readonly index: number;
  readonly name: string;
  readonly title: string;
  /** The party who applies the stage. */
  readonly party: Party;
  readonly stack: string;
  readonly condition: StageCondition;
  /** One line for the table, e.g. `blocked until 2027-02-24T10:00:06.000Z (retention ends)`. */
  readonly summary: string;
  /** blocked: the parties the gate waits for. */
  readonly waitingFor: readonly Party[];
  /** blocked: what they must do, in the domain's words. */
  readonly action?: string;
  /** applied: when the gate opened, from state. */
  readonly openedAt?: string;
  /** applied: the evidence recorded in state; ready or blocked: the evidence that holds now. */
  readonly evidence: readonly string[];
  /** blocked: every requirement that does not hold, with what was seen instead. */
  readonly missing: readonly string[];
  /** blocked: the confirm commands that would supply missing confirmations. */
  readonly toConfirm: readonly ConfirmStep[];
  /** The moment the gate waits for, where known (start of the downtime window, end of retention). */
  readonly notBefore?: GateMoment;
  /** applied: the values the stage published (its non-sensitive outputs), e.g. the new fingerprint. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

export interface RenewalStatus {
  readonly renewalId: string;
  readonly variant: RenewalVariant;
  /** RFC 3339. */
  readonly checkedAt: string;
  /** The first stage not applied yet; absent when every stage is applied. */
  readonly next?: { readonly index: number; readonly name: string; readonly condition: 'ready' | 'blocked' };
  readonly stages: readonly StageStatus[];
}

/** The gate status must check live, with its configuration resolved as far as the recorded state allows. */
export interface GateToCheck {
  readonly stage: SynthesizedStage;
  readonly config: Readonly<Record<string, unknown>>;
  /** Expressions that could not be resolved from state, each saying why; the gate is not checked when any remain. */
  readonly unresolved: readonly string[];
}

// --- reading what synth wrote ---------------------------------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The renewals whose stage stacks the manifest lists, with their variant, recognised by the stacks' names. */
export function renewalsInManifest(
  manifest: unknown,
  source: string,
): { renewalId: string; variant: RenewalVariant }[] {
  if (!isRecord(manifest) || !isRecord(manifest.stacks)) {
    throw new CpiError('CPI_STATUS_NO_RENEWAL', `${source} has no "stacks" object; it is not a cdktf manifest`);
  }
  const names = new Set(Object.keys(manifest.stacks));
  const found: { renewalId: string; variant: RenewalVariant }[] = [];
  for (const name of [...names].sort()) {
    const match = /^(.+)-1-prepare-receiver$/.exec(name);
    if (!match) continue;
    const renewalId = match[1]!;
    // The variant whose every stage has its stack; overlap's stages are no subset of single-key's (retire-old-key).
    const variant = (['single-key', 'overlap'] as const).find((v) =>
      renewalStages(v).every((stage) => names.has(stageStackName(renewalId, stage))),
    );
    if (variant) found.push({ renewalId, variant });
  }
  return found;
}

/** A stage's stack from its `cdk.tf.json`; `stackDir` is the absolute directory Terraform runs it in. */
export function synthesizedStage(
  stage: StageSpec,
  stackName: string,
  stackDir: string,
  json: unknown,
): SynthesizedStage {
  const source = `${stackDir}/cdk.tf.json`;
  if (!isRecord(json)) throw new CpiError('CPI_STATUS_STACK_UNREADABLE', `${source} is not a JSON object`);
  const terraform = isRecord(json.terraform) ? json.terraform : {};
  const backend = isRecord(terraform.backend) ? terraform.backend : {};
  const local = isRecord(backend.local) ? backend.local : undefined;
  if (!local) {
    const kinds = Object.keys(backend);
    throw new CpiError(
      'CPI_STATUS_STACK_UNREADABLE',
      `${source} uses the ${kinds.length > 0 ? `"${kinds.join('", "')}"` : 'default'} backend; status reads the local backend the renewal construct writes (stateDir)`,
    );
  }
  const statePath = resolve(stackDir, typeof local.path === 'string' ? local.path : 'terraform.tfstate');
  const resources: string[] = [];
  let gate: SynthesizedGate | undefined;
  const declared = isRecord(json.resource) ? json.resource : {};
  for (const [type, byName] of Object.entries(declared)) {
    if (!isRecord(byName)) continue;
    for (const [name, config] of Object.entries(byName)) {
      resources.push(`${type}.${name}`);
      if (type === 'cpi_renewal_gate' && isRecord(config)) gate = { address: `${type}.${name}`, config };
    }
  }
  const remoteStates: Record<string, string> = {};
  const data =
    isRecord(json.data) && isRecord(json.data.terraform_remote_state) ? json.data.terraform_remote_state : {};
  for (const [name, remote] of Object.entries(data)) {
    const path = isRecord(remote) && isRecord(remote.config) ? remote.config.path : undefined;
    if (isRecord(remote) && remote.backend === 'local' && typeof path === 'string')
      remoteStates[name] = resolve(stackDir, path);
  }
  const providers = isRecord(json.provider) && Array.isArray(json.provider.cpi) ? json.provider.cpi : [];
  const providerConfig = isRecord(providers[0]) ? providers[0] : {};
  return { stage, stackName, stackDir, statePath, resources, ...(gate ? { gate } : {}), remoteStates, providerConfig };
}

/** A Terraform state file (format version 4), reduced to what status needs. */
export function parseState(json: unknown, source: string): RecordedState {
  if (!isRecord(json) || json.version !== 4 || !Array.isArray(json.resources)) {
    const version = isRecord(json) ? json.version : undefined;
    throw new CpiError(
      'CPI_STATUS_STATE_UNREADABLE',
      `${source} is not a Terraform state of format version 4 (found ${version === undefined ? 'no version' : `version ${String(version)}`})`,
    );
  }
  const resources: string[] = [];
  const gates: Record<string, { openedAt?: string; evidence: string[] }> = {};
  for (const r of json.resources) {
    if (!isRecord(r) || r.mode !== 'managed' || !Array.isArray(r.instances) || r.instances.length === 0) continue;
    const address = `${String(r.type)}.${String(r.name)}`;
    resources.push(address);
    const attributes = isRecord(r.instances[0]) && isRecord(r.instances[0].attributes) ? r.instances[0].attributes : {};
    if (r.type === 'cpi_renewal_gate') {
      gates[address] = {
        ...(typeof attributes.opened_at === 'string' ? { openedAt: attributes.opened_at } : {}),
        evidence: Array.isArray(attributes.evidence) ? attributes.evidence.map(String) : [],
      };
    }
  }
  const outputs: Record<string, { value: unknown; sensitive: boolean }> = {};
  for (const [name, output] of Object.entries(isRecord(json.outputs) ? json.outputs : {})) {
    if (isRecord(output)) outputs[name] = { value: output.value, sensitive: output.sensitive === true };
  }
  return { resources, outputs, gates };
}

// --- resolving the gate's cross-stack inputs from recorded state ------------------------------------------------

const REMOTE_OUTPUT = /^data\.terraform_remote_state\.([^.\s]+)\.outputs\.([^\s]+)$/;
const TIMEADD = /^timeadd\((.+),\s*"([^"]+)"\)$/;

/** A Go duration as Terraform's timeadd takes it (`2160h`, `1h30m`, `-10s`), in milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const match = /^(-?)((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)$/.exec(text);
  if (!match) return undefined;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const [, n, u] of match[2]!.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(n) * unit[u!]!;
  return match[1] === '-' ? -total : total;
}

interface Resolution {
  readonly value?: unknown;
  readonly unresolved?: string;
}

function resolveExpression(
  expression: string,
  stage: SynthesizedStage,
  stateAt: (path: string) => RecordedState | undefined,
  stackAt: (path: string) => string | undefined,
): Resolution {
  const remote = REMOTE_OUTPUT.exec(expression);
  if (remote) {
    const path = stage.remoteStates[remote[1]!];
    if (!path) return { unresolved: `\${${expression}} names a remote state the stack does not declare` };
    const from = stackAt(path) ?? path;
    const output = stateAt(path)?.outputs[remote[2]!];
    if (!output) return { unresolved: `it needs the output "${remote[2]}" of ${from}, which is not applied yet` };
    return { value: output.value };
  }
  const timeadd = TIMEADD.exec(expression);
  if (timeadd) {
    const base = resolveExpression(timeadd[1]!.trim(), stage, stateAt, stackAt);
    if (base.unresolved !== undefined) return base;
    const ms = parseGoDuration(timeadd[2]!);
    const at = typeof base.value === 'string' ? Date.parse(base.value) : Number.NaN;
    if (ms === undefined || Number.isNaN(at))
      return { unresolved: `\${${expression}}: cannot add "${timeadd[2]}" to ${JSON.stringify(base.value)}` };
    // Terraform's timeadd writes RFC 3339 in UTC without fractional seconds when there are none.
    return { value: new Date(at + ms).toISOString().replace('.000Z', 'Z') };
  }
  return { unresolved: `status cannot evaluate the expression \${${expression}}` };
}

/** Replaces every `${…}` string in a gate configuration with its value from recorded state, where it can. */
export function resolveGateConfig(
  stage: SynthesizedStage,
  config: Readonly<Record<string, unknown>>,
  states: ReadonlyMap<string, RecordedState>,
  stackAt: (path: string) => string | undefined = () => undefined,
): { config: Record<string, unknown>; unresolved: string[] } {
  const unresolved: string[] = [];
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^\$\{(.*)\}$/s.exec(value);
      if (!whole) return value;
      const result = resolveExpression(whole[1]!.trim(), stage, (p) => states.get(p), stackAt);
      if (result.unresolved !== undefined) {
        if (!unresolved.includes(result.unresolved)) unresolved.push(result.unresolved);
        return value;
      }
      return result.value;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (k !== '//') out[k] = walk(v);
      return out;
    }
    return value;
  };
  return { config: walk(config) as Record<string, unknown>, unresolved };
}

// --- deciding each stage's condition --------------------------------------------------------------------------

interface StageRecord {
  readonly synthesized: SynthesizedStage;
  readonly state: RecordedState | undefined;
  readonly missingResources: readonly string[];
  readonly applied: boolean;
  /** The later stage whose state continues this one's (cleanup), when that is why this counts as applied. */
  readonly continuedBy?: SynthesizedStage;
}

function stageRecords(renewal: SynthesizedRenewal, states: ReadonlyMap<string, RecordedState>): StageRecord[] {
  const records = renewal.stages.map((synthesized) => {
    const state = states.get(synthesized.statePath);
    const have = new Set(state?.resources ?? []);
    const missingResources = synthesized.resources.filter((r) => !have.has(r));
    return { synthesized, state, missingResources, applied: missingResources.length === 0 } as StageRecord;
  });
  // The cleanup stack continues the retiring stage's state and drops that stage's resources from it: once the
  // cleanup is applied, the retiring stage no longer shows in state, yet it was applied.
  return records.map((record, i) => {
    if (record.applied) return record;
    const later = records
      .slice(i + 1)
      .find((r) => r.applied && r.synthesized.statePath === record.synthesized.statePath);
    return later ? { ...record, applied: true, continuedBy: later.synthesized } : record;
  });
}

function stackLookup(renewal: SynthesizedRenewal): (path: string) => string | undefined {
  return (path) => {
    const owner = renewal.stages.find((s) => s.statePath === path && path.endsWith(`${s.stackName}.tfstate`));
    return owner && `stage ${owner.stage.index} ${owner.stage.name} (stack ${owner.stackName})`;
  };
}

/**
 * The gate status must evaluate live: that of the first stage not applied, unless its gate already opened (its
 * record is in state, as when an apply stopped half-way). Undefined when that stage has no gate or none is left.
 */
export function gateToCheck(
  renewal: SynthesizedRenewal,
  states: ReadonlyMap<string, RecordedState>,
): GateToCheck | undefined {
  const next = stageRecords(renewal, states).find((r) => !r.applied);
  const gate = next?.synthesized.gate;
  if (!next || !gate || next.state?.gates[gate.address]) return undefined;
  const { config, unresolved } = resolveGateConfig(next.synthesized, gate.config, states, stackLookup(renewal));
  return { stage: next.synthesized, config, unresolved };
}

const title = (party: string): string => PARTY_TITLES[party as Party] ?? party;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function momentOf(stage: StageSpec, config: Readonly<Record<string, unknown>>): GateMoment | undefined {
  const at = config.not_before;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return undefined;
  const requirement = stage.gate?.requirements.find((r) => r.kind === 'not_before');
  const meaning =
    requirement?.kind === 'not_before'
      ? requirement.moment === 'retention_end'
        ? 'retention ends'
        : 'the downtime window begins'
      : 'not_before';
  return { at, meaning };
}

function publishedOutputs(state: RecordedState | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, o] of Object.entries(state?.outputs ?? {}))
    if (!o.sensitive) out[name] = typeof o.value === 'string' ? o.value : JSON.stringify(o.value);
  return out;
}

/**
 * Each stage's condition at `now`. `live` is the caller's evaluation of the gate {@link gateToCheck} named (absent
 * when there was none to check, or its inputs were unresolved).
 */
export function renewalStatus(
  renewal: SynthesizedRenewal,
  states: ReadonlyMap<string, RecordedState>,
  live: LiveGateCheck | undefined,
  now: Date,
): RenewalStatus {
  const records = stageRecords(renewal, states);
  const firstOpen = records.findIndex((r) => !r.applied);
  const lookup = stackLookup(renewal);
  const stages = records.map((record, i): StageStatus => {
    const { synthesized, state } = record;
    const { stage } = synthesized;
    const gate = synthesized.gate;
    const resolved = gate ? resolveGateConfig(synthesized, gate.config, states, lookup) : undefined;
    const notBefore = resolved && momentOf(stage, resolved.config);
    const base = {
      index: stage.index,
      name: stage.name,
      title: stage.title,
      party: stage.party,
      stack: synthesized.stackName,
      waitingFor: [] as Party[],
      evidence: [] as string[],
      missing: [] as string[],
      toConfirm: [] as ConfirmStep[],
      ...(notBefore ? { notBefore } : {}),
      outputs: {} as Record<string, string>,
      notes: [] as string[],
    };
    if (record.applied) {
      const recorded = gate ? state?.gates[gate.address] : undefined;
      const notes: string[] = [];
      if (record.continuedBy) {
        notes.push(
          `stage ${record.continuedBy.stage.index} ${record.continuedBy.stage.name} continues this stage's state, so its gate's record is no longer in ${synthesized.statePath}`,
        );
      }
      const openedAt = recorded?.openedAt;
      return {
        ...base,
        condition: 'applied',
        summary: openedAt ? `applied (gate opened ${openedAt})` : 'applied',
        ...(openedAt ? { openedAt } : {}),
        evidence: recorded?.evidence ?? [],
        outputs: record.continuedBy ? {} : publishedOutputs(state),
        notes,
      };
    }
    if (i !== firstOpen) {
      const before = records[firstOpen]!.synthesized.stage;
      return { ...base, condition: 'pending', summary: `pending: after stage ${before.index} ${before.name}` };
    }
    // Resources of an earlier stage that shares the state file (the cleanup continues one) say nothing about this one.
    const inherited = new Set(
      records
        .slice(0, i)
        .flatMap((r) => (r.synthesized.statePath === synthesized.statePath ? r.synthesized.resources : [])),
    );
    const own = new Set(state?.resources.filter((r) => !inherited.has(r)) ?? []);
    const applyAgain = synthesized.resources.some((r) => own.has(r))
      ? [`partly applied: ${record.missingResources.join(', ')} not in state yet; apply the stage again`]
      : [];
    const readyFor = `ready: the ${title(stage.party)} can apply it`;
    if (!gate) return { ...base, condition: 'ready', summary: `${readyFor} (no gate)`, notes: applyAgain };
    const recorded = state?.gates[gate.address];
    if (recorded) {
      return {
        ...base,
        condition: 'ready',
        summary: `${readyFor} (gate opened ${recorded.openedAt ?? 'earlier'})`,
        ...(recorded.openedAt ? { openedAt: recorded.openedAt } : {}),
        evidence: recorded.evidence,
        notes: applyAgain,
      };
    }
    const config = resolved!.config;
    const waitingFor = strings(config.waits_for) as Party[];
    const action = typeof config.action === 'string' ? config.action : stage.gate?.waitingFor;
    const blocked = { ...base, condition: 'blocked' as const, waitingFor, ...(action ? { action } : {}) };
    const waiting = `blocked: waiting for the ${joinAnd(waitingFor.map(title))}`;
    if (resolved!.unresolved.length > 0) {
      return {
        ...blocked,
        summary: waiting,
        missing: resolved!.unresolved.map((u) => `the gate cannot be checked: ${u}`),
      };
    }
    if (!live) return { ...blocked, summary: waiting, missing: ['the gate was not checked'] };
    if (live.kind === 'failed')
      return { ...blocked, summary: waiting, missing: [`the gate cannot be checked: ${live.detail}`] };
    const { evaluation } = live;
    const evidence = evaluation.satisfied.map((r) => r.text);
    if (evaluation.open) {
      return { ...base, condition: 'ready', summary: `${readyFor} (gate open now)`, evidence, notes: applyAgain };
    }
    // Only the clock stands in the way: say until when.
    const timeHolds = !notBefore || evaluation.now.getTime() >= Date.parse(notBefore.at);
    const alternatives = evaluation.satisfied.filter((r) => r.kind !== 'not_before').length;
    const othersHold =
      config.mode === 'any' ? alternatives > 0 || evaluation.missing.length === 1 : evaluation.missing.length === 1;
    const summary = !timeHolds && othersHold ? `blocked until ${notBefore!.at} (${notBefore!.meaning})` : waiting;
    return { ...blocked, summary, evidence, missing: evaluation.missing, toConfirm: live.toConfirm, notes: applyAgain };
  });
  const next = firstOpen >= 0 ? stages[firstOpen] : undefined;
  return {
    renewalId: renewal.renewalId,
    variant: renewal.variant,
    checkedAt: now.toISOString(),
    ...(next ? { next: { index: next.index, name: next.name, condition: next.condition as 'ready' | 'blocked' } } : {}),
    stages,
  };
}
