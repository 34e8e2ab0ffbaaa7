import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aliasFromHex, hexAlias, isSapReservedAlias } from '../../src/emulator/hex-alias';
import { ODataError } from '../../src/emulator/odata';

describe('hex alias', () => {
  const table: Array<[string, string]> = [
    ['my alias', '6D7920616C696173'],
    ['123', '313233'],
    ['a/b\\c', '612F625C63'],
    ['schlüssel', '7363686CC3BC7373656C'],
  ];
  for (const [alias, hex] of table) {
    test(`"${alias}" ↔ ${hex}, either case`, () => {
      assert.equal(hexAlias(alias), hex);
      assert.equal(aliasFromHex(hex), alias);
      assert.equal(aliasFromHex(hex.toLowerCase()), alias);
    });
  }

  test('odd length and non-hex answer 500 like the tenant', () => {
    assert.throws(
      () => aliasFromHex('ABC'),
      (e: unknown) =>
        e instanceof ODataError && e.status === 500 && e.text === 'hexBinary needs to be even-length: ABC',
    );
    assert.throws(
      () => aliasFromHex('ZZ'),
      (e: unknown) => e instanceof ODataError && e.status === 500,
    );
  });

  test('SAP reserves sap_* and three hci aliases', () => {
    assert.deepEqual(
      ['sap_x', 'hcicertificate', 'hcicertificate1', 'hcimsgcertificate', 'hcicertificate2', 'my_sap_key', 'SAP_x'].map(
        isSapReservedAlias,
      ),
      [true, true, true, true, false, false, false],
    );
  });
});
