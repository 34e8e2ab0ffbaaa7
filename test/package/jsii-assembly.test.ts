// The jsii assembly (.jsii) that `npm run build` writes with jsii (scripts/build-lib.mjs): what Python, Java, Go
// and C# packages are generated from. The build fails on anything jsii rejects; these tests check that the
// assembly the package ships describes every construct the package exports, and nothing outside the library and
// its peers (cdktf, constructs).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const ASSEMBLY = join(ROOT, '.jsii');
const require = createRequire(__filename);

interface TypeRef {
  readonly fqn?: string;
  readonly primitive?: string;
  readonly collection?: { readonly kind: string; readonly elementtype: TypeRef };
  readonly union?: { readonly types: readonly TypeRef[] };
}
interface Assembly {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly types: Record<string, { kind: string; datatype?: boolean; properties?: { name: string; type: TypeRef }[] }>;
}

function readAssembly(): Assembly {
  const built = statSync(ASSEMBLY, { throwIfNoEntry: false });
  assert.ok(built, '.jsii is missing: run `npm run build` (jsii writes it)');
  const newest = readdirSync(join(ROOT, 'constructs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ f, ms: statSync(join(ROOT, 'constructs', f)).mtimeMs }))
    .sort((a, b) => b.ms - a.ms)[0]!;
  assert.ok(built.mtimeMs >= newest.ms, `.jsii is older than constructs/${newest.f}: run \`npm run build\``);
  return JSON.parse(readFileSync(ASSEMBLY, 'utf8')) as Assembly;
}

function fqnsIn(ref: TypeRef): string[] {
  if (ref.fqn) return [ref.fqn];
  if (ref.collection) return fqnsIn(ref.collection.elementtype);
  if (ref.union) return ref.union.types.flatMap(fqnsIn);
  return [];
}

describe('jsii assembly', { timeout: 30_000 }, () => {
  test('names the package at its version, depending only on cdktf and constructs', () => {
    const assembly = readAssembly();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    assert.equal(assembly.name, pkg.name);
    assert.equal(assembly.version, pkg.version);
    assert.deepEqual(Object.keys(assembly.dependencies ?? {}).sort(), ['cdktf', 'constructs']);
  });

  test('describes every construct the package exports, with its props struct', () => {
    const assembly = readAssembly();
    const main = require(join(ROOT, 'lib/index.js')) as Record<string, unknown>;
    const classes = Object.keys(main).filter((name) => typeof main[name] === 'function');
    assert.ok(classes.includes('EncryptionCertificateRenewal'), `exports: ${classes.join(', ')}`);
    const { Construct } = require('constructs') as typeof import('constructs');
    assert.ok(
      (main.EncryptionCertificateRenewal as { prototype: unknown }).prototype instanceof Construct,
      'the package builds on the same constructs as this check',
    );
    for (const name of classes) {
      assert.equal(assembly.types[`cdktf-cpi-renewal.${name}`]?.kind, 'class', `${name} is in the assembly`);
      // constructs take a props struct; other classes (RenewalStateBackend's factories) need none
      if (!((main[name] as { prototype: unknown }).prototype instanceof Construct)) continue;
      const props = assembly.types[`cdktf-cpi-renewal.${name}Props`];
      assert.ok(props?.datatype, `${name}Props is a struct`);
    }
    // the bindings (cdktf get): one submodule per resource, data source and the provider
    const bindings = main.bindings as Record<string, Record<string, unknown>>;
    assert.ok(Object.keys(bindings).length > 0, 'the package exports bindings');
    for (const [submodule, members] of Object.entries(bindings))
      for (const name of Object.keys(members).filter((n) => /^[A-Z]/.test(n) && typeof members[n] === 'function'))
        assert.equal(
          assembly.types[`cdktf-cpi-renewal.bindings.${submodule}.${name}`]?.kind,
          'class',
          `bindings.${submodule}.${name} is in the assembly`,
        );
  });

  test('gate requirements and receiver settings are structs every language can build', () => {
    const { types } = readAssembly();
    const requirement = types['cdktf-cpi-renewal.GateRequirement'];
    assert.ok(requirement?.datatype, 'GateRequirement is a struct');
    assert.deepEqual(requirement.properties?.map((p) => `${p.name}:${p.type.primitive}`).sort(), [
      'certificate:string',
      'kind:string',
      'moment:string',
      'party:string',
      'state:string',
    ]);
    assert.ok(types['cdktf-cpi-renewal.ReceiverBackendSettings']?.datatype, 'ReceiverBackendSettings is a struct');
  });

  test('refers to no type outside the library, cdktf and constructs', () => {
    const { types } = readAssembly();
    const outside = Object.values(types)
      .flatMap((t) => t.properties ?? [])
      .flatMap((p) => fqnsIn(p.type))
      .filter((fqn) => !/^(cdktf-cpi-renewal|cdktf|constructs)\./.test(fqn));
    assert.deepEqual(outside, []);
  });
});
