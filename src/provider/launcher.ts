// Starts the bundled provider through V8's code cache. Terraform launches the provider 3-5 times per command, and
// compiling the bundle is a large share of each start; with the cache kept beside the bundle, later launches skip
// most of it. The cache is rebuilt whenever V8 rejects it (another node version, a new bundle). It lives beside the
// bundle in the runtime directory, never in the package directory, whose every byte the lock file's hash covers.
// Installed as launcher-<version>.js next to provider-<version>.js; in dist/ as provider-launcher.js.
// What only some RPCs need sits in two parts beside the bundle (src/rules/bundle-parts.ts); the bundle requires each
// on first use, and this launcher loads each through a cache of its own.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { Script } from 'node:vm';
import { isBundlePart } from '../rules/bundle-parts';

const bundle = __filename.endsWith('provider-launcher.js')
  ? __filename.replace(/provider-launcher\.js$/, 'provider.js')
  : __filename.replace(/launcher-([^/\\]+)\.js$/, 'provider-$1.js');

function readCache(cacheFile: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

const loaded = new Map<string, unknown>();
const nodeRequire = require;

/** The bundles' `require`: their parts through a code cache, anything else (node builtins) as usual. */
const bundleRequire = Object.assign(
  (id: string): unknown => (isBundlePart(id) ? (loaded.get(id) ?? runCached(id)) : nodeRequire(id)),
  nodeRequire,
);

/** Compiles and runs one CommonJS file with its code cache (`<file>.cache`), as Node's loader would run it. */
function runCached(file: string): unknown {
  const cacheFile = `${file}.cache`;
  const cachedData = readCache(cacheFile);
  // latin1: the bundles are ASCII (scripts/build.mjs), and reading them so skips UTF-8 decoding of ~1 MB.
  const script = new Script(Module.wrap(readFileSync(file, 'latin1')), { filename: file, cachedData });
  const moduleObject = { exports: {} as unknown };
  loaded.set(file, moduleObject.exports);
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(moduleObject.exports, moduleObject.exports, bundleRequire, moduleObject, file, __dirname);
  loaded.set(file, moduleObject.exports);

  if (cachedData === undefined || script.cachedDataRejected) {
    // Now, for a launch that is killed; again when the launch ends as Terraform ends it (Shutdown, process.exit),
    // when the cache also holds what the handshake and the RPCs compiled, which every later launch then skips.
    writeCache(script, cacheFile);
    process.once('exit', () => writeCache(script, cacheFile));
  }
  return moduleObject.exports;
}

function writeCache(script: Script, cacheFile: string): void {
  try {
    const temp = `${cacheFile}.${process.pid}`;
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile); // atomic: Terraform may start several providers at once
  } catch {
    // A read-only install still works, only slower.
  }
}

runCached(bundle);
