// Bundles the provider, the CLI and the test-only provider with esbuild. The provider is started by Terraform
// 3-5 times per command, so it ships as one minified file with nothing to resolve at start-up.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

await Promise.all([
  build({ ...common, entryPoints: ['src/provider/main.ts'], outfile: 'dist/provider.js', minify: true }),
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
