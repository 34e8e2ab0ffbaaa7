// Integration Content API: integration packages, the containers of design-time iFlows — list, read, create, update,
// delete, and the iFlows in one. Packages also come from the configuration (`iflows[].packageId`). docs/emulator.md
// lists what is served and where the definitions leave the behaviour open.
import type { ApiRequest, ApiResponse, ApiRoute } from './api-route';
import { flag, jsonBody } from './api-route';
import { ARTIFACT_KEY, designtimeRecord, iflowOr404 } from './designtime-artifacts';
import { collectionEnvelope, entityEnvelope, ODataError, type ODataRecord } from './odata';
import { packageExport, readPackageExport, type ImportedPackage } from './package-export';
import type { StoredIflow, StoredPackage, TenantStore } from './tenant-store';

const PACKAGE_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/** Free-text properties a client may set on a package (create and update); others are the tenant's. */
const TEXT_PROPERTIES = [
  'Description',
  'ShortText',
  'Version',
  'Vendor',
  'Products',
  'Keywords',
  'Countries',
  'Industries',
  'LineOfBusiness',
] as const;

/** The wire form of a package (IntegrationPackage), with the values SAP's example gives a tenant's own package. */
function packageRecord(pkg: StoredPackage): ODataRecord {
  const text = (name: (typeof TEXT_PROPERTIES)[number], fallback: string) => pkg.texts?.[name] ?? fallback;
  return {
    Id: pkg.id,
    Name: pkg.name,
    Description: text('Description', ''),
    ShortText: text('ShortText', ''),
    Version: text('Version', ''),
    Vendor: text('Vendor', ''),
    Mode: 'EDIT_ALLOWED',
    SupportedPlatform: 'SAP Cloud Integration',
    ModifiedBy: pkg.modifiedBy ?? pkg.createdBy,
    // milliseconds as a string, not /Date()/: that is how SAP's example carries the package dates
    CreationDate: String(pkg.createdAt),
    ModifiedDate: String(pkg.modifiedAt ?? pkg.createdAt),
    CreatedBy: pkg.createdBy,
    Products: text('Products', '[]'),
    Keywords: text('Keywords', '[]'),
    Countries: text('Countries', '[]'),
    Industries: text('Industries', '[]'),
    LineOfBusiness: text('LineOfBusiness', '[]'),
  };
}

function textsOf(body: ODataRecord): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const name of TEXT_PROPERTIES) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new ODataError(400, `${name} must be a string`);
    texts[name] = value;
  }
  return texts;
}

function packageName(value: unknown, fallback: string | undefined): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') throw new ODataError(400, 'Name must be a non-empty string');
  return value;
}

export function integrationPackageRoutes(store: TenantStore): ApiRoute[] {
  const packageOr404 = (id: string): StoredPackage => {
    const pkg = store.state.packages[id];
    if (!pkg) throw new ODataError(404, `Integration package '${id}' not found`);
    return pkg;
  };

  const iflowsOf = (packageId: string): StoredIflow[] =>
    Object.values(store.state.iflows)
      .filter((iflow) => iflow.packageId === packageId)
      .sort((a, b) => a.id.localeCompare(b.id));

  /** The package file of PackageContent (base64 zip), read; a 400 saying what is wrong with it. */
  const importedContent = (encoded: unknown): ImportedPackage | undefined => {
    if (encoded === undefined || encoded === null || encoded === '') return undefined;
    if (typeof encoded !== 'string')
      throw new ODataError(400, 'PackageContent must be the package file (zip) in base64');
    try {
      return readPackageExport(Buffer.from(encoded, 'base64'));
    } catch (error) {
      throw new ODataError(
        400,
        `PackageContent is not a package file the emulator can import: ${(error as Error).message}`,
      );
    }
  };

  const create = (request: ApiRequest): ApiResponse => {
    const body = jsonBody(request);
    const imported = importedContent(body.PackageContent);
    const id = body.Id ?? imported?.attributes.Id;
    if (typeof id !== 'string' || !PACKAGE_ID.test(id)) {
      throw new ODataError(400, `Invalid Id ${JSON.stringify(id)}: 1 to 200 letters, digits, _ . or -`);
    }
    if (imported && imported.attributes.Id !== undefined && imported.attributes.Id !== id) {
      throw new ODataError(
        400,
        `Id "${id}" is not the Id of the package in PackageContent ("${String(imported.attributes.Id)}")`,
      );
    }
    const name = packageName(body.Name ?? imported?.attributes.Name, undefined);
    const existing = store.state.packages[id];
    const overwrite = flag(request.query, 'Overwrite');
    if (existing && !overwrite) {
      throw new ODataError(409, 'Entity with the specified IntegrationPackage id already exist.');
    }
    for (const iflow of imported?.iflows ?? []) {
      const other = store.state.iflows[iflow.id];
      if (other && other.packageId !== id) {
        throw new ODataError(
          409,
          `The package file holds the integration flow ${iflow.id}, which exists in the ${other.packageId} package`,
        );
      }
    }
    // of the file's attributes only the texts count (a tenant's file may carry other kinds of values)
    const fileTexts = Object.fromEntries(
      Object.entries(imported?.attributes ?? {}).filter(([, value]) => typeof value === 'string'),
    );
    const texts = { ...textsOf(fileTexts), ...textsOf(body) };
    const created = store.update((state) => {
      const pkg: StoredPackage = {
        id,
        name,
        createdBy: existing?.createdBy ?? request.principal.name,
        createdAt: existing?.createdAt ?? request.now,
        modifiedBy: request.principal.name,
        modifiedAt: request.now,
        texts,
      };
      state.packages[id] = pkg;
      if (imported) {
        // an import replaces the package's design-time iFlows with the file's (UNCONFIRMED, docs/emulator.md)
        for (const iflow of Object.values(state.iflows)) if (iflow.packageId === id) delete state.iflows[iflow.id];
        for (const iflow of imported.iflows) {
          state.iflows[iflow.id] = {
            id: iflow.id,
            name: iflow.name ?? iflow.id,
            version: iflow.version ?? '1.0.0',
            packageId: id,
            channel: iflow.content.channel,
            parameters: iflow.content.parameters,
            bundle: iflow.zip.toString('base64'),
            deployError: null,
          };
        }
      }
      return pkg;
    });
    return { status: 201, json: entityEnvelope(packageRecord(created), request.query) };
  };

  const update = (request: ApiRequest, id: string): ApiResponse => {
    const pkg = packageOr404(id);
    const body = jsonBody(request);
    const name = packageName(body.Name, pkg.name);
    const texts = textsOf(body);
    store.update((state) => {
      const stored = state.packages[id]!;
      stored.name = name;
      stored.texts = { ...stored.texts, ...texts };
      stored.modifiedBy = request.principal.name;
      stored.modifiedAt = request.now;
    });
    return { status: 202 };
  };

  const remove = (id: string): ApiResponse => {
    packageOr404(id);
    // the package goes with its design-time iFlows; what is deployed keeps running (UNCONFIRMED, docs/emulator.md)
    store.update((state) => {
      for (const iflow of Object.values(state.iflows)) if (iflow.packageId === id) delete state.iflows[iflow.id];
      delete state.packages[id];
    });
    return { status: 202 };
  };

  return [
    {
      operation: 'GET /IntegrationPackages',
      method: 'GET',
      pattern: /^\/IntegrationPackages$/,
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request) => {
        // Author and LoB select packages by custom tag; the emulator's packages carry none, so a tag selects nothing
        const tagged = request.query.has('Author') || request.query.has('LoB');
        const packages = tagged
          ? []
          : Object.values(store.state.packages)
              .sort((a, b) => a.id.localeCompare(b.id))
              .map((pkg) => packageRecord(pkg));
        return {
          status: 200,
          json: collectionEnvelope(packages, request.query, `${request.serviceRoot}/IntegrationPackages`),
        };
      },
    },
    {
      operation: "GET /IntegrationPackages('{Id}')",
      method: 'GET',
      pattern: /^\/IntegrationPackages\('([^']+)'\)$/,
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => ({
        status: 200,
        json: entityEnvelope(packageRecord(packageOr404(match[1]!)), request.query),
      }),
    },
    {
      operation: "GET /IntegrationPackages('{Id}')/$value",
      method: 'GET',
      pattern: /^\/IntegrationPackages\('([^']+)'\)\/\$value$/,
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => {
        const pkg = packageOr404(match[1]!);
        // the emulator keeps no drafts, so the definition's 500 for artifacts in draft state never happens
        return {
          status: 200,
          bytes: packageExport(pkg, packageRecord(pkg), iflowsOf(pkg.id), new Date(request.now)),
          contentType: 'application/zip',
          headers: { 'Content-Disposition': `attachment; filename="${pkg.id}.zip"` },
        };
      },
    },
    {
      operation: "GET /IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts",
      method: 'GET',
      pattern: /^\/IntegrationPackages\('([^']+)'\)\/IntegrationDesigntimeArtifacts$/,
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => {
        const pkg = packageOr404(match[1]!);
        return {
          status: 200,
          json: collectionEnvelope(
            iflowsOf(pkg.id).map((iflow) => designtimeRecord(iflow, request.serviceRoot)),
            request.query,
            `${request.serviceRoot}${request.path}`,
          ),
        };
      },
    },
    {
      operation:
        "GET /IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts(Id='{ArtifactId}',Version='{ArtifactVersion}')",
      method: 'GET',
      pattern: new RegExp(`^/IntegrationPackages\\('([^']+)'\\)/IntegrationDesigntimeArtifacts${ARTIFACT_KEY}$`),
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => {
        const pkg = packageOr404(match[1]!);
        const iflow = iflowOr404(store, match[2]!, match[3]!);
        if (iflow.packageId !== pkg.id) {
          throw new ODataError(404, `Integration artifact '${iflow.id}' is not in integration package '${pkg.id}'`);
        }
        return { status: 200, json: entityEnvelope(designtimeRecord(iflow, request.serviceRoot), request.query) };
      },
    },
    {
      operation: 'POST /IntegrationPackages',
      method: 'POST',
      pattern: /^\/IntegrationPackages$/,
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: create,
    },
    {
      operation: "PUT /IntegrationPackages('{Id}')",
      method: 'PUT',
      pattern: /^\/IntegrationPackages\('([^']+)'\)$/,
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => update(request, match[1]!),
    },
    {
      operation: "DELETE /IntegrationPackages('{Id}')",
      method: 'DELETE',
      pattern: /^\/IntegrationPackages\('([^']+)'\)$/,
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (_request, match) => remove(match[1]!),
    },
  ];
}
