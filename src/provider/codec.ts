// DynamicValue codec: cty values to and from msgpack (what Terraform sends and expects) and JSON (how it hands
// over stored state). Decoding is driven by the type, as in cty itself: the same msgpack bytes mean different
// values for a list and a set, for a number and a string.
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

const utf8 = new TextDecoder();

function hasRefinements(value: Unknown): boolean {
  return Object.keys(value.refinements).length > 0;
}

/** The payload of a refined unknown, written apart from the value around it (whose writer holds the scratch). */
function refinementPayload(r: Refinements): Uint8Array {
  const writer = new MsgpackWriter(Buffer.allocUnsafe(64));
  writer.refinements(r);
  return writer.bytes();
}

/** The refinement map inside ext 12: small integer keys, and values as a generic msgpack reader gives them. */
function decodeRefinements(data: Uint8Array): Refinements {
  const raw = new MsgpackReader(data).any();
  const get = (key: number): unknown =>
    raw !== null && typeof raw === 'object' ? (raw as Record<number, unknown>)[key] : undefined;
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
// Read and written here, driven by the type, straight between the bytes and cty values: a plan sends and receives
// several objects per resource, and a generic msgpack tree in between (decoded, then walked again) was the larger
// part of the codec's time and garbage at N = 1,000 (bench/README.md "No-op plans"). The small refinement payloads
// of unknowns go through the same writer and reader.

export function encodeMsgpack(value: CtyValue, type: CtyType): Uint8Array {
  const writer = new MsgpackWriter();
  writer.value(value, type);
  return writer.bytes();
}

export function decodeMsgpack(bytes: Uint8Array, type: CtyType): CtyValue {
  const reader = new MsgpackReader(bytes);
  const value = reader.value(type);
  if (reader.pos !== bytes.length) {
    throw new RangeError(
      `Extra ${bytes.length - reader.pos} of ${bytes.length} byte(s) found at buffer[${reader.pos}]`,
    );
  }
  return value;
}

/** Grows one scratch buffer per encode; the result is a copy of what was written. */
class MsgpackWriter {
  private pos = 0;

  /** `buffer`: a writer nested in another (a refinement payload) brings its own instead of the shared scratch. */
  constructor(private buffer: Buffer = scratch) {}

  bytes(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buffer.subarray(0, this.pos));
    if (this.buffer.length > scratch.length && this.buffer.length <= MAX_SCRATCH) scratch = this.buffer;
    return out;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + n));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  private u8(b: number): void {
    this.room(1);
    this.buffer[this.pos++] = b;
  }

  private head(b: number, size: 1 | 2 | 4, n: number): void {
    this.room(1 + size);
    this.buffer[this.pos++] = b;
    if (size === 1) this.buffer.writeUInt8(n, this.pos);
    else if (size === 2) this.buffer.writeUInt16BE(n, this.pos);
    else this.buffer.writeUInt32BE(n, this.pos);
    this.pos += size;
  }

  /** fixarray below 16 elements, else array16 / array32 (maps likewise below). */
  private arrayHeader(n: number): void {
    if (n < 16) this.u8(0x90 | n);
    else if (n < 0x10000) this.head(0xdc, 2, n);
    else this.head(0xdd, 4, n);
  }

  private mapHeader(n: number): void {
    if (n < 16) this.u8(0x80 | n);
    else if (n < 0x10000) this.head(0xde, 2, n);
    else this.head(0xdf, 4, n);
  }

  /** The refinement map of ext 12 (object-wire-format.md): small integer keys, in ascending order. */
  refinements(r: Refinements): void {
    const bound = (key: number, b: { value: CtyNumber; inclusive: boolean } | undefined) =>
      b && [key, () => (this.arrayHeader(2), this.number(numberToRaw(b.value)), this.u8(b.inclusive ? 0xc3 : 0xc2))];
    const entries = [
      r.notNull && [REFINE_IS_NULL, () => this.u8(0xc2)],
      r.stringPrefix !== undefined && [REFINE_STRING_PREFIX, () => this.string(r.stringPrefix!)],
      bound(REFINE_NUMBER_MIN, r.numberLowerBound),
      bound(REFINE_NUMBER_MAX, r.numberUpperBound),
      r.lengthLowerBound !== undefined && [REFINE_LENGTH_MIN, () => this.number(r.lengthLowerBound!)],
      r.lengthUpperBound !== undefined && [REFINE_LENGTH_MAX, () => this.number(r.lengthUpperBound!)],
    ].filter((entry): entry is [number, () => void] => Boolean(entry));
    this.mapHeader(entries.length);
    for (const [key, write] of entries) {
      this.u8(key);
      write();
    }
  }

  string(s: string): void {
    const length = Buffer.byteLength(s, 'utf8');
    if (length < 32) this.u8(0xa0 | length);
    else if (length < 0x100) this.head(0xd9, 1, length);
    else if (length < 0x10000) this.head(0xda, 2, length);
    else this.head(0xdb, 4, length);
    this.room(length);
    this.pos += this.buffer.write(s, this.pos, length, 'utf8');
  }

  private binary(data: Uint8Array): void {
    if (data.length < 0x100) this.head(0xc4, 1, data.length);
    else if (data.length < 0x10000) this.head(0xc5, 2, data.length);
    else this.head(0xc6, 4, data.length);
    this.room(data.length);
    this.buffer.set(data, this.pos);
    this.pos += data.length;
  }

  private extension(type: number, data: Uint8Array): void {
    const fixed = FIXEXT_HEADS.get(data.length);
    if (fixed !== undefined) this.u8(fixed);
    else if (data.length < 0x100) this.head(0xc7, 1, data.length);
    else if (data.length < 0x10000) this.head(0xc8, 2, data.length);
    else this.head(0xc9, 4, data.length);
    this.u8(type);
    this.room(data.length);
    this.buffer.set(data, this.pos);
    this.pos += data.length;
  }

  private number(raw: number | bigint | string): void {
    if (typeof raw === 'string') return this.string(raw);
    this.room(9);
    const b = this.buffer;
    if (typeof raw === 'bigint') {
      if (raw >= 0n) {
        b[this.pos++] = 0xcf;
        b.writeBigUInt64BE(raw, this.pos);
      } else {
        b[this.pos++] = 0xd3;
        b.writeBigInt64BE(raw, this.pos);
      }
      this.pos += 8;
    } else if (Number.isSafeInteger(raw) && raw >= -0x80000000 && raw < 0x100000000) {
      // the smallest integer form, as cty's msgpack encoder writes it
      if (raw >= 0) {
        if (raw < 0x80) b[this.pos++] = raw;
        else if (raw < 0x100) this.head(0xcc, 1, raw);
        else if (raw < 0x10000) this.head(0xcd, 2, raw);
        else this.head(0xce, 4, raw);
      } else if (raw >= -0x20) b[this.pos++] = 0xe0 | (raw + 0x20);
      else if (raw >= -0x80) {
        b[this.pos++] = 0xd0;
        this.pos = b.writeInt8(raw, this.pos);
      } else if (raw >= -0x8000) {
        b[this.pos++] = 0xd1;
        this.pos = b.writeInt16BE(raw, this.pos);
      } else {
        b[this.pos++] = 0xd2;
        this.pos = b.writeInt32BE(raw, this.pos);
      }
    } else {
      b[this.pos++] = 0xcb;
      this.pos = b.writeDoubleBE(raw, this.pos);
    }
  }

  value(value: CtyValue, type: CtyType): void {
    if (value === null || value === undefined) return this.u8(0xc0);
    if (value instanceof Unknown) {
      return hasRefinements(value)
        ? this.extension(EXT_REFINED_UNKNOWN, refinementPayload(value.refinements))
        : this.extension(EXT_UNKNOWN, UNKNOWN_PAYLOAD);
    }
    if (type === 'string') return this.string(String(value));
    if (type === 'bool') return this.u8(value ? 0xc3 : 0xc2);
    if (type === 'number') return this.number(numberToRaw(value as CtyNumber));
    if (type === 'dynamic') {
      if (!(value instanceof Dynamic)) throw new TypeError('a dynamic value must carry its type');
      this.arrayHeader(2);
      this.binary(new TextEncoder().encode(JSON.stringify(value.type)));
      return this.value(value.value, value.type);
    }
    const [kind, inner] = type;
    if (kind === 'list' || kind === 'set') {
      const items = value as CtyValue[];
      this.arrayHeader(items.length);
      for (const item of items) this.value(item, inner);
    } else if (kind === 'tuple') {
      const items = value as CtyValue[];
      this.arrayHeader(items.length);
      for (let i = 0; i < items.length; i++) this.value(items[i]!, inner[i]!);
    } else if (kind === 'map') {
      const entries = Object.entries(value as ObjectValue);
      this.mapHeader(entries.length);
      for (const [k, v] of entries) {
        this.string(k);
        this.value(v, inner);
      }
    } else {
      // object: exactly the type's attributes, absent ones as nil (Terraform counts them)
      const obj = value as ObjectValue;
      const list = attributesOf(inner as AttributeTypes);
      this.mapHeader(list.length);
      for (const [k, t] of list) {
        this.string(k);
        this.value(obj[k] ?? null, t);
      }
    }
  }
}

const MAX_SCRATCH = 1 << 20;
let scratch: Buffer = Buffer.allocUnsafe(4096);
const UNKNOWN_PAYLOAD = new Uint8Array([0]);
const FIXEXT_HEADS = new Map([
  [1, 0xd4],
  [2, 0xd5],
  [4, 0xd6],
  [8, 0xd7],
  [16, 0xd8],
]);

/** Reads one value of a known type from msgpack bytes; `pos` ends after it. */
class MsgpackReader {
  pos = 0;
  private readonly buffer: Buffer;

  constructor(bytes: Uint8Array) {
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  private need(n: number): void {
    if (this.pos + n > this.buffer.length) throw new RangeError('Insufficient data in msgpack bytes');
  }

  private u8(): number {
    this.need(1);
    return this.buffer[this.pos++]!;
  }

  private uint(size: 1 | 2 | 4): number {
    this.need(size);
    const b = this.buffer;
    const n = size === 1 ? b[this.pos]! : size === 2 ? b.readUInt16BE(this.pos) : b.readUInt32BE(this.pos);
    this.pos += size;
    return n;
  }

  private slice(length: number): Buffer {
    this.need(length);
    const out = this.buffer.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private text(length: number): string {
    this.need(length);
    const s = this.buffer.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }

  /** The length of an array at pos; throws when something else is there. */
  private arrayLength(): number {
    const b = this.u8();
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.uint(2);
    if (b === 0xdd) return this.uint(4);
    throw new TypeError(`expected a msgpack array, found byte 0x${b.toString(16)}`);
  }

  private mapLength(): number {
    const b = this.u8();
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b === 0xde) return this.uint(2);
    if (b === 0xdf) return this.uint(4);
    throw new TypeError(`expected a msgpack map, found byte 0x${b.toString(16)}`);
  }

  /** A str at pos, or undefined (pos unchanged) when another kind is there. */
  private maybeString(): string | undefined {
    const b = this.buffer[this.pos];
    if (b === undefined) return undefined;
    if (b >= 0xa0 && b <= 0xbf) {
      this.pos++;
      return this.text(b & 0x1f);
    }
    if (b === 0xd9 || b === 0xda || b === 0xdb) {
      this.pos++;
      return this.text(this.uint(b === 0xd9 ? 1 : b === 0xda ? 2 : 4));
    }
    return undefined;
  }

  /** An ext at pos (its type and data), or undefined (pos unchanged). */
  private maybeExtension(): { type: number; data: Uint8Array } | undefined {
    const b = this.buffer[this.pos];
    let length: number;
    if (b !== undefined && b >= 0xd4 && b <= 0xd8) {
      this.pos++;
      length = 1 << (b - 0xd4);
    } else if (b === 0xc7 || b === 0xc8 || b === 0xc9) {
      this.pos++;
      length = this.uint(b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4);
    } else return undefined;
    const type = (this.u8() << 24) >> 24;
    return { type, data: this.slice(length) };
  }

  value(type: CtyType): CtyValue {
    const b = this.buffer[this.pos];
    if (b === 0xc0) {
      this.pos++;
      return null;
    }
    const ext = this.maybeExtension();
    if (ext) {
      if (ext.type === EXT_UNKNOWN) return new Unknown({});
      if (ext.type === EXT_REFINED_UNKNOWN) return new Unknown(decodeRefinements(ext.data));
      throw new TypeError(`unsupported msgpack extension ${ext.type}`);
    }
    if (type === 'string') return this.maybeString() ?? String(this.any());
    if (type === 'bool') {
      if (b === 0xc2 || b === 0xc3) {
        this.pos++;
        return b === 0xc3;
      }
      return Boolean(this.any());
    }
    if (type === 'number') return rawToNumber(this.any());
    if (type === 'dynamic') {
      this.arrayLength();
      const typeJson = this.any() as Uint8Array | string;
      const concrete = JSON.parse(typeof typeJson === 'string' ? typeJson : utf8.decode(typeJson)) as CtyType;
      return new Dynamic(concrete, this.value(concrete));
    }
    const [kind, inner] = type;
    if (kind === 'list' || kind === 'set') {
      const n = this.arrayLength();
      const out: CtyValue[] = new Array<CtyValue>(n);
      for (let i = 0; i < n; i++) out[i] = this.value(inner);
      return out;
    }
    if (kind === 'tuple') {
      const n = this.arrayLength();
      const out: CtyValue[] = new Array<CtyValue>(n);
      for (let i = 0; i < n; i++) out[i] = this.value(inner[i] ?? 'dynamic');
      return out;
    }
    const n = this.mapLength();
    if (kind === 'map') {
      const entries: [string, CtyValue][] = [];
      for (let i = 0; i < n; i++) entries.push([String(this.key()), this.value(inner)]);
      return Object.fromEntries(entries);
    }
    // object: every attribute of the type (null when absent), keys the type does not have are dropped
    const out: ObjectValue = {};
    for (const [k] of attributesOf(inner as AttributeTypes)) out[k] = null;
    const types = attributeTypesOf(inner as AttributeTypes);
    for (let i = 0; i < n; i++) {
      const key = String(this.key());
      const t = types.get(key);
      if (t === undefined) this.any();
      else out[key] = this.value(t);
    }
    return out;
  }

  private key(): unknown {
    return this.maybeString() ?? this.any();
  }

  /** Any value as plain JavaScript (numbers, keys, what a type does not expect, skipped attributes, refinements). */
  any(): unknown {
    const s = this.maybeString();
    if (s !== undefined) return s;
    const ext = this.maybeExtension();
    if (ext) {
      if (ext.type === EXT_UNKNOWN) return new Unknown({});
      if (ext.type === EXT_REFINED_UNKNOWN) return new Unknown(decodeRefinements(ext.data));
      throw new TypeError(`unsupported msgpack extension ${ext.type}`);
    }
    const b = this.u8();
    const buf = this.buffer;
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0x80 && b <= 0x8f) return this.anyMap(b & 0x0f);
    if (b >= 0x90 && b <= 0x9f) return this.anyArray(b & 0x0f);
    const read = <T>(size: number, at: (offset: number) => T): T => {
      this.need(size);
      const v = at(this.pos);
      this.pos += size;
      return v;
    };
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return new Uint8Array(this.slice(this.uint(b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4)));
      case 0xca:
        return read(4, (o) => buf.readFloatBE(o));
      case 0xcb:
        return read(8, (o) => buf.readDoubleBE(o));
      case 0xcc:
        return this.uint(1);
      case 0xcd:
        return this.uint(2);
      case 0xce:
        return this.uint(4);
      case 0xcf:
        return read(8, (o) => buf.readBigUInt64BE(o));
      case 0xd0:
        return read(1, (o) => buf.readInt8(o));
      case 0xd1:
        return read(2, (o) => buf.readInt16BE(o));
      case 0xd2:
        return read(4, (o) => buf.readInt32BE(o));
      case 0xd3:
        return read(8, (o) => buf.readBigInt64BE(o));
      case 0xdc:
        return this.anyArray(this.uint(2));
      case 0xdd:
        return this.anyArray(this.uint(4));
      case 0xde:
        return this.anyMap(this.uint(2));
      case 0xdf:
        return this.anyMap(this.uint(4));
      default:
        throw new TypeError(`unexpected msgpack byte 0x${b.toString(16)}`);
    }
  }

  private anyArray(n: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(this.any());
    return out;
  }

  private anyMap(n: number): Record<string, unknown> {
    const entries: [string, unknown][] = [];
    for (let i = 0; i < n; i++) entries.push([String(this.key()), this.any()]);
    return Object.fromEntries(entries);
  }
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

const attributeTypes = new WeakMap<AttributeTypes, ReadonlyMap<string, CtyType>>();

/** An object type's attributes by name, for lookups that must never reach the prototype. */
function attributeTypesOf(attributes: AttributeTypes): ReadonlyMap<string, CtyType> {
  let types = attributeTypes.get(attributes);
  if (types === undefined) {
    types = new Map(Object.entries(attributes));
    attributeTypes.set(attributes, types);
  }
  return types;
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
