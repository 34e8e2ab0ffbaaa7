// `cpi-renewal confirm`: a party records that their part is done, as a file they commit for review. The gate in
// front of the next stage reads it and opens only if it names this renewal, this gate and this certificate.
import { shellWord } from '../shell-word';
import type { Command } from 'commander';
import { relative } from 'node:path';
import { CpiError } from '../errors';
import { defaultConfirmationsDir, isParty, isSafeName, writeConfirmation } from '../renewal/confirmation';
import { isSha256Fingerprint, normalizeFingerprint } from '../rules/fingerprint';
import { PARTY_TITLES } from '../renewal/party';

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
}

export interface ConfirmResult {
  /** The file written. */
  readonly path: string;
  /** What to tell the user: what was confirmed and what to commit. */
  readonly message: string;
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
  const dir = options.confirmationsDir ?? defaultConfirmationsDir(renewal, options.dir ?? 'renewals');
  const path = writeConfirmation(dir, {
    renewalId: renewal,
    gate,
    fingerprintSha256: fingerprint,
    party,
    person,
    confirmedAt: now,
  });
  const shown = relative(cwd, path) || path;
  const message = [
    `${person} (${PARTY_TITLES[party]}) confirms gate "${gate}" of renewal "${renewal}" for the certificate ${normalizeFingerprint(fingerprint)}.`,
    `Wrote ${shown}. Commit it for review; the gate opens on the next plan once it is merged:`,
    `  git add ${shellWord(shown)} && git commit -m ${shellWord(`${renewal}: ${party} confirms ${gate}`)} -- ${shellWord(shown)}`,
  ].join('\n');
  return { path, message };
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
    .action((options: ConfirmOptions) => {
      process.stdout.write(`${confirm(options).message}\n`);
    });
}
