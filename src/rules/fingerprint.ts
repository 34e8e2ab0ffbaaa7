// Certificate fingerprints in the one form the tenant shows them: colon-separated upper-case hex pairs
// (`84:2D:B8:…`). Every digest we print and every fingerprint a user gives passes through here.
import { CpiError } from '../errors';

/** A digest as colon-hex. */
export function colonHex(digest: Buffer): string {
  return normalizeFingerprint(digest.toString('hex'));
}

/** Colon-hex of any spelling (case, colons, spaces); text that is not even-length hex comes back upper-cased. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[\s:]/g, '').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

const COLON_HEX = /^[0-9A-F]{2}(?::[0-9A-F]{2})*$/;

/** Colon-hex of a fingerprint a remote system sent; undefined for null, empty or non-hex. */
export function parseFingerprint(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Already colon-hex (what the tenant sends): a keystore listing holds three per entry, thousands per plan.
  if (COLON_HEX.test(value)) return value;
  const hex = value.replace(/[\s:]/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  return normalizeFingerprint(hex);
}

/** Fingerprints compare without separators and case: `ab:cd` equals `ABCD`. */
export function sameFingerprint(a: string, b: string): boolean {
  return normalizeFingerprint(a) === normalizeFingerprint(b);
}

/** A SHA-256 fingerprint: 32 bytes, as colon-hex or plain hex, either case. */
export function isSha256Fingerprint(value: string): boolean {
  return /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/.test(value);
}

/** Colon-hex of the SHA-256 fingerprint a user gave in `attribute`; CPI_VALUE_INVALID when it is not one. */
export function requireSha256Fingerprint(value: string, attribute: string): string {
  if (!isSha256Fingerprint(value.replace(/\s/g, ''))) {
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `${attribute} "${value}" is not a SHA-256 fingerprint (64 hex digits, colons allowed)`,
      [attribute],
    );
  }
  return normalizeFingerprint(value);
}
