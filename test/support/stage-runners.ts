// The two ways a pipeline runs a renewal's stages, as the tests drive them through the renewal harness: the cdktf CLI (`cdktf diff <stack>`,
// then `cdktf deploy <stack> --auto-approve`) and plain Terraform on the synthesized stacks (`terraform -chdir=<stack>
// plan -out`, then `apply <planfile>`). Both expose the same three steps so that a test reads the same either way.
import assert from 'node:assert/strict';
import type { CommandRun } from './command';
import type { RenewalHarness } from './renewal-harness';

/** The plan and apply steps of one runner, per stage name (e.g. `exchange-certificate`). */
export interface StageRunner {
  /** The reviewed plan: `cdktf diff` or `terraform plan -out`. Exit code 1 while the stage's gate is closed. */
  plan(stage: string): Promise<CommandRun>;
  /** Applies what `plan` showed: `cdktf deploy --skip-synth` or `terraform apply <planfile>`. */
  apply(stage: string): Promise<CommandRun>;
  /** `plan`, then `apply`, each asserted to succeed; returns the apply. */
  planAndApply(stage: string): Promise<CommandRun>;
  /**
   * Applies with no reviewed plan, as a job that skips the plan step would: `cdktf deploy` (which plans for itself,
   * so the same as `apply`) or `terraform apply -auto-approve`.
   */
  applyUnreviewed(stage: string): Promise<CommandRun>;
}

/** Which CLI drives the stages: `cdktf` (diff / deploy) or plain `terraform` (plan -out / apply). */
export type RunnerKind = 'cdktf' | 'terraform';

/**
 * A per-stage pipeline job selects its one stage; whether the stages before it were applied is then the gates'
 * business, not the CLI's stack selection.
 */
export const IGNORE_MISSING_STACKS = '--ignore-missing-stack-dependencies';
const PLAN_FILE = 'stage.tfplan';

/**
 * Stages through the cdktf CLI in the world's project directory. `plan` (`cdktf diff`) synthesizes through the app
 * unless `skipSynth()` says so (the app is deterministic: once one diff has synthesized, later synths write the same
 * stacks and only cost seconds). `apply` (`cdktf deploy --skip-synth`) deploys what the last synth wrote, as a
 * pipeline's apply job uses its plan job's output, and selects its stage alone (IGNORE_MISSING_STACKS), as a
 * per-stage job does. To see cdktf's own refusal of a stage without its predecessors, call `world.cdktf` directly.
 */
export function cdktfRunner(world: RenewalHarness, options: { skipSynth?: () => boolean } = {}): StageRunner {
  const plan = (stage: string) =>
    world.cdktf(['diff', world.stackName(stage), ...(options.skipSynth?.() ? ['--skip-synth'] : [])]);
  const apply = (stage: string) =>
    world.cdktf(['deploy', world.stackName(stage), '--auto-approve', '--skip-synth', IGNORE_MISSING_STACKS]);
  return { plan, apply, planAndApply: (stage) => planThenApply(stage, plan, apply), applyUnreviewed: apply };
}

/**
 * Stages through plain Terraform on the stacks `world.synthAndInit()` wrote and initialized (init needs no evidence,
 * so a pipeline's checkout job inits every stage up front).
 */
export function terraformRunner(world: RenewalHarness): StageRunner {
  const plan = (stage: string): Promise<CommandRun> =>
    world.terraform(stage, ['plan', '-input=false', `-out=${PLAN_FILE}`]);
  // applies exactly the reviewed plan; the provider decides the gate again at apply
  const apply = (stage: string): Promise<CommandRun> => world.terraform(stage, ['apply', '-input=false', PLAN_FILE]);
  return {
    plan,
    apply,
    planAndApply: (stage) => planThenApply(stage, plan, apply),
    applyUnreviewed: (stage) => world.terraform(stage, ['apply', '-input=false', '-auto-approve']),
  };
}

/**
 * The runner of `kind`, ready for a renewal's first stage. Plain terraform needs the stacks synthesized and every
 * stage initialized first (as a pipeline's checkout job does); cdktf synthesizes on its first diff (`cdktfOptions`
 * as for `cdktfRunner`).
 */
export async function startStageRunner(
  kind: RunnerKind,
  world: RenewalHarness,
  cdktfOptions: { skipSynth?: () => boolean } = {},
): Promise<StageRunner> {
  if (kind === 'cdktf') return cdktfRunner(world, cdktfOptions);
  await world.synthAndInit();
  return terraformRunner(world);
}

async function planThenApply(
  stage: string,
  plan: (stage: string) => Promise<CommandRun>,
  apply: (stage: string) => Promise<CommandRun>,
): Promise<CommandRun> {
  const planned = await plan(stage);
  assert.equal(planned.code, 0, `plan of ${stage}:\n${planned.output}`);
  const applied = await apply(stage);
  assert.equal(applied.code, 0, `apply of ${stage}:\n${applied.output}`);
  return applied;
}
