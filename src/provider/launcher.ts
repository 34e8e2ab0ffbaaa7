// Starts the bundled provider through V8's code cache. Terraform launches the provider 3-5 times per command, and
// compiling the bundle is a large share of each start; with the cache kept beside the bundle, later launches skip
// most of it. The cache is rebuilt whenever V8 rejects it (another node version, a new bundle). It lives beside the
// bundle in the runtime directory, never in the package directory, whose every byte the lock file's hash covers.
// Installed as launcher-<version>.js next to provider-<version>.js; in dist/ as provider-launcher.js.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { Script } from 'node:vm';

const bundle = __filename.endsWith('provider-launcher.js')
  ? __filename.replace(/provider-launcher\.js$/, 'provider.js')
  : __filename.replace(/launcher-([^/\\]+)\.js$/, 'provider-$1.js');
const cacheFile = `${bundle}.cache`;

function readCache(): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

const cachedData = readCache();
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
const moduleObject = { exports: {} };
const run = script.runInThisContext() as (...args: unknown[]) => void;
run.call(moduleObject.exports, moduleObject.exports, require, moduleObject, bundle, __dirname);

if (cachedData === undefined || script.cachedDataRejected) {
  try {
    const temp = `${cacheFile}.${process.pid}`;
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile); // atomic: Terraform may start several providers at once
  } catch {
    // A read-only install still works, only slower.
  }
}
