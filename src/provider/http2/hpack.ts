// HPACK (RFC 7541), as the server side of a gRPC connection needs it: the full decoder (static and dynamic table,
// Huffman strings), since Go's and Node's clients index and Huffman-code their request headers; and an encoder of
// literals that never touches the dynamic table, which the few fixed response headers do not need.

/** A header block the client sent that is not valid HPACK: a connection error (COMPRESSION_ERROR). */
export class HpackError extends Error {}

/** RFC 7541 Appendix A: index 1-61. Names and values; an entry with no value has none. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = (
  ':authority :method=GET :method=POST :path=/ :path=/index.html :scheme=http :scheme=https :status=200 ' +
  ':status=204 :status=206 :status=304 :status=400 :status=404 :status=500 accept-charset ' +
  'accept-encoding=gzip,_deflate accept-language accept-ranges accept access-control-allow-origin age allow ' +
  'authorization cache-control content-disposition content-encoding content-language content-length ' +
  'content-location content-range content-type cookie date etag expect expires from host if-match ' +
  'if-modified-since if-none-match if-range if-unmodified-since last-modified link location max-forwards ' +
  'proxy-authenticate proxy-authorization range referer refresh retry-after server set-cookie ' +
  'strict-transport-security transfer-encoding user-agent vary via www-authenticate'
)
  .split(' ')
  .map((entry) => {
    const [name, value = ''] = entry.split('=');
    return [name!, value.replace('_', ' ')] as const;
  });

/**
 * RFC 7541 Appendix B, the bit length of each symbol's code (0-255, then EOS at 256), as 'A' + length - 5. The
 * code is canonical (codes assigned in order of length, then symbol), so the lengths alone define it.
 */
const HUFFMAN_CODE_LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACCBBBABCBAABCCCCCKGJIX' +
  'PRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';
const EOS = 256;

/** A binary decoding tree in two arrays: node → child for bit 0 and bit 1 (negative: symbol -1 - child). */
interface HuffmanTree {
  readonly zero: Int32Array;
  readonly one: Int32Array;
}
let huffmanTree: HuffmanTree | undefined;

/** The decoding tree, built from the canonical code on first use. */
function tree(): HuffmanTree {
  if (huffmanTree) return huffmanTree;
  const lengths = [...HUFFMAN_CODE_LENGTHS].map((c) => c.charCodeAt(0) - 60);
  const symbols = lengths.map((_, symbol) => symbol).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const zero = new Int32Array(512);
  const one = new Int32Array(512);
  let nodes = 1;
  let code = 0;
  let previous = lengths[symbols[0]!]!;
  symbols.forEach((symbol, i) => {
    const length = lengths[symbol]!;
    if (i > 0) code = (code + 1) << (length - previous);
    previous = length;
    let node = 0;
    for (let bit = length - 1; bit > 0; bit--) {
      const branch = (code >>> bit) & 1 ? one : zero;
      if (branch[node] === 0) branch[node] = nodes++;
      node = branch[node]!;
    }
    (code & 1 ? one : zero)[node] = -1 - symbol;
  });
  return (huffmanTree = { zero, one });
}

/** A Huffman-coded string: padding must be the EOS code's leading ones, shorter than a byte. */
function huffmanDecode(bytes: Buffer): string {
  const { zero, one } = tree();
  const out = Buffer.allocUnsafe(Math.ceil((bytes.length * 8) / 5));
  let length = 0;
  let node = 0;
  let depth = 0; // bits since the last symbol
  let allOnes = true;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >>> bit) & 1;
      const next = (set ? one : zero)[node]!;
      depth++;
      allOnes &&= set === 1;
      if (next < 0) {
        const symbol = -1 - next;
        if (symbol === EOS) throw new HpackError('a Huffman string holds the EOS symbol');
        out[length++] = symbol;
        node = 0;
        depth = 0;
        allOnes = true;
      } else if (next === 0) {
        throw new HpackError('a Huffman string holds an invalid code');
      } else node = next;
    }
  }
  if (depth > 7 || !allOnes) throw new HpackError('a Huffman string is padded wrongly');
  return out.toString('latin1', 0, length);
}

/** A decoder of one connection's request header blocks; its dynamic table lives as long as the connection. */
export class HpackDecoder {
  private readonly dynamic: [string, string][] = []; // newest first
  private size = 0;
  private maxSize: number;
  private position = 0;
  private block: Buffer = Buffer.alloc(0);

  /** `maxTableSize`: SETTINGS_HEADER_TABLE_SIZE as this side announced it; `maxListSize`: the largest decoded list. */
  constructor(
    private readonly maxTableSize: number,
    private readonly maxListSize: number,
  ) {
    this.maxSize = maxTableSize;
  }

  /**
   * The header list of one complete block, in order. A list beyond the size limit is decoded to its end all the
   * same (the dynamic table must follow every block) but not kept: `oversized`, and only the headers before it.
   */
  decode(block: Buffer): { headers: [string, string][]; oversized: boolean } {
    this.block = block;
    this.position = 0;
    const headers: [string, string][] = [];
    let listSize = 0;
    let fieldSeen = false;
    while (this.position < block.length) {
      const first = block[this.position]!;
      let header: [string, string];
      if (first & 0x80) {
        header = this.entry(this.integer(7));
      } else if (first & 0x40) {
        header = this.literal(6);
        this.insert(header);
      } else if (first & 0x20) {
        // A table size update may only open a block.
        if (fieldSeen) throw new HpackError('a dynamic table size update follows a header field');
        const size = this.integer(5);
        if (size > this.maxTableSize) throw new HpackError('a dynamic table size update exceeds the announced limit');
        this.maxSize = size;
        this.evict(0);
        continue;
      } else {
        header = this.literal(4); // without indexing, or never indexed
      }
      fieldSeen = true;
      listSize += header[0].length + header[1].length + 32;
      if (listSize <= this.maxListSize) headers.push(header);
    }
    return { headers, oversized: listSize > this.maxListSize };
  }

  private integer(prefixBits: number): number {
    const limit = (1 << prefixBits) - 1;
    let value = this.block[this.position++]! & limit;
    if (value < limit) return value;
    for (let shift = 0; ; shift += 7) {
      if (this.position >= this.block.length) throw new HpackError('a header block ends inside an integer');
      if (shift > 21) throw new HpackError('an integer in a header block is too large');
      const byte = this.block[this.position++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  private string(): string {
    if (this.position >= this.block.length) throw new HpackError('a header block ends before a string');
    const huffman = (this.block[this.position]! & 0x80) !== 0;
    const length = this.integer(7);
    const end = this.position + length;
    if (end > this.block.length) throw new HpackError('a string runs past the end of its header block');
    const bytes = this.block.subarray(this.position, end);
    this.position = end;
    return huffman ? huffmanDecode(bytes) : bytes.toString('latin1');
  }

  private literal(prefixBits: number): [string, string] {
    const index = this.integer(prefixBits);
    const name = index === 0 ? this.string() : this.entry(index)[0];
    return [name, this.string()];
  }

  private entry(index: number): [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) {
      const [name, value] = STATIC_TABLE[index - 1]!;
      return [name, value];
    }
    const entry = this.dynamic[index - STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`header table index ${index} does not exist`);
    return [entry[0], entry[1]];
  }

  private insert(header: [string, string]): void {
    const size = header[0].length + header[1].length + 32;
    this.evict(size);
    if (size <= this.maxSize) {
      this.dynamic.unshift(header);
      this.size += size;
    }
  }

  /** Drops the oldest entries until `room` more fits (all of them when it cannot). */
  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) {
      const [name, value] = this.dynamic.pop()!;
      this.size -= name.length + value.length + 32;
    }
  }
}

/** Names of the static table by index, for literals with an indexed name. */
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});

function encodeInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) {
    out.push(flags | value);
    return;
  }
  out.push(flags | limit);
  for (value -= limit; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  out.push(value);
}

function encodeString(out: number[], text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  encodeInteger(out, bytes.length, 7, 0);
  for (const byte of bytes) out.push(byte);
}

/**
 * A header block of literals without indexing (plain strings, names from the static table where it has them), or
 * the fully indexed static entry where one matches (`:status: 200`). Values must be visible ASCII or spaces.
 */
export function encodeHeaders(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    const full = STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (full >= 0) {
      encodeInteger(out, full + 1, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
    encodeInteger(out, nameIndex, 4, 0x00);
    if (nameIndex === 0) encodeString(out, name);
    encodeString(out, value);
  }
  return Buffer.from(out);
}
