// The file `GET /IntegrationPackages('{Id}')/$value` hands out: an integration package exported as a zip, in the
// layout community tools read from tenant exports (the definition says only "a .zip file"; UNCONFIRMED, see
// docs/emulator.md): `contentmetadata.md` and `resources.cnt` (each base64 text; resources.cnt is JSON describing
// the package and listing its artifacts) and one `<resource id>_content` per artifact, which is the artifact's own
// bundle zip as `IntegrationDesigntimeArtifacts(…)/$value` serves it. `POST /IntegrationPackages` with
// `PackageContent` reads the same layout back (readPackageExport).
import { createHash } from 'node:crypto';
import { bundleOf, readBundle, type BundleContent } from './iflow-bundle';
import type { ODataRecord } from './odata';
import type { StoredIflow, StoredPackage } from './tenant-store';
import { readZip, writeZip } from '../zip-archive';

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

/** An iFlow of an imported package file. */
export interface ImportedIflow {
  readonly id: string;
  readonly version: string | undefined;
  readonly name: string | undefined;
  readonly content: BundleContent;
  readonly zip: Buffer;
}

/** What an imported package file holds: the package's attributes (as resources.cnt has them) and its iFlows. */
export interface ImportedPackage {
  readonly attributes: Record<string, unknown>;
  readonly iflows: ImportedIflow[];
}

function base64Json(data: Buffer | undefined, name: string): Record<string, unknown> {
  if (data === undefined) throw new Error(`it has no ${name}`);
  try {
    const parsed: unknown = JSON.parse(Buffer.from(data.toString('utf8').trim(), 'base64').toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new Error(`its ${name} is not base64-encoded JSON`);
}

/**
 * Reads a package file in the layout packageExport writes; throws an Error saying what is wrong. Artifacts other
 * than iFlows are refused: the emulator holds iFlows only.
 */
export function readPackageExport(zip: Buffer): ImportedPackage {
  const files = new Map(readZip(zip).map((entry) => [entry.name, entry.data]));
  const described = base64Json(files.get(PACKAGE_RESOURCES), PACKAGE_RESOURCES);
  const { resources, ...attributes } = described;
  if (!Array.isArray(resources)) throw new Error(`its ${PACKAGE_RESOURCES} lists no resources`);
  const iflows = resources.map((resource: Record<string, unknown>) => {
    const id = String(resource.id ?? '');
    if (resource.resourceType !== 'IFlow') {
      throw new Error(
        `it holds the ${String(resource.resourceType)} "${String(resource.name)}"; the emulator imports integration flows only`,
      );
    }
    const bundle = files.get(`${id}_content`);
    if (bundle === undefined) throw new Error(`it has no ${id}_content for the iFlow "${String(resource.name)}"`);
    let content: BundleContent;
    try {
      content = readBundle(bundle);
    } catch (error) {
      throw new Error(`the iFlow "${String(resource.name)}": ${(error as Error).message}`, { cause: error });
    }
    const iflowId = content.symbolicName ?? (typeof resource.name === 'string' ? resource.name : '');
    if (iflowId === '') throw new Error(`the iFlow of ${id}_content names no Bundle-SymbolicName`);
    const displayName = typeof resource.displayName === 'string' ? resource.displayName : undefined;
    return {
      id: iflowId,
      version: content.version ?? (typeof resource.version === 'string' ? resource.version : undefined),
      name: content.name ?? displayName,
      content,
      zip: bundle,
    };
  });
  return { attributes, iflows };
}
