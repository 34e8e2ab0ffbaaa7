// Signed confirmations: a renewal may list, per party, the SSH keys allowed to confirm, in the allowed_signers
// format Git uses for SSH-signed commits (ssh-keygen(1), ALLOWED SIGNERS). A confirmation then counts only with an
// SSH signature (`ssh-keygen -Y sign`, the SSHSIG format of OpenSSH's PROTOCOL.sshsig) over THE canonical payload
// below, made by one of that party's keys for the confirming person. docs/signed-confirmations.md describes the
// bytes; this file is the one place that builds and checks them.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type SshpkModule from 'sshpk';
import { CpiError } from '../errors';
import { normalizeFingerprint } from '../rules/fingerprint';
import type { Party } from './party';

/** The SSHSIG namespace of confirmations: a signature made for Git commits or files cannot be replayed here. */
export const SIGNATURE_NAMESPACE = 'cpi-renewal-confirmation';

/** First line of the payload: names the format, so that a later version cannot be confused with this one. */
export const PAYLOAD_VERSION = 'cpi-renewal-confirmation v1';

/** The fields of a confirmation that the signature covers. */
export interface SignedFields {
  readonly renewalId: string;
  /** The gate's name (the stage it opens), e.g. `exchange-certificate`. */
  readonly gate: string;
  /** The certificate the confirmation is about, colon-separated upper-case hex. */
  readonly fingerprintSha256: string;
  readonly party: Party;
  /** Who confirmed, as they want to be named in the audit trail. */
  readonly person: string;
  readonly confirmedAt: Date;
}

/**
 * THE bytes a party signs (UTF-8): the version line, then one `name: value` line per field in this order, each
 * ending in LF. The fingerprint is upper-case colon hex, the time UTC with milliseconds (`toISOString`), the
 * person trimmed. No value can hold a line break (names, fingerprint and time by their rules, the person by the
 * printable-text rule), so the lines cannot be forged by a value.
 */
export function signedPayload(c: SignedFields): string {
  return [
    PAYLOAD_VERSION,
    `renewal_id: ${c.renewalId}`,
    `gate: ${c.gate}`,
    `fingerprint_sha256: ${normalizeFingerprint(c.fingerprintSha256)}`,
    `party: ${c.party}`,
    `person: ${c.person.trim()}`,
    `confirmed_at: ${c.confirmedAt.toISOString()}`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// allowed_signers

/** One line of an allowed_signers text: who may sign with which key, for which namespaces and when. */
export interface AllowedSigner {
  /** Patterns matched against the confirmation's `person` (`*`, `?`, `!` negation). */
  readonly principals: readonly string[];
  /** `namespaces=` option: the key may sign only for these; undefined: any. */
  readonly namespaces?: readonly string[];
  readonly validAfter?: Date;
  readonly validBefore?: Date;
  /** `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, … */
  readonly keyType: string;
  /** `SHA256:<base64>`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  readonly publicKey: KeyObject;
}

/** Key types whose signatures Node's crypto verifies (security keys, `sk-*`, sign other bytes and are not read). */
const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
]);
const KNOWN_KEY_TYPE = /^(ssh-|ecdsa-sha2-|sk-)/;

function signersError(source: string, line: number, problem: string): CpiError {
  return new CpiError('CPI_GATE_SIGNERS_INVALID', `${source}, line ${line}: ${problem}`);
}

/** Splits a line at white space, keeping double-quoted parts (with their quotes) together. */
function fields(line: string): string[] {
  return line.match(/(?:"[^"]*"|[^\s"])+/g) ?? [];
}

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/** `YYYYMMDD[HHMM[SS]]Z`: UTC only, so that the provider's machine's time zone cannot change the meaning. */
function parseSignerTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00'] = m;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Reads an allowed_signers text: `principals [options] keytype base64-key [comment]` per line, `#` comments and
 * blank lines ignored. Options: `namespaces="…"`, `valid-after="…Z"`, `valid-before="…Z"`; `cert-authority` is
 * refused (certificates are not read). `source` names the text in errors (e.g. `confirmation_signers[0]`).
 */
export function parseAllowedSigners(text: string, source: string): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const n = index + 1;
    if (line === '' || line.startsWith('#')) return;
    const parts = fields(line);
    if (parts.length < 3) throw signersError(source, n, 'expected "principals [options] key-type base64-key"');
    const principals = unquote(parts[0]!).split(',');
    const hasOptions = !KNOWN_KEY_TYPE.test(parts[1]!);
    const [keyType, keyData] = hasOptions ? [parts[2], parts[3]] : [parts[1], parts[2]];
    const signer: {
      -readonly [K in keyof AllowedSigner]?: AllowedSigner[K];
    } = { principals };
    if (hasOptions) {
      for (const option of parts[1]!.match(/(?:"[^"]*"|[^,])+/g) ?? []) {
        const [name = '', ...rest] = option.split('=');
        const value = unquote(rest.join('='));
        const key = name.toLowerCase();
        if (key === 'namespaces') signer.namespaces = value.split(',');
        else if (key === 'valid-after' || key === 'valid-before') {
          const at = parseSignerTime(value);
          if (!at)
            throw signersError(source, n, `${key}="${value}" is not a UTC time YYYYMMDD[HHMM[SS]]Z (write the Z)`);
          if (key === 'valid-after') signer.validAfter = at;
          else signer.validBefore = at;
        } else if (key === 'cert-authority')
          throw signersError(source, n, 'cert-authority is not supported; list the signing keys themselves');
        else throw signersError(source, n, `unknown option "${name}"`);
      }
    }
    if (!keyType || !keyData) throw signersError(source, n, 'the key type or the base64 key is missing');
    if (!KEY_TYPES.has(keyType))
      throw signersError(source, n, `key type "${keyType}" is not supported; use ssh-ed25519, ssh-rsa or ecdsa-sha2-*`);
    let key: SshpkModule.Key;
    try {
      key = sshpk().parseKey(`${keyType} ${keyData}`, 'ssh');
    } catch (error) {
      throw signersError(source, n, `the ${keyType} key cannot be read (${(error as Error).message})`);
    }
    const blob = Buffer.from(keyData, 'base64');
    if (readString(blob, 0)?.value.toString() !== keyType)
      throw signersError(source, n, `the key data is not a ${keyType} key`);
    if (key.type === 'rsa' && key.size < 2048)
      throw signersError(source, n, `the RSA key has ${key.size} bits; at least 2048 are needed`);
    signer.keyType = keyType;
    signer.fingerprint = sshFingerprint(blob);
    signer.publicKey = createPublicKey(key.toString('pkcs8'));
    signers.push(signer as AllowedSigner);
  });
  if (signers.length === 0) throw new CpiError('CPI_GATE_SIGNERS_INVALID', `${source}: lists no key`);
  return signers;
}

// sshpk (with its ASN.1, bignum and curve code) loads only when a signer list is read: the provider starts 3-5 times
// per terraform command and most launches read none.
let sshpkModule: typeof SshpkModule | undefined;
function sshpk(): typeof SshpkModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sshpkModule ??= require('sshpk') as typeof SshpkModule);
}

/** `SHA256:<base64 without padding>` of a public key blob, as ssh-keygen prints it. */
function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** OpenSSH pattern lists: comma-separated, `*` and `?` wildcards, `!` negates (a negated match refuses). */
export function matchesPrincipals(person: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    const regex = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    if (regex.test(person)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

// ---------------------------------------------------------------------------------------------------------------
// SSHSIG

interface SshSignature {
  readonly publicKey: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: string;
  /** The signature blob: string algorithm, string signature bytes. */
  readonly signature: Buffer;
}

function readString(buffer: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > buffer.length) return undefined;
  const length = buffer.readUInt32BE(offset);
  if (offset + 4 + length > buffer.length) return undefined;
  return { value: buffer.subarray(offset + 4, offset + 4 + length), next: offset + 4 + length };
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

const ARMOR = /^-----BEGIN SSH SIGNATURE-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END SSH SIGNATURE-----\s*$/;

/** Reads an armored SSHSIG; throws a short reason (never the text itself) when it is not one. */
function parseSshSignature(armored: string): SshSignature {
  const m = ARMOR.exec(armored.trim());
  if (!m) throw new Error('the signature is not an armored SSH signature (-----BEGIN SSH SIGNATURE-----)');
  const blob = Buffer.from(m[1]!.replace(/\s/g, ''), 'base64');
  if (blob.subarray(0, 6).toString('latin1') !== 'SSHSIG' || blob.length < 10)
    throw new Error('the signature does not start with the SSHSIG magic');
  if (blob.readUInt32BE(6) !== 1) throw new Error(`the SSHSIG version is ${blob.readUInt32BE(6)}, not 1`);
  const values: Buffer[] = [];
  let offset = 10;
  for (let i = 0; i < 5; i++) {
    const s = readString(blob, offset);
    if (!s) throw new Error('the signature is truncated');
    values.push(s.value);
    offset = s.next;
  }
  const [publicKey, namespace, , hashAlgorithm, signature] = values as [Buffer, Buffer, Buffer, Buffer, Buffer];
  return { publicKey, namespace: namespace.toString(), hashAlgorithm: hashAlgorithm.toString(), signature };
}

/** The signature algorithms each key type may use, with their hash; `ssh-rsa` (SHA-1) is never accepted. */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, Readonly<Record<string, string | null>>>> = {
  'ssh-ed25519': { 'ssh-ed25519': null },
  'ssh-rsa': { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256' },
  'ecdsa-sha2-nistp256': { 'ecdsa-sha2-nistp256': 'sha256' },
  'ecdsa-sha2-nistp384': { 'ecdsa-sha2-nistp384': 'sha384' },
  'ecdsa-sha2-nistp521': { 'ecdsa-sha2-nistp521': 'sha512' },
};
const ECDSA_BYTES: Readonly<Record<string, number>> = {
  'ecdsa-sha2-nistp256': 32,
  'ecdsa-sha2-nistp384': 48,
  'ecdsa-sha2-nistp521': 66,
};

/** SSH's ECDSA signature (mpint r, mpint s) as r||s of fixed width, the form Node verifies with ieee-p1363. */
function ecdsaP1363(signature: Buffer, width: number): Buffer | undefined {
  const r = readString(signature, 0);
  const s = r && readString(signature, r.next);
  if (!r || !s) return undefined;
  const fixed = (b: Buffer) => {
    const trimmed = b.subarray(
      Math.max(
        0,
        b.findIndex((x) => x !== 0),
      ),
    );
    return trimmed.length > width ? undefined : Buffer.concat([Buffer.alloc(width - trimmed.length), trimmed]);
  };
  const [fr, fs] = [fixed(r.value), fixed(s.value)];
  return fr && fs ? Buffer.concat([fr, fs]) : undefined;
}

const NOT_VERIFIED = 'the signature does not verify';

/** Undefined when `parsed` is a valid signature by `signer` over `message` in our namespace; else why not. */
function signatureVerifies(parsed: SshSignature, signer: AllowedSigner, message: Buffer): string | undefined {
  if (parsed.hashAlgorithm !== 'sha512' && parsed.hashAlgorithm !== 'sha256')
    return `the signature hashes with "${parsed.hashAlgorithm}"; sha256 or sha512 are accepted`;
  const algorithm = readString(parsed.signature, 0);
  const bytes = algorithm && readString(parsed.signature, algorithm.next);
  if (!algorithm || !bytes) return 'the signature blob is truncated';
  const name = algorithm.value.toString();
  const hash = SIGNATURE_ALGORITHMS[signer.keyType]?.[name];
  if (hash === undefined)
    return `a ${signer.keyType} key signed with "${name}", which is not accepted${name === 'ssh-rsa' ? ' (SHA-1)' : ''}`;
  const signed = Buffer.concat([
    Buffer.from('SSHSIG'),
    sshString(SIGNATURE_NAMESPACE),
    sshString(''),
    sshString(parsed.hashAlgorithm),
    sshString(createHash(parsed.hashAlgorithm).update(message).digest()),
  ]);
  const width = ECDSA_BYTES[signer.keyType];
  const value = width === undefined ? bytes.value : ecdsaP1363(bytes.value, width);
  if (!value) return 'the ECDSA signature is malformed';
  const key = width === undefined ? signer.publicKey : { key: signer.publicKey, dsaEncoding: 'ieee-p1363' as const };
  try {
    return verify(hash, signed, key, value) ? undefined : NOT_VERIFIED;
  } catch {
    return NOT_VERIFIED;
  }
}

/** The key that signed a confirmation, when the signature counts. */
export interface SignatureCheck {
  /** `SHA256:…` of the key, for the audit trail. */
  readonly signedBy?: string;
  /** Why the confirmation does not count, when it does not. */
  readonly refused?: string;
}

/**
 * Checks `signature` over the confirmation's canonical payload against the party's allowed signers: the key that
 * signed must be one of theirs, allowed for the person (principals), for this namespace and at the confirmation's
 * time, and the signature must verify over exactly these fields.
 */
export function checkConfirmationSignature(
  confirmation: SignedFields,
  signature: string | undefined,
  signers: readonly AllowedSigner[],
): SignatureCheck {
  const party = confirmation.party;
  if (signature === undefined)
    return { refused: `it is not signed, and this renewal accepts only confirmations signed with ${party}'s SSH keys` };
  let parsed: SshSignature;
  try {
    parsed = parseSshSignature(signature);
  } catch (error) {
    return { refused: (error as Error).message };
  }
  if (parsed.namespace !== SIGNATURE_NAMESPACE)
    return {
      refused: `the signature was made for the namespace "${parsed.namespace.slice(0, 64)}", not "${SIGNATURE_NAMESPACE}"`,
    };
  const fingerprint = sshFingerprint(parsed.publicKey);
  const keys = signers.filter((s) => s.fingerprint === fingerprint);
  if (keys.length === 0)
    return { refused: `it is signed by the key ${fingerprint}, which is not among ${party}'s allowed signers` };
  const at = confirmation.confirmedAt.getTime();
  const allowed = keys.filter(
    (s) =>
      matchesPrincipals(confirmation.person.trim(), s.principals) &&
      (s.namespaces === undefined || matchesPrincipals(SIGNATURE_NAMESPACE, s.namespaces)) &&
      (s.validAfter === undefined || at >= s.validAfter.getTime()) &&
      (s.validBefore === undefined || at <= s.validBefore.getTime()),
  );
  if (allowed.length === 0)
    return {
      refused: `${party}'s key ${fingerprint} is not allowed to sign for "${confirmation.person.trim()}" in namespace ${SIGNATURE_NAMESPACE} at ${confirmation.confirmedAt.toISOString()} (principals, namespaces, valid-after/valid-before)`,
    };
  const message = Buffer.from(signedPayload(confirmation));
  const problem = signatureVerifies(parsed, allowed[0]!, message);
  if (problem === NOT_VERIFIED)
    return {
      refused: `${problem}: renewal_id, gate, fingerprint_sha256, party, person or confirmed_at differ from what ${fingerprint} signed`,
    };
  if (problem) return { refused: problem };
  return { signedBy: fingerprint };
}

/** The confirmation signers of a renewal, by party; a party absent here cannot confirm when any party is listed. */
export type ConfirmationSigners = Readonly<Partial<Record<Party, readonly AllowedSigner[]>>>;

/** Each party's allowed_signers text, read; `source` names where the texts come from in errors. */
export function parseConfirmationSigners(
  texts: Readonly<Partial<Record<Party, string>>>,
  source: string,
): ConfirmationSigners {
  const signers: Partial<Record<Party, readonly AllowedSigner[]>> = {};
  for (const [party, text] of Object.entries(texts) as [Party, string | undefined][])
    if (text !== undefined) signers[party] = parseAllowedSigners(text, `${source}: confirmation signers of ${party}`);
  return signers;
}
