import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCpiError } from '../../src/errors';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { writePkcs12 } from '../../src/pki/pkcs12';
import { keyEntryBags, readPkcs12Keystore, withoutKeyEntry, writePkcs12Keystore } from '../../src/pki/pkcs12-keystore';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { runJavaTool } from './fixtures';
import { skipWithout } from '../support/reference-systems';

const java = skipWithout('java');

const PASSWORD = 'changeit';

describe('readPkcs12Keystore / writePkcs12Keystore', { timeout: 60_000 }, () => {
  const pair = (name: string) => ({
    alias: name,
    ...generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: `CN=${name}`,
      validityDays: 5,
      now: new Date(),
    }),
  });
  const file = writePkcs12({ entries: [pair('a'), pair('b')], password: PASSWORD });

  test('reads every bag with its alias and pairing, and writes the same bags back byte for byte', () => {
    const keystore = readPkcs12Keystore(file, PASSWORD);
    const bags = keystore.groups.flatMap((g) => g.bags);
    assert.deepEqual(bags.map((b) => `${b.kind} ${b.friendlyName}`).sort(), [
      'certificate a',
      'certificate b',
      'key a',
      'key b',
    ]);
    const keyA = bags.find((b) => b.kind === 'key' && b.friendlyName === 'a');
    const certA = bags.find((b) => b.kind === 'certificate' && b.friendlyName === 'a');
    assert.equal(keyA?.localKeyId, certA?.localKeyId);
    const again = readPkcs12Keystore(writePkcs12Keystore(keystore, PASSWORD), PASSWORD);
    assert.deepEqual(
      again.groups.flatMap((g) => g.bags.map((b) => b.der.toString('hex'))),
      bags.map((b) => b.der.toString('hex')),
    );
    assert.deepEqual(again.mac, keystore.mac);
  });

  test('removing one key entry removes its key and certificate bags only', () => {
    const keystore = readPkcs12Keystore(file, PASSWORD);
    const without = withoutKeyEntry(keystore, 'A');
    assert.equal(keyEntryBags(without, 'a'), undefined);
    assert.deepEqual(
      without.groups.flatMap((g) => g.bags.map((b) => b.friendlyName)),
      ['b', 'b'],
    );
  });

  test('a wrong password is CPI_PKI_PKCS12_PASSWORD', () => {
    assert.throws(
      () => readPkcs12Keystore(file, 'wrong'),
      (e) => isCpiError(e) && e.code === 'CPI_PKI_PKCS12_PASSWORD',
    );
  });

  test(
    'a JKS keystore (as keytool writes it) is refused with the command that converts it, also by the receiver backend',
    { skip: java },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'jks-'));
      const jks = join(dir, 'receiver.jks');
      const run = runJavaTool('keytool', [
        '-genkeypair',
        '-alias',
        'k',
        '-keyalg',
        'RSA',
        '-keysize',
        '2048',
        '-dname',
        'CN=k',
        '-storetype',
        'JKS',
        '-keystore',
        jks,
        '-storepass',
        PASSWORD,
        '-keypass',
        PASSWORD,
      ]);
      assert.equal(run.status, 0, run.stderr);
      assert.throws(
        () => readPkcs12Keystore(readFileSync(jks), PASSWORD, jks),
        (e) =>
          isCpiError(e) &&
          e.code === 'CPI_PKI_PKCS12_INVALID' &&
          e.detail.includes(`keytool -importkeystore -srckeystore ${jks} -srcstoretype JKS`) &&
          e.detail.includes('-deststoretype PKCS12'),
      );
      const backend = new Pkcs12Backend({
        keystorePath: jks,
        archivePath: join(dir, 'archive.p12'),
        password: PASSWORD,
      });
      await assert.rejects(
        backend.listKeys(),
        (e) =>
          isCpiError(e) &&
          e.code === 'CPI_RECEIVER_KEYSTORE_UNREADABLE' &&
          e.detail.includes(`keytool -importkeystore -srckeystore ${jks} -srcstoretype JKS`),
      );
    },
  );
});
