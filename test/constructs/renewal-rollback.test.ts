// The way back of a renewal as synthesized: its table (src/renewal/rollback-stages.ts) and its stacks
// (constructs/renewal-rollback.ts), one per stage, outside the forward chain, in the manifest.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../constructs/cdktf';
import {
  EncryptionCertificateRenewal,
  type EncryptionCertificateRenewalProps,
} from '../../constructs/encryption-certificate-renewal';
import { rollbackStackName, rollbackStages } from '../../src/renewal/rollback-stages';
import { renewalStages } from '../../src/renewal/stages';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const OVERLAP: EncryptionCertificateRenewalProps = {
  renewalId: 'orders-2026',
  variant: 'overlap',
  alias: 'orders-receiver',
  iflowIds: ['OrdersOut', 'OrdersRetry'],
  receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
  newKey: { name: 'orders-2026', subject: 'CN=orders-2026,O=Example' },
  oldKeyName: 'orders-2025',
};
const SINGLE_KEY: EncryptionCertificateRenewalProps = {
  ...OVERLAP,
  variant: 'single-key',
  downtimeWindow: { start: '2026-03-01T22:00:00Z', end: '2026-03-01T23:00:00Z' },
};

type Json = Record<string, any>;

function synth(props: EncryptionCertificateRenewalProps) {
  const outdir = mkdtempSync(join(tmpdir(), 'cpi-rollback-'));
  dirs.push(outdir);
  const app = new App({ outdir });
  new EncryptionCertificateRenewal(app, 'renewal', props);
  app.synth();
  const read = (file: string): Json => JSON.parse(readFileSync(join(outdir, file), 'utf8')) as Json;
  return {
    outdir,
    cdktf: read('manifest.json'),
    renewal: read(`renewal-${props.renewalId}.json`),
    stack: (name: string) => read(`stacks/${name}/cdk.tf.json`),
  };
}

function resources(stack: Json, type: string): Json[] {
  return Object.values(stack.resource?.[type] ?? {}) as Json[];
}

function one(stack: Json, type: string): Json {
  const all = resources(stack, type);
  assert.equal(all.length, 1, `expected one ${type}, found ${all.length}`);
  return all[0]!;
}

/** Every resource but the gate (and the key adopted before it) depends on the stack's gate. */
function assertGated(stack: Json, except: readonly string[] = []): void {
  const gate = `cpi_renewal_gate.${Object.keys(stack.resource.cpi_renewal_gate)[0]}`;
  for (const [type, byName] of Object.entries(stack.resource as Json)) {
    if (type === 'cpi_renewal_gate') continue;
    for (const [name, resource] of Object.entries(byName as Json)) {
      if (except.includes(`${type}.${name}`)) continue;
      assert.ok((resource as Json).depends_on?.includes(gate), `${type}.${name} does not depend on ${gate}`);
    }
  }
}

function keyNamed(stack: Json, keyName: string): Json {
  const found = resources(stack, 'cpi_receiver_key').filter((k) => k.key_name === keyName);
  assert.equal(found.length, 1, `expected one cpi_receiver_key ${keyName}`);
  return found[0]!;
}

describe('rollback table', { timeout: 10_000 }, () => {
  test('each way back reuses the gate shapes of the forward stage it mirrors, under its own gate name', () => {
    for (const variant of ['overlap', 'single-key'] as const) {
      const forward = renewalStages(variant);
      for (const stage of rollbackStages(variant)) {
        const shape = forward.find((s) => s.name === stage.mirrors)!;
        assert.equal(stage.party, shape.party, `${variant} ${stage.name}: party`);
        if (!shape.gate) {
          assert.equal(stage.gate, undefined);
          continue;
        }
        assert.equal(stage.gate?.name, `rollback-${stage.name}`);
        assert.deepEqual({ ...stage.gate, name: shape.gate.name }, shape.gate, `${variant} ${stage.name}: gate`);
      }
    }
  });

  test('overlap goes back without downtime; single-key stops, restores, switches back, resumes', () => {
    assert.deepEqual(
      rollbackStages('overlap').map((s) => s.name),
      ['reactivate-old-key', 'restore-certificate', 'retire-new-key'],
    );
    assert.deepEqual(
      rollbackStages('single-key').map((s) => s.name),
      ['stop-sending', 'restore-certificate', 'switch-back-receiver-key', 'resume-sending'],
    );
    // The restore is gated on evidence the receiver decrypts for the old certificate (probe) in overlap.
    const restore = rollbackStages('overlap')[1]!;
    assert.ok(
      restore.gate?.requirements.some((r) => r.kind === 'probe'),
      "restore.gate?.requirements.some((r) => r.kind === 'probe')",
    );
    assert.deepEqual(restore.gate?.settledBy, [{ kind: 'tenant_alias', certificate: 'new' }]);
    // Single-key stops inside the window, with both administrators' confirmation.
    const stop = rollbackStages('single-key')[0]!;
    assert.deepEqual(stop.gate?.requirements, [
      { kind: 'confirmation', party: 'receiver-admin' },
      { kind: 'confirmation', party: 'tenant-admin' },
      { kind: 'not_before', moment: 'window_start' },
    ]);
    assert.equal(rollbackStackName('orders-2026', stop), 'orders-2026-rollback-1-stop-sending');
  });
});

describe('RenewalRollback, overlap', { timeout: 60_000 }, () => {
  const s = synth(OVERLAP);
  const names = rollbackStages('overlap').map((stage) => rollbackStackName('orders-2026', stage));

  test('its stacks are outside the forward chain: no forward stack depends on them', () => {
    for (const [name, stack] of Object.entries(s.cdktf.stacks as Json)) {
      if (name.includes('-rollback-')) continue;
      for (const d of (stack as Json).dependencies as string[])
        assert.ok(!d.includes('-rollback-'), `forward stack ${name} depends on ${d}`);
    }
    for (const name of names) assert.ok(s.cdktf.stacks[name], `${name} is synthesized`);
  });

  test('stage 1 adopts the old key and makes it active again with a rollback reason', () => {
    const stack = s.stack(names[0]!);
    const key = one(stack, 'cpi_receiver_key');
    assert.equal(key.key_name, 'orders-2025');
    assert.equal(key.state, 'active');
    assert.equal(key.rollback_reason, 'rollback of renewal orders-2026');
    assert.equal(key.encryption_alias, 'orders-receiver');
    assert.ok(
      stack.import?.some((i: Json) => String(i.to).startsWith('cpi_receiver_key.')),
      'the old key is imported',
    );
    assert.ok(
      stack.output.old_certificate_pem && stack.output.old_fingerprint_sha256,
      'stack.output.old_certificate_pem && stack.output.old_fingerprint_sha256',
    );
  });

  test('stage 2 exchanges back by compare-and-swap against the new certificate, gated on a probe', () => {
    const stack = s.stack(names[1]!);
    assertGated(stack);
    const gate = one(stack, 'cpi_renewal_gate');
    assert.equal(gate.gate, 'rollback-restore-certificate');
    assert.deepEqual(
      gate.requirement.map((r: Json) => r.kind),
      ['probe', 'confirmation'],
    );
    // The gate's certificate is the old one (from rollback stage 1), the certificate the way back restores.
    assert.match(gate.new_certificate_pem, /old_certificate_pem|orders-2026-rollback-1/);
    const certificate = one(stack, 'cpi_keystore_certificate');
    assert.equal(certificate.alias, 'orders-receiver');
    assert.match(certificate.certificate_pem, /old_certificate_pem|orders-2026-rollback-1/);
    assert.match(certificate.expected_previous_fingerprint_sha256, /new_fingerprint|orders-2026-1-prepare-receiver/);
    assert.equal(certificate.min_validity_days, 1);
    assert.equal(certificate.deletion_policy, 'ABANDON', 'the adopted alias is released on destroy, never deleted');
    assert.ok(
      certificate.receiver && certificate.receiver_key_fingerprint_sha256,
      'certificate.receiver && certificate.receiver_key_fingerprint_sha256',
    );
  });

  test('stage 3 (final) sets the new key back to pending, gated on the alias holding the old certificate', () => {
    const stack = s.stack(names[2]!);
    assertGated(stack);
    const key = one(stack, 'cpi_receiver_key');
    assert.equal(key.key_name, 'orders-2026');
    assert.equal(key.state, 'pending');
    assert.ok(key.rollback_reason, 'key.rollback_reason');
    assert.deepEqual(one(stack, 'cpi_renewal_gate').requirement[0], {
      kind: 'tenant_alias',
      certificate: 'new',
    });
  });

  test('the manifest records the way back with stack names and directories', () => {
    const rollback = s.renewal.rollback as Json;
    assert.equal(rollback.reason, 'rollback of renewal orders-2026');
    assert.deepEqual(
      rollback.stages.map((st: Json) => st.stack),
      names,
    );
    assert.deepEqual(
      rollback.stages.map((st: Json) => st.stackDir),
      names.map((n) => join('stacks', n)),
    );
    assert.equal(rollback.stages[1].completes, true);
    assert.equal(rollback.stages[2].final, true);
  });
});

describe('RenewalRollback, single-key', { timeout: 60_000 }, () => {
  const s = synth(SINGLE_KEY);
  const names = rollbackStages('single-key').map((stage) => rollbackStackName('orders-2026', stage));

  test('stage 1 adopts the old key without changing it, then stops every iFlow behind its gate', () => {
    const stack = s.stack(names[0]!);
    const key = one(stack, 'cpi_receiver_key');
    assert.equal(key.key_name, 'orders-2025');
    assert.ok(key.lifecycle.ignore_changes.includes('state'), 'the old key state is not touched');
    const gate = one(stack, 'cpi_renewal_gate');
    assert.equal(gate.window_start, '2026-03-01T22:00:00Z');
    const keyAddress = `cpi_receiver_key.${Object.keys(stack.resource.cpi_receiver_key)[0]}`;
    assertGated(stack, [keyAddress]);
    const iflows = resources(stack, 'cpi_iflow_deployment');
    assert.deepEqual(
      iflows.map((i) => i.iflow_id),
      ['OrdersOut', 'OrdersRetry'],
    );
    for (const i of iflows) {
      assert.equal(i.deployed, false);
      assert.match(i.undeployed_until_alias_holds, /cpi_receiver_key/);
    }
  });

  test('stage 3 activates the old key before it sets the new key back to pending', () => {
    const stack = s.stack(names[2]!);
    assertGated(stack);
    const old = keyNamed(stack, 'orders-2025');
    const fresh = keyNamed(stack, 'orders-2026');
    assert.equal(old.state, 'active');
    assert.equal(fresh.state, 'pending');
    const oldAddress = Object.entries(stack.resource.cpi_receiver_key as Json).find(
      ([, k]) => (k as Json).key_name === 'orders-2025',
    )![0];
    assert.ok(
      fresh.depends_on.includes(`cpi_receiver_key.${oldAddress}`),
      'fresh.depends_on.includes(`cpi_receiver_key.${oldAddress}`)',
    );
  });

  test('stage 4 redeploys, gated on a probe of the old certificate', () => {
    const stack = s.stack(names[3]!);
    assertGated(stack);
    assert.deepEqual(
      one(stack, 'cpi_renewal_gate').requirement.map((r: Json) => r.kind),
      ['probe'],
    );
    for (const i of resources(stack, 'cpi_iflow_deployment')) assert.equal(i.deployed, true);
  });
});

describe('the runbook shows the way back', { timeout: 60_000 }, () => {
  test('overlap: each rollback stack with its party and gate, in words about the old certificate', () => {
    const s = synth(OVERLAP);
    const runbook = readFileSync(join(s.outdir, 'RUNBOOK-orders-2026.md'), 'utf8');
    const back = runbook.slice(runbook.indexOf('## Rolling back'));
    assert.ok(runbook.includes('## Rolling back'), "runbook.includes('## Rolling back')");
    for (const stage of rollbackStages('overlap'))
      assert.ok(back.includes(`/stacks/${rollbackStackName('orders-2026', stage)} apply`), stage.name);
    assert.match(
      back,
      /the receiver decrypts a probe encrypted for the old certificate or the receiver administrator confirms/,
    );
    assert.match(
      back,
      /FINGERPRINT=\$\(terraform -chdir=\S+orders-2026-rollback-1-reactivate-old-key output -raw old_fingerprint_sha256\)/,
    );
    assert.match(
      back,
      /cpi-renewal confirm --renewal orders-2026 --gate rollback-restore-certificate --party receiver-admin/,
    );
    // the gates' words in the table are about the certificate the way back restores
    assert.doesNotMatch(back.split('| # |')[1]!.split('### Back 1')[0]!, /the new certificate/);
  });

  test('single-key: stop, restore, switch back, resume, with both confirmations of the stop', () => {
    const s = synth(SINGLE_KEY);
    const back = readFileSync(join(s.outdir, 'RUNBOOK-orders-2026.md'), 'utf8').split('## Rolling back')[1]!;
    const order = rollbackStages('single-key').map((st) => back.indexOf(`### Back ${st.index}. `));
    assert.ok(
      order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)),
      'every stage, in order',
    );
    for (const party of ['receiver-admin', 'tenant-admin'])
      assert.match(back, new RegExp(`--gate rollback-stop-sending --party ${party}`));
    assert.match(back, /rolled back once this stage is applied/);
  });
});
