// The one time format users write: RFC 3339 `date-time` (section 5.6), which Terraform's timeadd() and the
// confirmation files use too. Seconds and a zone are required (`2026-03-01T22:00:00Z`, `…+01:00`); `22:00Z`, a
// missing zone or a space instead of `T` are refused everywhere, so a value that passes synth also passes plan.
// Upper-case `T` and `Z` only: Terraform (Go's time.RFC3339) reads nothing else.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** The example the error messages give. */
export const RFC3339_EXAMPLE = '2026-03-01T22:00:00Z';

/** The moment an RFC 3339 time names; undefined when the text is not one or names no real moment (Feb 30). */
export function parseRfc3339(value: string): Date | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, ...number[]];
  const calendar = new Date(Date.UTC(year, month! - 1, day));
  if (calendar.getUTCMonth() !== month! - 1 || calendar.getUTCDate() !== day) return undefined;
  if (hour! > 23 || minute! > 59 || second! > 60) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function isRfc3339(value: string): boolean {
  return parseRfc3339(value) !== undefined;
}
