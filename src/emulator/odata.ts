// OData v2 wire conventions of the tenant API: verbose JSON envelopes, error bodies, /Date()/ values, server-side
// paging with __next/$skiptoken, and the small $filter / $select subset that clients of the tenant use.

/**
 * The most entries one response carries; past this the tenant answers with a next link (docs/design/sap-api.md#paging).
 */
export const ODATA_PAGE_SIZE = 1000;

const STATUS_CODES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error answer in the OData v2 shape `{"error":{"code","message":{"lang","value"}}}`. */
export class ODataError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** Extra members of the `error` object (e.g. the rejected entry of a 409). */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${status} ${text}`);
    this.name = 'ODataError';
  }

  body(): { error: Record<string, unknown> } {
    return {
      error: {
        code: STATUS_CODES[this.status] ?? String(this.status),
        message: { lang: 'en', value: this.text },
        ...this.extra,
      },
    };
  }
}

/** `/Date(<ms>)/`, the OData v2 JSON form of a point in time. */
export function odataDate(ms: number): string {
  return `/Date(${Math.trunc(ms)})/`;
}

export type ODataRecord = Record<string, unknown>;

/** Keeps only the properties named in `$select` (all when absent). */
export function applySelect<T extends ODataRecord>(record: T, query: URLSearchParams): ODataRecord {
  const select = query.get('$select');
  if (!select) return record;
  const wanted = new Set(
    select
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return Object.fromEntries(Object.entries(record).filter(([key]) => wanted.has(key) || key === '__metadata'));
}

type Predicate = (record: ODataRecord) => boolean;

const COMPARISON = /^(\w+)\s+(eq|ne)\s+'((?:[^']|'')*)'$/;
const FUNCTION_CALL = /^(substringof|startswith|endswith)\((.+)\)(?:\s+eq\s+true)?$/;

function unquote(literal: string): string | undefined {
  const match = /^'((?:[^']|'')*)'$/.exec(literal.trim());
  return match ? match[1]!.replace(/''/g, "'") : undefined;
}

function parseTerm(term: string): Predicate {
  const text = term
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  const comparison = COMPARISON.exec(text);
  if (comparison) {
    const [, property, operator, raw] = comparison;
    const value = raw!.replace(/''/g, "'");
    return (record) => (String(record[property!] ?? '') === value) === (operator === 'eq');
  }
  const call = FUNCTION_CALL.exec(text);
  if (call) {
    const [, name, args] = call;
    const parts = args!.split(',').map((part) => part.trim());
    if (parts.length === 2) {
      // substringof('needle',Property); startswith(Property,'prefix'); endswith(Property,'suffix')
      const literal = name === 'substringof' ? unquote(parts[0]!) : unquote(parts[1]!);
      const property = name === 'substringof' ? parts[1]! : parts[0]!;
      if (literal !== undefined && /^\w+$/.test(property)) {
        return (record) => {
          const value = String(record[property] ?? '');
          if (name === 'substringof') return value.includes(literal);
          return name === 'startswith' ? value.startsWith(literal) : value.endsWith(literal);
        };
      }
    }
  }
  throw new ODataError(
    400,
    `Invalid filter expression: "${term.trim()}". Supported: Property eq|ne 'value', substringof/startswith/endswith, joined by or`,
  );
}

/** Parses the `$filter` subset the tenant documents (terms joined by `or`); undefined when there is no filter. */
export function parseFilter(filter: string | null): Predicate | undefined {
  if (!filter || !filter.trim()) return undefined;
  if (/\sand\s/i.test(filter.replace(/'(?:[^']|'')*'/g, "''"))) {
    throw new ODataError(400, `Invalid filter expression: "${filter}". Only the logical operator or is supported`);
  }
  const terms = filter.split(/\s+or\s+(?=(?:[^']*'[^']*')*[^']*$)/i).map(parseTerm);
  return (record) => terms.some((term) => term(record));
}

function nonNegativeInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw))
    throw new ODataError(400, `Invalid value "${raw}" for ${name}; expected a non-negative integer`);
  return Number(raw);
}

/**
 * Filters, pages and wraps a collection as `{"d":{"results":[...]}}`. The server pages at ODATA_PAGE_SIZE and
 * adds `__next` with `$skiptoken`; `$top`, `$skip`, `$inlinecount=allpages` and `$select` work as in OData v2.
 */
export function collectionEnvelope(
  all: readonly ODataRecord[],
  query: URLSearchParams,
  selfUrl: string,
  pageSize: number = ODATA_PAGE_SIZE,
): { d: ODataRecord } {
  const predicate = parseFilter(query.get('$filter'));
  const matching = predicate ? all.filter(predicate) : all;
  const skip = nonNegativeInteger(query, '$skiptoken') ?? nonNegativeInteger(query, '$skip') ?? 0;
  const top = nonNegativeInteger(query, '$top');
  const end = top === undefined ? matching.length : Math.min(matching.length, skip + top);
  const pageEnd = Math.min(end, skip + pageSize);
  const d: ODataRecord = {};
  if (query.get('$inlinecount') === 'allpages') d.__count = String(matching.length);
  d.results = matching.slice(skip, pageEnd).map((record) => applySelect(record, query));
  if (pageEnd < end) {
    const next = new URLSearchParams(query);
    next.delete('$skip');
    next.set('$skiptoken', String(pageEnd));
    // $top counts from the first page, so the next link asks only for what is left of it.
    if (top !== undefined) next.set('$top', String(end - pageEnd));
    d.__next = `${selfUrl}?${next.toString()}`;
  }
  return { d };
}

/**
 * Sorts by `$orderby`: properties of `allowed`, each with an optional `asc`/`desc`, separated by commas
 * (e.g. `Name desc,ResourceType`); a 400 for anything else.
 */
export function orderBy(records: ODataRecord[], query: URLSearchParams, allowed: readonly string[]): ODataRecord[] {
  const option = query.get('$orderby');
  if (!option) return records;
  const keys = option.split(',').map((part) => {
    const [property, direction, extra] = part.trim().split(/\s+/);
    if (!property || !allowed.includes(property) || extra !== undefined || !/^(asc|desc)?$/.test(direction ?? '')) {
      throw new ODataError(
        400,
        `Invalid $orderby "${option}"; expected one of ${allowed.join(', ')} with optional desc, separated by commas`,
      );
    }
    return { property, sign: direction === 'desc' ? -1 : 1 };
  });
  return [...records].sort((a, b) => {
    for (const { property, sign } of keys) {
      const order = String(a[property]).localeCompare(String(b[property]));
      if (order !== 0) return sign * order;
    }
    return 0;
  });
}

/** Wraps one entity as `{"d":{...}}`, honouring `$select`. */
export function entityEnvelope(record: ODataRecord, query: URLSearchParams): { d: ODataRecord } {
  return { d: applySelect(record, query) };
}
