// Two pipelines apply the same stage at the same moment, with the stage's state in a real PostgreSQL through
// Terraform's `pg` backend (examples/pg-backend): one of them fails on the state lock, or waits for it with
// -lock-timeout and then finds nothing left to do; the tenant sees each exchange and each deploy once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { skipWithout } from '../support/reference-systems';
import type { TerraformResult } from '../support/terraform';
import {
  createPipeline,
  startTestPostgres,
  storedResources,
  storedState,
  tenantWrites,
  uniqueSchema,
  type Pipeline,
  type TestPostgres,
} from './support/pg-stage';

const now = new Date();
// a later certificate lives longer, so the exchange raises no "shorter validity" warning
const certificate = (cn: string, validityDays: number) =>
  generateKeyPairWithCertificate({ algorithm: 'RSA-2048', subject: `CN=${cn},O=Receiver`, validityDays, now })
    .certificatePem;
const LOCK_ERROR = /Error acquiring the state lock/;

/** Runs both pipelines' commands at once and measures each one's duration. */
async function together(runs: [Pipeline, string[]][]): Promise<{ result: TerraformResult; ms: number }[]> {
  return Promise.all(
    runs.map(async ([pipeline, args]) => {
      const started = Date.now();
      const result = await pipeline.tf.run([...args, '-no-color']);
      return { result, ms: Date.now() - started };
    }),
  );
}

describe('two pipelines applying the same stage with state in PostgreSQL', { skip: skipWithout('postgresql') }, () => {
  let pg: TestPostgres;
  let emulator: TenantEmulator;
  let dataDir: string;
  let first: Pipeline;
  let second: Pipeline;
  /** The pipeline whose apply the lock refused in the first test. */
  let refused: Pipeline;
  const schema = uniqueSchema('locking');
  const log: string[] = [];
  const oldCert = certificate('receiver-2025', 365);
  const newCert = certificate('receiver-2026', 730);

  before(async () => {
    pg = startTestPostgres();
    dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-lock-'));
    // a deploy that takes seconds keeps the first apply holding the lock while the second one starts
    emulator = await startTenantEmulator({
      dataDir,
      config: { deployDelayMs: 1500, undeployDelayMs: 100, iflows: [{ id: 'OrderToReceiver', deployed: false }] },
      log: (line) => log.push(line),
    });
    const common = { emulator, connStr: pg.connStr, schema };
    // one after the other: two first `terraform init`s at once race creating the schema's table (README)
    first = await createPipeline({ ...common, name: 'pipeline-1' });
    second = await createPipeline({ ...common, name: 'pipeline-2' });
  });
  after(async () => {
    first?.tf.remove();
    second?.tf.remove();
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

  test('without -lock-timeout one apply fails on the lock and the tenant sees one import and one deploy', async () => {
    first.useCertificate(oldCert);
    second.useCertificate(oldCert);
    log.length = 0;
    const runs = await together([
      [first, ['apply', '-auto-approve']],
      [second, ['apply', '-auto-approve']],
    ]);
    const codes = runs.map((r) => r.result.code).sort();
    assert.deepEqual(codes, [0, 1], runs.map((r) => r.result.stdout + r.result.stderr).join('\n----\n'));
    const loser = runs.find((r) => r.result.code === 1)!.result;
    refused = runs[0]!.result.code === 1 ? first : second;
    assert.match(loser.stderr, LOCK_ERROR);
    assert.doesNotMatch(loser.stdout, /Creating\.\.\./, 'the losing pipeline changed nothing');

    const writes = tenantWrites(log);
    assert.equal(writes.filter((w) => w.startsWith('PUT /api/v1/CertificateResources(')).length, 1, writes.join('\n'));
    assert.equal(
      writes.filter((w) => w.startsWith('POST /api/v1/DeployIntegrationDesigntimeArtifact')).length,
      1,
      writes.join('\n'),
    );
    assert.equal(writes.length, 2, writes.join('\n'));
    assert.equal(emulator.state.runtimeArtifacts().find((a) => a.id === 'OrderToReceiver')?.status, 'STARTED');
  });

  test('the state stored in PostgreSQL holds each resource once, and a third plan, from the refused pipeline, is a no-op', async () => {
    assert.deepEqual(storedResources(pg, schema).sort(), [
      'cpi_iflow_deployment.orders',
      'cpi_keystore_certificate.receiver',
    ]);
    const tenantFingerprint = emulator.state
      .keystoreEntries()
      .find((e) => e.alias === 'orders_receiver_enc')!.fingerprintSha256;
    const stored = storedState(pg, schema).resources.find((r) => r.type === 'cpi_keystore_certificate')!;
    assert.equal(stored.instances[0]!.attributes.fingerprint_sha256, tenantFingerprint);
    const plan = await refused.tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('with -lock-timeout the second apply waits for the first, then finds the exchange done and changes nothing', async () => {
    first.useCertificate(newCert);
    second.useCertificate(newCert);
    const serialBefore = storedState(pg, schema).serial;
    // slow tenant answers keep the exchange holding the lock while the other pipeline asks for it
    await setLatency(150);
    log.length = 0;
    let runs;
    try {
      runs = await together([
        [first, ['apply', '-auto-approve', '-lock-timeout=60s']],
        [second, ['apply', '-auto-approve', '-lock-timeout=60s']],
      ]);
    } finally {
      await setLatency(0);
    }
    for (const r of runs) assert.equal(r.result.code, 0, r.result.stdout + r.result.stderr);
    const [exchanged, waited] = [...runs].sort((a, b) => a.ms - b.ms);
    assert.match(exchanged!.result.stdout, /Resources: 0 added, 1 changed, 0 destroyed/);
    assert.match(waited!.result.stdout, /No changes\./);
    assert.ok(
      waited!.ms >= exchanged!.ms,
      `the waiting apply (${waited!.ms} ms) ended after the exchange (${exchanged!.ms} ms)`,
    );

    const writes = tenantWrites(log);
    assert.deepEqual(
      writes.map((w) => w.split(' ').slice(0, 2).join(' ')),
      [
        `PUT /api/v1/CertificateResources('${Buffer.from('orders_receiver_enc').toString('hex').toUpperCase()}')/$value`,
      ],
    );
    const entry = emulator.state.keystoreEntries().find((e) => e.alias === 'orders_receiver_enc')!;
    assert.match(
      entry.certificatePem.replace(/\s/g, ''),
      new RegExp(newCert.split('\n')[1]!.slice(0, 40).replace(/[+/]/g, '.')),
    );
    const stored = storedState(pg, schema);
    assert.equal(stored.serial, serialBefore + 1, 'one write of the state: the waiting apply wrote nothing');
    assert.equal(
      stored.resources.find((r) => r.type === 'cpi_keystore_certificate')!.instances[0]!.attributes.fingerprint_sha256,
      entry.fingerprintSha256,
    );
    assert.deepEqual(storedResources(pg, schema).sort(), [
      'cpi_iflow_deployment.orders',
      'cpi_keystore_certificate.receiver',
    ]);
  });

  async function setLatency(latencyMs: number): Promise<void> {
    const response = await fetch(`${emulator.url}/emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${emulator.adminToken}` },
      body: JSON.stringify({ latencyMs }),
    });
    assert.equal(response.status, 200, await response.text());
  }
});
