// DynamicValue codec: cty values to and from msgpack (what Terraform sends and expects) and JSON (how it hands
// over stored state). Decoding is driven by the type, as in cty itself: the same msgpack bytes mean different
// values for a list and a set, for a number and a string.
import { Decoder, Encoder, ExtData, ExtensionCodec } from '@msgpack/msgpack';
import {
  BigDecimal,
  Dynamic,
  Unknown,
  isObject,
  type CtyNumber,
  type CtyType,
  type CtyValue,
  type ObjectValue,
  type Refinements,
} from './cty';

const EXT_UNKNOWN = 0;
const EXT_REFINED_UNKNOWN = 12;

// Keys of the refinement map inside ext 12 (hashicorp/terraform docs/plugin-protocol/object-wire-format.md).
const REFINE_IS_NULL = 1;
const REFINE_STRING_PREFIX = 2;
const REFINE_NUMBER_MIN = 3;
const REFINE_NUMBER_MAX = 4;
const REFINE_LENGTH_MIN = 5;
const REFINE_LENGTH_MAX = 6;

/** Marks an unknown while the raw msgpack tree is walked. */
class RawUnknown {
  constructor(readonly refinements: Refinements) {}
}

const extensions = new ExtensionCodec();
extensions.register({
  type: EXT_UNKNOWN,
  encode: (value) => (value instanceof Unknown && !hasRefinements(value) ? new Uint8Array([0]) : null),
  decode: () => new RawUnknown({}),
});
extensions.register({
  type: EXT_REFINED_UNKNOWN,
  encode: (value) => (value instanceof Unknown && hasRefinements(value) ? encodeRefinements(value.refinements) : null),
  decode: (data) => new RawUnknown(decodeRefinements(data)),
});

const encoder = new Encoder({ extensionCodec: extensions, useBigInt64: true, ignoreUndefined: false });
const decoder = new Decoder({ extensionCodec: extensions, useBigInt64: true, mapKeyConverter: (key) => key as never });
const utf8 = new TextDecoder();

function hasRefinements(value: Unknown): boolean {
  return Object.keys(value.refinements).length > 0;
}

// The refinement map has small integer keys, which @msgpack/msgpack cannot write (object keys become strings), so
// the map header and keys are written here and only the values go through the encoder.
function encodeRefinements(r: Refinements): Uint8Array {
  const entries: [number, unknown][] = [];
  if (r.notNull) entries.push([REFINE_IS_NULL, false]);
  if (r.stringPrefix !== undefined) entries.push([REFINE_STRING_PREFIX, r.stringPrefix]);
  if (r.numberLowerBound)
    entries.push([REFINE_NUMBER_MIN, [numberToRaw(r.numberLowerBound.value), r.numberLowerBound.inclusive]]);
  if (r.numberUpperBound)
    entries.push([REFINE_NUMBER_MAX, [numberToRaw(r.numberUpperBound.value), r.numberUpperBound.inclusive]]);
  if (r.lengthLowerBound !== undefined) entries.push([REFINE_LENGTH_MIN, r.lengthLowerBound]);
  if (r.lengthUpperBound !== undefined) entries.push([REFINE_LENGTH_MAX, r.lengthUpperBound]);
  const parts = [Uint8Array.of(0x80 | entries.length)];
  for (const [key, value] of entries) parts.push(Uint8Array.of(key), encoder.encode(value).slice());
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function decodeRefinements(data: Uint8Array): Refinements {
  const raw = new Decoder({ useBigInt64: true, mapKeyConverter: (key) => key as never }).decode(data);
  const get = (key: number): unknown => (raw instanceof Map ? raw.get(key) : (raw as Record<number, unknown>)?.[key]);
  const bound = (v: unknown) => (Array.isArray(v) ? { value: rawToNumber(v[0]), inclusive: Boolean(v[1]) } : undefined);
  const refinements: {
    -readonly [K in keyof Refinements]: Refinements[K];
  } = {};
  if (get(REFINE_IS_NULL) === false) refinements.notNull = true;
  if (typeof get(REFINE_STRING_PREFIX) === 'string') refinements.stringPrefix = get(REFINE_STRING_PREFIX) as string;
  const min = bound(get(REFINE_NUMBER_MIN));
  if (min) refinements.numberLowerBound = min;
  const max = bound(get(REFINE_NUMBER_MAX));
  if (max) refinements.numberUpperBound = max;
  if (get(REFINE_LENGTH_MIN) !== undefined) refinements.lengthLowerBound = Number(get(REFINE_LENGTH_MIN));
  if (get(REFINE_LENGTH_MAX) !== undefined) refinements.lengthUpperBound = Number(get(REFINE_LENGTH_MAX));
  return refinements;
}

// --- numbers: cty numbers are arbitrary precision; msgpack carries them as int, float64 or decimal string ---

function numberToRaw(n: CtyNumber): number | bigint | string {
  if (n instanceof BigDecimal) return n.text;
  if (typeof n === 'bigint') {
    return n >= -(2n ** 63n) && n < 2n ** 64n ? n : n.toString();
  }
  return n;
}

/** Reads a number as msgpack or JSON gave it, keeping every digit. */
export function rawToNumber(raw: unknown): CtyNumber {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') {
    return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  }
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^-?\d+$/.test(text)) return rawToNumber(BigInt(text));
    if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      const asFloat = Number(text);
      return Number.isFinite(asFloat) && canonicalDecimal(String(asFloat)) === canonicalDecimal(text)
        ? asFloat
        : new BigDecimal(text);
    }
  }
  throw new TypeError(`not a number: ${String(raw)}`);
}

function canonicalDecimal(text: string): string {
  // Compare decimal texts by value-preserving normal form: strip sign of zero, trailing zeros, exponent.
  const match = /^(-?)(\d*)\.?(\d*)(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, int, frac, exp] = match;
  let digits = (int ?? '') + (frac ?? '');
  let point = (int ?? '').length + Number(exp ?? 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  return digits === '' ? '0' : `${sign}${digits}e${point}`;
}

// --- msgpack ---

export function encodeMsgpack(value: CtyValue, type: CtyType): Uint8Array {
  return encoder.encode(toRaw(value, type)).slice();
}

export function decodeMsgpack(bytes: Uint8Array, type: CtyType): CtyValue {
  return fromRaw(decoder.decode(bytes), type);
}

function toRaw(value: CtyValue, type: CtyType): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Unknown) return value;
  if (type === 'dynamic') {
    if (!(value instanceof Dynamic)) throw new TypeError('a dynamic value must carry its type');
    return [new TextEncoder().encode(JSON.stringify(value.type)), toRaw(value.value, value.type)];
  }
  if (type === 'string') return String(value);
  if (type === 'bool') return Boolean(value);
  if (type === 'number') return numberToRaw(value as CtyNumber);
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') return (value as CtyValue[]).map((v) => toRaw(v, inner));
  if (kind === 'tuple') return (value as CtyValue[]).map((v, i) => toRaw(v, inner[i]!));
  if (kind === 'map') {
    return Object.fromEntries(Object.entries(value as ObjectValue).map(([k, v]) => [k, toRaw(v, inner)]));
  }
  // object: exactly the type's attributes, absent ones as nil (Terraform counts them)
  const obj = value as ObjectValue;
  const out: Record<string, unknown> = {};
  for (const [k, t] of attributesOf(inner as AttributeTypes)) out[k] = toRaw(obj[k] ?? null, t);
  return out;
}

// Objects are the bulk of every request and response (one per resource per call); their attribute lists are
// listed once per object type instead of on every value. The types come from blockType, which caches them.
type AttributeTypes = { readonly [name: string]: CtyType };
const attributeLists = new WeakMap<AttributeTypes, readonly (readonly [string, CtyType])[]>();

/** The [name, type] pairs of an object type's attributes (the second element of `['object', {...}]`). */
function attributesOf(attributes: AttributeTypes): readonly (readonly [string, CtyType])[] {
  let list = attributeLists.get(attributes);
  if (list === undefined) {
    list = Object.entries(attributes);
    attributeLists.set(attributes, list);
  }
  return list;
}

function fromRaw(raw: unknown, type: CtyType): CtyValue {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof RawUnknown) return new Unknown(raw.refinements);
  if (raw instanceof ExtData) throw new TypeError(`unsupported msgpack extension ${raw.type}`);
  if (type === 'dynamic') {
    const [typeJson, inner] = raw as [Uint8Array | string, unknown];
    const concrete = JSON.parse(typeof typeJson === 'string' ? typeJson : utf8.decode(typeJson)) as CtyType;
    return new Dynamic(concrete, fromRaw(inner, concrete));
  }
  if (type === 'string') return String(raw);
  if (type === 'bool') return Boolean(raw);
  if (type === 'number') return rawToNumber(raw);
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') return (raw as unknown[]).map((v) => fromRaw(v, inner));
  if (kind === 'tuple') return (raw as unknown[]).map((v, i) => fromRaw(v, inner[i]!));
  if (kind === 'map') {
    const entries = raw instanceof Map ? [...raw.entries()] : Object.entries(raw as object);
    return Object.fromEntries(entries.map(([k, v]) => [String(k), fromRaw(v, inner)]));
  }
  const given = raw instanceof Map ? new Map([...raw.entries()].map(([k, v]) => [String(k), v])) : undefined;
  const fields = raw as Record<string, unknown>;
  const out: ObjectValue = {};
  for (const [k, t] of attributesOf(inner as AttributeTypes)) {
    const v = given ? given.get(k) : Object.hasOwn(fields, k) ? fields[k] : undefined;
    out[k] = fromRaw(v ?? null, t);
  }
  return out;
}

// --- JSON (stored state; unknowns never occur there) ---

export function encodeJson(value: CtyValue, type: CtyType): string {
  return JSON.stringify(toJson(value, type));
}

export function decodeJson(text: string | Uint8Array, type: CtyType): CtyValue {
  const source = typeof text === 'string' ? text : utf8.decode(text);
  return fromJson(JSON.parse(protectBigNumbers(source)), type);
}

// JSON.parse would round numbers beyond float64; quote long numeric literals first (outside strings), and read
// them back as numbers by type. Most states hold no run of 16 digits at all, and then nothing needs quoting.
function protectBigNumbers(source: string): string {
  if (!/\d{16}/.test(source)) return source;
  return source.replace(
    /"(?:[^"\\]|\\.)*"|-?\d{16,}(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\d+\.\d{16,}(?:[eE][-+]?\d+)?/g,
    (m) => (m.startsWith('"') ? m : `"${m}"`),
  );
}

function toJson(value: CtyValue, type: CtyType): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Unknown) throw new TypeError('unknown values cannot be written as JSON');
  if (type === 'dynamic') {
    const d = value as Dynamic;
    return { value: toJson(d.value, d.type), type: d.type };
  }
  if (type === 'number') {
    const n = value as CtyNumber;
    return typeof n === 'number' ? n : JSON.rawJSON ? JSON.rawJSON(String(n)) : String(n);
  }
  if (type === 'string' || type === 'bool') return value;
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') return (value as CtyValue[]).map((v) => toJson(v, inner));
  if (kind === 'tuple') return (value as CtyValue[]).map((v, i) => toJson(v, inner[i]!));
  if (kind === 'map')
    return Object.fromEntries(Object.entries(value as ObjectValue).map(([k, v]) => [k, toJson(v, inner)]));
  const obj = value as ObjectValue;
  return Object.fromEntries(Object.entries(inner).map(([k, t]) => [k, toJson(obj[k] ?? null, t)]));
}

function fromJson(raw: unknown, type: CtyType): CtyValue {
  if (raw === null || raw === undefined) return null;
  if (type === 'dynamic') {
    const { value, type: concrete } = raw as { value: unknown; type: CtyType };
    return new Dynamic(concrete, fromJson(value, concrete));
  }
  if (type === 'number') return rawToNumber(raw);
  if (type === 'string') return String(raw);
  if (type === 'bool') return raw === true || raw === 'true';
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') return (raw as unknown[]).map((v) => fromJson(v, inner));
  if (kind === 'tuple') return (raw as unknown[]).map((v, i) => fromJson(v, inner[i]!));
  if (kind === 'map') return Object.fromEntries(Object.entries(raw as object).map(([k, v]) => [k, fromJson(v, inner)]));
  const obj = isObject(raw) ? (raw as Record<string, unknown>) : {};
  const out: ObjectValue = {};
  for (const [k, t] of attributesOf(inner as AttributeTypes))
    out[k] = fromJson(Object.hasOwn(obj, k) ? obj[k] : null, t);
  return out;
}

declare global {
  interface JSON {
    rawJSON?: (text: string) => unknown;
  }
}
