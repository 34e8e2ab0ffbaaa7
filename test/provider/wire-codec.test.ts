// The provider's protobuf wire codec (src/provider/proto/wire-codec.ts) held to protobufjs (the devDependency, 8.x)
// as the reference: every message type in descriptor.json builds; seeded random objects of every type encode to the
// bytes protobufjs writes (Root.fromJSON, fromObject, encode) and decode to the objects it reads (decode, toObject
// with PROTO_LOADER_OPTIONS); wire input our encoder never writes (unknown fields, fields twice, long varints)
// decodes as protobufjs decodes it; malformed input and values no message can hold throw. A random failure names
// the type and sample number; the samples of a type depend only on SEED and the type's name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import protobuf from 'protobufjs';
import descriptor from '../../src/provider/proto/descriptor.json';
import { PROTO_LOADER_OPTIONS } from '../../src/provider/proto/load-protocols';
import { messageCodec } from '../../src/provider/proto/wire-codec';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).resolveAll();

/** The full names of the message types (nodes with `fields`) in descriptor.json. */
function messageNames(node: { nested?: object }, prefix: readonly string[] = []): string[] {
  return Object.entries(node.nested ?? {}).flatMap(([name, child]: [string, { fields?: object; nested?: object }]) => [
    ...(child.fields ? [[...prefix, name].join('.')] : []),
    ...messageNames(child, [...prefix, name]),
  ]);
}
const MESSAGES = messageNames(descriptor);

/** Bytes as Buffers throughout (protobufjs gives a Uint8Array when not reading from a Buffer). */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
}

/** What protobufjs does with message type `name`. */
function reference(name: string) {
  const type = root.lookupType(name);
  return {
    encode: (value: object) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    decode: (bytes: Uint8Array) => normalize(type.toObject(type.decode(Buffer.from(bytes)), PROTO_LOADER_OPTIONS)),
    /** The object as protobufjs fills it in, without the wire: defaults, oneof names. */
    convert: (value: object) => normalize(type.toObject(type.fromObject(value), PROTO_LOADER_OPTIONS)),
  };
}
/** Ours, as is: its bytes fields must already be Buffers. */
const ours = (name: string) => messageCodec(name);

const show = (value: unknown) => inspect(value, { depth: 12, maxArrayLength: 8, breakLength: 160 }).slice(0, 1500);
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
/** A varint, as the wire format writes unsigned 64-bit values. */
function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  for (; v > 0x7fn; v >>= 7n) out.push(Number(v & 0x7fn) | 0x80);
  return Buffer.from([...out, Number(v)]);
}
const tag = (id: number, wireType: number) => varint((id << 3) | wireType);
const delimited = (id: number, content: Buffer) => Buffer.concat([tag(id, 2), varint(content.length), content]);
const str = (id: number, text: string) => delimited(id, Buffer.from(text));
const num = (id: number, value: number | bigint) => Buffer.concat([tag(id, 0), varint(value)]);

// ---- seeded random plain objects (mulberry32, so a failure reproduces from the type name and sample number) ----

const SEED = 0x7f6c_2026;
const SAMPLES_PER_TYPE = 5;
const MAX_DEPTH = 4;
type Random = () => number;
function prng(seed: number): Random {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const seedOf = (name: string) => [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), SEED);
const int = (random: Random, below: number) => Math.floor(random() * below);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

const INT64 = [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 12_345, 2 ** 40 + 7, 2 ** 53 - 1];
const INT64S = [...INT64, -1, -128, -(2 ** 31), -(2 ** 32) - 5, -Number.MAX_SAFE_INTEGER];
const INT32S = [0, 1, 127, 128, 2 ** 31 - 1, -1, -300, -(2 ** 31)];
const UINT32S = [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1];
const STRINGS = ['', 'a', 'aws_instance.web', 'ünïcödé', '日本語', '😀 e\u0301moji', 'x'.repeat(130), 'é'.repeat(70)];
/** [first, count] of code point ranges for random strings: ASCII, Latin to Cyrillic, CJK, emoji (no surrogates). */
// prettier-ignore
const CODE_POINTS = [[0x20, 95], [0xa0, 0x700], [0x4e00, 0x5000], [0x1f600, 80]] as const;

function randomString(random: Random): string {
  if (random() < 0.6) return pick(random, STRINGS);
  const points = Array.from({ length: int(random, 50) }, () => pick(random, CODE_POINTS));
  return points.map(([from, count]) => String.fromCodePoint(from + int(random, count))).join('');
}

function randomScalar(random: Random, type: string): unknown {
  switch (type) {
    case 'string':
      return randomString(random);
    case 'bytes':
      return Buffer.from(Array.from({ length: pick(random, [0, 0, 1, 7, 40, 200]) }, () => int(random, 256)));
    case 'bool':
      return random() < 0.5;
    case 'int32':
      return random() < 0.7 ? pick(random, INT32S) : int(random, 2 ** 32) - 2 ** 31;
    case 'uint32':
      return random() < 0.7 ? pick(random, UINT32S) : int(random, 2 ** 32);
    case 'int64':
      return random() < 0.7 ? pick(random, INT64S) : Math.trunc((random() * 2 - 1) * Number.MAX_SAFE_INTEGER);
    default:
      throw new Error(`the test generates no ${type}`);
  }
}

function randomValue(random: Random, field: protobuf.Field, depth: number): unknown {
  const type = field.resolvedType;
  if (type instanceof protobuf.Enum) return pick(random, Object.keys(type.values));
  if (type instanceof protobuf.Type) return randomMessage(random, type, depth + 1);
  return randomScalar(random, field.type);
}

/** Each field set or not; a oneof (incl. a proto3 optional) with one member set or none; nesting up to MAX_DEPTH. */
function randomMessage(random: Random, type: protobuf.Type, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (depth > MAX_DEPTH) return out;
  for (const oneof of type.oneofsArray) {
    if (random() < 0.6) {
      const member = pick(random, oneof.fieldsArray);
      out[member.name] = randomValue(random, member, depth);
    }
  }
  const count = () => (random() < 0.3 ? 0 : 1 + int(random, 3));
  for (const field of type.fieldsArray) {
    if (field.partOf || random() < 0.25) continue;
    if (random() < 0.05) out[field.name] = null;
    else if (field.map) {
      const entry = (i: number) => [`${randomString(random)}${i}`, randomValue(random, field, depth)];
      out[field.name] = Object.fromEntries(Array.from({ length: count() }, (_, i) => entry(i)));
    } else if (field.repeated)
      out[field.name] = Array.from({ length: count() }, () => randomValue(random, field, depth));
    else out[field.name] = randomValue(random, field, depth);
  }
  return out;
}

const samples = new Map<string, Record<string, unknown>[]>();
function samplesOf(name: string): Record<string, unknown>[] {
  let list = samples.get(name);
  if (!list) {
    const random = prng(seedOf(name));
    list = Array.from({ length: SAMPLES_PER_TYPE }, () => randomMessage(random, root.lookupType(name)));
    samples.set(name, list);
  }
  return list;
}

describe('wire codec: every message type in descriptor.json', { timeout: 30_000 }, () => {
  test('there are message types from all four packages', () => {
    const packages = new Set(MESSAGES.map((name) => name.split('.')[0]));
    assert.deepStrictEqual([...packages].sort(), ['google', 'grpc', 'plugin', 'tfplugin6']);
    assert.ok(MESSAGES.length > 80, `${MESSAGES.length} message types`);
  });

  test('messageCodec builds each', () => {
    for (const name of MESSAGES) assert.doesNotThrow(() => messageCodec(name), name);
  });
});

describe('wire codec: seeded random objects, as protobufjs handles them', { timeout: 30_000 }, () => {
  for (const name of MESSAGES) {
    test(`${name}: encode writes protobufjs's bytes`, () => {
      for (const [i, value] of samplesOf(name).entries()) {
        const [mine, theirs] = [ours(name).encode(value), reference(name).encode(value)];
        const bytes = `ours:       ${mine.toString('hex')}\nprotobufjs: ${theirs.toString('hex')}`;
        assert.ok(mine.equals(theirs), `sample ${i}: ${show(value)}\n${bytes}`);
      }
    });
    test(`${name}: decode reads protobufjs's bytes as protobufjs does`, () => {
      for (const [i, value] of samplesOf(name).entries()) {
        const bytes = reference(name).encode(value);
        assert.deepStrictEqual(ours(name).decode(bytes), reference(name).decode(bytes), `sample ${i}: ${show(value)}`);
        const fromUint8Array = ours(name).decode(new Uint8Array(bytes));
        assert.deepStrictEqual(fromUint8Array, ours(name).decode(bytes), `sample ${i}, Uint8Array`);
      }
    });
    test(`${name}: decode(encode(x)) is x as protobufjs fills it in, and stays so`, () => {
      for (const [i, value] of samplesOf(name).entries()) {
        const back = ours(name).decode(ours(name).encode(value));
        assert.deepStrictEqual(back, reference(name).convert(value), `sample ${i}: ${show(value)}`);
        assert.deepStrictEqual(ours(name).decode(ours(name).encode(back as object)), back, `sample ${i} twice`);
      }
    });
  }
});

describe('wire codec: large messages, as protobufjs handles them', { timeout: 30_000 }, () => {
  // 3- and 4-byte length prefixes, which the random objects (a few KB at most) do not reach
  const attribute = (i: number) => ({ name: `a_${i}`, type: Buffer.from('"string"'), description: 'é'.repeat(40) });
  const block = { attributes: Array.from({ length: 400 }, (_, i) => attribute(i)) };
  // prettier-ignore
  const CASES: [string, object][] = [
    ['tfplugin6.GetProviderSchema.Response', { provider: { block }, resource_schemas: { a: { block }, b: { version: 3, block } } }],
    ['tfplugin6.PlanResourceChange.Request', { prior_state: { msgpack: Buffer.alloc(3_000_000, 0xa5) }, type_name: 'x' }],
  ];
  for (const [name, value] of CASES)
    test(name, () => {
      const bytes = ours(name).encode(value);
      assert.ok(bytes.equals(reference(name).encode(value)), 'the same bytes');
      assert.deepStrictEqual(ours(name).decode(bytes), reference(name).decode(bytes));
    });
});

describe('wire codec: input our encoder never writes, decoded as protobufjs decodes it', { timeout: 30_000 }, () => {
  // prettier-ignore
  const unknowns = Buffer.concat([
    num(99, 150), num(100, -1), tag(101, 1), hex('0102030405060708'), str(102, 'skipped'),
    delimited(103, Buffer.concat([num(1, 1), str(2, 'nested')])), tag(2047, 5), hex('01020304'),
  ]);
  const diagnostic = Buffer.concat([num(1, 1), str(2, 'summary'), str(3, 'detail')]);
  // prettier-ignore
  const CASES: [string, string, Buffer][] = [
    ['unknown fields of wire types 0, 1, 2 and 5', 'tfplugin6.Diagnostic', Buffer.concat([unknowns, diagnostic, unknowns])],
    ['unknown fields in a nested message', 'tfplugin6.PlanResourceChange.Request', Buffer.concat([str(1, 't'), delimited(2, Buffer.concat([unknowns, delimited(1, hex('81c0')), unknowns]))])],
    // protobufjs 8 merges a message field given twice, and a oneof member clears the others (proto3 semantics)
    ['a message field twice', 'tfplugin6.PlanResourceChange.Request', Buffer.concat([delimited(2, delimited(1, hex('01'))), delimited(2, delimited(2, hex('7b7d')))])],
    ['scalar fields twice (the last wins)', 'tfplugin6.Diagnostic', Buffer.concat([num(1, 1), str(2, 'first'), num(1, 2), str(2, 'second')])],
    ['a repeated field split by other fields', 'tfplugin6.ReadResource.Response', Buffer.concat([delimited(2, diagnostic), delimited(3, hex('0a01ff')), delimited(2, str(2, 'b'))])],
    ['two members of a oneof (the last is set)', 'tfplugin6.AttributePath.Step', Buffer.concat([str(1, 'name'), num(3, 7)])],
    // protobufjs 8 gives no virtual oneof for a proto3 optional (proto-loader's protobufjs 7 gives _private)
    ['a proto3 optional set to its default', 'tfplugin6.OpenEphemeralResource.Response', Buffer.concat([delimited(4, Buffer.alloc(0)), delimited(2, Buffer.alloc(0))])],
    ['a negative int32 as a 10-byte varint', 'google.protobuf.Timestamp', Buffer.concat([num(2, -1), num(2, -(2 ** 31))])],
    ['small values in overlong varints', 'google.protobuf.Timestamp', hex('08 81 80 80 80 80 80 80 80 80 00  10 82 80 80 80 00')],
    ['int64 above 2^32', 'tfplugin6.Schema', num(1, 2 ** 32 + 1)],
    ['int64 up to 2^53 - 1', 'tfplugin6.UpgradeResourceState.Request', num(2, Number.MAX_SAFE_INTEGER)],
    ['int64 beyond 2^53 and below -2^32', 'tfplugin6.Schema.Block', Buffer.concat([num(1, 2n ** 60n + 3n), num(1, -(2 ** 40) - 1)])],
    ['uint32 in a 10-byte varint', 'plugin.ConnInfo', num(1, -1)],
    ['bools as varints other than 0 and 1', 'tfplugin6.ClientCapabilities', Buffer.concat([num(1, 2 ** 32), num(2, 128)])],
    ['an enum number without a name', 'plugin.StdioData', Buffer.concat([num(1, 9), num(1, -2)])],
    ['map entries without key or value, with unknown fields', 'tfplugin6.RawState', Buffer.concat([delimited(2, str(2, 'v')), delimited(2, str(1, 'k')), delimited(2, Buffer.concat([num(9, 1), str(1, 'x'), str(2, 'y')]))])],
    ['a map key twice (the last wins)', 'tfplugin6.RawState', Buffer.concat([delimited(2, Buffer.concat([str(1, 'k'), str(2, 'a')])), delimited(2, Buffer.concat([str(1, 'k'), str(2, 'b')]))])],
    ['a map entry whose message value is missing', 'tfplugin6.GetProviderSchema.Response', delimited(2, str(1, 'aws_instance'))],
    ['a map key __proto__', 'tfplugin6.RawState', delimited(2, Buffer.concat([str(1, '__proto__'), str(2, 'polluted')]))],
    // protobufjs 8 skips a known field of another wire type as unknown, rejects invalid UTF-8 and field number 0
    ['a known field with another wire type', 'grpc.health.v1.HealthCheckRequest', Buffer.concat([num(1, 5), str(1, 'svc')])],
    ['a string that is not UTF-8', 'grpc.health.v1.HealthCheckRequest', delimited(1, hex('61ff'))],
    ['field number 0', 'grpc.health.v1.HealthCheckRequest', Buffer.concat([num(0, 5), str(1, 'svc')])],
  ];
  for (const [label, name, bytes] of CASES) {
    test(`${label} (${name})`, () => {
      let expected: unknown;
      try {
        expected = reference(name).decode(bytes);
      } catch {
        assert.throws(() => ours(name).decode(bytes), `protobufjs rejects ${bytes.toString('hex')}`);
        return;
      }
      assert.deepStrictEqual(ours(name).decode(bytes), expected, bytes.toString('hex'));
    });
  }

  test('the values decoded are the ones written', () => {
    const timestamp = ours('google.protobuf.Timestamp').decode(Buffer.concat([num(1, -(2 ** 40)), num(2, -1)]));
    assert.deepStrictEqual(timestamp, { seconds: -(2 ** 40), nanos: -1 });
    assert.equal(ours('tfplugin6.Schema').decode(num(1, 2 ** 32 + 1)).version, 2 ** 32 + 1);
    const { decode } = ours('tfplugin6.Diagnostic');
    assert.deepStrictEqual(decode(Buffer.concat([unknowns, diagnostic])), decode(diagnostic));
  });

  test('descriptor.json has no repeated scalar or enum field (so no packed encoding to test)', () => {
    const packable = MESSAGES.flatMap((name) => root.lookupType(name).fieldsArray)
      .filter((field) => field.repeated && !field.map && !(field.resolvedType instanceof protobuf.Type))
      .map((field) => field.fullName);
    assert.deepStrictEqual(packable, [], 'test packed and unpacked encodings of these');
  });

  // protobufjs writes a lone surrogate as ED A0 80, which is not UTF-8 (Go's protobuf refuses the message, and
  // protobufjs 8 cannot read it back); ours writes U+FFFD, as Buffer does
  test('a string with a lone surrogate encodes as valid UTF-8 (U+FFFD), where protobufjs writes invalid bytes', () => {
    const value = { service: 'a\ud800b' };
    const name = 'grpc.health.v1.HealthCheckRequest';
    const bytes = ours(name).encode(value);
    assert.equal(bytes.toString('hex'), '0a0561efbfbd62');
    assert.deepStrictEqual(ours(name).decode(bytes), { service: 'a\ufffdb' });
  });
});

describe('wire codec: malformed input throws', { timeout: 30_000 }, () => {
  const eleven = hex('80 80 80 80 80 80 80 80 80 80 01');
  // prettier-ignore
  const MALFORMED: [string, string, Buffer][] = [
    ['a truncated varint', 'google.protobuf.Timestamp', hex('08 80')],
    ['a truncated tag', 'google.protobuf.Timestamp', hex('80')],
    ['a length prefix beyond the end', 'grpc.health.v1.HealthCheckRequest', hex('0a 05 61 62')],
    ['a length prefix of 2^32 - 1', 'grpc.health.v1.HealthCheckRequest', hex('0a ff ff ff ff 0f 61')],
    ['a nested field longer than its message', 'tfplugin6.PlanResourceChange.Request', hex('12 02 0a 05 0a 03 61 62 63')],
    ['a map entry field longer than its entry', 'tfplugin6.RawState', hex('12 03 0a 05 61 62 63 64 65')],
    ['a truncated fixed64', 'tfplugin6.Diagnostic', Buffer.concat([tag(99, 1), hex('010203')])],
    ['a truncated fixed32', 'tfplugin6.Diagnostic', Buffer.concat([tag(99, 5), hex('01')])],
    ['an int64 varint over 10 bytes', 'google.protobuf.Timestamp', Buffer.concat([tag(1, 0), eleven])],
    ['an int32 varint over 10 bytes', 'google.protobuf.Timestamp', Buffer.concat([tag(2, 0), eleven])],
    ['an unknown varint over 10 bytes', 'google.protobuf.Timestamp', Buffer.concat([tag(99, 0), eleven])],
    ['a tag over 10 bytes', 'google.protobuf.Timestamp', eleven],
    ['a group (wire type 3)', 'plugin.StdioData', Buffer.concat([tag(99, 3), hex('0801'), tag(99, 4), hex('0801')])],
    ...[3, 4, 6, 7].flatMap((wireType): [string, string, Buffer][] => [
      [`wire type ${wireType}, unknown field`, 'plugin.StdioData', Buffer.concat([tag(99, wireType), hex('00 0801')])],
      [`wire type ${wireType}, known field`, 'plugin.StdioData', Buffer.concat([tag(2, wireType), hex('00 0801')])],
    ]),
  ];
  for (const [label, name, bytes] of MALFORMED)
    test(`${label} (${name}: ${bytes.toString('hex')})`, () => assert.throws(() => messageCodec(name).decode(bytes)));

  test('every proper prefix of a one-field message', () => {
    const name = 'tfplugin6.PlanResourceChange.Request';
    const bytes = ours(name).encode({ prior_state: { msgpack: Buffer.alloc(200, 0xc0) } });
    for (let end = 1; end < bytes.length; end++)
      assert.throws(() => messageCodec(name).decode(bytes.subarray(0, end)), `${end} of ${bytes.length} bytes`);
  });
});

describe('wire codec: values no message can hold throw when encoded', { timeout: 30_000 }, () => {
  const INVALID: [string, string, object][] = [
    ['a string for a nested message', 'tfplugin6.PlanResourceChange.Request', { prior_state: 'not a message' }],
    ['a string for a repeated message', 'tfplugin6.AttributePath', { steps: ['attribute_name'] }],
    ['an unknown enum name', 'plugin.StdioData', { channel: 'STDIN' }],
    ['an unknown enum name, nested', 'tfplugin6.ReadResource.Response', { diagnostics: [{ severity: 'FATAL' }] }],
    ['an object for a repeated field', 'tfplugin6.ReadResource.Response', { diagnostics: { severity: 'ERROR' } }],
    ['a string for a map', 'tfplugin6.RawState', { flatmap: 'a=b' }],
  ];
  for (const [label, name, value] of INVALID)
    test(`${label} (${name})`, () => assert.throws(() => messageCodec(name).encode(value)));
});
