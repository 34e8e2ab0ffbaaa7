// Integration Content API: design-time iFlows — read one, download its bundle ($value), create or upload one,
// update it (draft rename or new bundle), delete it. Configurations are in integration-content.ts. docs/emulator.md
// lists what is served and where the definitions leave the behaviour open.
import type { ApiRequest, ApiResponse, ApiRoute } from './api-route';
import { jsonBody, quoted } from './api-route';
import { bundleOf, readBundle, withBundleVersion, type BundleContent } from './iflow-bundle';
import { entityEnvelope, ODataError, type ODataRecord } from './odata';
import type { ChannelTemplate, StoredIflow, TenantStore } from './tenant-store';

export const ARTIFACT_KEY = "\\(Id='([^']+)',Version='([^']+)'\\)";

/** What the definition asks of an iFlow name (its 400 example says the same). */
const IFLOW_NAME = /^[A-Za-z_][A-Za-z0-9_ .-]*$/;
const IFLOW_ID = /^[A-Za-z0-9_.-]{1,200}$/;
/** A version as the tenant numbers iFlows (major.minor.micro). */
const VERSION = /^\d{1,9}\.\d{1,9}\.\d{1,9}$/;

/** The channel of an iFlow created without a bundle: a SOAP receiver channel with nothing filled in. */
const EMPTY_CHANNEL: ChannelTemplate = {
  receiverUrl: '',
  publicKeyAlias: '',
  signingAlias: '',
  keyIdentifier: 'IssuerSerial',
};

/** The wire form of a design-time iFlow (IntegrationDesigntimeArtifact); navigations stay deferred, as on a tenant. */
export function designtimeRecord(iflow: StoredIflow, serviceRoot: string): ODataRecord {
  const self = `${serviceRoot}/IntegrationDesigntimeArtifacts(Id='${iflow.id}',Version='${iflow.version}')`;
  return {
    Id: iflow.id,
    Version: iflow.version,
    PackageId: iflow.packageId,
    Name: iflow.name,
    Description: '',
    Sender: '',
    Receiver: '',
    ArtifactContent: null,
    Configurations: { __deferred: { uri: `${self}/Configurations` } },
    Resources: { __deferred: { uri: `${self}/Resources` } },
  };
}

/**
 * The iFlow under Id in Version (its own or `active`, in any case: SAP's CI/CD steps send `Active`), or a 404.
 */
export function iflowOr404(store: TenantStore, id: string, version: string): StoredIflow {
  const iflow = store.state.iflows[id];
  if (!iflow) throw new ODataError(404, `Integration artifact '${id}' not found`);
  if (version.toLowerCase() !== 'active' && version !== iflow.version) {
    throw new ODataError(
      404,
      `Integration artifact '${id}' has no version '${version}'; its version is '${iflow.version}' (or use 'active')`,
    );
  }
  return iflow;
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !IFLOW_NAME.test(name) || name.endsWith('.')) {
    throw new ODataError(
      400,
      `Invalid Name ${JSON.stringify(name)}: a name begins with a letter or underscore (_), can also contain numbers, space, period (.) or hyphen (-), and does not end with a period`,
    );
  }
  return name;
}

/** The uploaded bundle of ArtifactContent (base64 zip), or undefined when the body carries none. */
function uploadedBundle(body: ODataRecord, id: string): { content: BundleContent; zip: Buffer } | undefined {
  const encoded = body.ArtifactContent;
  if (encoded === undefined || encoded === null || encoded === '') return undefined;
  if (typeof encoded !== 'string') throw new ODataError(400, 'ArtifactContent must be the bundle (zip) in base64');
  const zip = Buffer.from(encoded, 'base64');
  let content: BundleContent;
  try {
    content = readBundle(zip);
  } catch (error) {
    throw new ODataError(400, `ArtifactContent is not a usable iFlow bundle: ${(error as Error).message}`);
  }
  if (content.symbolicName !== undefined && content.symbolicName !== id) {
    throw new ODataError(
      400,
      `The bundle's Bundle-SymbolicName "${content.symbolicName}" is not the integration flow's Id "${id}"`,
    );
  }
  return { content, zip };
}

export function designtimeArtifactRoutes(store: TenantStore): ApiRoute[] {
  const create = (request: ApiRequest): ApiResponse => {
    const body = jsonBody(request);
    const name = checkName(body.Name);
    const id = body.Id ?? name;
    if (typeof id !== 'string' || !IFLOW_ID.test(id)) {
      throw new ODataError(400, `Invalid Id ${JSON.stringify(id)}: 1 to 200 letters, digits, _ . or -`);
    }
    const packageId = body.PackageId;
    if (typeof packageId !== 'string' || !store.state.packages[packageId]) {
      throw new ODataError(
        404,
        `Integration package ${JSON.stringify(packageId)} not found; send an existing PackageId`,
      );
    }
    const existing = store.state.iflows[id];
    if (existing) {
      // SAP documents this case as a 500 (definition: "possibly an integration flow with the same Id already exists")
      throw new ODataError(
        500,
        `An integration flow ${existing.name} with the ID ${id} already exists in the ${existing.packageId} package. Please rename the artifact ID.`,
      );
    }
    const upload = uploadedBundle(body, id);
    const iflow: StoredIflow = {
      id,
      name,
      version: upload?.content.version ?? '1.0.0',
      packageId,
      channel: upload?.content.channel ?? { ...EMPTY_CHANNEL },
      parameters: upload?.content.parameters ?? [],
      ...(upload ? { bundle: upload.zip.toString('base64') } : {}),
      deployError: null,
    };
    store.update((state) => {
      state.iflows[id] = iflow;
    });
    return { status: 201, json: entityEnvelope(designtimeRecord(iflow, request.serviceRoot), request.query) };
  };

  const update = (request: ApiRequest, id: string, version: string): ApiResponse => {
    const iflow = iflowOr404(store, id, version);
    const body = jsonBody(request);
    const name = body.Name === undefined ? undefined : checkName(body.Name);
    const upload = uploadedBundle(body, iflow.id);
    if (name === undefined && !upload) throw new ODataError(400, 'Send Name, ArtifactContent or both');
    store.update((state) => {
      const stored = state.iflows[iflow.id]!;
      // with a bundle, version and (without Name) name come from its manifest, as the definition's table says
      if (upload) {
        stored.channel = upload.content.channel;
        stored.parameters = upload.content.parameters;
        stored.bundle = upload.zip.toString('base64');
        stored.version = upload.content.version ?? stored.version;
        stored.name = name ?? upload.content.name ?? stored.name;
      } else if (name !== undefined) {
        stored.name = name;
      }
    });
    return { status: 200 };
  };

  /**
   * SaveAsVersion: the iFlow's current state becomes the new version. The emulator keeps one version per iFlow, so
   * the old version number stops resolving (UNCONFIRMED: a tenant keeps it in the version history).
   */
  const saveAsVersion = (request: ApiRequest): ApiResponse => {
    const iflow = iflowOr404(store, quoted(request.query, 'Id'), 'active');
    const version = quoted(request.query, 'SaveAsVersion');
    if (!VERSION.test(version)) {
      throw new ODataError(400, `Invalid SaveAsVersion '${version}': a version is major.minor.micro, e.g. '1.0.5'`);
    }
    if (version === iflow.version) {
      throw new ODataError(400, `Integration artifact '${iflow.id}' already has version '${version}'; choose another`);
    }
    store.update((state) => {
      const stored = state.iflows[iflow.id]!;
      stored.version = version;
      if (stored.bundle !== undefined) {
        stored.bundle = withBundleVersion(Buffer.from(stored.bundle, 'base64'), version).toString('base64');
      }
    });
    return {
      status: 200,
      json: entityEnvelope(designtimeRecord(store.state.iflows[iflow.id]!, request.serviceRoot), request.query),
    };
  };

  return [
    {
      operation: 'POST /IntegrationDesigntimeArtifactSaveAsVersion',
      method: 'POST',
      pattern: /^\/IntegrationDesigntimeArtifactSaveAsVersion$/,
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: saveAsVersion,
    },
    {
      operation: "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')",
      method: 'GET',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT_KEY}$`),
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => ({
        status: 200,
        json: entityEnvelope(
          designtimeRecord(iflowOr404(store, match[1]!, match[2]!), request.serviceRoot),
          request.query,
        ),
      }),
    },
    {
      operation: "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$value",
      method: 'GET',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT_KEY}/\\$value$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => {
        const iflow = iflowOr404(store, match[1]!, match[2]!);
        return {
          status: 200,
          bytes: bundleOf(iflow, new Date(request.now)),
          contentType: 'application/zip',
          headers: { 'Content-Disposition': `attachment; filename="${iflow.id}.zip"` },
        };
      },
    },
    {
      operation: 'POST /IntegrationDesigntimeArtifacts',
      method: 'POST',
      pattern: /^\/IntegrationDesigntimeArtifacts$/,
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: create,
    },
    {
      operation: "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')",
      method: 'PUT',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT_KEY}$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => update(request, match[1]!, match[2]!),
    },
    {
      operation: "DELETE /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')",
      method: 'DELETE',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT_KEY}$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (_request, match) => {
        const iflow = iflowOr404(store, match[1]!, match[2]!);
        // the runtime artifact stays deployed: deleting the design time does not undeploy (UNCONFIRMED)
        store.update((state) => {
          delete state.iflows[iflow.id];
        });
        return { status: 200 };
      },
    },
  ];
}
