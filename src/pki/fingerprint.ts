// SHA-256 certificate fingerprints as the tenant shows them: colon-separated upper-case hex. One place for the
// format, so confirmations, gates and the tenant compare fingerprints the same way.

/** Colon-separated upper-case hex, as the tenant shows fingerprints. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[\s:]/g, '').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

/** Fingerprints compare without separators and case: `ab:cd` equals `ABCD`. */
export function sameFingerprint(a: string, b: string): boolean {
  return normalizeFingerprint(a) === normalizeFingerprint(b);
}
