// The layers of the product, checked on its import graph: no cycles; the command line sits on top (nothing else
// in src/ imports src/cli); the constructs stand beside the provider, not on it (they share src/rules instead);
// src/rules stands on nothing but the error registry.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { importCycles, importGraph } from './import-graph';

const graph = importGraph();

/** "a -> b" for every import from a file under `from` to a file under `to` (excluding files under `except`). */
function edges(from: string, to: (target: string) => boolean, except?: string): string[] {
  return [...graph].flatMap(([file, targets]) =>
    file.startsWith(from) && !(except && file.startsWith(except))
      ? targets.filter(to).map((target) => `${file} -> ${target}`)
      : [],
  );
}

describe('layers', { timeout: 30_000 }, () => {
  test('the graph covers the product', () => {
    assert.ok(graph.has('src/provider/provider-service.ts'), "graph.has('src/provider/provider-service.ts')");
    assert.ok(graph.has('constructs/validation.ts'), "graph.has('constructs/validation.ts')");
    assert.ok(
      graph.get('constructs/validation.ts')!.includes('src/rules/alias.ts'),
      "graph.get('constructs/validation.ts')!.includes('src/rules/alias.ts')",
    );
  });

  test('no import cycle in src/ or constructs/', () => {
    assert.deepEqual(importCycles(graph), []);
  });

  test('nothing under src/ outside src/cli imports src/cli', () => {
    assert.deepEqual(
      edges('src/', (t) => t.startsWith('src/cli/'), 'src/cli/'),
      [],
    );
  });

  test('constructs import nothing from src/provider', () => {
    assert.deepEqual(
      edges('constructs/', (t) => t.startsWith('src/provider/')),
      [],
    );
  });

  test('src/rules imports only src/rules and src/errors', () => {
    assert.deepEqual(
      edges('src/rules/', (t) => !t.startsWith('src/rules/') && t !== 'src/errors.ts'),
      [],
    );
  });
});

describe('importCycles', { timeout: 5_000 }, () => {
  test('finds a two-file cycle and a self-import, and nothing in a chain', () => {
    const cycles = importCycles(
      new Map([
        ['a', ['b']],
        ['b', ['a', 'c']],
        ['c', []],
        ['d', ['d']],
      ]),
    );
    assert.deepEqual(cycles, [['a', 'b'], ['d']]);
  });
});
