// Where the way back of a renewal stands (docs/rollback.md): a pure function of the manifest's rollback stages,
// what Terraform holds for each of their stacks, and the certificate the tenant alias holds now. Reading state and
// asking the tenant is src/cli/status-command.ts's job.
import { sameFingerprint } from '../rules/fingerprint';
import type { RecordedState } from './renewal-status';
import type { RollbackManifest, RollbackManifestStage, RollbackStageName } from './rollback-stages';
import type { Party } from './party';

/**
 * `not started`: no rollback stack has state. `in progress`: some are applied, the way back is not complete.
 * `rolled back`: the stage that completes the way back is applied and the alias holds the old certificate.
 * `forward again`: the way back was completed, and the alias holds another certificate since (a renewal went on).
 */
export type RollbackOutcome = 'not started' | 'in progress' | 'rolled back' | 'forward again';

export interface RollbackStageRecord {
  readonly stage: RollbackManifestStage;
  /** The managed resources its synthesized configuration declares, as `type.name`. */
  readonly declared: readonly string[];
  readonly state?: RecordedState;
  readonly stateError?: string;
}

export interface RollbackStageStatus {
  readonly index: number;
  readonly name: RollbackStageName;
  readonly title: string;
  readonly party: Party;
  readonly stack: string;
  readonly applied: boolean;
  /** applied: when its gate opened, from state. */
  readonly openedAt?: string;
  readonly summary: string;
}

export interface RollbackStatus {
  readonly outcome: RollbackOutcome;
  /** The old certificate's fingerprint, once the first rollback stage published it. */
  readonly oldFingerprint?: string;
  readonly stages: readonly RollbackStageStatus[];
  readonly notes: readonly string[];
}

/** The way back's status; `aliasFingerprint` is what the tenant alias holds now (undefined: not known). */
export function rollbackStatus(
  manifest: RollbackManifest,
  records: readonly RollbackStageRecord[],
  aliasFingerprint: string | undefined,
): RollbackStatus {
  const notes: string[] = [];
  const applied = records.map((r) => {
    const have = new Set(r.state?.resources ?? []);
    return r.declared.length > 0 && r.declared.every((d) => have.has(d));
  });
  const first = records[0]?.state?.outputs.old_fingerprint_sha256?.value;
  const oldFingerprint = typeof first === 'string' ? first : undefined;
  const stages = records.map((record, i): RollbackStageStatus => {
    const gate = record.stage.gate ? record.state?.gates[record.stage.gate.name] : undefined;
    if (record.stateError) notes.push(`stage ${record.stage.index} ${record.stage.name}: ${record.stateError}`);
    const optional = manifest.stages[i]?.final ? ' (optional, final)' : '';
    return {
      index: record.stage.index,
      name: record.stage.name,
      title: record.stage.title,
      party: record.stage.party,
      stack: record.stage.stack,
      applied: applied[i]!,
      ...(gate?.openedAt ? { openedAt: gate.openedAt } : {}),
      summary: applied[i]
        ? gate?.openedAt
          ? `applied (gate opened ${gate.openedAt})`
          : 'applied'
        : `not applied${optional}`,
    };
  });
  const completing = records.findIndex((r) => r.stage.completes);
  const completed = completing >= 0 && applied.slice(0, completing + 1).every(Boolean);
  let outcome: RollbackOutcome;
  if (!applied.some(Boolean)) outcome = 'not started';
  else if (!completed) outcome = 'in progress';
  else if (aliasFingerprint === undefined || oldFingerprint === undefined) {
    outcome = 'rolled back';
    notes.push('the tenant alias was not read: "rolled back" is as recorded in state');
  } else if (sameFingerprint(aliasFingerprint, oldFingerprint)) outcome = 'rolled back';
  else {
    outcome = 'forward again';
    notes.push(`the alias holds sha256=${aliasFingerprint} now, not the old certificate the way back restored`);
  }
  return { outcome, ...(oldFingerprint ? { oldFingerprint } : {}), stages, notes };
}

/** The way back as lines for `cpi-renewal status`. */
export function formatRollbackStatus(status: RollbackStatus): string[] {
  const out = ['', `Way back: ${status.outcome}`];
  for (const s of status.stages) out.push(`  back ${s.index}  ${s.name}  ${s.summary}`);
  if (status.oldFingerprint) out.push(`  old certificate sha256=${status.oldFingerprint}`);
  out.push(...status.notes.map((n) => `  note: ${n}`));
  return out;
}
