// The documentation in docs/ is generated from the provider schemas and the error registry; these tests fail when
// either changed without `npx tsx scripts/generate-docs.ts`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorRegistry } from '../../src/errors';
import { cpiProvider } from '../../src/provider/cpi-provider';
import { renderProviderDocs } from '../../src/provider/docs';

const root = resolve(__dirname, '../..');

describe('generated docs', () => {
  const pages = renderProviderDocs(cpiProvider, join(root, 'examples'));

  test('every resource and data source has a page with its attributes', () => {
    for (const r of [...cpiProvider.resources, ...cpiProvider.dataSources]) {
      const page = [...pages.entries()].find(([path]) => path.endsWith(`/${r.name.replace('cpi_', '')}.md`));
      assert.ok(page, `no page for ${r.name}`);
      for (const name of Object.keys(r.schema.block.attributes))
        assert.match(page[1], new RegExp(`\`${name}\``), `${r.name}.${name}`);
    }
  });

  test('docs/errors.md lists every error code with its fix', () => {
    const errors = pages.get('errors.md')!;
    for (const [code, spec] of Object.entries(errorRegistry())) {
      assert.ok(errors.includes(`\`${code}\``), code);
      assert.ok(errors.includes(spec.fix.replace(/\|/g, '\\|')), `${code} fix`);
    }
  });

  test('the committed docs are up to date (run: npx tsx scripts/generate-docs.ts)', () => {
    for (const [path, content] of pages) {
      const file = join(root, 'docs', path);
      assert.ok(existsSync(file), `docs/${path} is missing`);
      assert.equal(readFileSync(file, 'utf8'), content, `docs/${path} is out of date`);
    }
  });
});
