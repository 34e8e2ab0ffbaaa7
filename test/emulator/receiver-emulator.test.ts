// The embedded receiver: SOAP messages decrypted with whichever active key they reference, refused (generic fault,
// counted per key) once that key is retired, probes, the admin API with its retention rule, and durable state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { signAndEncrypt, soapEnvelope, GENERIC_FAULT_TEXT, type KeyIdentifierForm } from '../../src/wssecurity/index';

const DAY = 86_400_000;
const pair = (cn: string) =>
  generateKeyPairWithCertificate({
    algorithm: 'RSA-2048',
    subject: `CN=${cn}`,
    validityDays: 30,
    now: new Date(Date.now() - 60_000),
  });
const tenant = pair('tenant signer');
const intruder = pair('someone else');
const BODY = '<ord:Order xmlns:ord="urn:example:orders"><ord:Id>1</ord:Id></ord:Order>';

async function post(url: string, message: string) {
  const response = await fetch(`${url}/soap`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: message,
  });
  return { status: response.status, text: await response.text() };
}
const messageFor = (certificatePem: string, keyIdentifier: KeyIdentifierForm = 'IssuerSerial', signing = tenant) =>
  signAndEncrypt(soapEnvelope(BODY), { encryptionCertificatePem: certificatePem, keyIdentifier, signing });

describe('receiver emulator', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'receiver-emu-'));
  const clock = { now: new Date() };
  let receiver: ReceiverEmulator;
  let admin: EmbeddedBackend;
  const lines: string[] = [];

  before(async () => {
    receiver = await startReceiverEmulator({
      dataDir,
      trustedSignerCertificatePem: tenant.certificatePem,
      adminToken: 'admin-secret',
      now: () => clock.now,
      log: (l) => lines.push(l),
    });
    admin = new EmbeddedBackend({ url: receiver.url, adminToken: 'admin-secret' });
  });
  after(() => receiver?.close());

  test('decrypts a signed message for its active key with every key identifier form and answers an ack', async () => {
    const old = await admin.generateKey({
      name: 'old',
      algorithm: 'RSA-2048',
      subject: 'CN=old,O=Receiver',
      validityDays: 365,
    });
    for (const form of ['IssuerSerial', 'BinarySecurityToken', 'SubjectKeyIdentifier', 'Thumbprint'] as const) {
      const answer = await post(receiver.url, messageFor(old.certificatePem, form));
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.text, /<ack:Status>received<\/ack:Status><ack:Element>Order<\/ack:Element>/);
    }
    assert.deepEqual(receiver.state.counters()[old.fingerprintSha256], { decrypted: 4, refused: {} });
  });

  test('after the switch to a new key, messages for the retired key are refused with a generic fault and counted against that key', async () => {
    const old = (await admin.listKeys()).find((k) => k.name === 'old')!;
    const fresh = await admin.generateKey({
      name: 'new',
      algorithm: 'RSA-2048',
      subject: 'CN=new,O=Receiver',
      validityDays: 365,
    });
    await admin.setKeyState('old', 'retired', {});
    const refused = await post(receiver.url, messageFor(old.certificatePem));
    assert.equal(refused.status, 500);
    assert.ok(
      refused.text.includes(GENERIC_FAULT_TEXT.replace('<', '&lt;').replace('>', '&gt;')),
      'the refusal carries only the generic fault text',
    );
    assert.doesNotMatch(refused.text, /old|new|[0-9A-F]{2}:[0-9A-F]{2}:/, 'the fault names no key');
    assert.equal((await post(receiver.url, messageFor(fresh.certificatePem))).status, 200);
    const counters = receiver.state.counters();
    assert.deepEqual(counters[old.fingerprintSha256], { decrypted: 4, refused: { CPI_WSS_NO_MATCHING_KEY: 1 } });
    assert.deepEqual(counters[fresh.fingerprintSha256], { decrypted: 1, refused: {} });
    assert.ok(
      lines.some((l) => /refused \(CPI_WSS_NO_MATCHING_KEY\) for key old \(retired\)/.test(l)),
      lines.join('\n'),
    );
  });

  test('refuses a message signed by anyone but the trusted tenant certificate, and counts a stranger by what it asked for', async () => {
    const fresh = (await admin.listKeys()).find((k) => k.name === 'new')!;
    assert.equal((await post(receiver.url, messageFor(fresh.certificatePem, 'IssuerSerial', intruder))).status, 500);
    const stranger = pair('stranger');
    assert.equal((await post(receiver.url, messageFor(stranger.certificatePem, 'BinarySecurityToken'))).status, 500);
    assert.equal((await post(receiver.url, '<not-xml')).status, 500);
    const counters = receiver.state.counters();
    assert.deepEqual(counters[fresh.fingerprintSha256]!.refused, { CPI_WSS_SIGNER_NOT_TRUSTED: 1 });
    const strangerLabel = Object.keys(counters).find((k) => k.startsWith('sha256:'));
    assert.ok(strangerLabel, JSON.stringify(counters));
    assert.deepEqual(counters[strangerLabel]!.refused, { CPI_WSS_NO_MATCHING_KEY: 1 });
    assert.equal(counters.unidentified?.refused.CPI_WSS_MALFORMED_MESSAGE, 1);
  });

  test('the counters are served under /admin/counters and reset by DELETE', async () => {
    const headers = { authorization: 'Bearer admin-secret' };
    const served = (await (await fetch(`${receiver.url}/admin/counters`, { headers })).json()) as { counters: object };
    assert.deepEqual(served.counters, receiver.state.counters());
    assert.equal((await fetch(`${receiver.url}/admin/counters`, { method: 'DELETE', headers })).status, 204);
    assert.deepEqual(receiver.state.counters(), {});
  });

  test('probe: the receiver encrypts a canary for the certificate and decrypts it only with an active key', async () => {
    const keys = await admin.listKeys();
    const fresh = keys.find((k) => k.name === 'new')!;
    const probe = await admin.probe(fresh.certificatePem);
    assert.equal(probe.decrypted, true);
    assert.equal(probe.keyFingerprintSha256, fresh.fingerprintSha256);
    assert.equal((await admin.probe(keys.find((k) => k.name === 'old')!.certificatePem)).decrypted, false);
    await assert.rejects(admin.probe('not a certificate'), { code: 'CPI_PKI_NOT_PEM' });
  });

  test('admin: name rules, duplicates, retention too short, delete refused under retention and allowed early with a reason', async () => {
    await assert.rejects(
      admin.generateKey({ name: 'Upper', algorithm: 'RSA-2048', subject: 'CN=x', validityDays: 1 }),
      { code: 'CPI_RECEIVER_KEY_NAME_INVALID' },
    );
    await assert.rejects(admin.generateKey({ name: 'new', algorithm: 'RSA-2048', subject: 'CN=x', validityDays: 1 }), {
      code: 'CPI_RECEIVER_KEY_EXISTS',
    });
    await assert.rejects(
      admin.setKeyState('new', 'retired', { retainUntil: new Date(clock.now.getTime() + 30 * DAY) }),
      { code: 'CPI_RECEIVER_RETENTION_TOO_SHORT' },
    );
    await assert.rejects(admin.setKeyState('ghost', 'active', {}), { code: 'CPI_RECEIVER_KEY_NOT_FOUND' });
    await assert.rejects(admin.deleteKey('old', { now: clock.now }), { code: 'CPI_RECEIVER_KEY_RETAINED' });
    await assert.rejects(admin.deleteKey('new', { now: clock.now }), { code: 'CPI_RECEIVER_KEY_RETAINED' });
    await admin.generateKey({ name: 'typo', algorithm: 'RSA-2048', subject: 'CN=typo', validityDays: 1 });
    await admin.deleteKey('typo', { now: clock.now, earlyDestructionReason: 'wrong subject, never handed out' });
    const records = (await (
      await fetch(`${receiver.url}/admin/destructions`, { headers: { authorization: 'Bearer admin-secret' } })
    ).json()) as {
      destructions: { name: string; earlyDestructionReason?: string }[];
    };
    assert.deepEqual(
      records.destructions.map((d) => [d.name, d.earlyDestructionReason]),
      [['typo', 'wrong subject, never handed out']],
    );
    assert.deepEqual((await admin.listKeys()).map((k) => k.name).sort(), ['new', 'old']);
  });

  test('the admin API needs the bearer token; the SOAP endpoint does not', async () => {
    await assert.rejects(new EmbeddedBackend({ url: receiver.url }).listKeys(), { code: 'CPI_RECEIVER_UNAUTHORIZED' });
    await assert.rejects(new EmbeddedBackend({ url: receiver.url, adminToken: 'admin-secreT' }).listKeys(), {
      code: 'CPI_RECEIVER_UNAUTHORIZED',
    });
    const listed = await (
      await fetch(`${receiver.url}/admin/keys`, { headers: { authorization: 'Bearer admin-secret' } })
    ).text();
    assert.doesNotMatch(listed, /PRIVATE KEY/);
  });

  test('state survives a restart (file mode 0600), and a retired key can be deleted once its retention is over', async () => {
    const before = await admin.listKeys();
    await receiver.close();
    assert.equal(statSync(join(dataDir, 'receiver-state.json')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dataDir, 'receiver-state.json'), 'utf8'), /"state": "retired"/);
    receiver = await startReceiverEmulator({
      dataDir,
      trustedSignerCertificatePem: tenant.certificatePem,
      adminToken: 'admin-secret',
      now: () => clock.now,
    });
    admin = new EmbeddedBackend({ url: receiver.url, adminToken: 'admin-secret' });
    assert.deepEqual(await admin.listKeys(), before);
    const fresh = before.find((k) => k.name === 'new')!;
    assert.equal((await post(receiver.url, messageFor(fresh.certificatePem))).status, 200);
    const old = before.find((k) => k.name === 'old')!;
    clock.now = new Date(old.retainUntil!.getTime() + 1000);
    await admin.deleteKey('old', { now: clock.now });
    assert.deepEqual(
      (await admin.listKeys()).map((k) => k.name),
      ['new'],
    );
  });
});

describe('receiver emulator without a trusted signer', () => {
  test('fails closed: refuses unsigned and self-signed messages alike, and says why at start-up', async () => {
    const lines: string[] = [];
    const receiver = await startReceiverEmulator({
      dataDir: mkdtempSync(join(tmpdir(), 'receiver-emu-')),
      log: (l) => lines.push(l),
    });
    try {
      assert.match(receiver.refusesAll ?? '', /no signing certificate of the tenant is pinned/);
      assert.ok(
        lines.some((l) => l.includes('refuses every message')),
        lines.join('\n'),
      );
      const admin = new EmbeddedBackend({ url: receiver.url, adminToken: receiver.adminToken });
      const key = await admin.generateKey({ name: 'k', algorithm: 'RSA-2048', subject: 'CN=k', validityDays: 10 });
      const unsigned = signAndEncrypt(soapEnvelope(BODY), { encryptionCertificatePem: key.certificatePem });
      assert.equal((await post(receiver.url, unsigned)).status, 500);
      assert.equal((await post(receiver.url, messageFor(key.certificatePem, 'IssuerSerial', intruder))).status, 500);
      assert.equal((await post(receiver.url, messageFor(key.certificatePem))).status, 500);
      assert.deepEqual(receiver.state.counters()[key.fingerprintSha256], {
        decrypted: 0,
        refused: { CPI_WSS_SIGNER_NOT_TRUSTED: 3 },
      });
    } finally {
      await receiver.close();
    }
  });
});
