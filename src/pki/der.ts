// A minimal DER reader that keeps byte positions, so that a structure can be taken apart and put back together
// with the parts it does not change copied byte for byte (forge's ASN.1 reader decodes, and re-encoding what it
// decoded is not always the same bytes).

/** One DER element: its tag byte, where its header starts, where its contents start and end. */
export interface DerElement {
  readonly tag: number;
  readonly offset: number;
  readonly start: number;
  readonly end: number;
}

/** Reads the element at `offset`; throws when the bytes are not definite-length DER. */
export function derAt(der: Buffer, offset: number): DerElement {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new Error(`DER ends at byte ${offset}`);
  if ((tag & 0x1f) === 0x1f) throw new Error(`multi-byte tag at byte ${offset}`);
  let length = first;
  let start = offset + 2;
  if (first & 0x80) {
    const bytes = first & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error(`indefinite or oversized length at byte ${offset} (BER, not DER)`);
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] as number);
    start += bytes;
  }
  if (start + length > der.length) throw new Error(`element at byte ${offset} runs past the end`);
  return { tag, offset, start, end: start + length };
}

/** The elements inside a constructed element. */
export function derChildren(der: Buffer, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const child = derAt(der, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The whole element (header and contents) as bytes. */
export function derBytes(der: Buffer, element: DerElement): Buffer {
  return der.subarray(element.offset, element.end);
}

/** The contents of an element. */
export function derContents(der: Buffer, element: DerElement): Buffer {
  return der.subarray(element.start, element.end);
}

/** Encodes one element from its tag and contents. */
export function derEncode(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([tag, n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, body]);
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function derOid(contents: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of contents) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** DER of an OBJECT IDENTIFIER (tag included). */
export function derEncodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const bytes: number[] = [(arcs[0] as number) * 40 + (arcs[1] as number)];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    bytes.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return derEncode(0x06, Buffer.from(bytes));
}

/** DER of a non-negative INTEGER (tag included). */
export function derEncodeInteger(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return derEncode(0x02, Buffer.from(bytes));
}

/** Value of a non-negative INTEGER's contents (small enough for a number). */
export function derInteger(contents: Buffer): number {
  let v = 0;
  for (const byte of contents) v = v * 256 + byte;
  return v;
}
