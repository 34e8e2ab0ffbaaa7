// Reads every page of an OData v2 collection. The tenant returns at most 1000 entries per response and points to
// the rest with a next link (`$skiptoken=1000`). SAP documents the Atom `rel="next"` link; the JSON `d.__next`
// is standard OData v2 but unconfirmed for this tenant, so when a full page arrives without one we ask for the
// next page ourselves rather than silently return a truncated list.
import type { TenantHttp, TenantRequest } from './http';
import { collectionOf } from './odata';

/** Most entries the tenant returns in one response. */
export const TENANT_PAGE_SIZE = 1000;

/** Stops a server that keeps linking to more pages (a loop) long before memory runs out. */
const MAX_PAGES = 1000;

export interface CollectOptions<T> {
  /** Maps one raw entity; return undefined to skip it. */
  readonly map: (raw: Record<string, unknown>) => T | undefined;
  /** Identity of an entity, to notice a server that ignores the paging option and repeats a page. */
  readonly key: (item: T) => string;
  /** Query options that ask for the page after `count` entries, when no next link came. */
  readonly nextQuery: (count: number) => Record<string, string>;
}

/** All entities of a collection, following next links (and falling back to `nextQuery`) until the last page. */
export async function collectAll<T>(http: TenantHttp, first: TenantRequest, options: CollectOptions<T>): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let request: TenantRequest = first;
  for (let page = 1; ; page++) {
    const response = await http.request(request);
    const collection = collectionOf(http.json(request, response));
    if (!collection) http.fail(request, response, 'expected an OData collection {"d":{"results":[…]}}');
    let repeated = false;
    for (const raw of collection.results) {
      const item = options.map(raw);
      if (item === undefined) continue;
      const key = options.key(item);
      if (seen.has(key)) {
        repeated = true;
        continue;
      }
      seen.add(key);
      items.push(item);
    }
    if (repeated || collection.results.length === 0) return items;
    if (page >= MAX_PAGES) http.fail(request, response, `more than ${MAX_PAGES} pages; the next links seem to loop`);
    if (collection.next !== undefined) {
      request = { ...first, path: collection.next, query: undefined };
    } else if (collection.results.length >= TENANT_PAGE_SIZE) {
      request = { ...first, query: { ...first.query, ...options.nextQuery(items.length) } };
    } else {
      return items;
    }
  }
}
