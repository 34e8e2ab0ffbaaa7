import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFingerprint } from '../../src/rules/fingerprint';
import { collectionOf, errorMessageOf, parseODataDate, quotedLiteral } from '../../src/tenant/odata';

describe('parseODataDate', () => {
  const cases: [unknown, string | undefined][] = [
    ['/Date(1496732924000)/', '2017-06-06T07:08:44.000Z'],
    ['/Date(1496732924000+0000)/', '2017-06-06T07:08:44.000Z'], // the tenant's DateTimeOffset form
    ['/Date(-1000)/', '1969-12-31T23:59:59.000Z'],
    ['2017-04-13T15:51:04', '2017-04-13T15:51:04.000Z'], // Edm.DateTime without zone is UTC
    ['2017-04-13T15:51:04+02:00', '2017-04-13T13:51:04.000Z'],
    [null, undefined],
    ['', undefined],
    ['yesterday', undefined],
    [1496732924000, undefined],
  ];
  for (const [input, expected] of cases) {
    test(`reads ${JSON.stringify(input)}`, () => {
      assert.equal(parseODataDate(input)?.toISOString(), expected);
    });
  }
});

describe('parseFingerprint', () => {
  const cases: [unknown, string | undefined][] = [
    ['84:2D:B8:16', '84:2D:B8:16'],
    ['84:2d:b8:16', '84:2D:B8:16'],
    ['842DB816', '84:2D:B8:16'],
    ['84 2D B8 16', '84:2D:B8:16'],
    ['84:2D:B8:1', undefined],
    ['XY:ZZ', undefined],
    [null, undefined],
  ];
  for (const [input, expected] of cases) {
    test(`reads ${JSON.stringify(input)}`, () => assert.equal(parseFingerprint(input), expected));
  }
});

describe('OData envelope', () => {
  test('reads a collection page with its __next link', () => {
    const page = collectionOf({
      d: { results: [{ Alias: 'a' }], __next: 'https://t/api/v1/KeystoreEntries?$skiptoken=1000' },
    });
    assert.deepEqual(page, { results: [{ Alias: 'a' }], next: 'https://t/api/v1/KeystoreEntries?$skiptoken=1000' });
  });

  test('rejects a body that is not a collection', () => {
    assert.equal(collectionOf({ d: { Alias: 'a' } }), undefined);
    assert.equal(collectionOf('<feed/>'), undefined);
  });

  test('takes the tenant message out of an OData error, or an excerpt of an HTML page', () => {
    assert.equal(
      errorMessageOf(
        '{"error":{"code":"Not Found","message":{"lang":"en","value":"Alias \'x\' not found in the keystore"}}}',
      ),
      "Alias 'x' not found in the keystore",
    );
    assert.equal(errorMessageOf('<html><body><h1>Bad Gateway</h1></body></html>'), 'Bad Gateway');
    assert.equal(errorMessageOf(''), '');
  });

  test('quotes a key literal, doubling inner quotes and encoding for the URL', () => {
    assert.equal(quotedLiteral("it's a/b"), "'it''s%20a%2Fb'");
  });
});
