// Entry point of the provider executable (bundled to dist/provider.js): serve the cpi provider to Terraform.
import { servePlugin } from './plugin-server';
import { cpiProvider } from './cpi-provider';

servePlugin(cpiProvider).catch((error: unknown) => {
  process.stderr.write(`cpi provider failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
