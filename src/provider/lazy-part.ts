// The bundle's side of provider-<v>.lazy.js: the provider's own modules that it reaches only through
// `await import()` (scripts/build.mjs builds both files and generates the calls to lazyModule). The lazy part is
// loaded on the first such import and linked to the bundle's modules it imports, so that no module exists twice.
import { CpiError } from '../errors';
import { bundlePart, LAZY_PART_SUFFIX } from '../rules/bundle-parts';

/** What provider-<v>.lazy.js exports. */
interface LazyPart {
  /** Its build: the bundle it was built with carries the same. */
  readonly build: string;
  /** Takes the bundle's modules it imports (by key) and answers a loader per module the bundle imports from it. */
  link(bundleModule: (key: string) => unknown): Record<string, () => unknown>;
}

let linked: Record<string, () => unknown> | undefined;

/** The lazy module `key`: from the lazy part beside this bundle, which must come from the same `build`. */
export function lazyModule(key: string, build: string, bundleModules: Record<string, () => unknown>): unknown {
  linked ??= linkLazyPart(build, bundleModules);
  return linked[key]!();
}

function linkLazyPart(build: string, bundleModules: Record<string, () => unknown>): Record<string, () => unknown> {
  const file = bundlePart(__filename, LAZY_PART_SUFFIX);
  let part: LazyPart;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the file beside the running bundle
    part = require(file) as LazyPart;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new CpiError('CPI_PROVIDER_RUNTIME_MISSING', `${file} is missing: the provider cannot load its own code`);
  }
  // Installed over a running provider, or copied from another build: its modules would not fit this bundle's.
  if (part.build !== build) {
    throw new CpiError(
      'CPI_PROVIDER_RUNTIME_MISMATCH',
      `${file} is from build ${part.build}, this provider from build ${build}`,
    );
  }
  return part.link((key) => bundleModules[key]!());
}
