// HPACK (RFC 7541) of the provider's own HTTP/2 server (src/provider/http2/hpack.ts): the decoder against the RFC's
// published examples (Appendix C), its dynamic table, every malformed block a client may send (each must be an
// HpackError, which the connection turns into COMPRESSION_ERROR), and the encoder of the response headers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeaders, HpackDecoder, HpackError } from '../../src/provider/http2/hpack';

/** A header block written as in the RFC: hex digits, spaces allowed. */
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const DATE = 'Mon, 21 Oct 2013 20:13:21 GMT';

/** RFC 7541 C.3 / C.4: the decoded header list of each of the three requests, in order. */
const REQUESTS: [string, string][][] = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
];

/** The dynamic table after C.3.3 / C.4.3, newest first, read back through indexes 62-64 (0xbe 0xbf 0xc0). */
const TABLE_AFTER_THIRD_REQUEST: [string, string][] = [
  ['custom-key', 'custom-value'],
  ['cache-control', 'no-cache'],
  [':authority', 'www.example.com'],
];

function assertHpackError(block: Buffer, decoder = new HpackDecoder(4096, 16384), message?: RegExp): void {
  assert.throws(
    () => decoder.decode(block).headers,
    (error: unknown) => {
      assert.ok(error instanceof HpackError, `an HpackError, not ${String(error)}`);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}

describe('HPACK', { timeout: 60_000 }, () => {
  describe('decodes the RFC 7541 examples', () => {
    test('C.3: three requests without Huffman coding, on one decoder', () => {
      const decoder = new HpackDecoder(4096, 16384);
      assert.deepEqual(
        decoder.decode(
          hex(`8286 8441 0f77 7777 2e65 7861 6d70 6c65
               2e63 6f6d`),
        ).headers,
        REQUESTS[0],
      );
      // :authority comes from the dynamic table (0xbe = index 62) the first request filled
      assert.deepEqual(decoder.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')).headers, REQUESTS[1]);
      assert.deepEqual(
        decoder.decode(
          hex(`8287 85bf 400a 6375 7374 6f6d 2d6b 6579
               0c63 7573 746f 6d2d 7661 6c75 65`),
        ).headers,
        REQUESTS[2],
      );
      assert.deepEqual(decoder.decode(hex('be bf c0')).headers, TABLE_AFTER_THIRD_REQUEST);
    });

    test('C.4: the same three requests with Huffman coding, on one decoder', () => {
      const decoder = new HpackDecoder(4096, 16384);
      assert.deepEqual(
        decoder.decode(
          hex(`8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4
               ff`),
        ).headers,
        REQUESTS[0],
      );
      assert.deepEqual(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf')).headers, REQUESTS[1]);
      assert.deepEqual(
        decoder.decode(
          hex(`8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925
               a849 e95b b8e8 b4bf`),
        ).headers,
        REQUESTS[2],
      );
      assert.deepEqual(decoder.decode(hex('be bf c0')).headers, TABLE_AFTER_THIRD_REQUEST);
    });

    test('C.5.1-C.5.2: a 256-byte table evicts its oldest entry when a new one does not fit', () => {
      const decoder = new HpackDecoder(256, 16384);
      assert.deepEqual(
        decoder.decode(
          hex(`4803 3330 3258 0770 7269 7661 7465 611d
               4d6f 6e2c 2032 3120 4f63 7420 3230 3133
               2032 303a 3133 3a32 3120 474d 546e 1768
               7474 7073 3a2f 2f77 7777 2e65 7861 6d70
               6c65 2e63 6f6d`),
        ).headers,
        [
          [':status', '302'],
          ['cache-control', 'private'],
          ['date', DATE],
          ['location', 'https://www.example.com'],
        ],
      );
      // 222 bytes in the table; ':status: 307' (42) pushes out ':status: 302', so 65 is now the oldest entry
      assert.deepEqual(decoder.decode(hex('4803 3330 37c1 c0bf')).headers, [
        [':status', '307'],
        ['cache-control', 'private'],
        ['date', DATE],
        ['location', 'https://www.example.com'],
      ]);
      assertHpackError(hex('c2'), decoder, /index 66/);
    });
  });

  describe('dynamic table size updates', () => {
    test('an update to 0 evicts every entry: a later index to one fails', () => {
      const decoder = new HpackDecoder(4096, 16384);
      decoder.decode(hex('4001 6101 62')); // a: b, inserted as index 62
      assert.deepEqual(decoder.decode(hex('be')).headers, [['a', 'b']]);
      assert.deepEqual(decoder.decode(hex('20')).headers, [], 'a block of only an update has no fields');
      assertHpackError(hex('be'), decoder, /index 62/);
    });

    test('an update to 0 then back to 4096 in one block still leaves the table empty', () => {
      const decoder = new HpackDecoder(4096, 16384);
      decoder.decode(hex('4001 6101 62'));
      assertHpackError(hex('20 3fe11f be'), decoder, /index 62/);
    });

    test('an update to the announced maximum is accepted, one above it fails', () => {
      assert.deepEqual(new HpackDecoder(4096, 16384).decode(hex('3fe11f 82')).headers, [[':method', 'GET']]); // 4096
      assertHpackError(hex('3fe21f 82'), new HpackDecoder(4096, 16384), /exceeds/); // 4097
      assertHpackError(hex('21'), new HpackDecoder(0, 16384), /exceeds/);
    });

    test('an update after a header field fails', () => {
      assertHpackError(hex('82 20'), undefined, /follows a header field/);
    });

    test('an update shrinking the table evicts the oldest entries only', () => {
      const decoder = new HpackDecoder(4096, 16384);
      decoder.decode(hex('4001 6101 31 4001 6101 32')); // a: 1, then a: 2 (newest, index 62); 34 bytes each
      assert.deepEqual(decoder.decode(hex('3f03 be')).headers, [['a', '2']]); // 34 bytes: only the newest fits
      assertHpackError(hex('bf'), decoder, /index 63/);
    });
  });

  describe('malformed blocks are HpackErrors', () => {
    test('an index that does not exist: 0, or past the static table with an empty dynamic table', () => {
      assertHpackError(hex('80'));
      assertHpackError(hex('be'), undefined, /index 62/);
      assertHpackError(hex('7e 0161'), undefined, /index 62/); // a literal whose name index does not exist
    });

    test('a string running past the end of the block', () => {
      assertHpackError(hex('4005 6162'), undefined, /past the end/); // name of 5 bytes, 2 present
      assertHpackError(hex('0001 61 05 6162'), undefined, /past the end/); // value of 5 bytes, 2 present
      assertHpackError(hex('0001 61'), undefined, /ends before a string/); // no value at all
      assertHpackError(hex('0001 61 7f'), undefined, /inside an integer/); // the length itself is cut
    });

    test('a Huffman string padded wrongly', () => {
      // 'a' is the 5-bit code 00011: padded with ones (0x1f) it decodes...
      assert.deepEqual(new HpackDecoder(4096, 16384).decode(hex('0001 61 811f')).headers, [['a', 'a']]);
      // ...padded with zero bits it must not
      assertHpackError(hex('0001 61 8118'), undefined, /padded wrongly/);
      // padding of 8 bits or more: a whole byte of ones after 'a'
      assertHpackError(hex('0001 61 821f ff'), undefined, /padded wrongly/);
    });

    test('a Huffman string holding EOS (30 ones)', () => {
      assertHpackError(hex('0001 61 84ff ffff ff'), undefined, /EOS/);
      assertHpackError(hex('0001 61 851f ffff fffc'), undefined, /EOS/); // 'a', then 30 ones: EOS after a symbol
    });

    test('an integer too large', () => {
      assertHpackError(hex('ff ffff ffff ff00'), undefined, /too large/); // an index of 5 continuation bytes
      assertHpackError(hex('0001 61 7f ffff ffff ff00'), undefined, /too large/); // a string length
    });
  });

  test('a header list larger than the decoder was told to accept is decoded to its end but not kept', () => {
    const field = (size: number) => {
      const name = 'n'.repeat(size);
      return Buffer.concat([hex(`00${size.toString(16).padStart(2, '0')}`), Buffer.from(name), hex('00')]);
    };
    // each field counts its name, its value and 32 bytes
    assert.deepEqual(new HpackDecoder(4096, 100).decode(field(68)), {
      headers: [['n'.repeat(68), '']],
      oversized: false,
    }); // exactly 100
    assert.deepEqual(new HpackDecoder(4096, 100).decode(field(69)), { headers: [], oversized: true });
    // the limit is on the whole list, not each field
    assert.deepEqual(new HpackDecoder(4096, 100).decode(Buffer.concat([field(30), field(30)])), {
      headers: [['n'.repeat(30), '']],
      oversized: true,
    });
    // the dynamic table still follows the oversized block: an entry it inserted is there for the next one
    const decoder = new HpackDecoder(4096, 40);
    const oversized = decoder.decode(hex('4001 6101 62 4001 6301 64')); // a: b, c: d, both inserted (34 bytes each)
    assert.equal(oversized.oversized, true);
    assert.deepEqual(decoder.decode(hex('be')).headers, [['c', 'd']]);
    assert.deepEqual(decoder.decode(hex('bf')).headers, [['a', 'b']]);
  });

  describe('encodeHeaders', () => {
    test("':status: 200' is the single byte 0x88 (static index 8)", () => {
      assert.deepEqual(encodeHeaders([[':status', '200']]), Buffer.from([0x88]));
    });

    test('what it encodes decodes back to the same list, never touching the dynamic table', () => {
      const message = 'x'.repeat(200); // a length past the 7-bit prefix: 0x7f 0x49
      const headers: [string, string][] = [
        [':status', '200'],
        ['content-type', 'application/grpc'], // static name index 31: past the 4-bit prefix
        ['grpc-status', '13'],
        ['grpc-message', message],
        [':status', '415'],
        ['date', ''],
        ['x-' + 'n'.repeat(150), 'a b c'],
      ];
      const block = encodeHeaders(headers);
      const decoder = new HpackDecoder(4096, 16384);
      assert.deepEqual(decoder.decode(block).headers, headers);
      assert.ok(block.includes(Buffer.concat([hex('7f49'), Buffer.from(message)])), 'the 200-byte length prefix');
      // no entry was inserted: index 62 still does not exist, and the block decodes the same a second time
      assertHpackError(hex('be'), decoder, /index 62/);
      assert.deepEqual(decoder.decode(block).headers, headers);
    });
  });
});
