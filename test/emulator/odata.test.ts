import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectionEnvelope, ODataError, odataDate, parseFilter } from '../../src/emulator/odata';

const items = Array.from({ length: 2500 }, (_, i) => ({ Id: `item${i}`, Status: i % 2 === 0 ? 'STARTED' : 'ERROR' }));
const q = (s: string) => new URLSearchParams(s);

describe('odata', () => {
  test('pages at 1000 with a __next link that carries $skiptoken and the other options', () => {
    const page = collectionEnvelope(items, q('$select=Id'), 'http://t/api/v1/X');
    assert.equal((page.d.results as unknown[]).length, 1000);
    assert.deepEqual((page.d.results as unknown[])[0], { Id: 'item0' });
    const next = new URL(String(page.d.__next));
    assert.equal(next.searchParams.get('$skiptoken'), '1000');
    assert.equal(next.searchParams.get('$select'), 'Id');
    const last = collectionEnvelope(items, q('$skiptoken=2000'), 'http://t/api/v1/X');
    assert.equal((last.d.results as unknown[]).length, 500);
    assert.equal(last.d.__next, undefined);
  });

  test('$top limits the whole result, also across pages', () => {
    const page = collectionEnvelope(items, q('$top=1200&$inlinecount=allpages'), 'http://t/X');
    assert.equal(page.d.__count, '2500');
    const next = new URL(String(page.d.__next));
    assert.equal(next.searchParams.get('$top'), '200');
    assert.equal((collectionEnvelope(items, next.searchParams, 'http://t/X').d.results as unknown[]).length, 200);
  });

  test('filters with eq / ne / or and string functions', () => {
    const records = [{ K: 'Receiver_A' }, { K: 'Sender_B' }, { K: "it's" }];
    const keys = (filter: string) => records.filter(parseFilter(filter)!).map((r) => r.K);
    assert.deepEqual(keys("K eq 'Sender_B'"), ['Sender_B']);
    assert.deepEqual(keys("K ne 'Sender_B'"), ['Receiver_A', "it's"]);
    assert.deepEqual(keys("K eq 'Sender_B' or K eq 'Receiver_A'"), ['Receiver_A', 'Sender_B']);
    assert.deepEqual(keys("K eq 'it''s'"), ["it's"]);
    assert.deepEqual(keys("substringof('ver_',K) eq true"), ['Receiver_A']);
    assert.deepEqual(keys("startswith(K,'Send')"), ['Sender_B']);
    assert.deepEqual(keys("endswith(K,'_A')"), ['Receiver_A']);
  });

  test('refuses filters it does not support with 400 instead of ignoring them', () => {
    for (const filter of ["K gt 'a'", "K eq 'a' and K eq 'b'", 'nonsense']) {
      assert.throws(
        () => parseFilter(filter),
        (e: unknown) => e instanceof ODataError && e.status === 400,
        filter,
      );
    }
    assert.throws(
      () => collectionEnvelope(items, q('$top=-1'), 'x'),
      (e: unknown) => e instanceof ODataError && e.status === 400,
    );
  });

  test('writes dates as /Date(ms)/ and errors in the OData v2 shape', () => {
    assert.equal(odataDate(1496732924000), '/Date(1496732924000)/');
    assert.deepEqual(new ODataError(404, 'gone').body(), {
      error: { code: 'Not Found', message: { lang: 'en', value: 'gone' } },
    });
  });
});
