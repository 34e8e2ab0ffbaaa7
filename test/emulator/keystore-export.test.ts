// The export of a keystore's public content (GET KeystoreResources('{KeystoreName}')): a JCEKS keystore in base64,
// read back with Java's keytool, which must list every entry of the tenant keystore with the fingerprint the API
// reports for it. Every answer is validated against SAP's definition by the harness.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runJavaTool } from '../pki/fixtures';
import { skipWithout } from '../support/reference-systems';
import { makeCertificate } from './support/certificates';
import { Harness } from './support/emulator-harness';

const ca = makeCertificate('Export CA', undefined, true);
const partner = makeCertificate('partner.example.test');

/** alias → SHA-256 fingerprint, as `keytool -list` prints a JCEKS keystore read with `storepass`. */
function keytoolListing(
  resource: string,
  storepass: string,
): { status: number | null; entries: Map<string, string>; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-jceks-'));
  try {
    const file = join(dir, 'export.jceks');
    writeFileSync(file, Buffer.from(resource, 'base64'));
    const run = runJavaTool('keytool', ['-list', '-keystore', file, '-storetype', 'JCEKS', '-storepass', storepass]);
    const entries = new Map<string, string>();
    let alias: string | undefined;
    for (const line of run.stdout.split('\n')) {
      const entry = /^(.*), [^,]+, \d{4}, trustedCertEntry,\s*$/.exec(line);
      if (entry) alias = entry[1]!;
      const fingerprint = /^Certificate fingerprint \(SHA-256\): (.*)$/.exec(line);
      if (fingerprint && alias !== undefined) entries.set(alias, fingerprint[1]!.trim());
    }
    return { status: run.status, entries, out: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('keystore export (KeystoreResources)', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({
      certificates: [
        { alias: 'receiver_ca', pem: ca.pem },
        { alias: 'Partner_Enc', pem: partner.pem },
      ],
    });
  });
  after(() => h?.close());

  test('is a JCEKS keystore in base64, without a password', async () => {
    const answer = await h.call('GET', "/KeystoreResources('system')");
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.d.Name, 'system');
    assert.equal(answer.json.d.Password, null);
    const file = Buffer.from(answer.json.d.Resource, 'base64');
    assert.equal(file.subarray(0, 4).toString('hex'), 'cececece', 'JCEKS magic number');
    assert.equal(
      file.readUInt32BE(8),
      h.emulator.state.keystoreEntries().length,
      'one keystore entry per tenant entry',
    );
  });

  test(
    'keytool lists every entry of the tenant keystore, each with the fingerprint the API reports',
    { skip: skipWithout('java') },
    async () => {
      const answer = await h.call('GET', "/KeystoreResources('system')");
      const listing = keytoolListing(answer.json.d.Resource, '');
      assert.equal(listing.status, 0, listing.out);
      const entries = (await h.call('GET', '/KeystoreEntries')).json.d.results as Array<{
        Alias: string;
        FingerprintSha256: string;
      }>;
      assert.deepEqual(
        [...listing.entries].sort(),
        entries.map((e) => [e.Alias.toLowerCase(), e.FingerprintSha256] as [string, string]).sort(),
      );
      assert.ok(listing.entries.has('partner_enc'), 'a mixed-case alias is exported in lower case, as JCEKS keeps it');
      // the integrity digest is real: another password is refused
      const wrong = keytoolListing(answer.json.d.Resource, 'not-the-password');
      assert.notEqual(wrong.status, 0, 'keytool refuses the keystore with another password');
      assert.match(wrong.out, /tampered with, or password was incorrect/);
    },
  );

  test('exports the backup keystore after a backup, and refuses other keystore names (400)', async () => {
    const backup = await h.call('POST', '/KeystoreResources', {
      headers: { 'content-type': 'application/json' },
      body: '{"Name":"backup_admin_system"}',
    });
    assert.equal(backup.status, 200, backup.text);
    const answer = await h.call('GET', "/KeystoreResources('backup_admin_system')");
    assert.equal(answer.status, 200, answer.text);
    const file = Buffer.from(answer.json.d.Resource, 'base64');
    assert.equal(file.readUInt32BE(8), h.emulator.state.keystoreEntries('backup_admin_system').length);
    const other = await h.call('GET', "/KeystoreResources('KeyRenewal')");
    assert.equal(other.status, 400);
    assert.match(other.json.error.message.value, /Keystore name 'KeyRenewal' is invalid/);
  });
});
