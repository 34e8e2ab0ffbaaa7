import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatRfc2253, formatSapDn, parseSubject, type DnSequence } from '../../src/pki/distinguished-name';

// A UTF8String value (short form length).
const utf8 = (text: string) => {
  const bytes = Buffer.from(text, 'utf8');
  return { text, valueDerHex: Buffer.concat([Buffer.from([0x0c, bytes.length]), bytes]).toString('hex') };
};

describe('formatRfc2253 and formatSapDn', () => {
  const cases: { name: string; dn: DnSequence; rfc4514: string; sap: string }[] = [
    {
      name: 'most specific first',
      dn: [
        [{ oid: '2.5.4.6', ...utf8('DE') }],
        [{ oid: '2.5.4.10', ...utf8('SAP') }],
        [{ oid: '2.5.4.3', ...utf8('x') }],
      ],
      rfc4514: 'CN=x,O=SAP,C=DE',
      sap: 'CN=x, O=SAP, C=DE',
    },
    {
      name: 'special characters escaped (RFC 4514) or quoted (SAP)',
      dn: [[{ oid: '2.5.4.11', ...utf8('a, b') }], [{ oid: '2.5.4.3', ...utf8('#1 "q"') }]],
      rfc4514: 'CN=\\#1 \\"q\\",OU=a\\, b',
      sap: 'CN="#1 \\"q\\"", OU="a, b"',
    },
    {
      name: 'leading and trailing spaces escaped',
      dn: [[{ oid: '2.5.4.3', ...utf8(' padded ') }]],
      rfc4514: 'CN=\\ padded\\ ',
      sap: 'CN=" padded "',
    },
    {
      name: 'an unknown attribute type as dotted OID with #hex',
      dn: [[{ oid: '1.2.3.4', text: 'v', valueDerHex: '0c0176' }]],
      rfc4514: '1.2.3.4=#0c0176',
      sap: 'OID.1.2.3.4=v',
    },
    {
      name: 'a multi-valued RDN',
      dn: [
        [
          { oid: '2.5.4.3', ...utf8('a') },
          { oid: '0.9.2342.19200300.100.1.1', ...utf8('u') },
        ],
      ],
      rfc4514: 'CN=a+UID=u',
      sap: 'CN=a + UID=u',
    },
  ];
  for (const c of cases) {
    test(`formats ${c.name}`, () => {
      assert.equal(formatRfc2253(c.dn), c.rfc4514);
      assert.equal(formatSapDn(c.dn), c.sap);
    });
  }
});

describe('parseSubject', () => {
  test('reads TYPE=value pairs in the order typed, with escapes and spaces around separators', () => {
    assert.deepEqual(parseSubject(' cn = receiver\\, EU , O=Example,C=DE'), [
      { keyword: 'CN', oid: '2.5.4.3', value: 'receiver, EU' },
      { keyword: 'O', oid: '2.5.4.10', value: 'Example' },
      { keyword: 'C', oid: '2.5.4.6', value: 'DE' },
    ]);
  });
});
