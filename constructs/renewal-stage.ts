// A stage of a renewal (or of its way back) as the constructs report it: the stage table's entry
// (src/renewal/stages.ts, src/renewal/rollback-stages.ts) in a shape every jsii language can read.
import type { GateSpec } from '../src/renewal/gate';
import type { Party } from '../src/renewal/party';
import { requirementProps, type GateRequirement } from './gate-requirement';

/** The gate in front of a stage. */
export interface RenewalGateSpec {
  /** The gate's name (confirmations name it), e.g. `exchange-certificate`. */
  readonly name: string;
  /** The parties whose action the gate waits for. */
  readonly waitsFor: string[];
  /** `all`: every requirement must hold; `any`: one suffices (a not_before requirement always must hold). */
  readonly mode: string;
  /** What must hold for the gate to open. */
  readonly requirements: GateRequirement[];
  /**
   * Facts that show the stage's effect already holds: then the gate is settled and re-applying plans no change.
   * @default - none
   */
  readonly settledBy?: GateRequirement[];
}

/** One stage: a Terraform stack applied by one party, behind a gate. */
export interface RenewalStage {
  /** 1-based position in the order the stages are applied. */
  readonly index: number;
  /** The stage's name, e.g. `exchange-certificate`. */
  readonly name: string;
  /** What the stage is, in a few words. */
  readonly title: string;
  /** The party who applies the stage: `receiver-admin`, `tenant-admin` or `integration-developer`. */
  readonly party: string;
  /**
   * The gate in front of the stage.
   * @default - none (the first stage)
   */
  readonly gate?: RenewalGateSpec;
}

/**
 * A stage table entry as props.
 * @internal
 */
export function renewalStage(stage: {
  readonly index: number;
  readonly name: string;
  readonly title: string;
  readonly party: Party;
  readonly gate?: GateSpec;
}): RenewalStage {
  const { gate } = stage;
  return {
    index: stage.index,
    name: stage.name,
    title: stage.title,
    party: stage.party,
    ...(gate
      ? {
          gate: {
            name: gate.name,
            waitsFor: [...gate.waitsFor],
            mode: gate.mode,
            requirements: gate.requirements.map(requirementProps),
            ...(gate.settledBy ? { settledBy: gate.settledBy.map(requirementProps) } : {}),
          },
        }
      : {}),
  };
}
