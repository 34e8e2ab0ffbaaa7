// OData v2 JSON helpers: the verbose `{"d": …}` envelope, `/Date(ms)/` literals,
// `__next` paging links, and the `{"error": {"message": {"value": …}}}` error body.

/**
 * Parses an OData v2 date literal: `/Date(1496732924000)/` or `/Date(1496732924000+0000)/` (the tenant's
 * DateTimeOffset form; the offset only says where the value was written, the millis are already UTC).
 * Also accepts an ISO 8601 string, which some JSON serializers of the tenant use for Edm.DateTime.
 * Returns undefined for null, empty or unparseable input: dates are informative, never worth failing a read.
 */
export function parseODataDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const match = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value);
  if (match) return new Date(Number(match[1]));
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const date = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

/** A string property, or undefined when absent/null (OData sends null for unset properties). */
export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A number property (Edm.Int32 arrives as a JSON number; Edm.Int64 as a string), or undefined. */
export function optionalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entity of a single-entity response `{"d": {...}}`, or undefined when the shape is different. */
export function entityOf(body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body) || !isRecord(body.d)) return undefined;
  return body.d;
}

/** One page of a collection response: `{"d": {"results": [...], "__next": "..."}}` (also bare `{"d": [...]}`). */
export interface CollectionPage {
  readonly results: Record<string, unknown>[];
  /** The server's next-page link, absolute or relative to the service root; undefined on the last page. */
  readonly next: string | undefined;
}

/** Reads one collection page, or undefined when the body is not an OData v2 collection. */
export function collectionOf(body: unknown): CollectionPage | undefined {
  if (!isRecord(body)) return undefined;
  const d = body.d;
  if (Array.isArray(d)) return { results: d.filter(isRecord), next: undefined };
  if (!isRecord(d) || !Array.isArray(d.results)) return undefined;
  return { results: d.results.filter(isRecord), next: typeof d.__next === 'string' && d.__next ? d.__next : undefined };
}

/**
 * The human text of an OData error body, `{"error":{"code":…,"message":{"lang":"en","value":"<text>"}}}`.
 * Falls back to a short excerpt of a non-JSON body (an HTML error page of a proxy, say).
 */
export function errorMessageOf(bodyText: string): string {
  const trimmed = bodyText.trim();
  if (trimmed.length === 0) return '';
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (isRecord(parsed) && isRecord(parsed.error)) {
      const message = parsed.error.message;
      if (typeof message === 'string') return message;
      if (isRecord(message) && typeof message.value === 'string') return message.value;
      if (typeof parsed.error.code === 'string') return parsed.error.code;
    }
  } catch {
    // not JSON: use the text itself
  }
  const oneLine = trimmed
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}

/**
 * An OData v2 string literal for a key or function parameter: single-quoted, inner quotes doubled, and
 * percent-encoded so that it can sit in a path or query (`Id='a b'` → `'a%20b'`).
 */
export function quotedLiteral(value: string): string {
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}
