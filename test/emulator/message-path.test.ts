import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MessageRecord } from '../../src/emulator/message-log';
import { startReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { genericSoapFault, verifyAndDecrypt, type KeyringEntry } from '../../src/wssecurity';
import { makeCertificate, type TestCertificate } from './support/certificates';
import { eventually, Harness, hex } from './support/emulator-harness';

/** A receiver as small as possible: verifies and decrypts with its keyring, pins the tenant's signer. */
class TestReceiver {
  readonly decrypted: Array<{ body: string; keyUsed: string; signerFingerprint: string | undefined }> = [];
  refused = 0;
  keyring: KeyringEntry[] = [];
  trustedSigners: string[] = [];
  url = '';
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => this.answer(Buffer.concat(chunks).toString('utf8'), response));
  });

  static async start(): Promise<TestReceiver> {
    const receiver = new TestReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/soap`;
    return receiver;
  }

  private answer(message: string, response: ServerResponse): void {
    try {
      const verified = verifyAndDecrypt(message, this.keyring, this.trustedSigners);
      this.decrypted.push(verified);
      response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(`<ack>${verified.body}</ack>`);
    } catch {
      this.refused++;
      response.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' });
      response.end(genericSoapFault());
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const keyOld = makeCertificate('orders-receiver-2025.example.test');
const keyNew = makeCertificate('orders-receiver-2026.example.test');
const keyStranger = makeCertificate('someone-else.example.test');

function fingerprint(certificate: TestCertificate): string {
  return new X509Certificate(certificate.pem).fingerprint256;
}

function keyOf(certificate: TestCertificate): KeyringEntry {
  return { certificatePem: certificate.pem, privateKeyPem: certificate.privateKeyPem };
}

async function post(h: Harness, iflowId: string, body: string, authorization?: string) {
  const response = await fetch(`${h.emulator.url}/http/${iflowId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/xml',
      ...(authorization === '' ? {} : { authorization: authorization ?? h.basicAuthorization() }),
    },
    body,
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

async function exchange(h: Harness, alias: string, certificate: TestCertificate): Promise<void> {
  const answer = await h.call(
    'PUT',
    `/CertificateResources('${hex(alias)}')/$value?fingerprintVerified=true&returnKeystoreEntries=false&update=true`,
    { headers: { 'content-type': 'application/pkix-cert' }, body: certificate.pem },
  );
  assert.equal(answer.status, 204, answer.text);
}

function last(h: Harness): MessageRecord {
  const record = h.emulator.state.messages().at(-1);
  assert.ok(record, 'the message log has a record');
  return record;
}

describe('tenant emulator: message path', () => {
  let receiver: TestReceiver;
  let h: Harness;

  before(async () => {
    receiver = await TestReceiver.start();
    h = await Harness.start({
      iflows: [
        { id: 'OrderToReceiver', deployed: true, receiverUrl: receiver.url, keyIdentifier: 'IssuerSerial' },
        { id: 'InvoiceToReceiver', deployed: true, receiverUrl: receiver.url, keyIdentifier: 'BinarySecurityToken' },
        { id: 'DormantFlow', deployed: false, receiverUrl: receiver.url },
        { id: 'NowhereFlow', deployed: true, receiverUrl: 'http://127.0.0.1:9/soap' },
      ],
      certificates: [{ alias: 'receiver_encryption', pem: keyOld.pem }],
      undeployDelayMs: 2000,
    });
    receiver.trustedSigners = [h.emulator.state.signingCertificatePem('tenant_signing')!];
    receiver.keyring = [keyOf(keyOld)];
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
  });

  test('a message through a deployed iFlow is signed by the tenant, decrypted by the receiver, and its answer returned', async () => {
    const answer = await post(h, 'OrderToReceiver', '<?xml version="1.0"?>\n<order id="4711"><qty>3</qty></order>');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, '<ack><order id="4711"><qty>3</qty></order></ack>');
    const got = receiver.decrypted.at(-1)!;
    assert.equal(got.keyUsed, fingerprint(keyOld));
    assert.ok(got.signerFingerprint, 'the message was signed by the pinned tenant certificate');

    const record = last(h);
    assert.equal(record.iflowId, 'OrderToReceiver');
    assert.equal(record.outcome, 'delivered');
    assert.equal(record.certificateFingerprint, fingerprint(keyOld));
    assert.equal(record.receiverStatus, 200);
    assert.equal(record.senderStatus, 200);
    assert.equal(record.receiverUrl, receiver.url);
    assert.ok(Date.now() - Date.parse(record.time) < 60_000, 'the record is timed within the last minute');
  });

  test('after the certificate under the alias is exchanged the very next message uses the new one, without a redeploy', async () => {
    receiver.keyring = [keyOf(keyOld), keyOf(keyNew)]; // variant A: the receiver decrypts with both
    const before = h.emulator.state.messages().length;
    assert.equal((await post(h, 'InvoiceToReceiver', '<invoice n="1"/>')).status, 200);
    await exchange(h, 'receiver_encryption', keyNew);
    assert.equal((await post(h, 'InvoiceToReceiver', '<invoice n="2"/>')).status, 200);
    assert.equal((await post(h, 'OrderToReceiver', '<order id="2"/>')).status, 200);

    const records = h.emulator.state.messages().slice(before);
    assert.deepEqual(
      records.map((r) => [r.iflowId, r.outcome, r.certificateFingerprint]),
      [
        ['InvoiceToReceiver', 'delivered', fingerprint(keyOld)],
        ['InvoiceToReceiver', 'delivered', fingerprint(keyNew)],
        ['OrderToReceiver', 'delivered', fingerprint(keyNew)],
      ],
    );
    assert.deepEqual(
      receiver.decrypted.slice(-2).map((m) => m.keyUsed),
      [fingerprint(keyNew), fingerprint(keyNew)],
    );
  });

  test("the receiver's refusal reaches the sender with its status and fault", async () => {
    await exchange(h, 'receiver_encryption', keyStranger); // a certificate whose key the receiver does not hold
    const refusedBefore = receiver.refused;
    const answer = await post(h, 'OrderToReceiver', '<order id="3"/>');
    assert.equal(answer.status, 500);
    assert.match(answer.type, /text\/xml/);
    assert.match(answer.text, /wsse:InvalidSecurity/);
    assert.equal(receiver.refused, refusedBefore + 1);
    const record = last(h);
    assert.equal(record.outcome, 'refused');
    assert.equal(record.receiverStatus, 500);
    assert.equal(record.certificateFingerprint, fingerprint(keyStranger));
    await exchange(h, 'receiver_encryption', keyNew);
  });

  test('an iFlow that was never deployed sends nothing and answers 503', async () => {
    const seen = receiver.decrypted.length + receiver.refused;
    const answer = await post(h, 'DormantFlow', '<order id="5"/>');
    assert.equal(answer.status, 503);
    assert.equal(JSON.parse(answer.text).error.code, 'CPI_EMULATOR_IFLOW_NOT_STARTED');
    assert.match(JSON.parse(answer.text).error.message, /DormantFlow.*not deployed/);
    assert.equal(receiver.decrypted.length + receiver.refused, seen, 'the receiver got nothing');
    const record = last(h);
    assert.deepEqual(
      [record.iflowId, record.outcome, record.certificateFingerprint, record.receiverStatus, record.senderStatus],
      ['DormantFlow', 'not-sent', null, null, 503],
    );
  });

  test('an iFlow being undeployed (STOPPING) sends nothing from the moment of the undeploy request', async () => {
    assert.equal((await post(h, 'InvoiceToReceiver', '<invoice n="3"/>')).status, 200);
    assert.equal((await h.call('DELETE', "/IntegrationRuntimeArtifacts('InvoiceToReceiver')")).status, 202);
    const seen = receiver.decrypted.length + receiver.refused;
    const answer = await post(h, 'InvoiceToReceiver', '<invoice n="4"/>');
    assert.equal(answer.status, 503);
    assert.match(JSON.parse(answer.text).error.message, /STOPPING/);
    assert.equal(receiver.decrypted.length + receiver.refused, seen);
    assert.equal(last(h).outcome, 'not-sent');
  });

  test('an unreachable receiver answers the sender 502 and is logged with the certificate it was encrypted for', async () => {
    const answer = await post(h, 'NowhereFlow', '<order id="6"/>');
    assert.equal(answer.status, 502);
    assert.equal(JSON.parse(answer.text).error.code, 'CPI_EMULATOR_RECEIVER_UNREACHABLE');
    const record = last(h);
    assert.equal(record.outcome, 'receiver-unreachable');
    assert.equal(record.receiverStatus, null);
    assert.equal(record.certificateFingerprint, fingerprint(keyNew));
  });

  test('a payload that is not XML is refused with 400 and nothing is sent', async () => {
    const seen = receiver.decrypted.length + receiver.refused;
    for (const body of ['not xml at all', '<open>', '<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', '']) {
      const answer = await post(h, 'OrderToReceiver', body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(JSON.parse(answer.text).error.code, 'CPI_EMULATOR_MESSAGE_NOT_BUILT');
      assert.equal(last(h).outcome, 'not-sent');
    }
    assert.equal(receiver.decrypted.length + receiver.refused, seen);
  });

  test('an unknown iFlow answers 404; a sender without valid credentials gets 401 and sends nothing', async () => {
    assert.equal((await post(h, 'NoSuchFlow', '<a/>')).status, 404);
    const logged = h.emulator.state.messages().length;
    const seen = receiver.decrypted.length;
    assert.equal((await post(h, 'OrderToReceiver', '<a/>', '')).status, 401);
    const wrong = `Basic ${Buffer.from(`${h.emulator.credentials.username}:wrong`).toString('base64')}`;
    assert.equal((await post(h, 'OrderToReceiver', '<a/>', wrong)).status, 401);
    assert.equal(receiver.decrypted.length, seen);
    assert.equal(h.emulator.state.messages().length, logged, 'unauthenticated requests are not messages');
  });

  test('GET /emulator/messages shows the log with counts per outcome, filtered by iFlow and by seq', async () => {
    const all = h.emulator.state.messages();
    const response = await fetch(`${h.emulator.url}/emulator/messages?iflowId=OrderToReceiver`, {
      headers: { authorization: `Bearer ${h.emulator.adminToken}` },
    });
    assert.equal(response.status, 200);
    const view = (await response.json()) as { counts: Record<string, number>; messages: MessageRecord[] };
    const orders = all.filter((r) => r.iflowId === 'OrderToReceiver');
    assert.deepEqual(view.messages, orders);
    assert.equal(view.counts.refused, 1);
    assert.equal(view.counts.delivered, orders.filter((r) => r.outcome === 'delivered').length);
    const tail = (await (
      await fetch(`${h.emulator.url}/emulator/messages?after=${all.at(-2)!.seq}`, {
        headers: { authorization: `Bearer ${h.emulator.adminToken}` },
      })
    ).json()) as {
      messages: MessageRecord[];
    };
    assert.deepEqual(tail.messages, [all.at(-1)]);
  });
});

describe('tenant emulator: signing certificate', () => {
  test('exposes the key pair under a signing alias, and nothing for a certificate-only alias or a missing one', async () => {
    const h = await Harness.start({ certificates: [{ alias: 'receiver_encryption', pem: keyOld.pem }] });
    try {
      const pem = h.emulator.state.signingCertificatePem('tenant_signing');
      assert.match(pem ?? '', /^-----BEGIN CERTIFICATE-----/);
      const entry = h.emulator.state.keystoreEntries().find((e) => e.alias === 'tenant_signing');
      assert.equal(entry?.type, 'Key Pair');
      assert.equal(entry?.certificatePem, pem);
      assert.equal(h.emulator.state.signingCertificatePem('receiver_encryption'), undefined);
      assert.equal(h.emulator.state.signingCertificatePem('nope'), undefined);
    } finally {
      await h.close();
    }
  });
});

describe('tenant emulator: message path to the embedded receiver', () => {
  test('the receiver decrypts with the key whose certificate is under the alias, and refuses once the alias holds one it lacks', async () => {
    const h = await Harness.start({ iflows: [{ id: 'OrderToReceiver', deployed: false }], deployDelayMs: 50 });
    const receiver = await startReceiverEmulator({
      dataDir: join(h.dataDir, 'receiver'),
      trustedSignerCertificatePem: h.emulator.state.signingCertificatePem('tenant_signing'),
    });
    try {
      const created = await fetch(`${receiver.url}/admin/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${receiver.adminToken}` },
        body: JSON.stringify({ name: 'orders-2026', subject: 'CN=orders-2026,O=Example', validityDays: 30 }),
      });
      assert.equal(created.status, 201);
      const key = (await created.json()) as { certificatePem: string; fingerprintSha256: string };
      const put = await h.call(
        'PUT',
        `/CertificateResources('${hex('receiver_encryption')}')/$value?fingerprintVerified=true&returnKeystoreEntries=false&update=false`,
        { headers: { 'content-type': 'application/pkix-cert' }, body: key.certificatePem },
      );
      assert.equal(put.status, 204);
      // the integration developer's part: point the channel at the receiver and deploy
      const configured = await h.call(
        'PUT',
        "/IntegrationDesigntimeArtifacts(Id='OrderToReceiver',Version='active')/$links/Configurations('Receiver_Address')",
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ParameterValue: `${receiver.url}/soap`, DataType: 'xsd:string' }),
        },
      );
      assert.equal(configured.status, 202);
      await h.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='OrderToReceiver'&Version='active'");
      await eventually(async () => (h.emulator.state.runtimeArtifacts()[0]?.status === 'STARTED' ? true : undefined));

      const delivered = await post(h, 'OrderToReceiver', '<order id="1"/>');
      assert.equal(delivered.status, 200, delivered.text);
      assert.equal(receiver.state.counters()[key.fingerprintSha256]?.decrypted, 1);

      await exchange(h, 'receiver_encryption', keyStranger);
      const refused = await post(h, 'OrderToReceiver', '<order id="2"/>');
      assert.equal(refused.status, 500);
      assert.deepEqual(
        h.emulator.state.messages().map((r) => [r.outcome, r.certificateFingerprint]),
        [
          ['delivered', key.fingerprintSha256],
          ['refused', fingerprint(keyStranger)],
        ],
      );
    } finally {
      await receiver.close();
      await h.close();
    }
  });
});
