// The Protocol Buffers wire format (protobuf.dev/programming-guides/encoding) for the provider's messages, read
// from descriptor.json. It replaces protobufjs in the provider: that library, with `long`, was a quarter of the
// bundle every one of Terraform's 3-5 launches per command reads, compiles and initializes, and it generated code
// for each message type on the first call of every launch (docs/design/terraform-and-cdktf.md, "The gRPC transport").
//
// Messages map to plain objects as protobufjs 8 maps them with PROTO_LOADER_OPTIONS (./load-protocols.ts): field
// names as in the .proto, enums as value names, int64 as numbers, every field present after decoding (0, '',
// false, an empty Buffer, null, [] or {}) except oneof members, which are present only when set, with the oneof's
// own name holding the set member's name (not for proto3 `optional`, a oneof of one). On the wire it follows proto3: defaults left out, unknown fields (and
// fields of a wrong wire type) skipped, a message given twice merged, strings only as UTF-8.
// test/provider/wire-codec.test.ts holds it to protobufjs, byte for byte and object for object.
import { isUtf8 } from 'node:buffer';
import descriptor from './descriptor.json';
import { CpiError } from '../../errors';

/** One message type's encoder and decoder. */
export interface MessageCodec {
  encode(value: object): Buffer;
  decode(bytes: Uint8Array): Record<string, unknown>;
}

interface DescriptorNode {
  readonly nested?: Record<string, DescriptorNode>;
  readonly fields?: Record<string, FieldNode>;
  readonly oneofs?: Record<string, { readonly oneof: readonly string[] }>;
  readonly values?: Record<string, number>;
}
interface FieldNode {
  readonly type: string;
  readonly id: number;
  readonly rule?: string;
  readonly keyType?: string;
  readonly options?: { readonly proto3_optional?: boolean };
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** The scalar types the provider's protocols use; descriptor.json naming another fails when its message is built. */
type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'uint32' | 'int64';
const SCALARS: ReadonlySet<string> = new Set<Scalar>(['string', 'bytes', 'bool', 'int32', 'uint32', 'int64']);
const OTHER_SCALARS = /^(double|float|uint64|sint32|sint64|fixed32|fixed64|sfixed32|sfixed64)$/;

interface Field {
  readonly name: string;
  readonly id: number;
  readonly kind: Scalar | 'enum' | 'message';
  readonly repeated: boolean;
  /** A map field's entry: key (field 1, a scalar) and value (field 2); `kind` is the value's. */
  readonly entry?: { readonly key: Field; readonly value: Field };
  /**
   * Set for a oneof member: the oneof's name and its members. A proto3 `optional` field is the only member of a
   * oneof of its own, which decoding does not name (nothing could be chosen).
   */
  readonly oneof?: { readonly name: string; readonly members: readonly string[]; readonly named: boolean };
  /** Enum value names by number, and numbers by name. */
  readonly enumNames?: ReadonlyMap<number, string>;
  readonly enumNumbers?: ReadonlyMap<string, number>;
  /** An enum's default: its first value (0 in proto3). */
  readonly enumDefault?: number;
  /** The field's message type, built on first use (types refer to each other). */
  readonly message?: () => MessageType;
}

interface MessageType {
  readonly name: string;
  /** In field-number order, the order encoders write. */
  readonly fields: readonly Field[];
  readonly byId: ReadonlyMap<number, Field>;
}

const root = descriptor as DescriptorNode;
const built = new Map<string, MessageType>();

function nodeAt(path: readonly string[]): DescriptorNode | undefined {
  let node: DescriptorNode | undefined = root;
  for (const part of path) node = node?.nested?.[part];
  return node;
}

/** The full path of type `name` as protobuf resolves it from `scope`: the innermost enclosing scope that has it. */
export function resolveType(name: string, scope: readonly string[]): string[] {
  const parts = name.replace(/^\./, '').split('.');
  for (let depth = name.startsWith('.') ? 0 : scope.length; depth >= 0; depth--) {
    const candidate = [...scope.slice(0, depth), ...parts];
    const node = nodeAt(candidate);
    if (node && (node.fields || node.values)) return candidate;
  }
  throw new CpiError('CPI_PROVIDER_INTERNAL', `descriptor.json has no type ${name} (from ${scope.join('.')})`);
}

function messageType(path: readonly string[]): MessageType {
  const name = path.join('.');
  const existing = built.get(name);
  if (existing) return existing;
  const node = nodeAt(path)!;
  const oneofOf = new Map<string, Field['oneof']>();
  for (const [oneof, { oneof: members }] of Object.entries(node.oneofs ?? {})) {
    const synthetic = members.length === 1 && node.fields?.[members[0]!]?.options?.proto3_optional === true;
    for (const member of members) oneofOf.set(member, { name: oneof, members, named: !synthetic });
  }
  const fields = Object.entries(node.fields ?? {}).map(([fieldName, field]) =>
    buildField(name, fieldName, field, path, oneofOf.get(fieldName)),
  );
  fields.sort((a, b) => a.id - b.id);
  const type = { name, fields, byId: new Map(fields.map((f) => [f.id, f])) };
  built.set(name, type);
  return type;
}

function buildField(
  typeName: string,
  name: string,
  field: FieldNode,
  scope: readonly string[],
  oneof: Field['oneof'],
): Field {
  const single = valueField(typeName, name, field.type, field.id, scope);
  if (field.keyType !== undefined) {
    const key = { name: 'key', id: 1, kind: scalar(typeName, name, field.keyType), repeated: false };
    return { ...single, oneof, entry: { key, value: { ...single, name: 'value', id: 2 } } };
  }
  return { ...single, repeated: field.rule === 'repeated', oneof };
}

/** A field holding one value of `type`. */
function valueField(typeName: string, name: string, type: string, id: number, scope: readonly string[]): Field {
  if (SCALARS.has(type) || OTHER_SCALARS.test(type))
    return { name, id, kind: scalar(typeName, name, type), repeated: false };
  const target = resolveType(type, scope);
  const values = nodeAt(target)!.values;
  if (values) {
    const entries = Object.entries(values);
    return {
      name,
      id,
      kind: 'enum',
      repeated: false,
      enumNames: new Map(entries.map(([valueName, n]) => [n, valueName])),
      enumNumbers: new Map(entries),
      enumDefault: entries[0]![1],
    };
  }
  let message: MessageType | undefined;
  return { name, id, kind: 'message', repeated: false, message: () => (message ??= messageType(target)) };
}

function scalar(typeName: string, fieldName: string, type: string): Scalar {
  if (SCALARS.has(type)) return type as Scalar;
  throw new CpiError(
    'CPI_PROVIDER_INTERNAL',
    `${typeName}.${fieldName} has type ${type}, which the provider's protobuf codec does not implement`,
  );
}

/** The codec of message type `name` (a full name such as 'tfplugin6.GetProviderSchema.Response'). */
export function messageCodec(name: string): MessageCodec {
  const path = name.split('.');
  if (!nodeAt(path)?.fields) throw new CpiError('CPI_PROVIDER_INTERNAL', `descriptor.json has no message ${name}`);
  const type = messageType(path);
  return {
    encode: (value) => {
      const writer = new Writer();
      writeMessage(writer, type, value);
      return writer.finish();
    },
    decode: (bytes) => {
      const reader = new Reader(bytes);
      return readMessage(reader, type, bytes.length);
    },
  };
}

// ---- decoding ----

class Reader {
  pos = 0;
  readonly buf: Buffer;
  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  varint(): number {
    // the low 32 bits, as int32 and uint32 fields (and tags and lengths) take them
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = this.byte();
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new RangeError('a varint is longer than 10 bytes');
  }

  /** A 64-bit varint as a number: exact up to 2^53, as protobufjs's `longs: Number` gives it. */
  int64(): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = this.byte();
      const bits = byte & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >> 4;
      } else hi |= bits << (shift - 32);
      if (byte < 0x80) {
        lo >>>= 0;
        hi >>>= 0;
        if (hi >>> 31 === 0) return hi * 0x1_0000_0000 + lo;
        // two's complement: -(~value + 1)
        const negLo = (~lo + 1) >>> 0;
        const negHi = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
        return -(negHi * 0x1_0000_0000 + negLo);
      }
    }
    throw new RangeError('a varint is longer than 10 bytes');
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError('the message ends inside a field');
    return this.buf[this.pos++]!;
  }

  /** The bounds of a length-delimited field's content. */
  span(): [number, number] {
    const length = this.varint() >>> 0;
    const start = this.pos;
    if (length > this.buf.length - start) throw new RangeError('a field is longer than its message');
    this.pos = start + length;
    return [start, this.pos];
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.int64();
    else if (wireType === LENGTH_DELIMITED) this.span();
    else if (wireType === FIXED64 || wireType === FIXED32) {
      const size = wireType === FIXED64 ? 8 : 4;
      if (size > this.buf.length - this.pos) throw new RangeError('the message ends inside a field');
      this.pos += size;
    } else throw new RangeError(`wire type ${wireType} is not one proto3 uses`);
  }
}

function defaultOf(field: Field): unknown {
  if (field.entry) return {};
  if (field.repeated) return [];
  switch (field.kind) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'bool':
      return false;
    case 'enum':
      return field.enumNames!.get(field.enumDefault!) ?? field.enumDefault;
    case 'message':
      return null;
    default:
      return 0;
  }
}

/** Reads fields up to `end` into a new message, or into `into`, as protobuf merges a message given twice. */
function readMessage(
  reader: Reader,
  type: MessageType,
  end: number,
  into?: Record<string, unknown>,
): Record<string, unknown> {
  const out = into ?? {};
  if (!into) for (const field of type.fields) if (!field.oneof) out[field.name] = defaultOf(field);
  while (reader.pos < end) {
    const tag = reader.varint() >>> 0;
    if (tag >>> 3 === 0) throw new RangeError('a field has number 0');
    const field = type.byId.get(tag >>> 3);
    const wireType = tag & 7;
    const packed = field?.repeated === true && wireType === LENGTH_DELIMITED && wireTypeOf(field) === VARINT;
    // a field of another wire type than its own is skipped as unknown, as protobufjs and Go's protobuf do
    if (!field || (wireType !== wireTypeOf(field) && !packed)) {
      reader.skip(wireType);
    } else if (field.entry) {
      const [start, stop] = reader.span();
      reader.pos = start;
      readMapEntry(reader, field.entry, stop, out[field.name] as Record<string, unknown>);
    } else if (packed) {
      const list = out[field.name] as unknown[];
      const [, stop] = reader.span();
      while (reader.pos < stop) list.push(readValue(reader, field, undefined));
    } else if (field.repeated) {
      (out[field.name] as unknown[]).push(readValue(reader, field, undefined));
    } else {
      out[field.name] = readValue(reader, field, out[field.name]);
      if (field.oneof) {
        for (const member of field.oneof.members) if (member !== field.name && member in out) delete out[member];
        if (field.oneof.named) out[field.oneof.name] = field.name;
      }
    }
    if (reader.pos > end) throw new RangeError('a field is longer than its message');
  }
  return out;
}

function wireTypeOf(field: Field): number {
  return field.entry || field.kind === 'string' || field.kind === 'bytes' || field.kind === 'message'
    ? LENGTH_DELIMITED
    : VARINT;
}

/** One value of `field`, whose wire type the caller has checked; a message merges into `previous`. */
function readValue(reader: Reader, field: Field, previous: unknown): unknown {
  const kind = field.kind;
  if (kind === 'string' || kind === 'bytes' || kind === 'message') {
    const [start, stop] = reader.span();
    if (kind === 'bytes') return reader.buf.subarray(start, stop);
    if (kind === 'string') {
      // proto3 strings are UTF-8; Go's protobuf refuses others, and so does this side
      if (!isUtf8(reader.buf.subarray(start, stop))) throw new RangeError(`field ${field.name} is not UTF-8`);
      return reader.buf.toString('utf8', start, stop);
    }
    reader.pos = start;
    const into = previous !== null && typeof previous === 'object' ? (previous as Record<string, unknown>) : undefined;
    const value = readMessage(reader, field.message!(), stop, into);
    reader.pos = stop;
    return value;
  }
  switch (kind) {
    case 'bool':
      return reader.int64() !== 0;
    case 'int64':
      return reader.int64();
    case 'uint32':
      return reader.varint() >>> 0;
    case 'int32':
      return reader.varint() | 0;
    default: {
      const number = reader.varint() | 0;
      return field.enumNames!.get(number) ?? number;
    }
  }
}

function readMapEntry(
  reader: Reader,
  entry: { readonly key: Field; readonly value: Field },
  stop: number,
  map: Record<string, unknown>,
): void {
  let key = defaultOf(entry.key);
  let value: unknown;
  while (reader.pos < stop) {
    const tag = reader.varint() >>> 0;
    const field = tag >>> 3 === 1 ? entry.key : tag >>> 3 === 2 ? entry.value : undefined;
    if (field && (tag & 7) === wireTypeOf(field)) {
      if (field === entry.key) key = readValue(reader, field, undefined);
      else value = readValue(reader, field, value);
    } else reader.skip(tag & 7);
  }
  if (reader.pos !== stop) throw new RangeError('a map entry is longer than its field');
  // an entry without its value holds the value type's default (an empty message for message values)
  value ??= entry.value.message ? readMessage(reader, entry.value.message(), stop) : defaultOf(entry.value);
  // an own property even for a key such as __proto__, which plain assignment would take as the prototype
  Object.defineProperty(map, String(key), { value, enumerable: true, writable: true, configurable: true });
}

// ---- encoding ----

/**
 * Writes into one growing buffer. A nested message's length comes before it but is known only after it, so its
 * content is written first and then moved up by the length's size (one copy of the nested bytes per level).
 */
class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  reserve(size: number): void {
    if (this.pos + size <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + size));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.reserve(10);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** A 64-bit two's complement varint (int64, and negative int32s, which take 10 bytes). */
  varint64(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(id: number, wireType: number): void {
    this.varint((id << 3) | wireType);
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value);
    this.varint(length);
    this.reserve(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  /** Writes `content` length-delimited at the current position. */
  delimited(content: () => void): void {
    const start = this.pos;
    content();
    const length = this.pos - start;
    const prefix = varintSize(length);
    this.reserve(prefix);
    this.buf.copy(this.buf, start + prefix, start, this.pos);
    this.pos = start;
    this.varint(length);
    this.pos = start + prefix + length;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 7; v > 0; v >>>= 7) size++;
  return size;
}

function writeMessage(writer: Writer, type: MessageType, value: object): void {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${type.name}: object expected`);
  const fields = value as Record<string, unknown>;
  for (const field of type.fields) {
    const item = fields[field.name];
    if (item === null || item === undefined) continue;
    if (field.entry) {
      if (typeof item !== 'object') throw new TypeError(`${type.name}.${field.name}: object expected`);
      const { key: keyField, value: valueField } = field.entry;
      for (const [key, entry] of Object.entries(item as Record<string, unknown>)) {
        writer.tag(field.id, LENGTH_DELIMITED);
        writer.delimited(() => {
          writeValue(writer, type, keyField, key);
          writeValue(writer, type, valueField, entry);
        });
      }
    } else if (field.repeated) {
      if (!Array.isArray(item)) throw new TypeError(`${type.name}.${field.name}: array expected`);
      for (const element of item) writeValue(writer, type, field, element);
    } else if (field.oneof || !isImplicitDefault(field, item)) writeValue(writer, type, field, item);
  }
}

/**
 * Whether a proto3 field without presence (not in a oneof, not optional) holds its type's default, which the
 * wire format leaves out: a reader cannot tell an absent field from a default one anyway.
 */
function isImplicitDefault(field: Field, value: unknown): boolean {
  switch (field.kind) {
    case 'message':
      return false;
    case 'string':
      return String(value) === '';
    case 'bytes':
      return (value as { length: number }).length === 0;
    case 'bool':
      return !value;
    case 'enum':
      return (typeof value === 'number' ? value : field.enumNumbers!.get(String(value))) === field.enumDefault;
    default:
      return Number(value) === 0;
  }
}

function writeValue(writer: Writer, type: MessageType, field: Field, value: unknown): void {
  switch (field.kind) {
    case 'message':
      writer.tag(field.id, LENGTH_DELIMITED);
      writer.delimited(() => writeMessage(writer, field.message!(), (value ?? {}) as object));
      return;
    case 'string':
      writer.tag(field.id, LENGTH_DELIMITED);
      writer.string(String(value));
      return;
    case 'bytes':
      writer.tag(field.id, LENGTH_DELIMITED);
      writer.bytes(typeof value === 'string' ? Buffer.from(value, 'base64') : (value as Uint8Array));
      return;
    case 'bool':
      writer.tag(field.id, VARINT);
      writer.varint(value ? 1 : 0);
      return;
    case 'uint32':
      writer.tag(field.id, VARINT);
      writer.varint(Number(value) >>> 0);
      return;
    case 'int32': {
      const number = Number(value) | 0;
      writer.tag(field.id, VARINT);
      if (number >= 0) writer.varint(number);
      else writer.varint64(number);
      return;
    }
    case 'int64': {
      const number = typeof value === 'bigint' ? value : Math.trunc(Number(value));
      if (typeof number === 'number' && !Number.isFinite(number))
        throw new TypeError(`${type.name}.${field.name}: integer expected`);
      writer.tag(field.id, VARINT);
      if (typeof number === 'number' && number >= 0 && number <= 0xffffffff) writer.varint(number);
      else writer.varint64(number);
      return;
    }
    default: {
      const number = typeof value === 'number' ? value : field.enumNumbers!.get(String(value));
      if (number === undefined)
        throw new TypeError(`${type.name}.${field.name}: ${String(value)} is not a value of its enum`);
      writer.tag(field.id, VARINT);
      if (number >= 0) writer.varint(number);
      else writer.varint64(number);
    }
  }
}
