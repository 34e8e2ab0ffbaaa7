// The file `GET /IntegrationPackages('{Id}')/$value` hands out: an integration package exported as a zip, in the
// layout community tools read from tenant exports (the definition says only "a .zip file"; UNCONFIRMED, see
// docs/emulator.md): `contentmetadata.md` and `resources.cnt` (each base64 text; resources.cnt is JSON describing
// the package and listing its artifacts) and one `<resource id>_content` per artifact, which is the artifact's own
// bundle zip as `IntegrationDesigntimeArtifacts(…)/$value` serves it.
import { createHash } from 'node:crypto';
import { bundleOf } from './iflow-bundle';
import type { ODataRecord } from './odata';
import type { StoredIflow, StoredPackage } from './tenant-store';
import { writeZip } from '../zip-archive';

export const PACKAGE_METADATA = 'contentmetadata.md';
export const PACKAGE_RESOURCES = 'resources.cnt';

/** The id an artifact gets inside the export: stable per package and iFlow, 32 hex digits like a tenant's. */
export function exportResourceId(packageId: string, iflowId: string): string {
  return createHash('sha256').update(`${packageId}\0${iflowId}`).digest('hex').slice(0, 32);
}

const base64Text = (value: unknown): Buffer =>
  Buffer.from(Buffer.from(JSON.stringify(value), 'utf8').toString('base64'));

/**
 * The export of `pkg` with its iFlows. `attributes` is the package as the API describes it (Name, Version, Vendor,
 * …); the iFlows' bundles carry their current parameter values and resources.
 */
export function packageExport(
  pkg: StoredPackage,
  attributes: ODataRecord,
  iflows: readonly StoredIflow[],
  modified: Date,
): Buffer {
  const resources = iflows.map((iflow) => ({
    id: exportResourceId(pkg.id, iflow.id),
    uniqueId: iflow.id,
    name: iflow.id,
    displayName: iflow.name,
    resourceType: 'IFlow',
    version: iflow.version,
    semanticVersion: iflow.version,
  }));
  return writeZip(
    [
      { name: PACKAGE_METADATA, data: base64Text({ id: pkg.id, name: pkg.name, exportedAt: modified.toISOString() }) },
      { name: PACKAGE_RESOURCES, data: base64Text({ ...attributes, resources }) },
      ...iflows.map((iflow) => ({
        name: `${exportResourceId(pkg.id, iflow.id)}_content`,
        data: bundleOf(iflow, modified),
      })),
    ],
    modified,
  );
}
