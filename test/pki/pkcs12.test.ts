import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import forge from 'node-forge';
import { CpiError, type ErrorCode } from '../../src/errors';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { readPkcs12, writePkcs12, type Pkcs12Entry, type WritePkcs12Options } from '../../src/pki/pkcs12';
import { certificatePem, rsaKey, runJavaTool } from './fixtures';
import { skipWithout } from '../support/reference-systems';

const PASSWORD = 'correct horse 42';

const oldEntry: Pkcs12Entry = {
  alias: 'Receiver-2029',
  privateKeyPem: rsaKey('old'),
  certificatePem: certificatePem({ key: 'old', subject: 'CN=receiver 2029,O=Example' }),
};
const newEntry: Pkcs12Entry = {
  alias: 'receiver-2030',
  privateKeyPem: rsaKey('new'),
  certificatePem: certificatePem({ key: 'new', subject: 'CN=receiver 2030,O=Example' }),
};

function samePrivateKey(a: string, b: string): boolean {
  const der = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return der(a).equals(der(b));
}

function oidBytes(oid: string): Buffer {
  return Buffer.from(forge.asn1.oidToDer(oid).getBytes(), 'binary');
}

describe('writePkcs12 and readPkcs12', () => {
  const p12 = writePkcs12({ entries: [oldEntry, newEntry], password: PASSWORD });

  test('round trip: every entry comes back under its alias with its key and certificate', () => {
    const entries = readPkcs12(p12, PASSWORD);
    assert.deepEqual(
      entries.map((e) => e.alias),
      ['Receiver-2029', 'receiver-2030'],
    );
    for (const [read, written] of [
      [entries[0], oldEntry],
      [entries[1], newEntry],
    ] as const) {
      assert.ok(read !== undefined, 'read !== undefined');
      assert.equal(read.certificatePem, parseCertificatePem(written.certificatePem).pem);
      assert.ok(samePrivateKey(read.privateKeyPem, written.privateKeyPem), `key of ${read.alias} differs`);
    }
  });

  test('protects keys with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and the MAC with SHA-256, not 3DES/SHA-1', () => {
    const has = (oid: string) => p12.includes(oidBytes(oid));
    assert.ok(has('1.2.840.113549.1.5.13'), 'PBES2');
    assert.ok(has('1.2.840.113549.2.9'), 'hmacWithSHA256');
    assert.ok(has('2.16.840.1.101.3.4.1.42'), 'aes256-CBC');
    assert.ok(has('2.16.840.1.101.3.4.2.1'), 'SHA-256 (MAC)');
    assert.ok(!has('1.2.840.113549.1.12.1.3'), 'pbeWithSHAAnd3-KeyTripleDES-CBC must not be used');
    assert.ok(!has('1.3.14.3.2.26'), 'SHA-1 MAC must not be used');
  });

  test('an empty keystore round-trips to no entries', () => {
    assert.deepEqual(readPkcs12(writePkcs12({ entries: [], password: PASSWORD }), PASSWORD), []);
  });

  const readRefusals: { name: string; input: () => Buffer; password?: string; code: ErrorCode; detail: RegExp }[] = [
    {
      name: 'a wrong password',
      input: () => p12,
      password: 'wrong',
      code: 'CPI_PKI_PKCS12_PASSWORD',
      detail: /^the MAC over the keystore does not verify with the given password$/,
    },
    {
      name: 'bytes that are not DER',
      input: () => Buffer.from('not a keystore'),
      code: 'CPI_PKI_PKCS12_INVALID',
      detail: /not DER/,
    },
    {
      name: 'the keystore as base64 text',
      input: () => Buffer.from(p12.toString('base64')),
      code: 'CPI_PKI_PKCS12_INVALID',
      detail: /expected a binary \.p12\/\.pfx file/,
    },
    {
      name: 'a certificate instead of a keystore',
      input: () => parseCertificatePem(oldEntry.certificatePem).der,
      code: 'CPI_PKI_PKCS12_INVALID',
      detail: /cannot be read/,
    },
  ];
  for (const r of readRefusals) {
    test(`readPkcs12 refuses ${r.name} with ${r.code}`, () => {
      assert.throws(
        () => readPkcs12(r.input(), r.password ?? PASSWORD),
        (e: unknown) => e instanceof CpiError && e.code === r.code && r.detail.test(e.detail),
      );
    });
  }

  const writeRefusals: { name: string; options: Partial<WritePkcs12Options>; code: ErrorCode; detail: RegExp }[] = [
    {
      name: 'aliases that differ only in case',
      options: { entries: [oldEntry, { ...newEntry, alias: 'RECEIVER-2029' }] },
      code: 'CPI_PKI_PKCS12_ENTRY_INVALID',
      detail: /alias "RECEIVER-2029" of entry 1 equals alias "Receiver-2029"/,
    },
    {
      name: 'an empty alias',
      options: { entries: [{ ...oldEntry, alias: ' ' }] },
      code: 'CPI_PKI_PKCS12_ENTRY_INVALID',
      detail: /entry 0 has an empty alias/,
    },
    {
      name: "a key paired with another key's certificate",
      options: { entries: [{ ...oldEntry, certificatePem: newEntry.certificatePem }] },
      code: 'CPI_PKI_KEY_CERTIFICATE_MISMATCH',
      detail: /entry "Receiver-2029" does not belong to its certificate \(subject "CN=receiver 2030,O=Example"/,
    },
    {
      name: 'a chain where the leaf belongs',
      options: { entries: [{ ...oldEntry, certificatePem: oldEntry.certificatePem + newEntry.certificatePem }] },
      code: 'CPI_PKI_CERTIFICATE_CHAIN',
      detail: /found 2 certificates/,
    },
    {
      name: 'a private key that is not PEM',
      options: { entries: [{ ...oldEntry, privateKeyPem: 'secret' }] },
      code: 'CPI_PKI_PRIVATE_KEY_INVALID',
      detail: /entry "Receiver-2029" cannot be read/,
    },
    {
      name: 'a non-ASCII password',
      options: { password: 'pässwort' },
      code: 'CPI_VALUE_INVALID',
      detail: /printable ASCII/,
    },
    {
      name: 'an empty password',
      options: { password: '' },
      code: 'CPI_VALUE_INVALID',
      detail: /non-empty/,
    },
  ];
  for (const r of writeRefusals) {
    test(`writePkcs12 refuses ${r.name} with ${r.code}`, () => {
      assert.throws(
        () => writePkcs12({ entries: [oldEntry], password: PASSWORD, ...r.options }),
        (e: unknown) => e instanceof CpiError && e.code === r.code && r.detail.test(e.detail),
      );
    });
  }
});

describe('PKCS#12 interoperability with Java (what a WSS4J/CXF receiver loads)', { skip: skipWithout('java') }, () => {
  test('keytool lists our entries as PrivateKeyEntry, re-exports them (decrypting the keys), and we read its file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pki-p12-'));
    const ours = join(dir, 'ours.p12');
    const theirs = join(dir, 'theirs.p12');
    writeFileSync(ours, writePkcs12({ entries: [oldEntry, newEntry], password: PASSWORD }));

    const list = runJavaTool('keytool', [
      '-list',
      '-v',
      '-keystore',
      ours,
      '-storepass',
      PASSWORD,
      '-storetype',
      'PKCS12',
    ]);
    assert.equal(list.status, 0, list.stderr + list.stdout);
    assert.match(list.stdout, /Your keystore contains 2 entries/);
    const aliases = [...list.stdout.matchAll(/^Alias name: (.*)$/gm)].map((m) => m[1]).sort();
    assert.deepEqual(aliases, ['receiver-2029', 'receiver-2030']); // Java lists PKCS#12 aliases in lower case
    assert.equal([...list.stdout.matchAll(/^Entry type: PrivateKeyEntry$/gm)].length, 2);
    for (const entry of [oldEntry, newEntry]) {
      assert.ok(
        list.stdout.includes(`SHA256: ${parseCertificatePem(entry.certificatePem).fingerprintSha256}`),
        'list.stdout.includes(`SHA256: ${parseCertificatePem(entry.certificatePem).fingerprintSha256}`)',
      );
    }

    // importkeystore must decrypt every private key: proof that Java reads PBES2/AES-256 with our password.
    const copy = runJavaTool('keytool', [
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      ours,
      '-srcstoretype',
      'PKCS12',
      '-srcstorepass',
      PASSWORD,
      '-destkeystore',
      theirs,
      '-deststoretype',
      'PKCS12',
      '-deststorepass',
      'another password',
    ]);
    assert.equal(copy.status, 0, copy.stderr + copy.stdout);
    assert.match(copy.stdout + copy.stderr, /2 entries successfully imported, 0 entries failed or cancelled/);

    const back = readPkcs12(readFileSync(theirs), 'another password');
    assert.deepEqual(back.map((e) => e.alias).sort(), ['receiver-2029', 'receiver-2030']);
    const byAlias = new Map(back.map((e) => [e.alias, e]));
    for (const entry of [oldEntry, newEntry]) {
      const read = byAlias.get(entry.alias.toLowerCase());
      assert.ok(read !== undefined, 'read !== undefined');
      assert.equal(read.certificatePem, parseCertificatePem(entry.certificatePem).pem);
      assert.ok(
        samePrivateKey(read.privateKeyPem, entry.privateKeyPem),
        'samePrivateKey(read.privateKeyPem, entry.privateKeyPem)',
      );
    }
    assert.throws(
      () => readPkcs12(readFileSync(theirs), PASSWORD),
      (e: unknown) => e instanceof CpiError && e.code === 'CPI_PKI_PKCS12_PASSWORD',
    );
  });
});
