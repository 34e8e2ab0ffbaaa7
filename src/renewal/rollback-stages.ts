// The way back of a renewal, as data: the stages that put the old certificate back under the alias and make the
// receiver decrypt with the old key again, while the old key is still retained. Each way back is the forward
// renewal of its variant run in the other direction, so its stages reuse the forward stages' gate shapes (one gate
// model, src/renewal/gate.ts): in a rollback gate, "the new certificate" a requirement names is the certificate the
// way back moves TO, i.e. the renewal's old certificate, and confirmations name its fingerprint. The construct
// (constructs/renewal-rollback.ts), the manifest, the runbook and `cpi-renewal status` all read this one table.
import type { GateSpec } from './gate';
import type { Party } from './party';
import { renewalStages, type RenewalVariant, type StageName } from './stages';

/** Every stage name of either way back. */
export type RollbackStageName =
  | 'reactivate-old-key'
  | 'stop-sending'
  | 'restore-certificate'
  | 'switch-back-receiver-key'
  | 'retire-new-key'
  | 'resume-sending';

export interface RollbackStageSpec {
  /** 1-based position; stacks are named `<renewal>-rollback-<index>-<name>`. */
  readonly index: number;
  readonly name: RollbackStageName;
  readonly title: string;
  readonly party: Party;
  /** The forward stage whose shape (party and gate) this stage runs in the other direction. */
  readonly mirrors: StageName;
  /** What the stage changes. */
  readonly does: string;
  /** The forward gate's shape under the name `rollback-<name>` (confirmation files differ from the forward ones). */
  readonly gate?: GateSpec;
  /** Applying it is the last step a completed way back needs (status says "rolled back" once the alias agrees). */
  readonly completes?: boolean;
  /** Optional: after it the renewal cannot go forward again (a fresh renewal with a new key name can). */
  readonly final?: boolean;
}

interface WayBackStep {
  readonly name: RollbackStageName;
  readonly mirrors: StageName;
  readonly title: string;
  readonly does: string;
  readonly completes?: boolean;
  readonly final?: boolean;
}

/** Overlap: no downtime; the new key keeps decrypting until the alias holds the old certificate again. */
const OVERLAP: readonly WayBackStep[] = [
  {
    name: 'reactivate-old-key',
    mirrors: 'prepare-receiver',
    title: 'Reactivate the old key on the receiver',
    does: 'Makes the old key active again (the new key stays active): the receiver decrypts for both certificates.',
  },
  {
    name: 'restore-certificate',
    mirrors: 'exchange-certificate',
    title: 'Put the old certificate back under the alias',
    does: 'Exchanges the certificate under the alias back to the old one, only while the alias holds the new one (compare-and-swap); messages use the old key from now on.',
    completes: true,
  },
  {
    name: 'retire-new-key',
    mirrors: 'retire-old-key',
    title: 'Take the new key out of decryption (optional)',
    does: 'Sets the new key back to pending: the receiver no longer decrypts with it. After this the renewal cannot go forward again; renew with a new key name instead.',
    final: true,
  },
];

/** Single-key: inside a downtime window, the forward stages 2-5 with old and new swapped. */
const SINGLE_KEY: readonly WayBackStep[] = [
  {
    name: 'stop-sending',
    mirrors: 'stop-sending',
    title: 'Stop sending: undeploy the iFlows',
    does: 'Undeploys every iFlow that uses the alias (nothing while the alias already holds the old certificate).',
  },
  {
    name: 'restore-certificate',
    mirrors: 'exchange-certificate',
    title: 'Put the old certificate back under the alias',
    does: 'Exchanges the certificate under the alias back to the old one, only while the alias holds the new one (compare-and-swap).',
  },
  {
    name: 'switch-back-receiver-key',
    mirrors: 'switch-receiver-key',
    title: 'Switch the receiver back to the old key',
    does: 'Makes the old key active again, then sets the new key back to pending (add before remove).',
  },
  {
    name: 'resume-sending',
    mirrors: 'resume-sending',
    title: 'Resume sending: redeploy the iFlows',
    does: 'Redeploys every iFlow that uses the alias; they encrypt for the old certificate again.',
    completes: true,
  },
];

/** The gate name of a rollback stage: distinct from the forward gates, so their confirmations never mix. */
export function rollbackGateName(name: RollbackStageName): string {
  return `rollback-${name}`;
}

/** The way back of a renewal of this variant, in the order it is applied. */
export function rollbackStages(variant: RenewalVariant): readonly RollbackStageSpec[] {
  const forward = renewalStages(variant);
  const steps = variant === 'overlap' ? OVERLAP : SINGLE_KEY;
  return steps.map((step, i) => {
    const shape = forward.find((s) => s.name === step.mirrors)!;
    return {
      index: i + 1,
      name: step.name,
      title: step.title,
      party: shape.party,
      mirrors: step.mirrors,
      does: step.does,
      ...(shape.gate ? { gate: { ...shape.gate, name: rollbackGateName(step.name) } } : {}),
      ...(step.completes ? { completes: true } : {}),
      ...(step.final ? { final: true } : {}),
    };
  });
}

/** The stack name of a rollback stage, e.g. `acme-2026-rollback-2-restore-certificate`. */
export function rollbackStackName(renewalId: string, stage: Pick<RollbackStageSpec, 'index' | 'name'>): string {
  return `${renewalId}-rollback-${stage.index}-${stage.name}`;
}

/** A rollback stage as the manifest records it. */
export interface RollbackManifestStage {
  readonly index: number;
  readonly name: RollbackStageName;
  readonly title: string;
  readonly party: Party;
  /** The stack's name. */
  readonly stack: string;
  /** Where Terraform runs the stack, relative to the manifest's directory. */
  readonly stackDir: string;
  readonly gate?: GateSpec;
  readonly mirrors: StageName;
  readonly completes?: boolean;
  readonly final?: boolean;
}

/** The way back as the manifest records it (beside the forward stages). */
export interface RollbackManifest {
  /** Why the receiver keys go back, recorded as their `rollback_reason`. */
  readonly reason: string;
  readonly stages: readonly RollbackManifestStage[];
}
