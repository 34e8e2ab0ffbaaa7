// Bundles the provider, the CLI and the test-only provider with esbuild. The provider is started by Terraform
// 3-5 times per command, so it ships minified with nothing to resolve at start-up, in three files:
// - provider.js holds what every launch runs up to the handshake and the RPCs every launch answers (the plugin
//   runtime, its gRPC, protobuf and msgpack codecs, the schemas);
// - provider.lazy.js holds the provider's own modules that it reaches only through `await import()` (tenant client,
//   certificates, WS-Security, renewal evidence), loaded when the first of them is;
// - provider.deps.js holds the libraries only some RPCs need (certificates, XML signatures, SSH keys).
// Every launch reads and compiles provider.js, so each byte kept out of it is start-up time saved. The two parts are
// found beside the running bundle under its own name (src/rules/bundle-parts.ts). None of the provider's own modules
// is in both provider.js and provider.lazy.js (the build fails otherwise): a module twice would be two modules, two
// error classes and two caches. The lazy part carries a build id that the bundle checks when it loads it.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const PROVIDER_ENTRY = 'src/provider/main.ts';

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

/** The name esbuild's metafile gives a module: its path from the repository root. */
const moduleKey = (path) => relative(process.cwd(), path).split('\\').join('/');

/**
 * In provider.js and provider.lazy.js each deferred package is a stand-in that requires provider.deps.js beside the
 * running file and takes the package from it. A stand-in runs only when the module importing the package runs.
 */
const deferToDepsFile = {
  name: 'defer-to-deps-file',
  setup(b) {
    const filter = new RegExp(`^(${DEFERRED_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'deferred-package' }));
    b.onLoad({ filter: /.*/, namespace: 'deferred-package' }, (args) => ({
      contents: `module.exports = require(__filename.replace(/(\\.lazy)?\\.js$/, '.deps.js'))[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

/**
 * Calls `decide(key)` for every import of the given kinds that resolves to a file; it answers a plugin result, or
 * undefined for esbuild's own.
 */
function routeModules(name, kinds, decide) {
  return {
    name,
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.routed || !kinds.includes(args.kind) || args.namespace !== 'file') return undefined;
        const { kind, importer, resolveDir } = args;
        const resolved = await b.resolve(args.path, { kind, importer, resolveDir, pluginData: { routed: true } });
        if (resolved.errors.length > 0 || resolved.external || resolved.namespace !== 'file') return undefined;
        return decide(moduleKey(resolved.path));
      });
    },
  };
}

/**
 * The modules of provider.js: those the entry reaches without `await import()`. The lazy part's entries: what it
 * reaches only through `await import()`.
 */
async function splitProvider() {
  const lazyEntries = new Set();
  const stopAtDynamicImports = routeModules('stop-at-dynamic-imports', ['dynamic-import'], (key) => {
    lazyEntries.add(key);
    return { path: key, external: true };
  });
  const { metafile } = await build({
    ...common,
    entryPoints: [PROVIDER_ENTRY],
    outfile: 'dist/provider.js',
    write: false,
    metafile: true,
    plugins: [deferToDepsFile, stopAtDynamicImports],
  });
  const eager = new Set(Object.keys(metafile.inputs));
  for (const key of eager) lazyEntries.delete(key);
  return { eager, lazyEntries: [...lazyEntries].sort() };
}

const IMPORT_KINDS = ['import-statement', 'require-call', 'dynamic-import'];

/** Stands for the lazy part's build id until its content, which the id is a hash of, is known. */
const BUILD_ID_PLACEHOLDER = 'lazy-part-build!';

/**
 * provider.lazy.js, exporting its build id and `link(bundleModule)`: each provider.js module the lazy modules
 * import is a stand-in that takes it from `bundleModule(key)` (src/provider/lazy-part.ts hands it over); `link`
 * answers one loader per lazy entry. Returns the build id and the keys of the provider.js modules it takes.
 */
async function buildLazyPart({ eager, lazyEntries }) {
  const taken = new Set();
  const takeFromBundle = routeModules('take-from-bundle', IMPORT_KINDS, (key) => {
    if (!eager.has(key)) return undefined;
    taken.add(key);
    return { path: key, namespace: 'bundle-module' };
  });
  const bundleLink = {
    name: 'bundle-link',
    setup(b) {
      b.onResolve({ filter: /^bundle-link$/ }, () => ({ path: 'bundle-link', namespace: 'bundle-link' }));
      b.onLoad({ filter: /.*/, namespace: 'bundle-link' }, () => ({
        contents: 'let take;\nexports.link = (given) => { take = given; };\nexports.take = (key) => take(key);',
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'bundle-module' }, (args) => ({
        contents: `module.exports = require('bundle-link').take(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
  const entry = [
    `exports.build = ${JSON.stringify(BUILD_ID_PLACEHOLDER)};`,
    "exports.link = (bundleModule) => {\n  require('bundle-link').link(bundleModule);\n  return {",
    ...lazyEntries.map((key) => `    ${JSON.stringify(key)}: () => require(${JSON.stringify(`./${key}`)}),`),
    '  };\n};',
  ].join('\n');
  const { metafile, outputFiles } = await build({
    ...common,
    stdin: { contents: entry, resolveDir: '.', sourcefile: 'provider-lazy.js', loader: 'js' },
    outfile: 'dist/provider.lazy.js',
    minify: true,
    metafile: true,
    write: false,
    plugins: [deferToDepsFile, bundleLink, takeFromBundle],
  });
  const twice = Object.keys(metafile.inputs).filter((key) => eager.has(key) && !key.startsWith('deferred-package:'));
  if (twice.length > 0) throw new Error(`modules in both provider.js and provider.lazy.js: ${twice.join(', ')}`);
  // The id is a hash of the part itself, so that a bundle from any other build is told apart.
  const code = outputFiles.find((file) => file.path.endsWith('.js'));
  const buildId = createHash('sha256').update(code.contents).digest('hex').slice(0, BUILD_ID_PLACEHOLDER.length);
  mkdirSync('dist', { recursive: true });
  for (const file of outputFiles) {
    if (file === code && file.text.split(BUILD_ID_PLACEHOLDER).length !== 2) throw new Error('build id placeholder');
    writeFileSync(file.path, file.text.replaceAll(BUILD_ID_PLACEHOLDER, buildId));
  }
  return { buildId, taken: [...taken].sort() };
}

/**
 * provider.js: each lazy entry is a stand-in that asks src/provider/lazy-part.ts for it, handing over the lazy
 * part's build id and the provider.js modules the lazy part takes.
 */
async function buildProvider({ eager, lazyEntries }, { buildId, taken }) {
  const lazy = new Set(lazyEntries);
  const toLazyPart = routeModules('to-lazy-part', ['dynamic-import'], (key) =>
    eager.has(key) ? undefined : { path: key, namespace: 'lazy-module' },
  );
  const lazyPart = {
    name: 'lazy-part',
    setup(b) {
      b.onResolve({ filter: /^lazy-part$/ }, () => ({ path: 'lazy-part', namespace: 'lazy-part' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-part' }, () => ({
        contents: [
          "const { lazyModule } = require('./src/provider/lazy-part.ts');",
          'const bundleModules = {',
          ...taken.map((key) => `  ${JSON.stringify(key)}: () => require(${JSON.stringify(`./${key}`)}),`),
          '};',
          `module.exports = (key) => lazyModule(key, ${JSON.stringify(buildId)}, bundleModules);`,
        ].join('\n'),
        resolveDir: process.cwd(),
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => {
        if (!lazy.has(args.path))
          throw new Error(`${args.path} is imported lazily but is no entry of provider.lazy.js`);
        return { contents: `module.exports = require('lazy-part')(${JSON.stringify(args.path)});`, loader: 'js' };
      });
    },
  };
  await build({
    ...common,
    entryPoints: [PROVIDER_ENTRY],
    outfile: 'dist/provider.js',
    minify: true,
    plugins: [deferToDepsFile, lazyPart, toLazyPart],
  });
}

/** provider.deps.js: one getter per deferred package, so that requiring the file initializes none of them. */
const depsEntry = DEFERRED_PACKAGES.map(
  (p) =>
    `Object.defineProperty(exports, ${JSON.stringify(p)}, { enumerable: true, get: () => require(${JSON.stringify(p)}) });`,
).join('\n');

async function buildProviderFiles() {
  const split = await splitProvider();
  await buildProvider(split, await buildLazyPart(split));
}

await Promise.all([
  buildProviderFiles(),
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
