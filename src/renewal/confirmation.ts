// Confirmation files: how one party tells the next, in a reviewed commit, that their part is done. The file
// `<confirmations dir>/<gate>.json` holds one entry per party, each binding renewal, gate and certificate
// fingerprint to a person and a time, so that a confirmation given for one renewal cannot open another.
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isPrintable } from '../log-text';
import { join } from 'node:path';
import { CpiError } from '../errors';
import { isSha256Fingerprint, normalizeFingerprint, sameFingerprint } from '../rules/fingerprint';
import { parseRfc3339 } from '../rules/time';
import { checkConfirmationSignature, type ConfirmationSigners, type SignedFields } from './confirmation-signature';
import { PARTY_TITLES, type Party } from './party';

/** One party's confirmation that the gate may open: the fields a signature covers, and the signature. */
export interface Confirmation extends SignedFields {
  /**
   * An armored SSH signature (`ssh-keygen -Y sign`) over the confirmation's canonical payload
   * (src/renewal/confirmation-signature.ts); needed where the renewal lists confirmation signers.
   */
  readonly signature?: string;
}

/** A confirmation that counts, with the SSH key that signed it where the renewal asks for signatures. */
export interface CountedConfirmation extends Confirmation {
  /** `SHA256:…` of the signing key. */
  readonly signedBy?: string;
}

export interface ConfirmationFile {
  readonly confirmations: readonly Confirmation[];
}

/** The confirmations of a file that count for a gate, and the others with the reason they do not. */
export interface ConfirmationVerdict {
  readonly valid: CountedConfirmation[];
  readonly rejected: { readonly confirmation: Confirmation; readonly reason: string }[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** An RSA-8192 SSHSIG is about 2.4 KB armored; anything far larger is not a signature. */
const MAX_SIGNATURE_LENGTH = 16_384;

export function isParty(value: unknown): value is Party {
  return typeof value === 'string' && Object.hasOwn(PARTY_TITLES, value);
}

/** Renewal ids and gate names become path segments: letters, digits, `.`, `_`, `-`, not starting with a dot. */
export function isSafeName(value: string): boolean {
  return NAME.test(value) && !value.includes('..');
}

/** The file a gate's confirmations live in. */
export function confirmationFilePath(confirmationsDir: string, gate: string): string {
  return join(confirmationsDir, `${gate}.json`);
}

/** The default confirmations directory of a renewal, relative to the working directory. */
export function defaultConfirmationsDir(renewalId: string, root = 'renewals'): string {
  return join(root, renewalId, 'confirmations');
}

function malformed(source: string, problem: string): CpiError {
  return new CpiError('CPI_GATE_CONFIRMATION_MALFORMED', `${source}: ${problem}`);
}

function parseEntry(entry: unknown, index: number, source: string): Confirmation {
  const where = `confirmations[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw malformed(source, `${where} is not an object`);
  const e = entry as Record<string, unknown>;
  const text = (name: string): string => {
    const value = e[name];
    if (typeof value !== 'string' || value.trim() === '')
      throw malformed(source, `${where}.${name} is missing or not a non-empty string`);
    return value.trim();
  };
  const renewalId = text('renewal_id');
  const gate = text('gate');
  const fingerprint = text('fingerprint_sha256');
  if (!isSha256Fingerprint(fingerprint)) {
    throw malformed(
      source,
      `${where}.fingerprint_sha256 "${fingerprint}" is not a SHA-256 fingerprint (64 hex digits, optionally colon-separated)`,
    );
  }
  const party = text('party');
  if (!isParty(party))
    throw malformed(source, `${where}.party "${party}" is not one of ${Object.keys(PARTY_TITLES).join(', ')}`);
  const person = text('person');
  // stored in state and shown in plans and terminals: no control characters (newlines, ANSI escapes)
  if (!isPrintable(person) || person.length > 200)
    throw malformed(source, `${where}.person is not a printable name of at most 200 characters`);
  const at = text('confirmed_at');
  const confirmedAt = parseRfc3339(at);
  if (!confirmedAt)
    throw malformed(source, `${where}.confirmed_at "${at}" is not an RFC 3339 time such as 2026-03-01T10:00:00Z`);
  const signature = e.signature;
  if (signature !== undefined && (typeof signature !== 'string' || signature.length > MAX_SIGNATURE_LENGTH))
    throw malformed(
      source,
      `${where}.signature is not an armored SSH signature of at most ${MAX_SIGNATURE_LENGTH} characters`,
    );
  return {
    renewalId,
    gate,
    fingerprintSha256: normalizeFingerprint(fingerprint),
    party,
    person,
    confirmedAt,
    ...(signature === undefined ? {} : { signature }),
  };
}

/** Parses a confirmation file's text; `source` (the path) names the file in errors. */
export function parseConfirmationFile(text: string, source: string): ConfirmationFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // the parser's message quotes the text: keep only the position, the file may not be what it claims
    const position = /position \d+/.exec(error instanceof Error ? error.message : '')?.[0];
    throw malformed(source, `not valid JSON${position ? ` (error at ${position})` : ''}`);
  }
  if (
    typeof data !== 'object' ||
    data === null ||
    !Array.isArray((data as { confirmations?: unknown }).confirmations)
  ) {
    throw malformed(source, 'expected an object with a "confirmations" array');
  }
  return {
    confirmations: (data as { confirmations: unknown[] }).confirmations.map((e, i) => parseEntry(e, i, source)),
  };
}

/** The file's form on disk, as written by `cpi-renewal confirm`. */
export function formatConfirmationFile(file: ConfirmationFile): string {
  const confirmations = file.confirmations.map((c) => ({
    renewal_id: c.renewalId,
    gate: c.gate,
    fingerprint_sha256: c.fingerprintSha256,
    party: c.party,
    person: c.person,
    confirmed_at: c.confirmedAt.toISOString(),
    ...(c.signature === undefined ? {} : { signature: c.signature }),
  }));
  return `${JSON.stringify({ confirmations }, null, 2)}\n`;
}

/** Reads a confirmation file; undefined when it does not exist. */
export function readConfirmationFile(path: string): ConfirmationFile | undefined {
  let text: string;
  try {
    // a symbolic link could point a reviewer's eyes at one file and the gate at another (or at a secret)
    const stat = lstatSync(path);
    if (stat.isSymbolicLink() || !stat.isFile())
      throw malformed(path, 'is a symbolic link or not a regular file; confirmations are read only from regular files');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CpiError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw malformed(path, `cannot be read (${(error as Error).message})`);
  }
  return parseConfirmationFile(text, path);
}

/**
 * Splits a file's confirmations into those that count for this renewal, gate and certificate at `now`, and the
 * others with the reason (another renewal, gate or certificate, dated in the future, or, where `signers` is given,
 * not signed by one of the party's keys over exactly these fields).
 */
export function confirmationsFor(
  file: ConfirmationFile | undefined,
  expected: {
    renewalId: string;
    gate: string;
    fingerprint: string;
    now: Date;
    notBefore?: Date;
    /** The renewal asks for signed confirmations: each party's allowed signers (a party absent has none). */
    signers?: ConfirmationSigners;
  },
): ConfirmationVerdict {
  const verdict: ConfirmationVerdict = { valid: [], rejected: [] };
  for (const c of file?.confirmations ?? []) {
    const who = `${c.party} (${c.person})`;
    let reason: string | undefined;
    if (c.renewalId !== expected.renewalId)
      reason = `${who} confirmed renewal "${c.renewalId}", not "${expected.renewalId}"`;
    else if (c.gate !== expected.gate) reason = `${who} confirmed gate "${c.gate}", not "${expected.gate}"`;
    else if (!sameFingerprint(c.fingerprintSha256, expected.fingerprint)) {
      reason = `${who} confirmed the certificate ${c.fingerprintSha256}, not ${normalizeFingerprint(expected.fingerprint)}`;
    } else if (c.confirmedAt.getTime() > expected.now.getTime()) {
      reason = `${who} dated the confirmation ${c.confirmedAt.toISOString()}, in the future (now ${expected.now.toISOString()})`;
    } else if (expected.notBefore && c.confirmedAt.getTime() < expected.notBefore.getTime()) {
      reason = `${who} dated the confirmation ${c.confirmedAt.toISOString()}, before the renewal's certificate existed (${expected.notBefore.toISOString()})`;
    }
    let signedBy: string | undefined;
    if (reason === undefined && expected.signers) {
      const keys = expected.signers[c.party] ?? [];
      const check =
        keys.length === 0
          ? { refused: `this renewal lists no SSH key allowed to confirm for ${c.party}` }
          : checkConfirmationSignature(c, c.signature, keys);
      if (check.refused !== undefined) reason = `${who}: ${check.refused}`;
      signedBy = check.signedBy;
    }
    if (reason === undefined) verdict.valid.push(signedBy === undefined ? c : { ...c, signedBy });
    else verdict.rejected.push({ confirmation: c, reason });
  }
  return verdict;
}

/**
 * Writes a confirmation into `<dir>/<gate>.json`, replacing that party's earlier entry and keeping the others.
 * Written to a temporary file first and renamed, so that a reader never sees half a file. Returns the path.
 */
export function writeConfirmation(dir: string, confirmation: Confirmation): string {
  if (!isSafeName(confirmation.gate))
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `gate "${confirmation.gate}" is not a valid gate name (letters, digits, ".", "_", "-")`,
    );
  const path = confirmationFilePath(dir, confirmation.gate);
  const existing = readConfirmationFile(path);
  const entry = { ...confirmation, fingerprintSha256: normalizeFingerprint(confirmation.fingerprintSha256) };
  const others = (existing?.confirmations ?? []).filter((c) => c.party !== confirmation.party);
  mkdirSync(dir, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, formatConfirmationFile({ confirmations: [...others, entry] }));
  renameSync(temporary, path);
  return path;
}
