// The gate in people's words: what a requirement asks, what the waited-for party must do, the one
// `cpi-renewal confirm` command line, and the closed-gate message. The provider, `cpi-renewal status` and the
// runbook all print through this file; nothing else turns a gate into text.
import { shellWord } from '../shell-word';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import type { GateFacts, GateMode, GateRequirement, GateSpec } from './gate';
import type { GateEvaluation } from './evidence';
import type { RequirementResult } from './gate-decision';
import { SIGNATURE_NAMESPACE } from './confirmation-signature';
import { PARTY_TITLES, type Party } from './party';

/** What the person puts after `--sign-with`: the key Git signs their commits with (`git config user.signingkey`). */
export const SIGNING_KEY_PLACEHOLDER = '<your SSH key file, e.g. ~/.ssh/id_ed25519>';

/** One line on signed confirmations, for gate messages and the runbook. */
export function signingNote(): string {
  return `This renewal accepts only SSH-signed confirmations: \`--sign-with\` signs with \`ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE}\` (the key must be among the party's confirmation signers; docs/signed-confirmations.md).`;
}

/** The default `--dir` of `cpi-renewal confirm`: confirmations live in `<dir>/<renewal>/confirmations`. */
export const CONFIRMATIONS_ROOT = 'renewals';

/** What a requirement asks, e.g. "the tenant alias holds the new certificate". */
export function describeRequirement(r: GateRequirement): string {
  switch (r.kind) {
    case 'confirmation':
      return `the ${PARTY_TITLES[r.party]} confirms`;
    case 'probe':
      return 'the receiver decrypts a probe encrypted for the new certificate';
    case 'tenant_alias':
      return `the tenant alias holds the ${r.certificate} certificate`;
    case 'iflow_state':
      return `every iFlow that uses the alias is ${r.state}`;
    case 'not_before':
      return r.moment === 'window_start'
        ? 'the downtime window has begun'
        : 'the retention period after the exchange has ended';
  }
}

/** What the waited-for party must have done: the requirements joined by the gate's mode. */
export function describeGate(gate: {
  readonly mode: GateMode;
  readonly requirements: readonly GateRequirement[];
}): string {
  const alternatives = gate.requirements.filter((r) => r.kind !== 'not_before').map(describeRequirement);
  const times = gate.requirements.filter((r) => r.kind === 'not_before').map(describeRequirement);
  const rest = alternatives.join(gate.mode === 'any' ? ' or ' : ' and ');
  return [rest, ...times].filter((s) => s !== '').join(' and ');
}

/** The parties, titled: "receiver administrator (receiver-admin) and tenant administrator (tenant-admin)". */
export function describeParties(parties: readonly Party[]): string {
  return parties.map((p) => `${PARTY_TITLES[p] ?? p} (${p})`).join(' and ');
}

/**
 * Where a person runs `cpi-renewal confirm` and what they commit. Terraform runs in the stack directory (under cdktf,
 * `cdktf.out/stacks/<stack>`), but people work from the project root: the nearest directory above with a
 * `cdktf.json` or `.git`, else the working directory itself. Paths are shown relative to that root when the
 * confirmations live inside it, else absolute.
 */
export function confirmationLocation(confirmationsDir: string, cwd = process.cwd()): { root: string; dir: string } {
  const absolute = resolve(cwd, confirmationsDir);
  let root = resolve(cwd); // plain Terraform: people work where the configuration is
  for (let dir = root; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdktf.json')) || existsSync(join(dir, '.git'))) {
      root = dir;
      break;
    }
  }
  const inside = relative(root, absolute);
  return inside.startsWith('..') || isAbsolute(inside) ? { root, dir: absolute } : { root, dir: inside || '.' };
}

/**
 * THE `cpi-renewal confirm` command line: writes the confirmation `party` gives for `gate` into `dir` (as shown to
 * the person, relative to where they run it). `--dir` is left out for the default `renewals/<renewal>/confirmations`.
 */
export function confirmCommand(options: {
  readonly renewalId: string;
  readonly gate: string;
  readonly party: Party;
  /** The fingerprint, or a shell expression such as `"$FINGERPRINT"`. */
  readonly fingerprint: string;
  readonly dir: string;
  /** The renewal asks for SSH-signed confirmations: the command signs with the person's key. */
  readonly signed?: boolean;
}): string {
  const dir = normalize(options.dir);
  const root = join(dir, '..', '..');
  const standard = normalize(join(root, options.renewalId, 'confirmations')) === dir;
  const where = standard
    ? root === CONFIRMATIONS_ROOT
      ? ''
      : ` --dir ${shellWord(root)}`
    : ` --confirmations-dir ${shellWord(dir)}`;
  // the fingerprint may be a shell expression such as "$FINGERPRINT" and is passed through as it is
  const sign = options.signed ? ` --sign-with "${SIGNING_KEY_PLACEHOLDER}"` : '';
  return `cpi-renewal confirm --renewal ${shellWord(options.renewalId)} --gate ${shellWord(options.gate)} --party ${shellWord(options.party)} --fingerprint ${options.fingerprint} --person "<your name>"${where}${sign}`;
}

/** A `cpi-renewal confirm` command that would supply a missing confirmation, and the file to commit. */
export interface ConfirmStep {
  readonly party: Party;
  readonly command: string;
  readonly file: string;
}

/** The confirm steps for the confirmations the evaluation found missing. */
export function confirmSteps(
  gate: GateSpec,
  facts: GateFacts,
  results: readonly RequirementResult[],
  location: { readonly dir: string },
): ConfirmStep[] {
  const fingerprint = facts.newCertificate?.fingerprintSha256;
  if (!fingerprint) return [];
  const file = join(normalize(location.dir), `${gate.name}.json`);
  return results.flatMap((r) =>
    r.requirement.kind === 'confirmation' && !r.holds
      ? [
          {
            party: r.requirement.party,
            command: confirmCommand({
              renewalId: facts.renewalId,
              gate: gate.name,
              party: r.requirement.party,
              fingerprint,
              dir: location.dir,
              signed: facts.confirmationSigners !== undefined,
            }),
            file,
          },
        ]
      : [],
  );
}

/** The lines of evidence that hold: the audit trail stored in state. */
export function evidenceLines(results: readonly RequirementResult[]): string[] {
  return results.filter((r) => r.holds).map((r) => r.message);
}

/** The audit lines of a gate found settled rather than open: why re-applying its stage changes nothing. */
export function settledLines(results: readonly RequirementResult[]): string[] {
  return results.filter((r) => r.holds).map((r) => `settled: ${r.message}`);
}

/** The requirements that do not hold, each saying what is awaited and what was seen instead. */
export function missingLines(results: readonly RequirementResult[]): string[] {
  return results.filter((r) => !r.holds).map((r) => `${r.message} [${r.reason}]`);
}

/** The closed-gate message: which gate, who must act, what exactly to do, and what was found so far. */
export function closedGateMessage(
  gate: GateSpec,
  facts: GateFacts,
  evaluation: GateEvaluation,
  location = confirmationLocation(facts.confirmationsDir),
): string {
  const steps = confirmSteps(gate, facts, evaluation.results, location);
  const combine = gate.mode === 'any' ? 'any one of these suffices' : 'all of these are needed';
  const hasTime = gate.requirements.some((r) => r.kind === 'not_before');
  const found = evidenceLines(evaluation.results);
  const contrary = evaluation.contrary.map((r) => `  - ${r.message} [${r.reason}]`);
  const lines = [
    `gate "${gate.name}" of renewal "${facts.renewalId}" is closed.`,
    `Waiting for: ${describeParties(gate.waitsFor)}.`,
    `What they must do: ${describeGate(gate)}.`,
    ...(contrary.length > 0 && found.length > 0
      ? ['What the provider observed contradicts it, and a confirmation cannot overrule an observation:', ...contrary]
      : []),
    `Missing (${combine}${hasTime ? '; not_before must hold in any case' : ''}):`,
    ...missingLines(evaluation.results).map((m) => `  - ${m}`),
    ...(steps.length > 0
      ? [
          ...(facts.confirmationSigners ? [signingNote()] : []),
          `To confirm (from ${location.root}):`,
          ...steps.map((s) => `  ${s.party} runs: ${s.command}\n    and commits ${s.file}`),
        ]
      : []),
    `Evidence found so far: ${found.length === 0 ? 'none' : ''}`,
    ...found.map((line) => `  - ${line}`),
    `Checked at ${evaluation.now.toISOString()}; confirmations are read from ${evaluation.confirmationFile}.`,
  ];
  return lines.join('\n');
}
