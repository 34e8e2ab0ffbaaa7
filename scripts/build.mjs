// Bundles the provider, the CLI and the test-only provider with esbuild. The provider is started by Terraform
// 3-5 times per command, so it ships minified with nothing to resolve at start-up, in two files: provider.js holds
// what a launch runs (the provider's own code, its gRPC, protobuf and msgpack codecs included); provider.deps.js
// holds the libraries only some RPCs need (certificates, XML signatures, SSH keys) and is loaded the first time one
// of them is imported.
// Every launch reads and compiles provider.js, so each byte kept out of it is start-up time saved.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // The launcher reads the provider's files as latin1, which is only right for ASCII (esbuild's default; stated
  // here because the launcher relies on it).
  charset: 'ascii',
};

/**
 * Libraries no launch needs before the handshake, and most launches never: node-forge (certificates), xml-crypto,
 * @xmldom/xmldom and xpath (WS-Security XML) and sshpk (signed confirmations).
 */
const DEFERRED_PACKAGES = ['node-forge', 'xml-crypto', '@xmldom/xmldom', 'xpath', 'sshpk'];

/**
 * In provider.js each deferred package is a stand-in that requires provider.deps.js beside the running bundle (its
 * own name with `.deps.js` for `.js`: provider-<version>.deps.js in the runtime directory) and takes the package
 * from it. A stand-in runs only when the module importing the package runs, and the provider's modules that import
 * them are themselves loaded on first use.
 */
const deferToDepsFile = {
  name: 'defer-to-deps-file',
  setup(b) {
    const filter = new RegExp(`^(${DEFERRED_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'deferred-package' }));
    b.onLoad({ filter: /.*/, namespace: 'deferred-package' }, (args) => ({
      contents: `module.exports = require(__filename.replace(/\\.js$/, '.deps.js'))[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

/** provider.deps.js: one getter per deferred package, so that requiring the file initializes none of them. */
const depsEntry = DEFERRED_PACKAGES.map(
  (p) =>
    `Object.defineProperty(exports, ${JSON.stringify(p)}, { enumerable: true, get: () => require(${JSON.stringify(p)}) });`,
).join('\n');

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/provider/main.ts'],
    outfile: 'dist/provider.js',
    minify: true,
    plugins: [deferToDepsFile],
  }),
  build({
    ...common,
    stdin: { contents: depsEntry, resolveDir: '.', sourcefile: 'provider-deps.js', loader: 'js' },
    outfile: 'dist/provider.deps.js',
    minify: true,
  }),
  build({
    ...common,
    entryPoints: ['src/provider/launcher.ts'],
    outfile: 'dist/provider-launcher.js',
    minify: true,
    sourcemap: false,
  }),
  build({
    ...common,
    entryPoints: ['test/provider/fixtures/test-provider-main.ts'],
    outfile: 'dist/test-provider.js',
    minify: true,
  }),
  // Minified (names kept) so that the npm package stays small; the linked source map serves debugging here.
  build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    minify: true,
    keepNames: true,
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
