// Writes docs/ from the provider schemas and the error registry: `npx tsx scripts/generate-docs.ts`.
// test/provider/docs.test.ts fails when the committed docs differ from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cpiProvider } from '../src/provider/cpi-provider';
import { renderProviderDocs } from '../src/provider/docs';

const root = resolve(__dirname, '..');
for (const [path, content] of renderProviderDocs(cpiProvider, join(root, 'examples'))) {
  const file = join(root, 'docs', path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  console.log(`wrote docs/${path}`);
}
