// Integration Content API: the resources of a design-time iFlow (scripts, mappings, schemas, libraries) — list,
// count, read, download, add, replace, delete. A resource is a file of the iFlow's bundle, so what a client changes
// here is what `IntegrationDesigntimeArtifacts(…)/$value` hands out, and the resources of an uploaded bundle are
// listed as they came. Where in the bundle each type lives is community-observed (docs/emulator.md, UNCONFIRMED).
import { jsonBody, type ApiRequest, type ApiResponse, type ApiRoute } from './api-route';
import { ARTIFACT_KEY, iflowOr404 } from './designtime-artifacts';
import { bundleOf } from './iflow-bundle';
import { collectionEnvelope, entityEnvelope, ODataError, orderBy, parseFilter, type ODataRecord } from './odata';
import type { StoredIflow, TenantStore } from './tenant-store';
import { readZip, writeZip, type ZipEntry } from '../zip-archive';

const RESOURCES = 'src/main/resources/';

/** Each resource type of the definition: the bundle folder it lives in and the file extensions it takes. */
export const RESOURCE_TYPES = {
  edmx: { folder: 'edmx', extensions: ['.edmx'] },
  groovy: { folder: 'script', extensions: ['.groovy', '.gsh'] },
  jar: { folder: 'lib', extensions: ['.jar'] },
  js: { folder: 'script', extensions: ['.js'] },
  mmap: { folder: 'mapping', extensions: ['.mmap'] },
  opmap: { folder: 'mapping', extensions: ['.opmap'] },
  wsdl: { folder: 'wsdl', extensions: ['.wsdl'] },
  xsd: { folder: 'xsd', extensions: ['.xsd'] },
  xslt: { folder: 'mapping', extensions: ['.xsl', '.xslt'] },
} as const;

export type ResourceType = keyof typeof RESOURCE_TYPES;

const TYPE_NAMES = Object.keys(RESOURCE_TYPES) as ResourceType[];

interface BundleResource {
  readonly name: string;
  readonly type: ResourceType;
  readonly path: string;
  readonly data: Buffer;
}

function isResourceType(value: unknown): value is ResourceType {
  return typeof value === 'string' && (TYPE_NAMES as string[]).includes(value);
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** The type of a bundle file, or undefined when it is not a resource (the .iflw, the manifest, parameters, …). */
function typeOfPath(path: string): { name: string; type: ResourceType } | undefined {
  if (!path.startsWith(RESOURCES)) return undefined;
  const [folder, name, ...deeper] = path.slice(RESOURCES.length).split('/');
  if (!folder || !name || deeper.length > 0) return undefined;
  const type = TYPE_NAMES.find(
    (t) =>
      RESOURCE_TYPES[t].folder === folder &&
      (RESOURCE_TYPES[t].extensions as readonly string[]).includes(extensionOf(name)),
  );
  return type ? { name, type } : undefined;
}

function resourcesOf(entries: readonly ZipEntry[]): BundleResource[] {
  return entries.flatMap((entry) => {
    const resource = typeOfPath(entry.name);
    return resource ? [{ ...resource, path: entry.name, data: entry.data }] : [];
  });
}

/** The wire form (Resource); the content is only served by `$value`, as SAP's examples show it. */
function resourceRecord(resource: BundleResource): ODataRecord {
  return { Name: resource.name, ResourceType: resource.type, ReferencedResourceType: null, ResourceContent: null };
}

function checkType(type: unknown, query: URLSearchParams): ResourceType {
  if (!isResourceType(type)) {
    throw new ODataError(
      400,
      `Invalid ResourceType ${JSON.stringify(type)}: one of ${TYPE_NAMES.join(', ')} (by the file's extension, e.g. xslt for .xsl)`,
    );
  }
  const referenced = query.get('ReferencedResourceType');
  if (referenced !== null && !(referenced === 'wsdl' && type === 'xsd')) {
    throw new ODataError(400, `Invalid ReferencedResourceType '${referenced}': only an xsd may reference a wsdl`);
  }
  return type;
}

function checkName(name: unknown, type: ResourceType): string {
  const allowed = RESOURCE_TYPES[type].extensions as readonly string[];
  if (typeof name !== 'string' || name === '' || /[/\\]/.test(name) || name.startsWith('.')) {
    throw new ODataError(400, `Invalid resource Name ${JSON.stringify(name)}: a file name such as script${allowed[0]}`);
  }
  if (!allowed.includes(extensionOf(name))) {
    throw new ODataError(
      400,
      `Resource Name "${name}" does not fit ResourceType ${type}: its file name ends with ${allowed.join(' or ')}`,
    );
  }
  return name;
}

function content(value: unknown): Buffer {
  // the definition declares base64url; clients send standard base64 (both decode the same here)
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value.replace(/\s+/g, ''))) {
    throw new ODataError(400, 'ResourceContent must be the file content in base64');
  }
  return Buffer.from(value, 'base64');
}

export function iflowResourceRoutes(store: TenantStore): ApiRoute[] {
  const bundleEntries = (iflow: StoredIflow, now: number): ZipEntry[] => readZip(bundleOf(iflow, new Date(now)));

  const listed = (request: ApiRequest, id: string, version: string): BundleResource[] =>
    resourcesOf(bundleEntries(iflowOr404(store, id, version), request.now));

  const resourceOr404 = (request: ApiRequest, match: RegExpExecArray): BundleResource => {
    const [, id, version, name, type] = match;
    const iflow = iflowOr404(store, id!, version!);
    checkType(type, request.query);
    const found = resourcesOf(bundleEntries(iflow, request.now)).find((r) => r.name === name && r.type === type);
    if (!found) throw new ODataError(404, `Integration artifact '${iflow.id}' has no ${type} resource '${name}'`);
    return found;
  };

  /** Writes the bundle with the change applied; a generated bundle becomes a stored one from here on. */
  const saveBundle = (iflow: StoredIflow, entries: readonly ZipEntry[], now: number): void => {
    const zip = writeZip(entries, new Date(now)).toString('base64');
    store.update((state) => {
      state.iflows[iflow.id]!.bundle = zip;
    });
  };

  const add = (request: ApiRequest, match: RegExpExecArray): ApiResponse => {
    const iflow = iflowOr404(store, match[1]!, match[2]!);
    const body = jsonBody(request);
    const type = checkType(body.ResourceType, request.query);
    const name = checkName(body.Name, type);
    const data = content(body.ResourceContent);
    const entries = bundleEntries(iflow, request.now);
    if (resourcesOf(entries).some((r) => r.name === name && r.type === type)) {
      // the definition is silent; 409 is OData's answer to an existing key (UNCONFIRMED, docs/emulator.md)
      throw new ODataError(
        409,
        `Integration artifact '${iflow.id}' already has the ${type} resource '${name}'; update it with PUT $links/Resources`,
      );
    }
    const path = `${RESOURCES}${RESOURCE_TYPES[type].folder}/${name}`;
    saveBundle(iflow, [...entries.filter((e) => e.name !== path), { name: path, data }], request.now);
    return {
      status: 201,
      json: entityEnvelope(resourceRecord({ name, type, path, data }), request.query),
    };
  };

  const replace = (request: ApiRequest, match: RegExpExecArray): ApiResponse => {
    const resource = resourceOr404(request, match);
    const data = content(jsonBody(request).ResourceContent);
    const iflow = iflowOr404(store, match[1]!, match[2]!);
    const entries = bundleEntries(iflow, request.now).map((e) =>
      e.name === resource.path ? { name: e.name, data } : e,
    );
    saveBundle(iflow, entries, request.now);
    return { status: 202 };
  };

  const remove = (request: ApiRequest, match: RegExpExecArray): ApiResponse => {
    const resource = resourceOr404(request, match);
    const iflow = iflowOr404(store, match[1]!, match[2]!);
    saveBundle(
      iflow,
      bundleEntries(iflow, request.now).filter((e) => e.name !== resource.path),
      request.now,
    );
    return { status: 200 };
  };

  const ONE = "\\(Name='([^']+)',ResourceType='([^']+)'\\)";
  const base = `^/IntegrationDesigntimeArtifacts${ARTIFACT_KEY}`;
  return [
    {
      operation: "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources",
      method: 'GET',
      pattern: new RegExp(`${base}/Resources$`),
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => {
        const records = listed(request, match[1]!, match[2]!).map(resourceRecord);
        return {
          status: 200,
          json: collectionEnvelope(
            orderBy(records, request.query, ['Name', 'ResourceType']),
            request.query,
            `${request.serviceRoot}${request.path}`,
          ),
        };
      },
    },
    {
      operation: "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources/$count",
      method: 'GET',
      pattern: new RegExp(`${base}/Resources/\\$count$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => {
        const records = listed(request, match[1]!, match[2]!).map(resourceRecord);
        const predicate = parseFilter(request.query.get('$filter'));
        const count = predicate ? records.filter(predicate).length : records.length;
        return { status: 200, text: String(count), contentType: 'text/plain; charset=utf-8' };
      },
    },
    {
      operation:
        "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources(Name='{Name}',ResourceType='{Type}')",
      method: 'GET',
      pattern: new RegExp(`${base}/Resources${ONE}$`),
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => ({
        status: 200,
        json: entityEnvelope(resourceRecord(resourceOr404(request, match)), request.query),
      }),
    },
    {
      operation:
        "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources(Name='{Name}',ResourceType='{Type}')/$value",
      method: 'GET',
      pattern: new RegExp(`${base}/Resources${ONE}/\\$value$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => ({
        status: 200,
        bytes: resourceOr404(request, match).data,
        contentType: 'application/octet-stream',
      }),
    },
    {
      operation: "POST /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Resources",
      method: 'POST',
      pattern: new RegExp(`${base}/Resources$`),
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: add,
    },
    {
      operation:
        "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Resources(Name='{Name}',ResourceType='{Type}')",
      method: 'PUT',
      pattern: new RegExp(`${base}/\\$links/Resources${ONE}$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: replace,
    },
    {
      operation:
        "DELETE /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Resources(Name='{Name}',ResourceType='{Type}')",
      method: 'DELETE',
      pattern: new RegExp(`${base}/\\$links/Resources${ONE}$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: remove,
    },
  ];
}
