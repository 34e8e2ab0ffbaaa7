import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { after, before, describe, test } from 'node:test';
import { Harness, hex, sapContract } from './support/emulator-harness';
import { makeCertificate } from './support/certificates';

const ca = makeCertificate('Receiver Test CA', undefined, true);
const issued = makeCertificate('receiver.example.test', ca);
const selfSigned = makeCertificate('receiver-selfsigned.example.test');
const another = makeCertificate('another.example.test');

function putCertificate(h: Harness, alias: string, body: string | Buffer, query: string) {
  return h.call('PUT', `/CertificateResources('${hex(alias)}')/$value?${query}`, {
    headers: { 'content-type': 'application/pkix-cert' },
    body,
  });
}

describe('security content: keystore entries', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ certificates: [{ alias: 'receiver_ca', pem: ca.pem }] });
  });
  after(() => h?.close());

  test('lists SAP-owned and tenant-owned entries with hex aliases, colon-hex fingerprints and /Date()/ dates', async () => {
    const answer = await h.call('GET', '/KeystoreEntries');
    assert.equal(answer.status, 200);
    const sap = answer.json.d.results.find((e: { Alias: string }) => e.Alias === 'sap_cloudintegrationcertificate');
    assert.equal(sap.Owner, 'SAP');
    assert.equal(sap.Type, 'Key Pair');
    assert.equal(sap.Hexalias, hex('sap_cloudintegrationcertificate'));
    assert.match(sap.FingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.match(sap.ValidNotAfter, /^\/Date\(\d+\)\/$/);
    assert.match(sap.SerialNumber, /^0x[0-9A-F]+$/);
  });

  test('reads one entry by hex alias in upper or lower case', async () => {
    for (const key of [hex('receiver_ca'), hex('receiver_ca').toLowerCase()]) {
      const answer = await h.call('GET', `/KeystoreEntries('${key}')`);
      assert.equal(answer.status, 200);
      assert.equal(answer.json.d.Alias, 'receiver_ca');
      assert.equal(answer.json.d.Hexalias, hex('receiver_ca'));
      assert.equal(answer.json.d.SubjectDN, 'CN=Receiver Test CA, O=Receiver Org, C=DE');
    }
  });

  test('answers 404 for an unknown alias and 500 for an odd-length hex alias', async () => {
    const missing = await h.call('GET', `/KeystoreEntries('${hex('nope')}')`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.message.value, "Alias 'nope' not found in the keystore");
    const odd = await h.call('GET', "/KeystoreEntries('ABC')");
    assert.equal(odd.status, 500);
    assert.equal(odd.json.error.message.value, 'hexBinary needs to be even-length: ABC');
  });

  test('serves the certificate of an entry as PEM', async () => {
    const answer = await h.call('GET', `/KeystoreEntries('${hex('receiver_ca')}')/Certificate/$value`);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /application\/pkix-cert/);
    assert.equal(answer.text.replace(/\s+/g, ''), ca.pem.replace(/\s+/g, ''));
  });

  test('refuses JSON answers to a client that does not accept JSON (406), naming the header to send', async () => {
    const answer = await h.call('GET', '/KeystoreEntries', { headers: { accept: 'application/atom+xml' } });
    assert.equal(answer.status, 406);
    assert.match(answer.json.error.message.value, /Accept: application\/json/);
  });
});

describe('security content: certificate import and exchange', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ certificates: [{ alias: 'receiver_ca', pem: ca.pem }] });
  });
  after(() => h?.close());

  test('creates an entry from PEM (204) and exchanges it in place with update=true, keeping the alias', async () => {
    const created = await putCertificate(
      h,
      'receiver_enc',
      selfSigned.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
    );
    assert.equal(created.status, 204);
    const before = (await h.call('GET', `/KeystoreEntries('${hex('receiver_enc')}')`)).json.d;
    const exchanged = await putCertificate(
      h,
      'receiver_enc',
      another.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=true',
    );
    assert.equal(exchanged.status, 204);
    const afterExchange = (await h.call('GET', `/KeystoreEntries('${hex('receiver_enc')}')`)).json.d;
    assert.notEqual(afterExchange.FingerprintSha256, before.FingerprintSha256);
    assert.equal(afterExchange.SubjectDN, 'CN=another.example.test, O=Receiver Org, C=DE');
    assert.equal(afterExchange.CreatedTime, before.CreatedTime);
    const stored = h.emulator.state.keystoreEntries().find((e) => e.alias === 'receiver_enc');
    assert.equal(stored?.fingerprintSha256, afterExchange.FingerprintSha256);
  });

  test('accepts binary DER and base64 DER bodies', async () => {
    assert.equal(
      (
        await putCertificate(
          h,
          'der_body',
          issued.der,
          'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
        )
      ).status,
      204,
    );
    assert.equal(
      (
        await putCertificate(
          h,
          'b64_body',
          issued.der.toString('base64'),
          'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
        )
      ).status,
      204,
    );
  });

  test('answers 400 when the alias exists and update is not set', async () => {
    const answer = await putCertificate(
      h,
      'receiver_enc',
      another.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.json.error.message.value, 'Keystore entry with alias "receiver_enc" already exists');
  });

  test('answers 400 when update=true names an alias that does not exist', async () => {
    const answer = await putCertificate(
      h,
      'not_there',
      another.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=true',
    );
    assert.equal(answer.status, 400);
    assert.match(answer.json.error.message.value, /not_there/);
  });

  test('answers 409 with the certificate marked notTrusted when no trust path exists and the fingerprint is not verified', async () => {
    const answer = await putCertificate(
      h,
      'untrusted',
      selfSigned.pem,
      'fingerprintVerified=false&returnKeystoreEntries=false&update=false',
    );
    assert.equal(answer.status, 409);
    assert.equal(answer.json.error.code, 'Conflict');
    assert.equal(answer.json.error.innererror.Validity, 'notTrusted');
    assert.match(answer.json.error.message.value, /fingerprintVerified=true/);
    // the decided shape (docs/emulator.md): the rejected certificate as a KeystoreEntry in `innererror`
    const entry = answer.json.error.innererror;
    assert.deepEqual(
      (await sapContract()).checkDefinition('SecurityContent', 'com.sap.hci.api.KeystoreEntry', entry),
      [],
    );
    assert.equal(entry.Alias, 'untrusted');
    assert.equal(entry.Hexalias, hex('untrusted'));
    assert.equal(
      entry.FingerprintSha256.replace(/:/g, ''),
      createHash('sha256').update(selfSigned.der).digest('hex').toUpperCase(),
    );
    assert.equal(
      h.emulator.state.keystoreEntries().some((e) => e.alias === 'untrusted'),
      false,
    );
  });

  test('imports a certificate issued by a CA in the keystore without fingerprintVerified', async () => {
    const answer = await putCertificate(
      h,
      'ca_issued',
      issued.pem,
      'fingerprintVerified=false&returnKeystoreEntries=false&update=false',
    );
    assert.equal(answer.status, 204);
  });

  test('answers 200 with all entries when returnKeystoreEntries=true', async () => {
    const answer = await putCertificate(
      h,
      'with_list',
      another.pem,
      'fingerprintVerified=true&returnKeystoreEntries=true&update=false',
    );
    assert.equal(answer.status, 200);
    assert.ok(
      answer.json.d.results.some((e: { Alias: string }) => e.Alias === 'with_list'),
      'the answer lists with_list',
    );
  });

  test('answers 403 for SAP-reserved aliases on import and delete, and leaves SAP entries unchanged', async () => {
    for (const alias of ['sap_cloudintegrationcertificate', 'sap_anything', 'hcicertificate']) {
      const answer = await putCertificate(
        h,
        alias,
        another.pem,
        'fingerprintVerified=true&returnKeystoreEntries=false&update=true',
      );
      assert.equal(answer.status, 403, alias);
    }
    const del = await h.call('DELETE', `/KeystoreEntries('${hex('sap_cloudintegrationcertificate')}')`);
    assert.equal(del.status, 403);
    assert.ok(
      h.emulator.state.keystoreEntries().some((e) => e.alias === 'sap_cloudintegrationcertificate'),
      "SAP's key pair is still there",
    );
  });

  test('answers 413 for a body over 10 kB and 415 for a body that is not a certificate', async () => {
    const big = await putCertificate(
      h,
      'too_big',
      Buffer.alloc(11 * 1024, 0x41),
      'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
    );
    assert.equal(big.status, 413);
    const junk = await putCertificate(
      h,
      'junk',
      'hello, certificate',
      'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
    );
    assert.equal(junk.status, 415);
  });

  test('deletes a tenant-owned entry (204, then 404) and answers 404 for a missing one', async () => {
    assert.equal((await h.call('DELETE', `/KeystoreEntries('${hex('with_list')}')`)).status, 204);
    assert.equal((await h.call('GET', `/KeystoreEntries('${hex('with_list')}')`)).status, 404);
    assert.equal((await h.call('DELETE', `/KeystoreEntries('${hex('with_list')}')`)).status, 404);
  });

  test('answers 503 to keystore writes while the keystore is locked', async () => {
    const locked = await fetch(`${h.emulator.url}/emulator/faults`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${h.emulator.adminToken}` },
      body: JSON.stringify({ keystoreLocked: true }),
    });
    assert.equal(locked.status, 200);
    const answer = await putCertificate(
      h,
      'while_locked',
      another.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
    );
    assert.equal(answer.status, 503);
    await fetch(`${h.emulator.url}/emulator/faults`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${h.emulator.adminToken}` },
      body: '{}',
    });
    assert.equal(
      (
        await putCertificate(
          h,
          'while_locked',
          another.pem,
          'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
        )
      ).status,
      204,
    );
  });
});

describe('security content: media type of a certificate upload', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h?.close());

  const PUT_QUERY = 'fingerprintVerified=true&returnKeystoreEntries=false&update=false';

  test('refuses a Content-Type other than application/pkix-cert with 415 and imports nothing', async () => {
    for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
      const answer = await h.call('PUT', `/CertificateResources('${hex('wrong_type')}')/$value?${PUT_QUERY}`, {
        headers: { 'content-type': type },
        body: selfSigned.pem,
      });
      assert.equal(answer.status, 415, type);
      assert.match(answer.json.error.message.value, /application\/pkix-cert/);
      assert.match(answer.json.error.message.value, new RegExp(type.replace('/', '\\/')));
    }
    assert.ok(
      !h.emulator.state.keystoreEntries().some((e) => e.alias === 'wrong_type'),
      'nothing was imported under wrong_type',
    );
  });

  test('takes application/pkix-cert with parameters, and a body without Content-Type by its content', async () => {
    const withCharset = await h.call('PUT', `/CertificateResources('${hex('with_charset')}')/$value?${PUT_QUERY}`, {
      headers: { 'content-type': 'Application/PKIX-Cert; charset=utf-8' },
      body: selfSigned.pem,
    });
    assert.equal(withCharset.status, 204);
    const untyped = await h.call('PUT', `/CertificateResources('${hex('untyped')}')/$value?${PUT_QUERY}`, {
      body: Buffer.from(another.pem), // fetch sends a Buffer without Content-Type
    });
    assert.equal(untyped.status, 204, untyped.text);
    const aliases = h.emulator.state.keystoreEntries().map((e) => e.alias);
    assert.ok(aliases.includes('with_charset') && aliases.includes('untyped'), 'both uploads were imported');
  });
});

describe('security content: rename and key pair generation', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ certificates: [{ alias: 'partner_old', pem: another.pem }] });
  });
  after(() => h?.close());

  const json = { 'content-type': 'application/json;charset=utf-8' };

  test('renames an entry: the certificate moves to the new alias, the old alias is gone', async () => {
    const before = h.emulator.state.keystoreEntries().find((e) => e.alias === 'partner_old')!;
    const answer = await h.call(
      'PUT',
      `/KeystoreEntries('${hex('partner_old')}')?renameAlias=partner%20new&returnHexAlias=true`,
      {
        headers: json,
        body: '{"Status":null}',
      },
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.json.d.Hexalias, hex('partner new'));
    const entries = h.emulator.state.keystoreEntries();
    assert.ok(!entries.some((e) => e.alias === 'partner_old'), 'the old alias partner_old is gone');
    assert.equal(entries.find((e) => e.alias === 'partner new')?.fingerprintSha256, before.fingerprintSha256);
    const quiet = await h.call('PUT', `/KeystoreEntries('${hex('partner new')}')?renameAlias=partner_back`, {
      headers: json,
      body: '{"Status":null}',
    });
    assert.equal(quiet.status, 204);
  });

  test('refuses a rename onto an existing alias (400), to or from an SAP alias (403), of a missing one (404)', async () => {
    const rename = (from: string, to: string) =>
      h.call('PUT', `/KeystoreEntries('${hex(from)}')?renameAlias=${encodeURIComponent(to)}`, {
        headers: json,
        body: '{"Status":null}',
      });
    const taken = await rename('partner_back', 'sap_cloudintegrationcertificate');
    assert.equal(taken.status, 403);
    assert.equal((await rename('sap_cloudintegrationcertificate', 'mine')).status, 403);
    assert.equal((await rename('nope', 'other')).status, 404);
    const signing = h.emulator.state.keystoreEntries().find((e) => e.type === 'Key Pair' && e.owner !== 'SAP')!;
    const exists = await rename('partner_back', signing.alias);
    assert.equal(exists.status, 400);
    assert.match(exists.json.error.message.value, /already exists/);
    assert.ok(
      h.emulator.state.keystoreEntries().some((e) => e.alias === 'partner_back'),
      'partner_back is unchanged',
    );
  });

  test('generates an RSA key pair with a self-signed certificate for the requested subject', async () => {
    const answer = await h.call('POST', '/KeyPairGenerationRequests?returnKeystoreEntries=false', {
      headers: json,
      body: JSON.stringify({
        Hexalias: '00',
        Alias: 'tenant_signing_2027',
        KeyType: 'RSA',
        KeySize: 2048,
        CommonName: 'tenant.example.test',
        Organization: 'Tenant Org',
        Country: 'DE',
        ValidNotAfter: `/Date(${Date.now() + 30 * 86_400_000})/`,
      }),
    });
    assert.equal(answer.status, 204);
    const entry = await h.call('GET', `/KeystoreEntries('${hex('tenant_signing_2027')}')`);
    assert.equal(entry.json.d.Type, 'Key Pair');
    assert.equal(entry.json.d.KeySize, 2048);
    assert.equal(entry.json.d.SubjectDN, 'CN=tenant.example.test, O=Tenant Org, C=DE');
    assert.equal(entry.json.d.IssuerDN, entry.json.d.SubjectDN);
    assert.ok(h.emulator.state.signingCertificatePem('tenant_signing_2027'), 'tenant_signing_2027 is a key pair');
    const again = await h.call('POST', '/KeyPairGenerationRequests?returnKeystoreEntries=false', {
      headers: json,
      body: JSON.stringify({ Alias: 'tenant_signing_2027', CommonName: 'x', KeySize: 2048 }),
    });
    assert.equal(again.status, 400);
    const noName = await h.call('POST', '/KeyPairGenerationRequests?returnKeystoreEntries=false', {
      headers: json,
      body: JSON.stringify({ Alias: 'unnamed', KeySize: 2048 }),
    });
    assert.equal(noName.status, 400);
    assert.ok(
      !h.emulator.state.keystoreEntries().some((e) => e.alias === 'unnamed'),
      'nothing was generated under unnamed',
    );
  });
});

describe('security content: keystore size', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ certificates: [{ alias: 'receiver_ca', pem: ca.pem }] });
  });
  after(() => h?.close());

  test("Keystores('system')/Size/$value answers the number of entries, and follows an import", async () => {
    const before = await h.call('GET', "/Keystores('system')/Size/$value");
    assert.equal(before.status, 200);
    assert.match(before.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(before.text, String(h.emulator.state.keystoreEntries().length));
    const entity = await h.call('GET', "/Keystores('system')");
    assert.equal(String(entity.json.d.Size), before.text);
    await putCertificate(
      h,
      'one_more',
      issued.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=false',
    );
    const after = await h.call('GET', "/Keystores('system')/Size/$value");
    assert.equal(Number(after.text), Number(before.text) + 1);
    assert.equal((await h.call('GET', "/Keystores('KeyRenewal')/Size/$value")).text, '0');
  });

  test("Keystores('system') defers its Entries, and carries them inline with $expand=Entries", async () => {
    const plain = await h.call('GET', "/Keystores('system')");
    assert.match(plain.json.d.Entries.__deferred.uri, /\/Keystores\('system'\)\/Entries$/);
    const expanded = await h.call('GET', "/Keystores('system')?$expand=Entries");
    assert.deepEqual(
      expanded.json.d.Entries.results.map((e: { Alias: string }) => e.Alias),
      h.emulator.state.keystoreEntries().map((e) => e.alias),
    );
  });

  test('answers 400 for a keystore the size is not defined for', async () => {
    for (const name of ['backup_admin_system', 'nope']) {
      const answer = await h.call('GET', `/Keystores('${name}')/Size/$value`);
      assert.equal(answer.status, 400, name);
      assert.match(answer.json.error.message.value, new RegExp(`Keystore name '${name}' is invalid`));
    }
  });
});

describe('security content: backup, restore and mass delete', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ certificates: [{ alias: 'partner_a', pem: selfSigned.pem }] });
  });
  after(() => h?.close());

  test('restoring before any backup answers 404', async () => {
    const answer = await h.call('PUT', "/KeystoreResources('system')?retrieveBackup=backup_admin_system", {
      headers: { 'content-type': 'application/json' },
      body: '{"Resource":null}',
    });
    assert.equal(answer.status, 404);
  });

  test('a backup keeps tenant-owned entries only, and a restore brings back an exchanged certificate', async () => {
    const backup = await h.call('POST', '/KeystoreResources', {
      headers: { 'content-type': 'application/json' },
      body: '{"Name":"backup_admin_system"}',
    });
    assert.equal(backup.status, 200);
    const backedUp = h.emulator.state.keystoreEntries('backup_admin_system').map((e) => e.alias);
    assert.ok(backedUp.includes('partner_a'), 'the backup holds partner_a');
    assert.ok(!backedUp.includes('sap_cloudintegrationcertificate'), 'the backup holds no SAP entry');
    const listed = await h.call('GET', '/KeystoreEntries?keystoreName=backup_admin_system');
    assert.deepEqual(
      listed.json.d.results.map((e: { Alias: string }) => e.Alias),
      backedUp,
    );

    const original = h.emulator.state.keystoreEntries().find((e) => e.alias === 'partner_a')!.fingerprintSha256;
    await putCertificate(
      h,
      'partner_a',
      another.pem,
      'fingerprintVerified=true&returnKeystoreEntries=false&update=true',
    );
    const restore = await h.call(
      'PUT',
      "/KeystoreResources('system')?retrieveBackup=backup_admin_system&importOption=overwrite&returnKeystoreEntries=true",
      {
        headers: { 'content-type': 'application/json' },
        body: '{"Resource":null}',
      },
    );
    assert.equal(restore.status, 200);
    const status = restore.json.d.results.find((e: { Alias: string }) => e.Alias === 'partner_a').Status;
    assert.equal(status, 'changed');
    assert.equal(h.emulator.state.keystoreEntries().find((e) => e.alias === 'partner_a')!.fingerprintSha256, original);
  });

  test('mass delete removes the listed aliases and refuses lists with SAP aliases (403)', async () => {
    await putCertificate(h, 'a;b', another.pem, 'fingerprintVerified=true&returnKeystoreEntries=false&update=false');
    const refused = await h.call('PUT', "/KeystoreResources('system')?deleteEntries=true", {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Aliases: 'partner_a;sap_cloudintegrationcertificate' }),
    });
    assert.equal(refused.status, 403);
    assert.ok(
      h.emulator.state.keystoreEntries().some((e) => e.alias === 'partner_a'),
      'partner_a is back',
    );
    const deleted = await h.call('PUT', "/KeystoreResources('system')?deleteEntries=true", {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Aliases: 'partner_a;a\\;b' }),
    });
    // without returnKeystoreEntries the answer lists what is left: the definition's default is true here
    assert.equal(deleted.status, 200);
    const aliases = h.emulator.state.keystoreEntries().map((e) => e.alias);
    assert.ok(!aliases.includes('partner_a') && !aliases.includes('a;b'), 'both entries were deleted');
    assert.deepEqual(
      deleted.json.d.results.map((e: { Alias: string }) => e.Alias),
      aliases,
    );
    const quiet = await h.call('PUT', "/KeystoreResources('system')?deleteEntries=true&returnKeystoreEntries=false", {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Aliases: 'not_there' }),
    });
    assert.equal(quiet.status, 204);
  });
});

describe('security content: paging', () => {
  test('pages a keystore of 1,500 entries at 1,000 with __next and $skiptoken, and honours $top/$skip/$inlinecount', async () => {
    const certificates = Array.from({ length: 1500 }, (_, i) => ({
      alias: `bulk_${String(i).padStart(4, '0')}`,
      pem: another.pem,
    }));
    const h = await Harness.start({ certificates });
    try {
      const first = await h.call('GET', '/KeystoreEntries?$inlinecount=allpages');
      assert.equal(first.json.d.results.length, 1000);
      assert.equal(first.json.d.__count, '1502'); // + SAP's key pair + the default iFlow's signing key pair
      const next = new URL(first.json.d.__next);
      assert.equal(next.searchParams.get('$skiptoken'), '1000');
      const second = await h.call('GET', `${next.pathname.replace('/api/v1', '')}${next.search}`);
      assert.equal(second.json.d.results.length, 502);
      assert.equal(second.json.d.__next, undefined);
      const all = [...first.json.d.results, ...second.json.d.results].map((e: { Alias: string }) => e.Alias);
      assert.equal(new Set(all).size, 1502);
      const window = await h.call('GET', '/KeystoreEntries?$top=2&$skip=1');
      assert.deepEqual(
        window.json.d.results.map((e: { Alias: string }) => e.Alias),
        ['bulk_0001', 'bulk_0002'],
      );
    } finally {
      await h.close();
    }
  });
});

describe('security content: key pair import (KeyPairResources)', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ certificates: [{ alias: 'receiver_ca', pem: ca.pem }] });
  });
  after(() => h?.close());

  /** A PKCS#12 file as keytool or openssl export it: the key, its certificate and the issuer. */
  function pkcs12(pair: { pem: string; privateKeyPem: string }, password: string, issuers: string[] = []): string {
    const der = forge.asn1
      .toDer(
        forge.pkcs12.toPkcs12Asn1(
          forge.pki.privateKeyFromPem(pair.privateKeyPem),
          [pair.pem, ...issuers].map((pem) => forge.pki.certificateFromPem(pem)),
          password,
          { algorithm: '3des' },
        ),
      )
      .getBytes();
    return Buffer.from(der, 'binary').toString('base64');
  }
  const upload = (body: unknown, query = '') =>
    h.call('POST', `/KeyPairResources${query}`, {
      headers: { 'content-type': 'application/json;charset=utf-8' },
      body: JSON.stringify(body),
    });

  test('imports a key pair whose issuer is in the keystore; the tenant signs with it', async () => {
    const answer = await upload({
      Alias: 'signing_ca_issued',
      Password: 'changeit',
      Resource: pkcs12(issued, 'changeit', [ca.pem]),
    });
    assert.equal(answer.status, 204, answer.text);
    const entry = await h.call('GET', `/KeystoreEntries('${hex('signing_ca_issued')}')`);
    assert.equal(entry.json.d.Type, 'Key Pair');
    assert.equal(entry.json.d.SubjectDN, 'CN=receiver.example.test, O=Receiver Org, C=DE');
    assert.equal(
      new X509Certificate(h.emulator.state.signingCertificatePem('signing_ca_issued')!).fingerprint256,
      new X509Certificate(issued.pem).fingerprint256,
    );
  });

  test('refuses a self-signed key pair without fingerprintVerified (409, notTrusted), imports it with it', async () => {
    const resource = pkcs12(selfSigned, 'pw');
    const refused = await upload({ Alias: 'signing_self', Password: 'pw', Resource: resource });
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.innererror.Validity, 'notTrusted');
    assert.equal(h.emulator.state.signingCertificatePem('signing_self'), undefined, 'nothing was imported');
    const verified = await upload(
      { Alias: 'signing_self', Password: 'pw', Resource: resource },
      '?fingerprintVerified=true',
    );
    assert.equal(verified.status, 204);
    const again = await upload(
      { Alias: 'signing_self', Password: 'pw', Resource: resource },
      '?fingerprintVerified=true',
    );
    assert.equal(again.status, 400, 'an existing alias needs update=true');
    const replaced = await upload(
      { Alias: 'signing_self', Password: 'pw', Resource: pkcs12(another, 'pw') },
      '?fingerprintVerified=true&update=true',
    );
    assert.equal(replaced.status, 204);
    assert.equal(
      new X509Certificate(h.emulator.state.signingCertificatePem('signing_self')!).fingerprint256,
      new X509Certificate(another.pem).fingerprint256,
    );
  });

  test('answers 400 for a wrong password, 415 for a Resource that is not PKCS#12, 403 for an SAP alias', async () => {
    const resource = pkcs12(selfSigned, 'right');
    const wrong = await upload({ Alias: 'p1', Password: 'wrong', Resource: resource }, '?fingerprintVerified=true');
    assert.equal(wrong.status, 400);
    assert.match(wrong.json.error.message.value, /password/);
    const notP12 = await upload({ Alias: 'p2', Password: 'x', Resource: Buffer.from('hello').toString('base64') });
    assert.equal(notP12.status, 415);
    const sap = await upload({ Alias: 'sap_mine', Password: 'right', Resource: resource }, '?fingerprintVerified=true');
    assert.equal(sap.status, 403);
    const aliases = h.emulator.state.keystoreEntries().map((e) => e.alias);
    assert.ok(!aliases.includes('p1') && !aliases.includes('p2') && !aliases.includes('sap_mine'), 'nothing imported');
  });
});
