// What is left behind when a pipeline applying a stage dies or hangs while it holds the pg backend's state lock.
// The pg lock is a PostgreSQL session-level advisory lock, so a killed run's lock goes with its connection, while a
// frozen run (its connection still open) keeps it; `terraform force-unlock` cannot release another session's pg
// lock (Terraform 1.11), ending the holder's session can. examples/pg-backend/README.md says what to do; this is
// the evidence. Either way the next run converges without repeating what the tenant already did.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { skipWithout } from '../support/reference-systems';
import {
  createPipeline,
  lockHolders,
  startTestPostgres,
  storedState,
  tenantWrites,
  uniqueSchema,
  waitFor,
  type BackgroundRun,
  type Pipeline,
  type TestPostgres,
} from './support/pg-stage';

const now = new Date();
const certificate = (cn: string, validityDays: number) =>
  generateKeyPairWithCertificate({ algorithm: 'RSA-2048', subject: `CN=${cn},O=Receiver`, validityDays, now })
    .certificatePem;
const ALIAS = 'orders_receiver_enc';
const EXCHANGE = `PUT /api/v1/CertificateResources('${Buffer.from(ALIAS).toString('hex').toUpperCase()}')/$value`;
const lockId = (stderr: string) => /ID:\s+([0-9a-f-]{36})/.exec(stderr)?.[1];

// PostgreSQL is a reference system: skipped, naming what to install, on a machine without it (not under CI)
const skip = skipWithout('postgresql');

describe('a state lock left behind by a pipeline that died or hung (pg backend)', { skip }, () => {
  let pg: TestPostgres;
  let emulator: TenantEmulator;
  let dataDir: string;
  let dying: Pipeline;
  let next: Pipeline;
  let background: BackgroundRun | undefined;
  const schema = uniqueSchema('leftlock');
  const log: string[] = [];
  let onRequest: (line: string) => void = () => {};
  const certs = [
    certificate('receiver-2025', 365),
    certificate('receiver-2026', 500),
    certificate('receiver-2027', 730),
  ];

  const tenantFingerprint = () => emulator.state.keystoreEntries().find((e) => e.alias === ALIAS)!.fingerprintSha256;
  const storedFingerprint = () =>
    storedState(pg, schema).resources.find((r) => r.type === 'cpi_keystore_certificate')!.instances[0]!.attributes
      .fingerprint_sha256;
  const setLatency = async (latencyMs: number) => {
    const response = await fetch(`${emulator.url}/emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${emulator.adminToken}` },
      body: JSON.stringify({ latencyMs }),
    });
    assert.equal(response.status, 200);
  };
  const useCertificate = (pem: string) => [dying, next].forEach((p) => p.useCertificate(pem));

  before(async () => {
    pg = startTestPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-leftlock-'));
    emulator = await startTenantEmulator({
      dataDir,
      config: { deployDelayMs: 200, undeployDelayMs: 100, iflows: [{ id: 'OrderToReceiver', deployed: false }] },
      log: (line) => {
        log.push(line);
        onRequest(line);
      },
    });
    const common = { emulator, connStr: pg.connStr, schema };
    // one after the other: two first `terraform init`s at once race creating the schema's table (README)
    dying = await createPipeline({ ...common, name: 'dying' });
    next = await createPipeline({ ...common, name: 'next' });
    useCertificate(certs[0]!);
    await next.tf.ok(['apply', '-auto-approve']);
  });
  after(async () => {
    if (background) {
      background.signal('SIGKILL');
      background.signal('SIGCONT');
      await background.exited;
    }
    dying?.tf.remove();
    next?.tf.remove();
    await emulator?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (pg) {
      try {
        pg.sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        pg.stop();
      }
    }
  });

  test('kill -9 right after the tenant exchanged: no lock is left, and the next run adopts the exchange without repeating it', async () => {
    useCertificate(certs[1]!);
    log.length = 0;
    const run = (background = dying.spawn(['apply', '-auto-approve']));
    // the worst moment: the tenant has the new certificate, Terraform has not written it to the state yet
    onRequest = (line) => {
      if (line.startsWith(EXCHANGE)) run.signal('SIGKILL');
    };
    await run.exited;
    onRequest = () => {};
    background = undefined;
    assert.doesNotMatch(run.output(), /Apply complete/);
    const exchangedFingerprint = tenantFingerprint();
    assert.notEqual(storedFingerprint(), exchangedFingerprint, 'the killed run never recorded its exchange');

    // the lock was the killed run's database session: PostgreSQL ends it with the connection
    await waitFor("PostgreSQL to release the killed run's lock", () => lockHolders(pg, schema).length === 0, 5_000);
    const apply = await next.tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.doesNotMatch(apply.stderr, /state lock/);
    assert.match(apply.stdout, /changed outside of Terraform/);
    // the refresh finds the new certificate on the tenant: saved to the state, nothing sent again
    assert.match(apply.stdout, /Resources: 0 added, 0 changed, 0 destroyed/);

    assert.equal(tenantWrites(log).filter((w) => w.startsWith(EXCHANGE)).length, 1, tenantWrites(log).join('\n'));
    assert.equal(tenantWrites(log).length, 1, tenantWrites(log).join('\n'));
    assert.equal(storedFingerprint(), exchangedFingerprint);
    const plan = await dying.tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('a frozen run keeps the lock; force-unlock does not release it, ending its session does, and the stage converges', async () => {
    useCertificate(certs[2]!);
    log.length = 0;
    // slow answers, so that the frozen run is still refreshing, long before its exchange
    await setLatency(400);
    const frozen = (background = dying.spawn(['apply', '-auto-approve']));
    await waitFor('the run to take the state lock', () => lockHolders(pg, schema).length === 1);
    frozen.signal('SIGSTOP');
    await setLatency(0);
    const [holder] = lockHolders(pg, schema);

    const refused = await next.tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /Error acquiring the state lock/);
    assert.match(refused.stderr, /Workspace is already locked: default/);
    const firstId = lockId(refused.stderr);
    assert.ok(firstId, refused.stderr);
    // the pg backend does not record who holds the lock: the ID shown is the asking run's own, new each time
    const again = await next.tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(again.code, 1);
    assert.notEqual(lockId(again.stderr), firstId);

    const forceUnlock = await next.tf.run(['force-unlock', '-force', '-no-color', firstId]);
    assert.equal(forceUnlock.code, 0, forceUnlock.stdout + forceUnlock.stderr);
    assert.match(forceUnlock.stdout, /successfully unlocked/);
    assert.deepEqual(lockHolders(pg, schema), [holder], 'force-unlock left the frozen run holding the lock');
    const stillRefused = await next.tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(stillRefused.code, 1);
    assert.match(stillRefused.stderr, /Workspace is already locked/);

    assert.equal(pg.sql(`SELECT pg_terminate_backend(${holder})`), 't');
    await waitFor('the terminated session to release the lock', () => lockHolders(pg, schema).length === 0, 5_000);
    const apply = await next.tf.run(['apply', '-auto-approve', '-no-color']);
    assert.equal(apply.code, 0, apply.stdout + apply.stderr);
    assert.match(apply.stdout, /Resources: 0 added, 1 changed, 0 destroyed/);

    frozen.signal('SIGKILL');
    frozen.signal('SIGCONT');
    await frozen.exited;
    background = undefined;
    assert.deepEqual(
      tenantWrites(log).map((w) => w.split(' ').slice(0, 2).join(' ')),
      [EXCHANGE],
      'only the next run exchanged; the frozen one never reached the tenant',
    );
    assert.equal(storedFingerprint(), tenantFingerprint());
    const plan = await next.tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });
});
