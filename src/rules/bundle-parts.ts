// A provider bundle ships with two parts beside it, loaded on first use and found under the bundle's own name
// (provider.js → provider.deps.js, provider-0.1.0.js → provider-0.1.0.deps.js): the deps part holds the libraries
// only some RPCs need, the lazy part the provider's own modules that it reaches only through `await import()`.
// scripts/build.mjs writes them, the installer copies them, and the runtime launcher loads them through code caches.
export const DEPS_PART_SUFFIX = '.deps.js';
export const LAZY_PART_SUFFIX = '.lazy.js';
const BUNDLE_PART_SUFFIXES = [DEPS_PART_SUFFIX, LAZY_PART_SUFFIX];

/** The part with `suffix` beside `bundle`. */
export function bundlePart(bundle: string, suffix: string): string {
  return bundle.replace(/\.js$/, suffix);
}

/** The parts beside a bundle, in the order the installer copies them. */
export function bundlePartsOf(bundle: string): string[] {
  return BUNDLE_PART_SUFFIXES.map((suffix) => bundlePart(bundle, suffix));
}

export function isBundlePart(file: string): boolean {
  return BUNDLE_PART_SUFFIXES.some((suffix) => file.endsWith(suffix));
}
