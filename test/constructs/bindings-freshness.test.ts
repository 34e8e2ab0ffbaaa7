// The committed bindings are what `cdktf get` generates from the built provider's schema today: a schema change
// without `npx tsx scripts/generate-bindings.ts` fails here (the suite builds dist/ first; so does that script).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINDINGS_DIR, committedBindings, generateBindings } from '../../scripts/generate-bindings';

describe('CDKTF bindings freshness', { timeout: 300_000 }, () => {
  test('constructs/bindings is what `cdktf get` generates from the provider (run `npx tsx scripts/generate-bindings.ts`)', async () => {
    const expected = await generateBindings();
    assert.deepEqual(committedBindings(), [...expected.keys()].sort(), 'the same binding files');
    for (const [name, text] of expected) {
      assert.equal(readFileSync(join(BINDINGS_DIR, name), 'utf8'), text, `constructs/bindings/${name} is stale`);
    }
  });
});
