// Builds the construct library as the npm package ships it: jsii compiles constructs/ (and the src/ modules they
// import) into lib/ with declarations and writes the .jsii assembly, failing on anything jsii rejects; then esbuild
// bundles the compiled JavaScript into lib/index.js with cdktf and constructs left to the app (peer dependencies),
// so the package needs no runtime dependency of its own.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
rmSync('lib', { recursive: true, force: true });
const jsii = spawnSync(process.execPath, [require.resolve('jsii/bin/jsii')], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
});
if (jsii.status !== 0) {
  console.error(
    `jsii failed (exit ${jsii.status ?? jsii.signal}): the construct library's public API is not jsii-compatible`,
  );
  process.exit(1);
}

await build({
  entryPoints: ['lib/constructs/index.js'],
  outfile: 'lib/index.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['cdktf', 'constructs', 'cdktn'],
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
});
// The bindings subpath is the same module object as the main entry's `bindings` (one copy of each class).
writeFileSync('lib/bindings.js', "'use strict';\nmodule.exports = require('./index.js').bindings;\n");
