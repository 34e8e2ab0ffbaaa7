import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJson, decodeMsgpack, encodeJson, encodeMsgpack, rawToNumber } from '../../src/provider/codec';
import { decode as decodeGeneral, encode as encodeGeneral, type ExtData } from '@msgpack/msgpack';
import { BigDecimal, Dynamic, UNKNOWN, Unknown, type CtyType, type CtyValue } from '../../src/provider/cty';

const objectType: CtyType = [
  'object',
  {
    s: 'string',
    n: 'number',
    b: 'bool',
    l: ['list', 'string'],
    set: ['set', 'number'],
    m: ['map', 'bool'],
    nested: ['list', ['object', { port: 'number', note: 'string' }]],
    t: ['tuple', ['string', 'number']],
    d: 'dynamic',
  },
];

describe('DynamicValue codec', () => {
  const cases: [string, CtyType, CtyValue][] = [
    ['string', 'string', 'héllo'],
    ['empty string', 'string', ''],
    ['integer', 'number', 42],
    ['negative float', 'number', -1.5],
    ['int64 beyond 2^53', 'number', 2n ** 60n],
    ['integer beyond 64 bits', 'number', 2n ** 80n],
    ['decimal beyond float64 precision', 'number', new BigDecimal('0.1000000000000000000000000001')],
    ['bool', 'bool', false],
    ['null string', 'string', null],
    ['list', ['list', 'string'], ['a', 'b']],
    ['set', ['set', 'number'], [1, 2, 3]],
    ['map', ['map', 'string'], { a: 'x', 'b.c': 'y' }],
    ['tuple', ['tuple', ['string', 'bool']], ['x', true]],
    ['dynamic', 'dynamic', new Dynamic(['list', 'number'], [1, 2])],
    [
      'object with nested blocks and nulls',
      objectType,
      {
        s: 'a',
        n: 1,
        b: true,
        l: [],
        set: [7],
        m: { k: false },
        nested: [{ port: 443, note: null }],
        t: ['x', 2],
        d: new Dynamic('string', 'dyn'),
      },
    ],
  ];

  for (const [name, type, value] of cases) {
    test(`round-trips ${name} through msgpack`, () => {
      assert.deepEqual(decodeMsgpack(encodeMsgpack(value, type), type), value);
    });
    if (!(value instanceof Unknown)) {
      test(`round-trips ${name} through JSON`, () => {
        assert.deepEqual(decodeJson(encodeJson(value, type), type), value);
      });
    }
  }

  test('encodes an unknown as msgpack ext 0 (fixext1), as cty does', () => {
    assert.deepEqual([...encodeMsgpack(UNKNOWN, 'string')], [0xd4, 0x00, 0x00]);
    assert.ok(
      decodeMsgpack(new Uint8Array([0xd4, 0x00, 0x00]), 'string') instanceof Unknown,
      "decodeMsgpack(new Uint8Array([0xd4, 0x00, 0x00]), 'string') instanceof Unknown",
    );
  });

  test('decodes a refined unknown (ext 12) with its refinements', () => {
    // what Terraform 1.11 sends for "pre-${unknown}": {1: false, 2: "pre-"}
    const payload = [0x82, 0x01, 0xc2, 0x02, 0xa4, ...Buffer.from('pre-')];
    const bytes = new Uint8Array([0xc7, payload.length, 12, ...payload]);
    const value = decodeMsgpack(bytes, 'string');
    assert.ok(value instanceof Unknown, 'value instanceof Unknown');
    assert.deepEqual(value.refinements, { notNull: true, stringPrefix: 'pre-' });
  });

  test('writes a refined unknown as cty does, also in the middle of a larger value', () => {
    const payload = [0x82, 0x01, 0xc2, 0x02, 0xa4, ...Buffer.from('pre-')];
    const refined = new Unknown({ notNull: true, stringPrefix: 'pre-' });
    assert.deepEqual([...encodeMsgpack(refined, 'string')], [0xc7, payload.length, 12, ...payload]);
    // the payload is written apart from the value around it: neither may overwrite the other
    const type: CtyType = ['object', { a: 'string', b: ['list', 'string'], c: 'string' }];
    const value = { a: 'x'.repeat(100), b: [refined, 'y'.repeat(300)], c: 'z' };
    assert.deepEqual(decodeMsgpack(encodeMsgpack(value, type), type), value);
    const ext = decodeGeneral(encodeMsgpack(new Unknown({ lengthUpperBound: 3 }), ['list', 'string'])) as ExtData;
    assert.deepEqual([ext.type, ...(ext.data as Uint8Array)], [12, 0x81, 0x06, 0x03]);
  });

  test('round-trips refinements of numbers and collections', () => {
    const refined = new Unknown({
      notNull: true,
      numberLowerBound: { value: 1, inclusive: true },
      numberUpperBound: { value: 10, inclusive: false },
    });
    assert.deepEqual(decodeMsgpack(encodeMsgpack(refined, 'number'), 'number'), refined);
    const list = new Unknown({ lengthLowerBound: 1, lengthUpperBound: 3 });
    assert.deepEqual(decodeMsgpack(encodeMsgpack(list, ['list', 'string']), ['list', 'string']), list);
  });

  test('keeps unknowns nested inside objects and lists', () => {
    const type: CtyType = ['object', { a: 'string', l: ['list', 'string'] }];
    const value = decodeMsgpack(encodeMsgpack({ a: UNKNOWN, l: ['x', UNKNOWN] }, type), type) as Record<
      string,
      CtyValue
    >;
    assert.ok(value.a instanceof Unknown, 'value.a instanceof Unknown');
    assert.ok((value.l as CtyValue[])[1] instanceof Unknown, '(value.l as CtyValue[])[1] instanceof Unknown');
  });

  test('writes exactly the attributes of an object type, absent ones as nil', () => {
    const type: CtyType = ['object', { a: 'string', b: 'string' }];
    // fixmap of 2: "a" -> "x", "b" -> nil
    assert.deepEqual(
      [...encodeMsgpack({ a: 'x', extra: 'dropped' }, type)],
      [0x82, 0xa1, 0x61, 0xa1, 0x78, 0xa1, 0x62, 0xc0],
    );
  });

  test('reads an object by its type: missing attributes as null, unknown keys dropped, nothing from the prototype', () => {
    // Names that plain objects inherit: a lookup that falls through to the prototype would find functions.
    const type: CtyType = [
      'object',
      Object.fromEntries([
        ['constructor', 'string'],
        ['a', 'string'],
        ['toString', 'string'],
      ]),
    ];
    // fixmap of 2: "a" -> "x", "zz" -> "y"
    const bytes = Uint8Array.from([0x82, 0xa1, 0x61, 0xa1, 0x78, 0xa2, 0x7a, 0x7a, 0xa1, 0x79]);
    assert.deepEqual(decodeMsgpack(bytes, type), { constructor: null, a: 'x', toString: null });
    assert.deepEqual(decodeJson('{"a":"x","zz":"y"}', type), { constructor: null, a: 'x', toString: null });
  });

  test('decodes the same object type again and again to equal, separate values', () => {
    const type: CtyType = ['object', { s: 'string', l: ['list', ['object', { p: 'number' }]] }];
    const bytes = encodeMsgpack({ s: 'a', l: [{ p: 1 }, { p: 2 }] }, type);
    const first = decodeMsgpack(bytes, type) as Record<string, CtyValue>;
    const second = decodeMsgpack(bytes, type) as Record<string, CtyValue>;
    assert.deepEqual(second, { s: 'a', l: [{ p: 1 }, { p: 2 }] });
    first.s = 'changed';
    assert.equal(second.s, 'a');
  });

  // The codec reads and writes msgpack itself (type-driven, for speed); a general msgpack library must agree with it
  // on every form Terraform's msgpack may use: each width of integer, float32/64, str8/16/32, array16, map16.
  test('agrees with a general msgpack library on every width of number, string, array and map', () => {
    const numbers = [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129];
    const more = [-32768, -32769, -(2 ** 31), -(2 ** 31) - 1, 0.1, -2.5e300];
    const type: CtyType = [
      'object',
      { n: ['list', 'number'], s: ['list', 'string'], m: ['map', 'string'], big: ['list', 'number'] },
    ];
    const value = {
      n: [...numbers, ...more],
      s: ['', 'a'.repeat(31), 'é'.repeat(16), 'b'.repeat(32), 'c'.repeat(255), 'd'.repeat(256), 'e'.repeat(70_000)],
      m: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`])),
      big: [2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n],
    };
    const general = { ...value, big: value.big };
    const bytes = encodeMsgpack(value, type);
    assert.deepEqual(decodeGeneral(bytes, { useBigInt64: true }), general);
    assert.deepEqual(decodeMsgpack(encodeGeneral(general, { useBigInt64: true }), type), {
      ...value,
      big: [2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n],
    });
    // float32, and an object of more than 15 attributes (map16) read by its type
    assert.equal(decodeMsgpack(Uint8Array.from([0xca, 0x3f, 0xc0, 0x00, 0x00]), 'number'), 1.5);
    const wide: CtyType = ['object', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, 'bool']))];
    const flags = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, i % 2 === 0]));
    assert.deepEqual(decodeMsgpack(encodeGeneral(flags), wide), flags);
    assert.deepEqual(decodeGeneral(encodeMsgpack(flags, wide)), flags);
  });

  test('refuses truncated msgpack and bytes left over after the value', () => {
    const bytes = encodeMsgpack({ a: 'xyz' }, ['object', { a: 'string' }]);
    assert.throws(() => decodeMsgpack(bytes.subarray(0, bytes.length - 1), ['object', { a: 'string' }]), RangeError);
    assert.throws(() => decodeMsgpack(Uint8Array.from([0xa1, 0x61, 0xc0]), 'string'), /Extra 1 of 3 byte/);
  });

  test('reads numbers that msgpack carries as decimal strings without rounding', () => {
    assert.equal(rawToNumber('12'), 12);
    assert.equal(rawToNumber('1.25'), 1.25);
    assert.equal(rawToNumber('123456789012345678901234567890'), 123456789012345678901234567890n);
    assert.deepEqual(
      rawToNumber('3.14159265358979323846264338327950288'),
      new BigDecimal('3.14159265358979323846264338327950288'),
    );
    assert.throws(() => rawToNumber('twelve'), /not a number/);
  });

  test('reads state JSON with numbers beyond float64 exactly', () => {
    const type: CtyType = ['object', { n: 'number', s: 'string' }];
    const value = decodeJson('{"n": 123456789012345678901234567890, "s": "12345678901234567890"}', type);
    assert.deepEqual(value, { n: 123456789012345678901234567890n, s: '12345678901234567890' });
  });

  test('reads state JSON whose only long digit runs are inside strings, and long numbers after them', () => {
    const type: CtyType = ['object', { s: 'string', n: 'number', f: 'number' }];
    assert.deepEqual(decodeJson('{"s": "MIIB1234567890123456789", "n": 7, "f": 0.5}', type), {
      s: 'MIIB1234567890123456789',
      n: 7,
      f: 0.5,
    });
    assert.deepEqual(decodeJson('{"s": "x", "n": 12345678901234567, "f": 1.00000000000000000001}', type), {
      s: 'x',
      n: 12345678901234567n,
      f: new BigDecimal('1.00000000000000000001'),
    });
  });
});
