import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TenantClient } from '../../src/tenant/tenant-client';
import { certificateBody } from '../../src/tenant/keystore';
import { CpiError } from '../../src/errors';
import { BASIC, empty, json, odataError, rawEntry, scriptedFetch } from './fake-fetch';

const PEM = `-----BEGIN CERTIFICATE-----\n${Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x0a]), Buffer.alloc(60, 7)]).toString('base64')}\n-----END CERTIFICATE-----\n`;

function entries(from: number, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => rawEntry(`alias-${String(from + i).padStart(5, '0')}`));
}

function csrfOr(handler: Parameters<typeof scriptedFetch>[0]): Parameters<typeof scriptedFetch>[0] {
  return (req, i) =>
    req.method === 'GET' && req.url.pathname === '/api/v1/' ? empty(200, { 'x-csrf-token': 't' }) : handler(req, i);
}

describe('listing the keystore', () => {
  test('follows __next links across pages: 2500 entries in ⌈2500/1000⌉ = 3 requests', async () => {
    const { fetch, seen } = scriptedFetch((req) => {
      const skip = Number(req.url.searchParams.get('$skiptoken') ?? 0);
      const page = entries(skip, Math.min(1000, 2500 - skip));
      const next =
        skip + 1000 < 2500
          ? `https://tenant.example.com/api/v1/KeystoreEntries?keystoreName=system&$skiptoken=${skip + 1000}`
          : undefined;
      return json(200, { d: { results: page, ...(next ? { __next: next } : {}) } });
    });
    const client = new TenantClient(BASIC, { fetch });
    const all = await client.listKeystoreEntries();
    assert.equal(all.length, 2500);
    assert.equal(new Set(all.map((e) => e.alias)).size, 2500);
    assert.equal(client.requestCount, 3);
    assert.equal(seen[1]!.url.searchParams.get('$skiptoken'), '1000');
  });

  test('asks for the next page itself when a full page comes without a next link (Atom-only paging)', async () => {
    const { fetch, seen } = scriptedFetch((req) => {
      const skip = Number(req.url.searchParams.get('$skiptoken') ?? 0);
      return json(200, { d: { results: entries(skip, Math.min(1000, 1200 - skip)) } });
    });
    const all = await new TenantClient(BASIC, { fetch }).listKeystoreEntries();
    assert.equal(all.length, 1200);
    assert.deepEqual(
      seen.map((r) => r.url.searchParams.get('$skiptoken')),
      [null, '1000'],
    );
    assert.equal(seen[1]!.url.searchParams.get('keystoreName'), 'system');
  });

  test('stops when the tenant ignores the paging option and repeats the first page', async () => {
    const { fetch, seen } = scriptedFetch(() => json(200, { d: { results: entries(0, 1000) } }));
    const all = await new TenantClient(BASIC, { fetch }).listKeystoreEntries();
    assert.equal(all.length, 1000);
    assert.equal(seen.length, 2);
  });

  test('refuses to follow a next link to another host (it would receive our credentials)', async () => {
    const { fetch } = scriptedFetch(() =>
      json(200, {
        d: { results: entries(0, 1), __next: 'https://evil.example.net/api/v1/KeystoreEntries?$skiptoken=1' },
      }),
    );
    await assert.rejects(
      new TenantClient(BASIC, { fetch }).listKeystoreEntries(),
      /CPI_TENANT_UNEXPECTED_RESPONSE.*another host/,
    );
  });

  test('maps fields to proper types', async () => {
    const { fetch } = scriptedFetch(() =>
      json(200, { d: { results: [rawEntry('partner', { FingerprintSha256: 'aa:bb', Validity: null, Version: 3 })] } }),
    );
    const [entry] = await new TenantClient(BASIC, { fetch }).listKeystoreEntries();
    assert.deepEqual(entry, {
      alias: 'partner',
      hexAlias: '706172746E6572',
      keyType: 'RSA',
      keySize: 2048,
      validNotBefore: new Date(1496732924000),
      validNotAfter: new Date(1559804924000),
      serialNumber: '0x11F11',
      fingerprintSha256: 'AA:BB',
      type: 'Certificate',
      owner: 'Tenant Administrator',
      version: 3,
    });
  });

  test('an HTML answer (the Atom default, a login page) is an unexpected response, not an empty keystore', async () => {
    const { fetch } = scriptedFetch(
      () =>
        new Response('<feed xmlns="http://www.w3.org/2005/Atom"/>', {
          status: 200,
          headers: { 'content-type': 'application/atom+xml' },
        }),
    );
    await assert.rejects(
      new TenantClient(BASIC, { fetch }).listKeystoreEntries(),
      /CPI_TENANT_UNEXPECTED_RESPONSE.*expected a JSON body, got application\/atom\+xml/,
    );
  });
});

describe('getKeystoreEntry', () => {
  test('answers undefined for an absent alias and asks by upper-case hex', async () => {
    const { fetch, seen } = scriptedFetch(() => odataError(404, "Alias 'x' not found in the keystore"));
    assert.equal(await new TenantClient(BASIC, { fetch }).getKeystoreEntry('my alias'), undefined);
    assert.equal(seen[0]!.url.pathname, "/api/v1/KeystoreEntries('6D7920616C696173')");
  });

  test('fetches the PEM too when asked', async () => {
    const { fetch } = scriptedFetch((req) =>
      req.url.pathname.endsWith('/Certificate/$value')
        ? new Response(PEM, { status: 200 })
        : json(200, { d: rawEntry('a') }),
    );
    const entry = await new TenantClient(BASIC, { fetch }).getKeystoreEntry('a', { withCertificate: true });
    assert.equal(entry?.certificatePem, PEM);
  });
});

describe('putCertificate', () => {
  test('sends base64 DER without PEM armour, with all three query options, and takes the entry from the answer', async () => {
    const { fetch, seen } = scriptedFetch(
      csrfOr((req) =>
        req.method === 'PUT'
          ? json(200, { d: { results: [rawEntry('other'), rawEntry('partner-enc')] } })
          : json(500, { error: 'the entry is in the answer: no read-back expected' }),
      ),
    );
    const entry = await new TenantClient(BASIC, { fetch }).putCertificate('partner-enc', PEM, {
      update: true,
      fingerprintVerified: true,
    });
    const put = seen.find((r) => r.method === 'PUT')!;
    assert.equal(put.url.pathname, "/api/v1/CertificateResources('706172746E65722D656E63')/$value");
    assert.deepEqual(Object.fromEntries(put.url.searchParams), {
      fingerprintVerified: 'true',
      returnKeystoreEntries: 'true',
      update: 'true',
    });
    assert.equal(put.headers.get('content-type'), 'application/pkix-cert');
    assert.equal(put.body, certificateBody(PEM).base64);
    assert.ok(!put.body!.includes('BEGIN'), "!put.body!.includes('BEGIN')");
    assert.equal(entry.alias, 'partner-enc');
    assert.equal(seen.filter((r) => r.url.pathname.includes('KeystoreEntries')).length, 0);
  });

  test('reads the entry back when the answer does not list it (204, or a list without it)', async () => {
    for (const answer of [() => empty(204), () => json(200, { d: { results: [rawEntry('other')] } })]) {
      const { fetch, seen } = scriptedFetch(
        csrfOr((req) => (req.method === 'PUT' ? answer() : json(200, { d: rawEntry('partner-enc') }))),
      );
      const entry = await new TenantClient(BASIC, { fetch }).putCertificate('partner-enc', PEM, { update: true });
      assert.equal(entry.alias, 'partner-enc');
      assert.equal(seen.filter((r) => r.url.pathname.includes("KeystoreEntries('")).length, 1);
    }
  });

  const failures: [string, Response, boolean, string, RegExp][] = [
    [
      '400 "already exists" on a create',
      odataError(400, 'Keystore entry with alias "p" already exists'),
      false,
      'CPI_TENANT_ALIAS_EXISTS',
      /PUT .*CertificateResources.*keystore alias "p".*already exists/,
    ],
    [
      '400 "does not exist" on an exchange',
      odataError(400, 'Entry with alias "p" does not exist'),
      true,
      'CPI_TENANT_NOT_FOUND',
      /does not exist/,
    ],
    [
      '400 validation',
      odataError(400, 'Certificate is expired'),
      true,
      'CPI_TENANT_REQUEST_REJECTED',
      /Certificate is expired/,
    ],
    [
      '409 no trust path',
      odataError(409, 'Trust path could not be established'),
      false,
      'CPI_TENANT_CERTIFICATE_UNTRUSTED',
      /fingerprintVerified=false: Trust path/,
    ],
    ['413', odataError(413, 'Payload too large'), true, 'CPI_TENANT_PAYLOAD_TOO_LARGE', /HTTP 413/],
    ['403 reserved', odataError(403, 'Alias is reserved for SAP'), true, 'CPI_TENANT_ALIAS_RESERVED', /reserved/],
    ['401', odataError(401, 'Unauthorized'), true, 'CPI_TENANT_UNAUTHORIZED', /as user "ops"/],
  ];
  for (const [what, response, update, code, detail] of failures) {
    test(`maps ${what} to ${code}`, async () => {
      const { fetch } = scriptedFetch(csrfOr(() => response.clone()));
      await assert.rejects(new TenantClient(BASIC, { fetch }).putCertificate('p', PEM, { update }), (e: unknown) => {
        assert.ok(e instanceof CpiError, String(e));
        assert.equal(e.code, code);
        assert.match(e.detail, detail);
        return true;
      });
    });
  }

  test('refuses SAP-owned aliases without sending anything', async () => {
    const { fetch, seen } = scriptedFetch(() => empty(204));
    await assert.rejects(
      new TenantClient(BASIC, { fetch }).putCertificate('sap_cloudintegrationcertificate', PEM, { update: true }),
      /CPI_TENANT_ALIAS_RESERVED/,
    );
    assert.equal(seen.length, 0);
  });

  test('refuses a body that is not a certificate, naming the attribute', async () => {
    const { fetch } = scriptedFetch(() => empty(204));
    await assert.rejects(
      new TenantClient(BASIC, { fetch }).putCertificate('p', 'hello', { update: true }),
      (e: unknown) => e instanceof CpiError && e.code === 'CPI_VALUE_INVALID' && e.attribute?.[0] === 'certificate_pem',
    );
  });
});

describe('deleteKeystoreEntry', () => {
  test('uses the per-entry DELETE', async () => {
    const { fetch, seen } = scriptedFetch(csrfOr(() => empty(204)));
    await new TenantClient(BASIC, { fetch }).deleteKeystoreEntry('old');
    assert.deepEqual(
      seen.map((r) => `${r.method} ${r.url.pathname}`),
      ['GET /api/v1/', "DELETE /api/v1/KeystoreEntries('6F6C64')"],
    );
  });

  test('treats an absent alias as done', async () => {
    const { fetch, seen } = scriptedFetch(csrfOr(() => odataError(404, "Alias 'old' not found in the keystore")));
    await new TenantClient(BASIC, { fetch }).deleteKeystoreEntry('old');
    assert.equal(seen.filter((r) => r.method === 'PUT').length, 0);
  });

  test('falls back to the mass-delete form when DELETE is not supported, escaping ; and \\', async () => {
    const { fetch, seen } = scriptedFetch(csrfOr((req) => (req.method === 'DELETE' ? empty(405) : empty(204))));
    await new TenantClient(BASIC, { fetch }).deleteKeystoreEntry('a;b\\c');
    const put = seen.find((r) => r.method === 'PUT')!;
    assert.equal(put.url.pathname, "/api/v1/KeystoreResources('system')");
    assert.equal(put.url.searchParams.get('deleteEntries'), 'true');
    assert.deepEqual(JSON.parse(put.body!), { Aliases: 'a\\;b\\\\c' });
  });

  test('falls back when DELETE answers 404 but the entry is still there', async () => {
    const { fetch, seen } = scriptedFetch(
      csrfOr((req) =>
        req.method === 'DELETE'
          ? odataError(404, 'Resource not found')
          : req.method === 'GET'
            ? json(200, { d: rawEntry('old') })
            : empty(204),
      ),
    );
    await new TenantClient(BASIC, { fetch }).deleteKeystoreEntry('old');
    assert.equal(seen.filter((r) => r.method === 'PUT').length, 1);
  });
});

describe('backupKeystore', () => {
  test('backs up into backup_admin_system and returns the reported entries', async () => {
    const { fetch, seen } = scriptedFetch(
      csrfOr(() => json(200, { d: { results: [rawEntry('partner', { Status: 'new' })] } })),
    );
    const backedUp = await new TenantClient(BASIC, { fetch }).backupKeystore();
    const post = seen.find((r) => r.method === 'POST')!;
    assert.deepEqual(JSON.parse(post.body!), { Name: 'backup_admin_system' });
    assert.deepEqual(
      backedUp.map((e) => [e.alias, e.status]),
      [['partner', 'new']],
    );
  });
});
