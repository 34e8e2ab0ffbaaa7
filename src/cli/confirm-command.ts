// `cpi-renewal confirm`: a party records that their part is done, as a file they commit for review. The gate in
// front of the next stage reads it and opens only if it names this renewal, this gate and this certificate.
import { shellWord } from '../shell-word';
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CpiError } from '../errors';
import { allRequirements, type GateSpec } from '../renewal/gate';
import { readManifests } from '../renewal/manifest';
import { defaultConfirmationsDir, isParty, isSafeName, writeConfirmation } from '../renewal/confirmation';
import { isSha256Fingerprint, normalizeFingerprint } from '../rules/fingerprint';
import { PARTY_TITLES, type Party } from '../renewal/party';
import { SIGNATURE_NAMESPACE, signedPayload, type SignedFields } from '../renewal/confirmation-signature';

export interface ConfirmOptions {
  readonly renewal: string;
  readonly gate: string;
  readonly party: string;
  readonly fingerprint: string;
  readonly person: string;
  /** Root of the renewals; the file goes to `<dir>/<renewal>/confirmations/<gate>.json`. @default 'renewals' */
  readonly dir?: string;
  /** The confirmations directory itself, for a gate with a custom `confirmations_dir`; overrides `dir`. */
  readonly confirmationsDir?: string;
  /**
   * Sign the confirmation with this SSH key, as Git's `user.signingkey` names one: a private key file, or a public
   * key file (or `key::<public key>`) whose private key is in ssh-agent. Runs `ssh-keygen -Y sign`.
   */
  readonly signWith?: string;
  /** Sign with the key of `git config user.signingkey` (what `git commit -S` uses with `gpg.format ssh`). */
  readonly sign?: boolean;
  /**
   * The cdktf output directory holding the renewal's manifest, against which the gate and the party are checked.
   * @default 'cdktf.out' (relative to `cwd`)
   */
  readonly outdir?: string;
  /** Write without checking gate and party against a manifest: for a cpi_renewal_gate in plain HCL (no construct). */
  readonly unchecked?: boolean;
}

export interface ConfirmResult {
  /** The file written. */
  readonly path: string;
  /** What to tell the user: what was confirmed and what to commit. */
  readonly message: string;
  /** What was written, for `--json`. */
  readonly confirmation: {
    readonly renewalId: string;
    readonly gate: string;
    readonly party: string;
    readonly person: string;
    readonly fingerprintSha256: string;
    readonly confirmedAt: string;
    readonly signed: boolean;
    /** The gate was checked against the renewal's manifest (false with `--unchecked`). */
    readonly checked: boolean;
  };
  /** The command that commits the file. */
  readonly commit: string;
}

/** The gates of a renewal, forward and way back, by name. */
function gatesOf(manifest: ReturnType<typeof readManifests>[number]['manifest']): Map<string, GateSpec> {
  const gates = new Map<string, GateSpec>();
  for (const stage of [...manifest.stages, ...(manifest.rollback?.stages ?? [])])
    if (stage.gate) gates.set(stage.gate.name, stage.gate);
  return gates;
}

/**
 * Refuses a confirmation no gate of the renewal would ever count: a renewal without a manifest in `outdir`, a gate
 * the renewal does not have, a party the gate does not take a confirmation from.
 */
function checkAgainstRenewal(renewal: string, gate: string, party: Party, outdir: string): void {
  let found: ReturnType<typeof readManifests> = [];
  let unreadable = '';
  try {
    found = readManifests(outdir);
  } catch (error) {
    unreadable = ` (${error instanceof CpiError ? error.detail : (error as Error).message})`;
  }
  const manifest = found.find((r) => r.manifest.renewalId === renewal)?.manifest;
  if (!manifest) {
    const held = found.map((r) => `"${r.manifest.renewalId}"`).join(', ');
    throw new CpiError(
      'CPI_CONFIRM_RENEWAL_UNKNOWN',
      `--renewal "${renewal}": ${resolve(outdir)} holds no manifest renewal-${renewal}.json${unreadable}${held ? `; it holds ${held}` : ''}. Run \`cdktf synth\` first or pass --outdir; for a gate in plain HCL pass --unchecked; nothing was written`,
    );
  }
  const gates = gatesOf(manifest);
  const spec = gates.get(gate);
  if (!spec)
    throw new CpiError(
      'CPI_CONFIRM_GATE_UNKNOWN',
      `--gate "${gate}" is not a gate of renewal "${renewal}"; its gates are ${[...gates.keys()].join(', ')}; nothing was written`,
    );
  const asked = [...new Set(allRequirements(spec).flatMap((r) => (r.kind === 'confirmation' ? [r.party] : [])))];
  if (!asked.includes(party))
    throw new CpiError(
      'CPI_CONFIRM_PARTY_NOT_ASKED',
      asked.length === 0
        ? `--party "${party}": gate "${gate}" of renewal "${renewal}" takes no confirmation (it opens on ${allRequirements(
            spec,
          )
            .map((r) => r.kind)
            .join(', ')}); nothing was written`
        : `--party "${party}": gate "${gate}" of renewal "${renewal}" takes confirmations from ${asked.join(', ')} only; nothing was written`,
    );
}

/** Checks the options, writes the confirmation and says what to commit. */
export function confirm(options: ConfirmOptions, now: Date = new Date(), cwd: string = process.cwd()): ConfirmResult {
  const { renewal, gate, party, fingerprint } = options;
  const person = options.person.trim();
  if (!isSafeName(renewal))
    throw new CpiError('CPI_VALUE_INVALID', `--renewal "${renewal}" must consist of letters, digits, ".", "_" and "-"`);
  if (!isSafeName(gate))
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `--gate "${gate}" must consist of letters, digits, ".", "_" and "-" (the name of the stage the gate opens)`,
    );
  if (!isParty(party))
    throw new CpiError('CPI_VALUE_INVALID', `--party "${party}" is not one of ${Object.keys(PARTY_TITLES).join(', ')}`);
  if (!isSha256Fingerprint(fingerprint)) {
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `--fingerprint "${fingerprint}" is not a SHA-256 fingerprint; expected 64 hex digits, optionally colon-separated`,
    );
  }
  if (person === '')
    throw new CpiError('CPI_VALUE_INVALID', '--person is empty; give the name that should stand in the audit trail');
  if (!options.unchecked) checkAgainstRenewal(renewal, gate, party, resolve(cwd, options.outdir ?? 'cdktf.out'));
  const dir = options.confirmationsDir ?? defaultConfirmationsDir(renewal, options.dir ?? 'renewals');
  const fields: SignedFields = {
    renewalId: renewal,
    gate,
    fingerprintSha256: normalizeFingerprint(fingerprint),
    party,
    person,
    confirmedAt: now,
  };
  const key = options.signWith ?? (options.sign ? gitSigningKey(cwd) : undefined);
  const signature = key === undefined ? undefined : signWithSshKeygen(signedPayload(fields), key, cwd);
  const path = writeConfirmation(dir, { ...fields, ...(signature === undefined ? {} : { signature }) });
  const shown = relative(cwd, path) || path;
  const commit = `git add ${shellWord(shown)} && git commit -m ${shellWord(`${renewal}: ${party} confirms ${gate}`)} -- ${shellWord(shown)}`;
  const message = [
    `${person} (${PARTY_TITLES[party]}) confirms gate "${gate}" of renewal "${renewal}" for the certificate ${normalizeFingerprint(fingerprint)}${key === undefined ? '' : `, signed with ${key}`}.`,
    `Wrote ${shown}. Commit it for review; the gate opens on the next plan once it is merged:`,
    `  ${commit}`,
  ].join('\n');
  const confirmation = {
    renewalId: renewal,
    gate,
    party,
    person,
    fingerprintSha256: fields.fingerprintSha256,
    confirmedAt: now.toISOString(),
    signed: signature !== undefined,
    checked: !options.unchecked,
  };
  return { path, message, confirmation, commit };
}

export function registerConfirmCommand(program: Command): void {
  program
    .command('confirm')
    .description('Confirm, as one party of a renewal, that a gate may open: writes a confirmation file to commit.')
    .requiredOption('--renewal <id>', 'the renewal id, e.g. acme-2026')
    .requiredOption('--gate <name>', 'the gate: the name of the stage it opens, e.g. exchange-certificate')
    .requiredOption('--party <party>', `who confirms: ${Object.keys(PARTY_TITLES).join(' | ')}`)
    .requiredOption('--fingerprint <sha256>', 'SHA-256 fingerprint of the certificate the confirmation is about')
    .requiredOption('--person <name>', 'your name, as it should stand in the audit trail')
    .option('--dir <dir>', 'root directory of the renewals', 'renewals')
    .option('--confirmations-dir <dir>', 'the confirmations directory itself (when the gate sets confirmations_dir)')
    .option(
      '--sign-with <key>',
      `sign with this SSH key (ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE}): a private key file, or a public key file whose private key is in ssh-agent`,
    )
    .option('--sign', 'sign with the SSH key of `git config user.signingkey`')
    .option(
      '--outdir <dir>',
      'the cdktf output directory whose renewal manifest names the gates and parties',
      'cdktf.out',
    )
    .option('--unchecked', 'do not check gate and party against a manifest (a cpi_renewal_gate in plain HCL)')
    .option('--json', 'print what was written as JSON: {path, confirmation, commit}')
    .addHelpText(
      'after',
      '\nThe gate and the party are checked against the renewal manifest `cdktf synth` wrote (--outdir): a gate the\nrenewal does not have, or a party the gate takes no confirmation from, is refused and nothing is written.\nExit codes: 0 written; 1 refused or failed (the message names the error code; nothing written).',
    )
    .action((options: ConfirmOptions & { json?: boolean }) => {
      const result = confirm(options);
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ path: resolve(result.path), confirmation: result.confirmation, commit: result.commit }, null, 2)}\n`
          : `${result.message}\n`,
      );
    });
}

function signingFailed(detail: string): CpiError {
  return new CpiError('CPI_GATE_SIGNING_FAILED', `${detail}; nothing was written`);
}

/** The key Git signs with: `user.signingkey` (a path, or `key::<public key>` for a key in ssh-agent). */
function gitSigningKey(cwd: string): string {
  const run = spawnSync('git', ['config', '--get', 'user.signingkey'], { cwd, encoding: 'utf8' });
  const value = run.status === 0 ? run.stdout.trim() : '';
  if (value === '')
    throw signingFailed('--sign: `git config user.signingkey` is not set; set it or name the key with --sign-with');
  return value;
}

/**
 * Signs `payload` with `ssh-keygen -Y sign` (the reference signer: the person's key never passes through this
 * process; a passphrase is asked on the terminal, an agent is used for a public key file). Returns the armored
 * signature.
 */
export function signWithSshKeygen(payload: string, key: string, cwd: string = process.cwd()): string {
  let temporary: string | undefined;
  let file = key.startsWith('~/') ? join(homedir(), key.slice(2)) : key;
  try {
    if (key.startsWith('key::')) {
      temporary = mkdtempSync(join(tmpdir(), 'cpi-signing-key-'));
      file = join(temporary, 'key.pub');
      writeFileSync(file, `${key.slice('key::'.length)}\n`);
    }
    const run = spawnSync('ssh-keygen', ['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', file], {
      cwd,
      input: payload,
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (run.error)
      throw signingFailed(
        `ssh-keygen could not be run (${(run.error as NodeJS.ErrnoException).code ?? run.error.message}); install OpenSSH 8.1 or later`,
      );
    const said = run.stderr.replace(/Signing data on standard input\s*/g, '').trim();
    if (run.status !== 0 || !run.stdout.includes('-----BEGIN SSH SIGNATURE-----'))
      throw signingFailed(`ssh-keygen -Y sign -f ${shellWord(file)} failed: ${said || `exit ${run.status}`}`);
    return run.stdout.trim();
  } finally {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}
