// Integration Content API: runtime artifacts (status, error information, undeploy), deploy with task polling
// (DeployIntegrationDesigntimeArtifact → BuildAndDeployStatus), and externalized configuration parameters
// (docs/design/sap-api.md). Also integration packages and the design-time iFlows in them. docs/emulator.md lists
// what is served.
import type { ApiRequest, ApiResponse, ApiRoute } from './api-route';
import { jsonBody, quoted } from './api-route';
import type { DeployScheduler } from './deploy-scheduler';
import {
  collectionEnvelope,
  entityEnvelope,
  ODataError,
  odataDate,
  orderBy,
  parseFilter,
  type ODataRecord,
} from './odata';
import { ARTIFACT_KEY, iflowOr404 as iflowOrNone } from './designtime-artifacts';
import type { StoredIflow, StoredRuntimeArtifact, TenantStore } from './tenant-store';

function runtimeRecord(artifact: StoredRuntimeArtifact, serviceRoot: string): ODataRecord {
  return {
    Id: artifact.id,
    Version: artifact.version,
    Name: artifact.name,
    Type: 'INTEGRATION_FLOW',
    DeployedBy: artifact.deployedBy,
    DeployedOn: odataDate(artifact.deployedOn),
    Status: artifact.status,
    ErrorInformation: {
      __deferred: { uri: `${serviceRoot}/IntegrationRuntimeArtifacts('${artifact.id}')/ErrorInformation` },
    },
  };
}

/** The Integration Content routes over one store. */
export function integrationContentRoutes(store: TenantStore, scheduler: DeployScheduler): ApiRoute[] {
  const artifactOr404 = (id: string): StoredRuntimeArtifact => {
    const artifact = store.state.runtime[id];
    if (!artifact)
      throw new ODataError(404, `Requested entity could not be found. Integration artifact '${id}' is not deployed`);
    return artifact;
  };

  const iflowOr404 = (id: string, version: string): StoredIflow => iflowOrNone(store, id, version);

  const configurations = (request: ApiRequest, iflow: StoredIflow): ODataRecord[] => {
    const records = iflow.parameters.map((p) => ({ ...p }));
    const predicate = parseFilter(request.query.get('$filter'));
    return predicate ? records.filter(predicate) : records;
  };

  const runtimeList = (request: ApiRequest): ODataRecord[] =>
    Object.values(store.state.runtime)
      .map((artifact) => runtimeRecord(artifact, request.serviceRoot))
      .sort((a, b) => String(a.Id).localeCompare(String(b.Id)));

  const deploy = (request: ApiRequest): ApiResponse => {
    const id = quoted(request.query, 'Id');
    iflowOr404(id, quoted(request.query, 'Version', 'active'));
    const taskId = scheduler.deploy(id, request.principal.name);
    return { status: 202, text: taskId, contentType: 'text/plain; charset=utf-8' };
  };

  const updateParameter = (request: ApiRequest, id: string, version: string, key: string): ApiResponse => {
    const iflow = iflowOr404(id, version);
    if (!iflow.parameters.some((p) => p.ParameterKey === key)) {
      throw new ODataError(404, `Configuration parameter '${key}' not found in integration artifact '${id}'`);
    }
    const body = jsonBody(request);
    if (typeof body.ParameterValue !== 'string') {
      throw new ODataError(400, 'The request body must be {"ParameterValue":"<value>"} with an optional "DataType"');
    }
    store.update((state) => {
      const parameter = state.iflows[id]!.parameters.find((p) => p.ParameterKey === key)!;
      parameter.ParameterValue = body.ParameterValue as string;
      if (typeof body.DataType === 'string') parameter.DataType = body.DataType;
    });
    return { status: 202 };
  };

  const ARTIFACT = ARTIFACT_KEY;
  return [
    {
      operation: 'GET /IntegrationRuntimeArtifacts',
      method: 'GET',
      pattern: /^\/IntegrationRuntimeArtifacts$/,
      area: 'runtimeArtifacts',
      answersJson: true,
      handle: (request) => ({
        status: 200,
        json: collectionEnvelope(
          orderBy(runtimeList(request), request.query, [
            'Id',
            'Version',
            'Name',
            'Type',
            'DeployedBy',
            'DeployedOn',
            'Status',
          ]),
          request.query,
          `${request.serviceRoot}/IntegrationRuntimeArtifacts`,
        ),
      }),
    },
    {
      operation: 'GET /IntegrationRuntimeArtifacts/$count',
      method: 'GET',
      pattern: /^\/IntegrationRuntimeArtifacts\/\$count$/,
      area: 'runtimeArtifacts',
      answersJson: false,
      handle: (request) => {
        const predicate = parseFilter(request.query.get('$filter'));
        const records = runtimeList(request);
        const count = predicate ? records.filter(predicate).length : records.length;
        return { status: 200, text: String(count), contentType: 'text/plain; charset=utf-8' };
      },
    },
    {
      operation: "GET /IntegrationRuntimeArtifacts('{Id}')",
      method: 'GET',
      pattern: /^\/IntegrationRuntimeArtifacts\('([^']+)'\)$/,
      area: 'runtimeArtifacts',
      answersJson: true,
      handle: (request, match) => ({
        status: 200,
        json: entityEnvelope(runtimeRecord(artifactOr404(match[1]!), request.serviceRoot), request.query),
      }),
    },
    {
      operation: "DELETE /IntegrationRuntimeArtifacts('{Id}')",
      method: 'DELETE',
      pattern: /^\/IntegrationRuntimeArtifacts\('([^']+)'\)$/,
      area: 'runtimeArtifacts',
      answersJson: false,
      handle: (_request, match) => {
        scheduler.undeploy(artifactOr404(match[1]!).id);
        return { status: 202 };
      },
    },
    {
      operation: "GET /IntegrationRuntimeArtifacts('{Id}')/ErrorInformation/$value",
      method: 'GET',
      pattern: /^\/IntegrationRuntimeArtifacts\('([^']+)'\)\/ErrorInformation\/\$value$/,
      area: 'runtimeArtifacts',
      answersJson: false,
      handle: (_request, match) => {
        const artifact = artifactOr404(match[1]!);
        // The definition lists only 200. Decided (UNCONFIRMED, docs/emulator.md): an artifact without error
        // information (STARTED, STARTING, STOPPING) answers 204 No Content, the empty media value flashpipe reports
        // seeing from tenants while the information is not there.
        if (artifact.errorText === null) return { status: 204 };
        return {
          status: 200,
          // SAP's own field name has the typo "subsytemPartName" (docs/design/sap-api.md#deploy-status)
          json: {
            message: {
              subsystemName: 'IFLMAP Deployment',
              subsytemPartName: 'Runtime',
              messageId: 'DEPLOYMENT_FAILED',
              messageText: artifact.errorText,
            },
            parameter: [],
            additionalAttributes: {},
            childMessageInstances: [],
          },
        };
      },
    },
    {
      operation: 'POST /DeployIntegrationDesigntimeArtifact',
      method: 'POST',
      pattern: /^\/DeployIntegrationDesigntimeArtifact$/,
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: deploy,
    },
    {
      operation: "GET /BuildAndDeployStatus(TaskId='{taskId}')",
      method: 'GET',
      pattern: /^\/BuildAndDeployStatus\(TaskId='([^']+)'\)$/,
      area: 'runtimeArtifacts',
      answersJson: true,
      handle: (request, match) => {
        const task = store.state.tasks[match[1]!];
        if (!task) throw new ODataError(404, `Task '${match[1]}' not found`);
        const uri = `${request.serviceRoot}/BuildAndDeployStatus('${task.taskId}')`;
        return {
          status: 200,
          json: {
            d: {
              __metadata: { id: uri, uri, type: 'com.sap.hci.api.BuildAndDeployStatus' },
              TaskId: task.taskId,
              Status: task.status,
            },
          },
        };
      },
    },
    {
      operation: "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Configurations",
      method: 'GET',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT}/Configurations$`),
      area: 'designtimeArtifacts',
      answersJson: true,
      handle: (request, match) => {
        const iflow = iflowOr404(match[1]!, match[2]!);
        const records = orderBy(
          iflow.parameters.map((p) => ({ ...p })),
          request.query,
          ['ParameterKey'],
        );
        return {
          status: 200,
          json: collectionEnvelope(records, request.query, `${request.serviceRoot}${request.path}`),
        };
      },
    },
    {
      operation: "GET /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Configurations/$count",
      method: 'GET',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT}/Configurations/\\$count$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => ({
        status: 200,
        text: String(configurations(request, iflowOr404(match[1]!, match[2]!)).length),
        contentType: 'text/plain; charset=utf-8',
      }),
    },
    {
      operation:
        "PUT /IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/$links/Configurations('{ParameterKey}')",
      method: 'PUT',
      pattern: new RegExp(`^/IntegrationDesigntimeArtifacts${ARTIFACT}/\\$links/Configurations\\('([^']+)'\\)$`),
      area: 'designtimeArtifacts',
      answersJson: false,
      handle: (request, match) => updateParameter(request, match[1]!, match[2]!, match[3]!),
    },
  ];
}
