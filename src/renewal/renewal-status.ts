// Where a renewal stands, stage by stage: a pure function of the renewal manifest synth wrote, the state Terraform
// holds for each stage (read through terraform, so any backend works) and, for the one stage that could be applied
// next, a live evaluation of its gate by the same code the provider runs. Reading files, running terraform, asking
// the tenant and probing the receiver is src/cli/status-command.ts's job; every rule here is tested with parsed
// JSON and a fixed clock.
import { CpiError } from '../errors';
import { parseConfirmationSigners } from './confirmation-signature';
import { momentOf, type GateFacts, type GateSpec } from './gate';
import type { GateEvaluation } from './evidence';
import { describeGate, evidenceLines, missingLines, settledLines, type ConfirmStep } from './gate-report';
import type { ManifestStage, RenewalManifest } from './manifest';
import { type RenewalVariant, type StageName } from './stages';
import { PARTY_TITLES, type Party } from './party';
import { stageEffect, type EffectFacts, type EffectVerdict, type ObservedWorld } from './stage-effect';

export type { ObservedWorld };

/** `applied`: the stage's resources are in its state and its effect holds (or could not be checked: a note says so).
 * `undone`: its resources are in its state, but the live tenant or receiver contradicts its effect (e.g. the alias
 * was put back by hand): `seen` names what. `ready`: its gate is open now, its party can apply it. `blocked`: its
 * gate is closed, waiting for another party (or a time). `pending`: an earlier stage is not applied. */
export type StageCondition = 'applied' | 'undone' | 'ready' | 'blocked' | 'pending';

/** `completed`: every stage applied and the effect of each seen to hold. `unchecked`: every stage applied, but an
 * effect could not be checked (tenant or receiver not readable where status runs). `undone`: some applied stage's
 * effect was undone out of band. `in-progress`: otherwise. */
export type RenewalCondition = 'in-progress' | 'completed' | 'unchecked' | 'undone';

/** What Terraform holds for one stage's stack. */
export interface RecordedState {
  /** Addresses (`type.name`) of the managed resources with at least one instance. */
  readonly resources: readonly string[];
  readonly outputs: Readonly<Record<string, { readonly value: unknown; readonly sensitive: boolean }>>;
  /** Opened gates by gate name: when and on which evidence (the audit trail). */
  readonly gates: Readonly<Record<string, { readonly openedAt?: string; readonly evidence: readonly string[] }>>;
}

/** One stage as status sees it: the manifest's entry, what its configuration declares, what its state holds. */
export interface StageRecord {
  readonly stage: ManifestStage;
  /** The managed resources its synthesized configuration declares, as `type.name`. */
  readonly declared: readonly string[];
  /** Undefined when the stack has no state yet. */
  readonly state?: RecordedState;
  /** Why the state could not be read, when it could not. */
  readonly stateError?: string;
}

/** The live check of the next stage's gate, made by the caller. */
export type LiveGateCheck =
  | { readonly kind: 'evaluated'; readonly evaluation: GateEvaluation; readonly toConfirm: readonly ConfirmStep[] }
  /** The gate could not be checked at all (e.g. a malformed confirmation file, a receiver secret not set). */
  | { readonly kind: 'failed'; readonly detail: string };

/** A moment a gate waits for, where it is known. */
export interface GateMomentStatus {
  /** RFC 3339. */
  readonly at: string;
  /** e.g. `retention ends`. */
  readonly meaning: string;
}

export interface StageStatus {
  readonly index: number;
  readonly name: StageName;
  readonly title: string;
  /** The party who applies the stage. */
  readonly party: Party;
  readonly stack: string;
  readonly condition: StageCondition;
  /** One line for the table, e.g. `blocked until 2027-02-24T10:00:06Z (retention ends)`. */
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
  readonly notBefore?: GateMomentStatus;
  /** applied: the values the stage published (its non-sensitive outputs), e.g. the new fingerprint. */
  readonly outputs: Readonly<Record<string, string>>;
  /** undone: what the live tenant or receiver showed instead of the stage's effect. */
  readonly seen?: string;
  readonly notes: readonly string[];
}

export interface RenewalStatus {
  readonly renewalId: string;
  readonly variant: RenewalVariant;
  /** RFC 3339. */
  readonly checkedAt: string;
  readonly condition: RenewalCondition;
  /** The first stage not applied yet; absent when every stage is applied. */
  readonly next?: { readonly index: number; readonly name: StageName; readonly condition: 'ready' | 'blocked' };
  readonly stages: readonly StageStatus[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A Terraform state (format version 4, as `terraform state pull` prints it), reduced to what status needs. */
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
    resources.push(`${String(r.type)}.${String(r.name)}`);
    const attributes = isRecord(r.instances[0]) && isRecord(r.instances[0].attributes) ? r.instances[0].attributes : {};
    if (r.type === 'cpi_renewal_gate' && typeof attributes.gate === 'string') {
      gates[attributes.gate] = {
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

/** The managed resources a synthesized stack (`cdk.tf.json`) declares, as `type.name`. */
export function declaredResources(json: unknown, source: string): string[] {
  if (!isRecord(json)) throw new CpiError('CPI_STATUS_STACK_UNREADABLE', `${source} is not a JSON object`);
  const declared = isRecord(json.resource) ? json.resource : {};
  return Object.entries(declared).flatMap(([type, byName]) =>
    isRecord(byName) ? Object.keys(byName).map((name) => `${type}.${name}`) : [],
  );
}

const title = (party: string): string => PARTY_TITLES[party as Party] ?? party;

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** RFC 3339 as Terraform writes times: no fractional seconds when there are none. */
const rfc3339 = (date: Date) => date.toISOString().replace('.000Z', 'Z');

function outputOf(records: readonly StageRecord[], stage: StageName, output: string): unknown {
  return records.find((r) => r.stage.name === stage)?.state?.outputs[output]?.value;
}

/**
 * The facts of a gate that the manifest and the recorded outputs give (everything but secrets and the receiver,
 * which the caller adds), and the facts that are not known yet, each saying which stage would publish them.
 */
export function gateFacts(
  manifest: RenewalManifest,
  records: readonly StageRecord[],
  confirmationsDir: string,
): { facts: GateFacts; unresolved: string[] } {
  const unresolved: string[] = [];
  const stageOf = (name: StageName) => {
    const s = manifest.stages.find((m) => m.name === name);
    return s ? `stage ${s.index} ${s.name} (stack ${s.stack})` : name;
  };
  const pem = outputOf(records, manifest.facts.newCertificatePem.stage, manifest.facts.newCertificatePem.output);
  const oldFingerprint = manifest.facts.oldFingerprint
    ? outputOf(records, manifest.facts.oldFingerprint.stage, manifest.facts.oldFingerprint.output)
    : undefined;
  const fingerprint = outputOf(records, manifest.facts.newCertificatePem.stage, 'new_fingerprint_sha256');
  const exchangedAt = outputOf(records, manifest.facts.exchangedAt.stage, manifest.facts.exchangedAt.output);
  const facts: GateFacts = {
    renewalId: manifest.renewalId,
    confirmationsDir,
    alias: manifest.alias,
    iflowIds: manifest.iflowIds,
    retentionDays: manifest.retentionDays,
    ...(manifest.downtimeWindow ? { windowStart: new Date(manifest.downtimeWindow.start) } : {}),
    ...(typeof pem === 'string' && typeof fingerprint === 'string'
      ? { newCertificate: { pem, fingerprintSha256: fingerprint } }
      : {}),
    ...(typeof exchangedAt === 'string' ? { exchangedAt: new Date(exchangedAt) } : {}),
    ...(typeof oldFingerprint === 'string' && oldFingerprint !== '' ? { oldFingerprintSha256: oldFingerprint } : {}),
    // status judges confirmations as the gates do: signed where the renewal lists signers
    ...(manifest.confirmationSigners
      ? { confirmationSigners: parseConfirmationSigners(manifest.confirmationSigners, 'the manifest') }
      : {}),
  };
  if (!facts.newCertificate)
    unresolved.push(
      `the new certificate is published by ${stageOf(manifest.facts.newCertificatePem.stage)}, which is not applied yet`,
    );
  if (!facts.exchangedAt)
    unresolved.push(
      `the exchange time is published by ${stageOf(manifest.facts.exchangedAt.stage)}, which is not applied yet`,
    );
  return { facts, unresolved };
}

/** The facts a gate's requirements need that are not known yet. */
export function unresolvedFor(gate: GateSpec, unresolved: readonly string[]): string[] {
  const needs = (word: string) => unresolved.filter((u) => u.startsWith(word));
  const out = new Set<string>();
  for (const r of gate.requirements) {
    if (r.kind === 'confirmation' || r.kind === 'probe' || (r.kind === 'tenant_alias' && r.certificate === 'new'))
      needs('the new certificate').forEach((u) => out.add(u));
    if (r.kind === 'not_before' && r.moment === 'retention_end') needs('the exchange time').forEach((u) => out.add(u));
  }
  return [...out];
}

function momentStatus(gate: GateSpec | undefined, facts: GateFacts): GateMomentStatus | undefined {
  const r = gate?.requirements.find((q) => q.kind === 'not_before');
  if (r?.kind !== 'not_before') return undefined;
  const at = momentOf(r.moment, facts);
  if (!at) return undefined;
  return { at: rfc3339(at), meaning: r.moment === 'retention_end' ? 'retention ends' : 'the downtime window begins' };
}

function publishedOutputs(state: RecordedState | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, o] of Object.entries(state?.outputs ?? {}))
    if (!o.sensitive) out[name] = typeof o.value === 'string' ? o.value : JSON.stringify(o.value);
  return out;
}

interface Applied {
  readonly applied: boolean;
}

/** A stage is applied when its state holds every resource it declares (each stage has a state of its own). */
function appliedStages(records: readonly StageRecord[]): Applied[] {
  return records.map((r) => {
    const have = new Set(r.state?.resources ?? []);
    return { applied: r.declared.length > 0 && r.declared.every((d) => have.has(d)) };
  });
}

/** The stage whose gate status must check live: the first not applied, unless its gate already opened. */
export function stageToCheck(records: readonly StageRecord[]): StageRecord | undefined {
  const applied = appliedStages(records);
  const next = records.find((_, i) => !applied[i]!.applied);
  const gate = next?.stage.gate;
  if (!next || !gate || next.state?.gates[gate.name]) return undefined;
  return next;
}

/** The facts the stages' effects refer to, from the manifest and the gate facts. */
function effectFacts(manifest: RenewalManifest, facts: GateFacts): EffectFacts {
  return {
    variant: manifest.variant,
    alias: manifest.alias,
    iflowIds: manifest.iflowIds,
    newKeyName: manifest.newKeyName,
    oldKeyName: manifest.oldKeyName,
    ...(facts.newCertificate ? { newFingerprint: facts.newCertificate.fingerprintSha256 } : {}),
    ...(facts.oldFingerprintSha256 ? { oldFingerprint: facts.oldFingerprintSha256 } : {}),
  };
}

/**
 * Each stage's condition at `now`. `live` is the caller's evaluation of the gate of {@link stageToCheck} (absent
 * when there was none to check, or its facts were unresolved). `world` is what the caller saw of the tenant and
 * the receiver, against which each applied stage's effect is checked (absent: not checked, a note says so).
 */
export function renewalStatus(
  manifest: RenewalManifest,
  records: readonly StageRecord[],
  facts: { facts: GateFacts; unresolved: readonly string[] },
  live: LiveGateCheck | undefined,
  now: Date,
  world?: ObservedWorld,
): RenewalStatus {
  const applied = appliedStages(records);
  const firstOpen = applied.findIndex((a) => !a.applied);
  const appliedNames = new Set(records.flatMap((r, i) => (applied[i]!.applied ? [r.stage.name] : [])));
  const effects = effectFacts(manifest, facts.facts);
  let unchecked = false;
  const verdictOf = (name: StageName): EffectVerdict => {
    const verdict: EffectVerdict = world
      ? stageEffect(name, effects, world, appliedNames)
      : { kind: 'unknown', why: 'the tenant and the receiver were not read' };
    if (verdict.kind === 'unknown') unchecked = true;
    return verdict;
  };
  const stages = records.map((record, i): StageStatus => {
    const { stage, state } = record;
    const gate = stage.gate;
    const notBefore = momentStatus(gate, facts.facts);
    const base = {
      index: stage.index,
      name: stage.name,
      title: stage.title,
      party: stage.party,
      stack: stage.stack,
      waitingFor: [] as Party[],
      evidence: [] as string[],
      missing: [] as string[],
      toConfirm: [] as ConfirmStep[],
      ...(notBefore ? { notBefore } : {}),
      outputs: {} as Record<string, string>,
      notes: record.stateError ? [`its state could not be read: ${record.stateError}`] : ([] as string[]),
    };
    if (applied[i]!.applied) {
      const recorded = gate ? state?.gates[gate.name] : undefined;
      const notes = [...base.notes];
      const openedAt = recorded?.openedAt;
      const verdict = verdictOf(stage.name);
      // Not observed at all (no world given): the renewal's condition says `unchecked`; no note on every stage.
      if (verdict.kind === 'unknown' && world)
        notes.push(`its effect was not checked: ${[verdict.why, ...(world?.unobserved ?? [])].join('; ')}`);
      if (verdict.kind === 'superseded') notes.push(`its effect was superseded by stage ${verdict.by}, as planned`);
      if (verdict.kind === 'undone') {
        notes.push('apply the stage again to restore its effect, or roll the renewal back');
        return {
          ...base,
          condition: 'undone',
          summary: `undone: ${verdict.seen}`,
          seen: verdict.seen,
          ...(openedAt ? { openedAt } : {}),
          evidence: recorded?.evidence ?? [],
          outputs: publishedOutputs(state),
          notes,
        };
      }
      return {
        ...base,
        condition: 'applied',
        summary: openedAt ? `applied (gate opened ${openedAt})` : 'applied',
        ...(openedAt ? { openedAt } : {}),
        evidence: recorded?.evidence ?? [],
        outputs: publishedOutputs(state),
        notes,
      };
    }
    if (i !== firstOpen) {
      const before = records[firstOpen]!.stage;
      return { ...base, condition: 'pending', summary: `pending: after stage ${before.index} ${before.name}` };
    }
    const have = new Set(state?.resources ?? []);
    const missingResources = record.declared.filter((d) => !have.has(d));
    const applyAgain =
      have.size > 0 && record.declared.some((d) => have.has(d))
        ? [...base.notes, `partly applied: ${missingResources.join(', ')} not in state yet; apply the stage again`]
        : base.notes;
    const readyFor = `ready: the ${title(stage.party)} can apply it`;
    if (!gate) return { ...base, condition: 'ready', summary: `${readyFor} (no gate)`, notes: applyAgain };
    const recorded = state?.gates[gate.name];
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
    const blocked = {
      ...base,
      condition: 'blocked' as const,
      waitingFor: [...gate.waitsFor],
      action: describeGate(gate),
      notes: applyAgain,
    };
    const waiting = `blocked: waiting for the ${joinAnd(gate.waitsFor.map(title))}`;
    const unresolved = unresolvedFor(gate, facts.unresolved);
    if (unresolved.length > 0)
      return { ...blocked, summary: waiting, missing: unresolved.map((u) => `the gate cannot be checked: ${u}`) };
    if (!live) return { ...blocked, summary: waiting, missing: ['the gate was not checked'] };
    if (live.kind === 'failed')
      return { ...blocked, summary: waiting, missing: [`the gate cannot be checked: ${live.detail}`] };
    const { results } = live.evaluation;
    const evidence = evidenceLines(results);
    if (live.evaluation.open)
      return { ...base, condition: 'ready', summary: `${readyFor} (gate open now)`, evidence, notes: applyAgain };
    if (live.evaluation.settled) {
      const settled = settledLines(live.evaluation.settledResults);
      return {
        ...base,
        condition: 'ready',
        summary: `${readyFor} (settled: its effect holds already)`,
        evidence: settled,
        notes: applyAgain,
      };
    }
    // Only the clock stands in the way: say until when.
    const onlyTime = results.every((r) => r.holds || r.requirement.kind === 'not_before');
    const othersHold =
      onlyTime || (gate.mode === 'any' && results.some((r) => r.holds && r.requirement.kind !== 'not_before'));
    const timeAhead = results.some((r) => !r.holds && r.requirement.kind === 'not_before');
    const summary =
      timeAhead && othersHold && notBefore ? `blocked until ${notBefore.at} (${notBefore.meaning})` : waiting;
    return { ...blocked, summary, evidence, missing: missingLines(results), toConfirm: live.toConfirm };
  });
  const next = firstOpen >= 0 ? stages[firstOpen] : undefined;
  const condition: RenewalCondition = stages.some((s) => s.condition === 'undone')
    ? 'undone'
    : firstOpen >= 0
      ? 'in-progress'
      : unchecked
        ? 'unchecked'
        : 'completed';
  return {
    renewalId: manifest.renewalId,
    variant: manifest.variant,
    checkedAt: now.toISOString(),
    condition,
    ...(next ? { next: { index: next.index, name: next.name, condition: next.condition as 'ready' | 'blocked' } } : {}),
    stages,
  };
}
