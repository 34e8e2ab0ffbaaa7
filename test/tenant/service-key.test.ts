import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServiceKey } from '../../src/tenant/service-key';
import { CpiError } from '../../src/errors';

const SECRET = 'f00-S3cr3t-bar';

describe('parseServiceKey', () => {
  test('reads the "oauth" sub-object form of a Process Integration Runtime service key', () => {
    const key = JSON.stringify({
      oauth: {
        url: 'https://t1.it-cpi001.cfapps.eu10.hana.ondemand.com',
        tokenurl: 'https://sub.authentication.eu10.hana.ondemand.com/oauth/token',
        clientid: 'sb-abc!b1|it!b2',
        clientsecret: SECRET,
        createdate: '2026-01-01',
      },
    });
    assert.deepEqual(parseServiceKey(key), {
      tenantUrl: 'https://t1.it-cpi001.cfapps.eu10.hana.ondemand.com',
      auth: {
        kind: 'oauth2',
        tokenUrl: 'https://sub.authentication.eu10.hana.ondemand.com/oauth/token',
        clientId: 'sb-abc!b1|it!b2',
        clientSecret: SECRET,
      },
    });
  });

  test('reads the flat form', () => {
    const conn = parseServiceKey(
      JSON.stringify({ url: 'https://t', tokenurl: 'https://a/oauth/token', clientid: 'c', clientsecret: SECRET }),
    );
    assert.equal(conn.auth.kind, 'oauth2');
    assert.equal(conn.tenantUrl, 'https://t');
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"clientsecret": "' + SECRET, /not JSON/],
    ['an array', '[]', /JSON object/],
    [
      'missing fields',
      JSON.stringify({ oauth: { url: 'https://t', clientsecret: SECRET } }),
      /missing "tokenurl", "clientid" in the "oauth" object/,
    ],
    [
      'a certificate key',
      JSON.stringify({ oauth: { url: 'https://t', tokenurl: 'https://a', clientid: 'c', certificate: '-----BEGIN' } }),
      /type Certificate/,
    ],
    [
      'a bad URL',
      JSON.stringify({ url: 'tenant', tokenurl: 'https://a', clientid: 'c', clientsecret: SECRET }),
      /"url" is "tenant"/,
    ],
  ];
  for (const [what, text, message] of bad) {
    test(`refuses ${what} with CPI_TENANT_SERVICE_KEY_INVALID and never repeats the secret`, () => {
      assert.throws(
        () => parseServiceKey(text),
        (e: unknown) =>
          e instanceof CpiError &&
          e.code === 'CPI_TENANT_SERVICE_KEY_INVALID' &&
          message.test(e.message) &&
          !e.message.includes(SECRET),
      );
    });
  }
});
