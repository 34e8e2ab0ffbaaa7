import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSapOwnedAlias } from '../../src/rules/alias';
import { fromHexAlias, normalizeHexAlias, toHexAlias } from '../../src/tenant/hex-alias';
import { CpiError } from '../../src/errors';

describe('hex alias', () => {
  const cases: [string, string][] = [
    ['my alias', '6D7920616C696173'],
    ['123', '313233'],
    ['smtp.mail.yahoo.com', '736D74702E6D61696C2E7961686F6F2E636F6D'],
    ['a/b\\c', '612F625C63'], // slashes are why SAP hex-encodes
    ['größe', '6772C3B6C39F65'], // UTF-8, not Latin-1
  ];
  for (const [alias, hex] of cases) {
    test(`encodes "${alias}" as upper-case hex and decodes it back`, () => {
      assert.equal(toHexAlias(alias), hex);
      assert.equal(fromHexAlias(hex), alias);
      assert.equal(fromHexAlias(hex.toLowerCase()), alias);
    });
  }

  test('normalizes lower-case input to the upper case the tenant answers with', () => {
    assert.equal(normalizeHexAlias('736d74702e'), '736D74702E');
  });

  test('refuses odd-length or non-hex input instead of sending it (the tenant answers 500)', () => {
    for (const bad of ['ABC', 'ZZ', '']) {
      assert.throws(
        () => fromHexAlias(bad),
        (e: unknown) => e instanceof CpiError && e.code === 'CPI_VALUE_INVALID' && e.detail.includes(`"${bad}"`),
      );
    }
  });

  test('refuses an empty alias and one longer than the tenant stores (250)', () => {
    assert.throws(() => toHexAlias(''), /CPI_VALUE_INVALID/);
    assert.throws(() => toHexAlias('x'.repeat(251)), /251 characters/);
    assert.equal(toHexAlias('x'.repeat(250)).length, 500);
  });

  test('knows the aliases SAP owns', () => {
    for (const alias of ['sap_cloudintegrationcertificate', 'hcicertificate', 'hcicertificate1', 'hcimsgcertificate'])
      assert.ok(isSapOwnedAlias(alias), alias);
    for (const alias of ['partner-enc', 'mysap_key', 'hcicertificate2']) assert.ok(!isSapOwnedAlias(alias), alias);
  });
});
