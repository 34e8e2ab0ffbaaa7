// Where a renewal's stages keep their state: any cdktf backend, one state per stack (the cleanup continuing the
// retiring stage's), the cross-stack references reading the producer's state through the same backend, and no
// secret in the synthesized stacks. The pg backend end to end: test/e2e/renewal-pg-backend.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from '../../constructs/cdktf';
import {
  EncryptionCertificateRenewal,
  type EncryptionCertificateRenewalProps,
} from '../../constructs/encryption-certificate-renewal';
import { RenewalStateBackend } from '../../constructs/renewal-state-backend';
import { CpiError } from '../../src/errors';

type Json = Record<string, any>;

const BASE: EncryptionCertificateRenewalProps = {
  renewalId: 'orders-2026',
  variant: 'overlap',
  alias: 'orders-receiver',
  iflowIds: ['OrdersOut'],
  receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
  newKey: { name: 'orders-2026', subject: 'CN=orders-2026,O=Example' },
  oldKeyName: 'orders-2025',
};

const FORWARD = [
  'orders-2026-1-prepare-receiver',
  'orders-2026-2-exchange-certificate',
  'orders-2026-3-retire-old-key',
  'orders-2026-4-cleanup',
];

describe('EncryptionCertificateRenewal backend', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** Synthesizes the renewal; returns every stack's cdk.tf.json by stack name. */
  function synth(props: EncryptionCertificateRenewalProps): Record<string, Json> {
    const outdir = mkdtempSync(join(tmpdir(), 'cpi-backend-'));
    dirs.push(outdir);
    const app = new App({ outdir });
    new EncryptionCertificateRenewal(app, 'renewal', props);
    app.synth();
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Json;
    return Object.fromEntries(
      Object.keys(manifest.stacks).map((name) => [
        name,
        JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as Json,
      ]),
    );
  }
  const backendOf = (stack: Json) => stack.terraform.backend as Json;
  const remoteStates = (stack: Json) => Object.values(stack.data?.terraform_remote_state ?? {}) as Json[];

  test('pg: a schema per stage state (the cleanup’s and the way back’s included); no connection string', () => {
    const stacks = synth({ ...BASE, backend: RenewalStateBackend.pg({ schemaPrefix: 'cpi_' }) });
    const schemas = Object.fromEntries(
      Object.entries(stacks).map(([name, stack]) => {
        assert.deepEqual(Object.keys(backendOf(stack)), ['pg'], `${name} uses pg`);
        return [name, backendOf(stack).pg.schema_name as string];
      }),
    );
    assert.deepEqual(
      FORWARD.map((name) => schemas[name]),
      [
        'cpi_orders_2026_1_prepare_receiver',
        'cpi_orders_2026_2_exchange_certificate',
        'cpi_orders_2026_3_retire_old_key',
        'cpi_orders_2026_4_cleanup',
      ],
    );
    const rollback = Object.keys(stacks).filter((name) => name.includes('-rollback-'));
    assert.ok(rollback.length > 0, 'the way back has stacks');
    const all = Object.values(schemas);
    assert.equal(new Set(all).size, all.length, 'every stage its own schema');
    // the password stays in PG_CONN_STR where terraform runs: neither the backends nor the remote state carry it
    const text = JSON.stringify(stacks);
    assert.doesNotMatch(text, /conn_str/);
    // a later stage reads stage 1's outputs from stage 1's schema
    const fromFirst = remoteStates(stacks['orders-2026-2-exchange-certificate']!);
    assert.deepEqual(
      fromFirst.map((r) => [r.backend, r.config.schema_name]),
      [['pg', 'cpi_orders_2026_1_prepare_receiver']],
    );
  });

  test('s3: every setting as given, a key per state under the given key', () => {
    const stacks = synth({
      ...BASE,
      backend: RenewalStateBackend.s3({
        bucket: 'acme-terraform-state',
        key: 'renewals/orders-2026/',
        region: 'eu-central-1',
        useLockfile: true,
        encrypt: true,
      }),
    });
    const s3 = backendOf(stacks['orders-2026-2-exchange-certificate']!).s3 as Json;
    assert.deepEqual(s3, {
      bucket: 'acme-terraform-state',
      key: 'renewals/orders-2026/orders-2026-2-exchange-certificate.tfstate',
      region: 'eu-central-1',
      use_lockfile: true,
      encrypt: true,
    });
    assert.equal(
      backendOf(stacks['orders-2026-4-cleanup']!).s3.key,
      'renewals/orders-2026/orders-2026-4-cleanup.tfstate',
    );
    const keys = Object.values(stacks).map((stack) => backendOf(stack).s3.key as string);
    assert.equal(new Set(keys).size, keys.length, 'every stage its own key');
  });

  test('any cdktf backend through IRenewalStateBackend; without one, local files under stateDir as before', () => {
    const local = synth({ ...BASE, stateDir: 'renewal-state' });
    const first = backendOf(local['orders-2026-1-prepare-receiver']!).local as Json;
    const outdir = dirs.at(-1)!;
    assert.equal(
      resolve(outdir, 'stacks', 'orders-2026-1-prepare-receiver', first.path),
      resolve('renewal-state', 'orders-2026-1-prepare-receiver.tfstate'),
    );

    const seen: string[] = [];
    const custom = synth({
      ...BASE,
      backend: {
        addBackend: (stack, stateName) => {
          seen.push(stateName);
          return RenewalStateBackend.local('elsewhere').addBackend(stack, `custom-${stateName}`);
        },
      },
    });
    assert.ok(seen.includes('orders-2026-3-retire-old-key'), seen.join(', '));
    assert.match(backendOf(custom['orders-2026-4-cleanup']!).local.path, /custom-orders-2026-4-cleanup\.tfstate$/);
  });

  test('refuses stateDir beside a backend, and a schema name PostgreSQL would cut short', () => {
    assert.throws(
      () => synth({ ...BASE, stateDir: 'state', backend: RenewalStateBackend.pg() }),
      (e: unknown) => e instanceof CpiError && /stateDir/.test(e.message) && /backend/.test(e.message),
    );
    assert.throws(
      () => synth({ ...BASE, backend: RenewalStateBackend.pg({ schemaPrefix: 'x'.repeat(40) }) }),
      (e: unknown) =>
        e instanceof CpiError && e.code === 'CPI_CONSTRUCTS_PROPS_INVALID' && /at most 63 characters/.test(e.message),
    );
  });
});
