// Integration Content API: the endpoints of deployed iFlows (ServiceEndpoints), which CI/CD clients read to find the
// URL to send test messages to. Each STARTED iFlow of the emulator has one: its HTTP sender endpoint
// (message-path.ts). docs/emulator.md marks what the definition leaves open (Protocol, EntryPoint Type).
import type { ApiRequest, ApiRoute } from './api-route';
import { SENDER_ENDPOINT_PREFIX } from './message-path';
import { collectionEnvelope, ODataError, odataDate, parseFilter, type ODataRecord } from './odata';
import { SERVICE_ROOT_PATH } from './api-dispatcher';
import type { StoredRuntimeArtifact, TenantStore } from './tenant-store';

const NAVIGATIONS = ['EntryPoints', 'ApiDefinitions'] as const;
type Navigation = (typeof NAVIGATIONS)[number];

/** `$expand` as a set of navigations; a 400 for any other. */
function expanded(query: URLSearchParams): Set<Navigation> {
  const option = query.get('$expand');
  const names = option
    ? option
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  for (const name of names) {
    if (!(NAVIGATIONS as readonly string[]).includes(name)) {
      throw new ODataError(400, `Invalid $expand "${option}"; expected EntryPoints, ApiDefinitions or both`);
    }
  }
  return new Set(names as Navigation[]);
}

function endpointRecord(artifact: StoredRuntimeArtifact, request: ApiRequest, expand: Set<Navigation>): ODataRecord {
  const tenantUrl = request.serviceRoot.slice(0, -SERVICE_ROOT_PATH.length);
  const id = `${artifact.id}$endpointAddress=${artifact.id}`;
  const self = `${request.serviceRoot}/ServiceEndpoints('${encodeURIComponent(id)}')`;
  const navigation = (name: Navigation, results: ODataRecord[]) =>
    expand.has(name) ? { results } : { __deferred: { uri: `${self}/${name}` } };
  return {
    Name: artifact.id,
    Id: id,
    Title: artifact.name,
    Version: artifact.version,
    Summary: artifact.name,
    Description: '',
    LastUpdated: odataDate(artifact.deployedOn),
    // the emulator's sender endpoint takes plain HTTP posts, what the tenant lists as REST (UNCONFIRMED)
    Protocol: 'REST',
    EntryPoints: navigation('EntryPoints', [
      {
        Name: artifact.id,
        Url: `${tenantUrl}${SENDER_ENDPOINT_PREFIX}/${artifact.id}`,
        Type: 'PROD',
        AdditionalInformation: null,
      },
    ]),
    // an HTTP sender publishes no WSDL or OpenAPI document
    ApiDefinitions: navigation('ApiDefinitions', []),
  };
}

export function serviceEndpointRoutes(store: TenantStore): ApiRoute[] {
  const endpoints = (request: ApiRequest): ODataRecord[] => {
    const expand = expanded(request.query);
    return Object.values(store.state.runtime)
      .filter((artifact) => artifact.status === 'STARTED')
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((artifact) => endpointRecord(artifact, request, expand));
  };
  return [
    {
      operation: 'GET /ServiceEndpoints',
      method: 'GET',
      pattern: /^\/ServiceEndpoints$/,
      area: 'runtimeArtifacts',
      answersJson: true,
      handle: (request) => ({
        status: 200,
        json: collectionEnvelope(endpoints(request), request.query, `${request.serviceRoot}/ServiceEndpoints`),
      }),
    },
    {
      operation: 'GET /ServiceEndpoints/$count',
      method: 'GET',
      pattern: /^\/ServiceEndpoints\/\$count$/,
      area: 'runtimeArtifacts',
      answersJson: false,
      handle: (request) => {
        const records = endpoints(request);
        const predicate = parseFilter(request.query.get('$filter'));
        const count = predicate ? records.filter(predicate).length : records.length;
        return { status: 200, text: String(count), contentType: 'text/plain; charset=utf-8' };
      },
    },
  ];
}
