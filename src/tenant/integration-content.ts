// Runtime artifacts of the Integration Content API: read deployed iFlows, deploy a design-time version and wait
// until it runs (task id → BuildAndDeployStatus → runtime status STARTED or ERROR with the tenant's error text),
// undeploy, and change an externalized configuration parameter (e.g. the channel's public key alias).
import { CpiError } from '../errors';
import type { TenantHttp, TenantRequest } from './http';
import type { CallOptions } from './keystore';
import { collectAll } from './paging';
import { collectionOf, entityOf, optionalString, parseODataDate, quotedLiteral } from './odata';
import type { Sleep } from './rate-limiter';
import { statusPollPause } from './status-poll';

/** A deployed integration artifact (iFlow) as the runtime reports it. */
export interface RuntimeArtifact {
  id: string;
  version: string;
  name?: string;
  /** e.g. `INTEGRATION_FLOW`. */
  type?: string;
  /** `STARTED` and `ERROR` are final; `STARTING`/`STOPPING` are reported while it changes. */
  status: 'STARTING' | 'STARTED' | 'STOPPING' | 'ERROR' | string;
  deployedBy?: string;
  deployedOn?: Date;
  /** The tenant's error text; only filled by a deployment wait that ends in ERROR. */
  errorInformation?: string;
}

const READ_ROLE = 'MonitoringDataRead';
const DEPLOY_ROLE = 'WorkspaceArtifactsDeploy';
// not in the project's role notes: SAP's role template for changing externalized parameters
const CONFIGURE_ROLE = 'WorkspacePackagesConfigure (or another role that may configure integration content)';

/** Maps a raw `IntegrationRuntimeArtifact`; undefined without an Id. */
export function toRuntimeArtifact(raw: Record<string, unknown>): RuntimeArtifact | undefined {
  const id = optionalString(raw.Id);
  if (id === undefined) return undefined;
  const artifact: RuntimeArtifact = {
    id,
    version: optionalString(raw.Version) ?? '',
    name: optionalString(raw.Name),
    type: optionalString(raw.Type),
    status: (optionalString(raw.Status) ?? '').toUpperCase(),
    deployedBy: optionalString(raw.DeployedBy),
    deployedOn: parseODataDate(raw.DeployedOn),
  };
  for (const key of Object.keys(artifact) as (keyof RuntimeArtifact)[])
    if (artifact[key] === undefined) delete artifact[key];
  return artifact;
}

function runtimePath(id: string): string {
  return `/IntegrationRuntimeArtifacts(${quotedLiteral(id)})`;
}

/** The deployed artifact with this id, or undefined when it is not deployed. */
export async function getRuntimeArtifact(
  http: TenantHttp,
  id: string,
  options: CallOptions = {},
): Promise<RuntimeArtifact | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: runtimePath(id),
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `iFlow "${id}"`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  const raw = entityOf(http.json(request, response));
  const artifact = raw && toRuntimeArtifact(raw);
  if (!artifact) http.fail(request, response, 'expected a runtime artifact {"d":{"Id":…,"Status":…}}');
  return artifact;
}

/**
 * Whether the design-time iFlow exists in this version (`'active'` for the current one): checked at plan time so
 * that an unknown iFlow or version fails before anything is undeployed or deployed. Undefined on 404.
 */
export async function getDesigntimeArtifact(
  http: TenantHttp,
  id: string,
  version: string,
  options: CallOptions = {},
): Promise<{ id: string; version: string } | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: `/IntegrationDesigntimeArtifacts(Id=${quotedLiteral(id)},Version=${quotedLiteral(version)})`,
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `iFlow "${id}" version "${version}"`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  const raw = entityOf(http.json(request, response));
  const found = optionalString(raw?.Id);
  if (!found) http.fail(request, response, 'expected a design-time artifact {"d":{"Id":…,"Version":…}}');
  return { id: found, version: optionalString(raw?.Version) ?? version };
}

/**
 * The bundle (zip) of a design-time iFlow version (`'active'` for the current one), or undefined when the tenant has
 * no such iFlow (404).
 */
export async function getDesigntimeBundle(
  http: TenantHttp,
  id: string,
  version: string,
  options: CallOptions = {},
): Promise<Buffer | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: `/IntegrationDesigntimeArtifacts(Id=${quotedLiteral(id)},Version=${quotedLiteral(version)})/$value`,
    headers: { Accept: 'application/zip' },
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `bundle of iFlow "${id}" version "${version}"`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  if (!response.bytes || response.bytes.length === 0) http.fail(request, response, 'expected the iFlow bundle (a zip)');
  return response.bytes;
}

/** Every deployed artifact, all pages. */
export function listRuntimeArtifacts(http: TenantHttp, options: CallOptions = {}): Promise<RuntimeArtifact[]> {
  return collectAll(
    http,
    {
      method: 'GET',
      path: '/IntegrationRuntimeArtifacts',
      retry: 'idempotent',
      role: READ_ROLE,
      subject: 'runtime artifacts',
      signal: options.signal,
    },
    { map: toRuntimeArtifact, key: (artifact) => artifact.id, nextQuery: (count) => ({ $skip: String(count) }) },
  );
}

/**
 * Starts deploying a design-time iFlow version (`'active'` or e.g. `'1.0.5'`); returns the deployment task id.
 * Sent once: a repeat would start a second deployment, so only a 429 is retried.
 */
export async function deployIntegrationFlow(
  http: TenantHttp,
  id: string,
  version: string,
  options: CallOptions = {},
): Promise<{ taskId: string }> {
  const request: TenantRequest = {
    method: 'POST',
    path: '/DeployIntegrationDesigntimeArtifact',
    query: { Id: `'${id.replace(/'/g, "''")}'`, Version: `'${version.replace(/'/g, "''")}'` },
    retry: 'once',
    role: DEPLOY_ROLE,
    subject: `iFlow "${id}" version "${version}"`,
    signal: options.signal,
  };
  const response = await http.request(request);
  const taskId = taskIdOf(response.text);
  if (!taskId) http.fail(request, response, 'expected the deployment task id as the response body');
  return { taskId };
}

/** The task id: the body is plain text; tolerate a JSON-wrapped string as some OData stacks return it. */
function taskIdOf(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed.replace(/^"|"$/g, '') || undefined;
  try {
    const d = (JSON.parse(trimmed) as { d?: unknown }).d;
    if (typeof d === 'string') return d;
    if (d && typeof d === 'object') {
      const value = Object.values(d as Record<string, unknown>).find((v) => typeof v === 'string' && v.length > 0);
      return value as string | undefined;
    }
  } catch {
    // not JSON after all
  }
  return undefined;
}

export interface WaitOptions extends CallOptions {
  /** Give up (CPI_TENANT_DEPLOY_TIMEOUT) after this long. */
  timeoutMs: number;
  /** Longest pause between status polls; pauses start shorter (statusPollPause). @default 2000 */
  pollMs?: number;
  /** When set, STARTED only counts once the runtime runs this version (not the previous one). */
  expectedVersion?: string;
}

/**
 * Waits for a deployment task: polls BuildAndDeployStatus until it leaves DEPLOYING, then the runtime status
 * until STARTED (returned) or ERROR (CPI_TENANT_DEPLOY_FAILED with the tenant's error text). Checking the runtime
 * only after the task finished avoids reading the previous deployment's STARTED.
 */
export async function waitForDeployment(
  http: TenantHttp,
  clock: { now: () => number; sleep: Sleep },
  id: string,
  taskId: string,
  options: WaitOptions,
): Promise<RuntimeArtifact> {
  const started = clock.now();
  const deadline = started + options.timeoutMs;
  const longestMs = options.pollMs ?? 2000;
  let last = 'not polled yet';
  const pause = async (): Promise<void> => {
    const pollMs = statusPollPause(clock.now() - started, longestMs);
    if (clock.now() + pollMs > deadline) {
      throw new CpiError(
        'CPI_TENANT_DEPLOY_TIMEOUT',
        `iFlow "${id}" (task ${taskId}) was still ${last} after ${options.timeoutMs} ms`,
      );
    }
    try {
      await clock.sleep(pollMs, options.signal);
    } catch (error) {
      if (options.signal?.aborted)
        throw new CpiError('CPI_PROVIDER_INTERRUPTED', `waiting for the deployment of iFlow "${id}" was cancelled`);
      throw error;
    }
  };

  for (;;) {
    const status = await buildAndDeployStatus(http, taskId, options);
    last = `in build and deploy status ${status ?? '(task not known yet)'}`;
    if (status === 'SUCCESS') break;
    if (status !== undefined && status.startsWith('FAIL')) {
      const text = await errorInformation(http, id, options);
      throw http.error(
        'CPI_TENANT_DEPLOY_FAILED',
        `iFlow "${id}" (task ${taskId}): build and deploy status ${status}: ${text ?? 'the tenant gave no error text'}`,
      );
    }
    await pause();
  }
  for (;;) {
    const artifact = await getRuntimeArtifact(http, id, options);
    last = artifact ? `in runtime status ${artifact.status} (version ${artifact.version})` : 'not in the runtime';
    const rightVersion =
      !options.expectedVersion || options.expectedVersion === 'active' || artifact?.version === options.expectedVersion;
    if (artifact?.status === 'ERROR' && rightVersion) {
      const text = await errorInformation(http, id, options);
      throw http.error(
        'CPI_TENANT_DEPLOY_FAILED',
        `iFlow "${id}" version ${artifact.version} is in status ERROR: ${text ?? 'the tenant gave no error text'}`,
      );
    }
    if (artifact?.status === 'STARTED' && rightVersion) return artifact;
    await pause();
  }
}

async function buildAndDeployStatus(
  http: TenantHttp,
  taskId: string,
  options: CallOptions,
): Promise<string | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: `/BuildAndDeployStatus(TaskId=${quotedLiteral(taskId)})`,
    retry: 'idempotent',
    role: DEPLOY_ROLE,
    subject: `deployment task ${taskId}`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  const status = entityOf(http.json(request, response))?.Status;
  if (typeof status !== 'string') http.fail(request, response, 'expected {"d":{"TaskId":…,"Status":…}}');
  return status.toUpperCase();
}

/**
 * The tenant's error text for a failed artifact (`ErrorInformation/$value`, JSON with `message.messageText` and
 * `parameter`), or undefined when it has none yet. Best effort: failing to read it must not hide the deploy error.
 */
export async function errorInformation(
  http: TenantHttp,
  id: string,
  options: CallOptions = {},
): Promise<string | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: `${runtimePath(id)}/ErrorInformation/$value`,
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `iFlow "${id}"`,
    accept: [404],
    signal: options.signal,
  };
  let text: string;
  try {
    const response = await http.request(request);
    if (response.status !== 200) return undefined;
    text = response.text.trim();
  } catch (error) {
    if (error instanceof CpiError && error.code === 'CPI_PROVIDER_INTERRUPTED') throw error;
    return undefined;
  }
  if (text === '') return undefined;
  try {
    const body = JSON.parse(text) as {
      message?: { messageText?: unknown; subsystemName?: unknown };
      parameter?: unknown;
    };
    const parts: string[] = [];
    if (typeof body.message?.messageText === 'string') parts.push(body.message.messageText);
    if (Array.isArray(body.parameter)) parts.push(...body.parameter.filter((p): p is string => typeof p === 'string'));
    if (parts.length > 0) return parts.join(' | ');
  } catch {
    // plain text
  }
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** Undeploys an iFlow; one that is not deployed is success. The tenant stops it asynchronously (202). */
export async function undeployIntegrationFlow(http: TenantHttp, id: string, options: CallOptions = {}): Promise<void> {
  await http.request({
    method: 'DELETE',
    path: runtimePath(id),
    retry: 'idempotent',
    role: DEPLOY_ROLE,
    subject: `iFlow "${id}"`,
    accept: [404],
    signal: options.signal,
  });
}

/** One externalized configuration parameter of a design-time iFlow (`…/Configurations`). */
export interface ConfigurationParameter {
  key: string;
  value: string;
  dataType?: string;
}

/**
 * The externalized configuration parameters of a design-time iFlow version (`active` for the current one), or
 * undefined when the tenant has no such iFlow (404).
 */
export async function getConfigurations(
  http: TenantHttp,
  iflowId: string,
  version: string,
  options: CallOptions = {},
): Promise<ConfigurationParameter[] | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: `/IntegrationDesigntimeArtifacts(Id=${quotedLiteral(iflowId)},Version=${quotedLiteral(version)})/Configurations`,
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `configuration of iFlow "${iflowId}" version "${version}"`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  const collection = collectionOf(http.json(request, response));
  if (!collection) http.fail(request, response, 'expected an OData collection {"d":{"results":[…]}}');
  const parameters: ConfigurationParameter[] = [];
  for (const raw of collection.results) {
    const key = optionalString(raw.ParameterKey);
    if (key === undefined) continue;
    const dataType = optionalString(raw.DataType);
    parameters.push({ key, value: optionalString(raw.ParameterValue) ?? '', ...(dataType ? { dataType } : {}) });
  }
  return parameters;
}

/**
 * Sets an externalized configuration parameter of a design-time iFlow version (`active` or e.g. `1.0.5`). It takes
 * effect at the next deployment.
 */
export async function updateConfigurationParameter(
  http: TenantHttp,
  iflowId: string,
  version: string,
  key: string,
  value: string,
  options: CallOptions = {},
): Promise<void> {
  await http.request({
    method: 'PUT',
    path: `/IntegrationDesigntimeArtifacts(Id=${quotedLiteral(iflowId)},Version=${quotedLiteral(version)})/$links/Configurations(${quotedLiteral(key)})`,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ParameterValue: value }),
    retry: 'idempotent',
    role: CONFIGURE_ROLE,
    subject: `parameter "${key}" of iFlow "${iflowId}" version "${version}"`,
    signal: options.signal,
  });
}
