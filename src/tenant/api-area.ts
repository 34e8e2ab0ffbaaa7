// The tenant's rate limits are per API area (docs/design/sap-api.md#rate-limits): Security Content allows 10
// requests/s per user, runtime artifacts 50, design-time artifacts 10. A client that paced every call at the
// tightest of them waited on deploy status polls and runtime listings for nothing.

export type ApiArea = 'securityContent' | 'runtimeArtifacts' | 'designtimeArtifacts' | 'root';

/** Requests per second per user, per area; the service root (CSRF token fetch) has no documented limit. */
export const PER_USER_LIMITS: Readonly<Record<Exclude<ApiArea, 'root'>, number>> = {
  securityContent: 10,
  runtimeArtifacts: 50,
  designtimeArtifacts: 10,
};

const AREAS: readonly [RegExp, ApiArea][] = [
  [/^\/(IntegrationRuntimeArtifacts|BuildAndDeployStatus|ServiceEndpoints)\b/, 'runtimeArtifacts'],
  [
    /^\/(IntegrationDesigntimeArtifact|IntegrationPackages|DeployIntegrationDesigntimeArtifact|IntegrationDesigntimeArtifactSaveAsVersion)/,
    'designtimeArtifacts',
  ],
];

/** The area of a path below the service root (`/KeystoreEntries('…')`); any other path counts as Security Content, the tightest. */
export function apiAreaOf(path: string): ApiArea {
  if (path === '' || path === '/') return 'root';
  return AREAS.find(([pattern]) => pattern.test(path))?.[1] ?? 'securityContent';
}
