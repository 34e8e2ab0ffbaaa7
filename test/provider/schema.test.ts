import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockType, encodeSchema, type SchemaSpec } from '../../src/provider/schema';

const schema: SchemaSpec = {
  version: 2,
  description: 'An example.',
  block: {
    attributes: {
      alias: { type: 'string', required: true, description: 'The alias.' },
      password: { type: 'string', optional: true, sensitive: true, writeOnly: true, description: 'Secret.' },
      tags: { type: ['set', 'string'], optional: true, computed: true, description: 'Tags.' },
    },
    blocks: {
      rule: {
        nesting: 'list',
        maxItems: 3,
        block: { attributes: { port: { type: 'number', required: true, description: 'Port.' } } },
      },
      single: { nesting: 'single', block: { attributes: { x: { type: 'bool', optional: true, description: 'X.' } } } },
    },
  },
};

describe('schema encoding', () => {
  test('derives the wire object type, nested blocks included', () => {
    assert.deepEqual(blockType(schema.block), [
      'object',
      {
        alias: 'string',
        password: 'string',
        tags: ['set', 'string'],
        rule: ['list', ['object', { port: 'number' }]],
        single: ['object', { x: 'bool' }],
      },
    ]);
  });

  test('builds the wire type once per block and shares it frozen, so that no caller can change it for others', () => {
    const first = blockType(schema.block);
    assert.equal(blockType(schema.block), first);
    assert.ok(
      Object.isFrozen(first) && Object.isFrozen(first[1]),
      'Object.isFrozen(first) && Object.isFrozen(first[1])',
    );
    assert.throws(() => {
      (first[1] as Record<string, unknown>).alias = 'number';
    }, TypeError);
    // An equal but separate block gets its own type, derived from its own attributes.
    const other = { attributes: { alias: { type: 'number' as const, required: true, description: 'The alias.' } } };
    assert.deepEqual(blockType(other), ['object', { alias: 'number' }]);
    assert.deepEqual((blockType(schema.block) as readonly [string, Record<string, unknown>])[1].alias, 'string');
  });

  test('writes attribute types as JSON bytes and carries the flags Terraform reads', () => {
    const encoded = encodeSchema(schema) as {
      version: number;
      block: {
        version: number;
        description: string;
        attributes: Record<string, unknown>[];
        block_types: Record<string, unknown>[];
      };
    };
    assert.equal(encoded.version, 2);
    assert.equal(encoded.block.version, 2);
    assert.equal(encoded.block.description, 'An example.');
    const password = encoded.block.attributes.find((a) => a.name === 'password')!;
    assert.equal(Buffer.from(password.type as Buffer).toString(), '"string"');
    assert.equal(password.sensitive, true);
    assert.equal(password.write_only, true);
    assert.equal(password.description_kind, 'PLAIN');
    const tags = encoded.block.attributes.find((a) => a.name === 'tags')!;
    assert.equal(Buffer.from(tags.type as Buffer).toString(), '["set","string"]');
    const rule = encoded.block.block_types.find((b) => b.type_name === 'rule')!;
    assert.equal(rule.nesting, 'LIST');
    assert.equal(rule.max_items, 3);
  });
});
