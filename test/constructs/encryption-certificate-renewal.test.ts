import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../constructs/cdktf';
import {
  EncryptionCertificateRenewal,
  type EncryptionCertificateRenewalProps,
} from '../../constructs/encryption-certificate-renewal';
import { CpiError } from '../../src/errors';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const BASE: EncryptionCertificateRenewalProps = {
  renewalId: 'orders-2026',
  variant: 'overlap',
  alias: 'orders-receiver',
  iflowIds: ['OrdersOut', 'OrdersRetry'],
  receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
  newKey: { name: 'orders-2026', subject: 'CN=orders-2026,O=Example' },
  oldKeyName: 'orders-2025',
};
const SINGLE_KEY: EncryptionCertificateRenewalProps = {
  ...BASE,
  variant: 'single-key',
  downtimeWindow: { start: '2026-03-01T22:00:00Z', end: '2026-03-01T23:00:00Z' },
};

type Json = Record<string, any>;
interface Synthesized {
  readonly outdir: string;
  readonly renewal: EncryptionCertificateRenewal;
  readonly manifest: Json;
  stack(name: string): Json;
}

function synth(props: EncryptionCertificateRenewalProps): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cpi-constructs-'));
  dirs.push(outdir);
  const app = new App({ outdir });
  const renewal = new EncryptionCertificateRenewal(app, 'renewal', props);
  app.synth(); // resolves cross-stack references, which Testing.synth does not
  const read = (file: string): Json => JSON.parse(readFileSync(join(outdir, file), 'utf8')) as Json;
  return { outdir, renewal, manifest: read('manifest.json'), stack: (name) => read(`stacks/${name}/cdk.tf.json`) };
}

/** The single resource of this type in a stack (the test fails if there is not exactly one). */
function only(stack: Json, type: string): Json {
  const all = Object.values(stack.resource?.[type] ?? {}) as Json[];
  assert.equal(all.length, 1, `expected one ${type}, found ${all.length}`);
  return all[0]!;
}

/** Stacks in this order; each depends on the one before and only on earlier ones (cross-stack references add more).
 * The way back's stacks (`-rollback-`) are outside the forward chain; test/constructs/renewal-rollback.test.ts. */
function assertOrdered(manifest: Json, names: readonly string[]): void {
  assert.deepEqual(
    Object.keys(manifest.stacks).filter((name) => !name.includes('-rollback-')),
    names,
  );
  names.forEach((name, i) => {
    const dependencies = manifest.stacks[name].dependencies as string[];
    if (i === 0) assert.deepEqual(dependencies, []);
    else assert.ok(dependencies.includes(names[i - 1]!), `${name} does not depend on ${names[i - 1]}`);
    for (const d of dependencies) assert.ok(names.indexOf(d) < i, `${name} depends on the later stack ${d}`);
  });
}

function gateAddress(stack: Json): string {
  return `cpi_renewal_gate.${Object.keys(stack.resource.cpi_renewal_gate)[0]}`;
}

/** Every resource of a gated stack other than the gate depends on the gate. */
function assertGated(stack: Json, name: string): void {
  const gate = gateAddress(stack);
  for (const [type, resources] of Object.entries(stack.resource as Json)) {
    if (type === 'cpi_renewal_gate') continue;
    for (const [id, resource] of Object.entries(resources as Json)) {
      assert.ok((resource as Json).depends_on?.includes(gate), `${name}: ${type}.${id} does not depend on ${gate}`);
    }
  }
}

describe('EncryptionCertificateRenewal, overlap variant', () => {
  const s = synth(BASE);
  const names = [
    'orders-2026-1-prepare-receiver',
    'orders-2026-2-exchange-certificate',
    'orders-2026-3-retire-old-key',
    'orders-2026-4-cleanup',
  ];

  test('creates one stack per stage, in order, each depending on the one before', () => {
    assertOrdered(s.manifest, names);
    assert.deepEqual(
      s.renewal.stacks.map((stack) => stack.node.id),
      names,
    );
  });

  test('stage 1 creates the new key active while the old key is left alone, and outputs its certificate', () => {
    const stage = s.stack(names[0]!);
    assert.equal(stage.resource.cpi_renewal_gate, undefined);
    const key = only(stage, 'cpi_receiver_key');
    assert.equal(key.key_name, 'orders-2026');
    assert.equal(key.state, 'active');
    assert.equal(key.subject, 'CN=orders-2026,O=Example');
    assert.deepEqual(key.receiver, { kind: 'embedded', url: 'http://127.0.0.1:8081' });
    assert.equal(stage.import, undefined);
    assert.ok(stage.output.new_fingerprint_sha256, 'stage.output.new_fingerprint_sha256');
    assert.ok(stage.output.new_certificate_pem, 'stage.output.new_certificate_pem');
  });

  test("stage 2 opens on a probe or the receiver administrator's confirmation, then exchanges the adopted alias", () => {
    const stage = s.stack(names[1]!);
    const gate = only(stage, 'cpi_renewal_gate');
    assert.equal(gate.gate, 'exchange-certificate');
    assert.equal(gate.renewal_id, 'orders-2026');
    assert.deepEqual(gate.waits_for, ['receiver-admin']);
    assert.equal(gate.mode, 'any');
    assert.deepEqual(gate.requirement, [{ kind: 'probe' }, { kind: 'confirmation', party: 'receiver-admin' }]);
    assert.match(
      gate.new_certificate_pem,
      /terraform_remote_state\.cross-stack-reference-input-orders-2026-1-prepare-receiver\.outputs/,
    );
    assert.deepEqual(gate.receiver, { kind: 'embedded', url: 'http://127.0.0.1:8081' });
    assert.equal(gate.iflow_ids, undefined, 'only the facts its requirements refer to');
    assert.match(gate.confirmations_dir, /renewals\/orders-2026\/confirmations$/);
    const certificate = only(stage, 'cpi_keystore_certificate');
    assert.equal(certificate.alias, 'orders-receiver');
    assert.match(certificate.certificate_pem, /certificate_pem/);
    const [id] = Object.keys(stage.resource.cpi_keystore_certificate);
    assert.deepEqual(stage.import, [{ id: 'orders-receiver', to: `cpi_keystore_certificate.${id}` }]);
    assert.ok(stage.output.exchanged_at, 'the exchange time is an output for the cleanup');
    assert.equal(certificate.deletion_policy, 'ABANDON', 'the adopted alias is released on destroy, never deleted');
    assertGated(stage, names[1]!);
  });

  test('stage 3 waits for the tenant alias or the tenant administrator and retires the adopted old key', () => {
    const stage = s.stack(names[2]!);
    const gate = only(stage, 'cpi_renewal_gate');
    assert.deepEqual(gate.waits_for, ['tenant-admin']);
    assert.equal(gate.mode, 'any');
    assert.equal(gate.alias, 'orders-receiver');
    assert.deepEqual(gate.requirement, [
      { kind: 'tenant_alias', certificate: 'new' },
      { kind: 'confirmation', party: 'tenant-admin' },
    ]);
    const key = only(stage, 'cpi_receiver_key');
    assert.equal(key.key_name, 'orders-2025');
    assert.equal(key.state, 'retired');
    assert.equal(key.lifecycle.prevent_destroy, true, "adopting must never replace the receiver's key");
    assert.deepEqual(key.lifecycle.ignore_changes, ['algorithm', 'subject', 'validity_days']);
    assert.deepEqual(JSON.parse(stage.import[0].id), {
      key_name: 'orders-2025',
      receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
    });
    assertGated(stage, names[2]!);
  });

  test('the cleanup has its own state and adopts the old key to delete it, gated on exchange + retention', () => {
    const cleanup = s.stack(names[3]!);
    const retire = s.stack(names[2]!);
    assert.match(cleanup.terraform.backend.local.path, /state\/orders-2026-4-cleanup\.tfstate$/);
    assert.notEqual(cleanup.terraform.backend.local.path, retire.terraform.backend.local.path);
    const key = only(cleanup, 'cpi_receiver_key');
    assert.deepEqual([key.key_name, key.state], ['orders-2025', 'deleted']);
    assert.equal(key.encryption_alias, 'orders-receiver', 'deleting is checked against the alias rule');
    assert.equal(key.lifecycle.prevent_destroy, true, "adopting must never replace the receiver's key");
    assert.deepEqual(JSON.parse(cleanup.import[0].id), {
      key_name: 'orders-2025',
      receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
    });
    assert.equal(only(retire, 'cpi_receiver_key').state, 'retired', 'the retiring stage keeps declaring retired');
    const gate = only(cleanup, 'cpi_renewal_gate');
    assert.equal(gate.gate, 'cleanup');
    assert.notEqual(gateAddress(cleanup), gateAddress(retire), 'the cleanup gate is its own object');
    assert.deepEqual(gate.requirement, [{ kind: 'not_before', moment: 'retention_end' }]);
    assertGated(cleanup, names[3]!);
    assert.match(
      gate.exchanged_at,
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-orders-2026-2-exchange-certificate\.outputs\.[^}]+\}$/,
    );
    assert.equal(gate.retention_days, 90);
  });

  test('each stack has its own local state and the cpi provider', () => {
    for (const name of names) {
      const stack = s.stack(name);
      assert.match(stack.terraform.backend.local.path, new RegExp(`state/${name}\\.tfstate$`));
      assert.equal(stack.terraform.required_providers.cpi.source, 'cpi-renewal/cpi');
      assert.deepEqual(stack.provider.cpi, [{}], 'tenant URL and credentials come from the environment by default');
    }
  });

  test('writes the runbook next to the stacks', () => {
    const runbook = readFileSync(join(s.outdir, 'RUNBOOK-orders-2026.md'), 'utf8');
    assert.match(runbook, /# Runbook: renewal `orders-2026`/);
    assert.match(runbook, /cdktf apply orders-2026-2-exchange-certificate/);
  });
});

describe('EncryptionCertificateRenewal, single-key variant', () => {
  const s = synth(SINGLE_KEY);
  const names = [
    'orders-2026-1-prepare-receiver',
    'orders-2026-2-stop-sending',
    'orders-2026-3-exchange-certificate',
    'orders-2026-4-switch-receiver-key',
    'orders-2026-5-resume-sending',
    'orders-2026-6-cleanup',
  ];

  test('creates the six stages in order with dependencies', () => {
    assertOrdered(s.manifest, names);
  });

  test('stage 1 creates the new key pending, so the receiver does not decrypt with it yet', () => {
    assert.equal(only(s.stack(names[0]!), 'cpi_receiver_key').state, 'pending');
  });

  test("stage 2 waits for both administrators' confirmations and the window start, then undeploys every iFlow", () => {
    const stage = s.stack(names[1]!);
    const gate = only(stage, 'cpi_renewal_gate');
    assert.deepEqual(gate.waits_for, ['receiver-admin', 'tenant-admin']);
    assert.equal(gate.mode, 'all');
    assert.deepEqual(gate.requirement, [
      { kind: 'confirmation', party: 'receiver-admin' },
      { kind: 'confirmation', party: 'tenant-admin' },
      { kind: 'not_before', moment: 'window_start' },
    ]);
    assert.equal(gate.window_start, '2026-03-01T22:00:00Z');
    const deployments = Object.values(stage.resource.cpi_iflow_deployment) as Json[];
    assert.deepEqual(
      deployments.map((d) => [d.iflow_id, d.deployed]),
      [
        ['OrdersOut', false],
        ['OrdersRetry', false],
      ],
    );
    assert.deepEqual(stage.import.map((i: Json) => i.id).sort(), ['OrdersOut', 'OrdersRetry']);
    for (const d of deployments) {
      assert.equal(d.encryption_alias, 'orders-receiver');
      assert.match(d.undeployed_until_alias_holds, /prepare-receiver/, 'undeployed only until the new certificate');
    }
    assertGated(stage, names[1]!);
  });

  test('stage 3 waits until the iFlows are undeployed, then exchanges the certificate', () => {
    const stage = s.stack(names[2]!);
    const gate = only(stage, 'cpi_renewal_gate');
    assert.deepEqual(gate.waits_for, ['integration-developer']);
    assert.deepEqual(gate.requirement, [{ kind: 'iflow_state', state: 'undeployed' }]);
    assert.deepEqual(gate.iflow_ids, ['OrdersOut', 'OrdersRetry']);
    assert.equal(only(stage, 'cpi_keystore_certificate').alias, 'orders-receiver');
    assertGated(stage, names[2]!);
  });

  test('stage 4 waits for the tenant alias, then makes the new key active and retires the old one', () => {
    const stage = s.stack(names[3]!);
    const gate = only(stage, 'cpi_renewal_gate');
    assert.deepEqual(gate.requirement, [{ kind: 'tenant_alias', certificate: 'new' }]);
    assert.equal(gate.alias, 'orders-receiver');
    const keys = Object.values(stage.resource.cpi_receiver_key) as Json[];
    assert.deepEqual(keys.map((k) => [k.key_name, k.state]).sort(), [
      ['orders-2025', 'retired'],
      ['orders-2026', 'active'],
    ]);
    assert.deepEqual(stage.import.map((i: Json) => JSON.parse(i.id).key_name).sort(), ['orders-2025', 'orders-2026']);
    assertGated(stage, names[3]!);
  });

  test('stage 5 waits for a probe of the new certificate, then redeploys every iFlow', () => {
    const stage = s.stack(names[4]!);
    const gate = only(stage, 'cpi_renewal_gate');
    assert.deepEqual(gate.waits_for, ['receiver-admin']);
    assert.deepEqual(gate.requirement, [{ kind: 'probe' }]);
    assert.match(gate.new_certificate_pem, /prepare-receiver/);
    const deployments = Object.values(stage.resource.cpi_iflow_deployment) as Json[];
    assert.deepEqual(
      deployments.map((d) => d.deployed),
      [true, true],
    );
    assertGated(stage, names[4]!);
  });

  test('the cleanup has its own state and only deletes the old key; the new key is not in it', () => {
    const cleanup = s.stack(names[5]!);
    const switchStage = s.stack(names[3]!);
    assert.match(cleanup.terraform.backend.local.path, /state\/orders-2026-6-cleanup\.tfstate$/);
    assert.notEqual(cleanup.terraform.backend.local.path, switchStage.terraform.backend.local.path);
    const keys = Object.values(cleanup.resource.cpi_receiver_key) as Json[];
    assert.deepEqual(
      keys.map((k) => [k.key_name, k.state]),
      [['orders-2025', 'deleted']],
    );
    assert.deepEqual(
      (Object.values(switchStage.resource.cpi_receiver_key) as Json[]).map((k) => [k.key_name, k.state]).sort(),
      [
        ['orders-2025', 'retired'],
        ['orders-2026', 'active'],
      ],
    );
    assert.match(only(cleanup, 'cpi_renewal_gate').exchanged_at, /3-exchange-certificate/);
    assertGated(cleanup, names[5]!);
  });
});

describe('EncryptionCertificateRenewal props', () => {
  function error(props: Partial<EncryptionCertificateRenewalProps>): CpiError {
    try {
      synth({ ...BASE, ...props });
    } catch (e) {
      assert.ok(e instanceof CpiError, String(e));
      return e;
    }
    assert.fail('expected the props to be refused');
  }

  test('refuses a retention below 90 days and accepts more, which moves the cleanup', () => {
    const e = error({ retentionDays: 89 });
    assert.equal(e.code, 'CPI_CONSTRUCTS_RETENTION_TOO_SHORT');
    assert.match(e.message, /retentionDays is 89/);
    const s = synth({ ...BASE, retentionDays: 120 });
    assert.equal(only(s.stack('orders-2026-4-cleanup'), 'cpi_renewal_gate').retention_days, 120);
  });

  test('refuses a single-key renewal without a valid downtime window', () => {
    assert.equal(error({ variant: 'single-key' }).code, 'CPI_CONSTRUCTS_WINDOW_INVALID');
    const reversed = error({
      variant: 'single-key',
      downtimeWindow: { start: '2026-03-02T00:00:00Z', end: '2026-03-01T00:00:00Z' },
    });
    assert.equal(reversed.code, 'CPI_CONSTRUCTS_WINDOW_INVALID');
    assert.match(reversed.message, /2026-03-01T00:00:00Z/);
    assert.match(
      error({ variant: 'single-key', downtimeWindow: { start: 'tomorrow', end: '2026-03-01T00:00:00Z' } }).message,
      /"tomorrow"/,
    );
  });

  test('names the bad value of other props', () => {
    assert.match(error({ renewalId: 'Orders 2026' }).message, /renewalId is "Orders 2026"/);
    assert.match(error({ iflowIds: [] }).message, /iflowIds/);
    assert.match(error({ iflowIds: ['A', 'A'] }).message, /repeated: A/);
    assert.match(error({ newKey: { name: 'orders-2025', subject: 'CN=x' } }).message, /newKey.name is "orders-2025"/);
    assert.equal(error({ alias: 'Orders' }).code, 'CPI_ALIAS_INVALID');
    assert.match(
      error({ gateEvidence: { 'no-such-gate': { requirements: [{ kind: 'probe' }] } } }).message,
      /no-such-gate.*exchange-certificate, retire-old-key, cleanup/,
    );
  });

  test('gate evidence overrides the stage table and combines requirements', () => {
    const s = synth({
      ...BASE,
      gateEvidence: {
        'exchange-certificate': {
          mode: 'all',
          requirements: [{ kind: 'probe' }, { kind: 'confirmation', party: 'tenant-admin' }],
        },
      },
    });
    const gate = only(s.stack('orders-2026-2-exchange-certificate'), 'cpi_renewal_gate');
    assert.equal(gate.mode, 'all');
    assert.deepEqual(gate.requirement, [{ kind: 'probe' }, { kind: 'confirmation', party: 'tenant-admin' }]);
    assert.deepEqual(gate.waits_for, ['receiver-admin', 'tenant-admin']);
    assert.ok(gate.receiver, 'the probe gets the receiver it refers to');
  });

  test('writes the renewal manifest beside the runbook: what status reads instead of decoding stack names', () => {
    const s = synth({
      ...SINGLE_KEY,
      stackNames: { 'exchange-certificate': 'orders-swap' },
      confirmationsDir: 'approvals',
    });
    const manifest = JSON.parse(readFileSync(join(s.outdir, 'renewal-orders-2026.json'), 'utf8')) as Json;
    assert.equal(manifest.format, 'cpi-renewal/manifest-1');
    assert.equal(manifest.variant, 'single-key');
    assert.equal(manifest.alias, 'orders-receiver');
    assert.deepEqual(manifest.iflowIds, ['OrdersOut', 'OrdersRetry']);
    assert.deepEqual(manifest.parties.sort(), ['integration-developer', 'receiver-admin', 'tenant-admin']);
    assert.equal(manifest.runbook, 'RUNBOOK-orders-2026.md');
    assert.deepEqual(manifest.downtimeWindow, SINGLE_KEY.downtimeWindow);
    assert.ok(
      join(s.outdir, manifest.confirmationsDir).endsWith(join('approvals', 'orders-2026', 'confirmations')),
      "join(s.outdir, manifest.confirmationsDir).endsWith(join('approvals', 'orders-2026', 'confirmations'))",
    );
    const stages = manifest.stages as Json[];
    assert.deepEqual(
      stages.map((stage) => stage.stack),
      [
        'orders-2026-1-prepare-receiver',
        'orders-2026-2-stop-sending',
        'orders-swap',
        'orders-2026-4-switch-receiver-key',
        'orders-2026-5-resume-sending',
        'orders-2026-6-cleanup',
      ],
    );
    // Every stack directory the manifest names holds that stack's configuration, with the gate the manifest lists.
    for (const stage of stages) {
      const stack = JSON.parse(readFileSync(join(s.outdir, stage.stackDir, 'cdk.tf.json'), 'utf8')) as Json;
      const gates = Object.values(stack.resource?.cpi_renewal_gate ?? {}) as Json[];
      assert.deepEqual(
        gates.map((g) => g.gate),
        stage.gate ? [stage.gate.name] : [],
      );
      if (stage.gate) assert.deepEqual(gates[0]!.requirement, stage.gate.requirements);
    }
    assert.equal('continuesStateOf' in stages.at(-1)!, false, 'the cleanup has a state of its own');
    assert.deepEqual(manifest.facts.exchangedAt, { stage: 'exchange-certificate', output: 'exchanged_at' });
    assert.ok(existsSync(join(s.outdir, 'stacks', 'orders-swap', 'cdk.tf.json')), 'the renamed stack is synthesized');
  });

  test('refuses a second renewal of the same alias in one app at synth, naming both renewals', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cpi-constructs-'));
    dirs.push(outdir);
    const app = new App({ outdir });
    new EncryptionCertificateRenewal(app, 'a', BASE);
    assert.throws(
      () =>
        new EncryptionCertificateRenewal(app, 'b', {
          ...BASE,
          renewalId: 'orders-2026-b',
          newKey: { name: 'b', subject: 'CN=b' },
        }),
      (e: unknown) =>
        e instanceof CpiError &&
        e.code === 'CPI_CONSTRUCTS_ALIAS_RENEWED_TWICE' &&
        /"orders-2026-b" .*alias "orders-receiver".*renewal "orders-2026"/.test(e.message),
    );
    // another alias in the same app is fine
    new EncryptionCertificateRenewal(app, 'c', { ...BASE, renewalId: 'billing-2026', alias: 'billing-receiver' });
  });

  test('the exchange gates and the stop-sending gate are settled once the alias holds the new certificate', () => {
    const single = synth(SINGLE_KEY);
    for (const name of ['orders-2026-2-stop-sending', 'orders-2026-3-exchange-certificate']) {
      const gate = only(single.stack(name), 'cpi_renewal_gate');
      assert.deepEqual(gate.settled_by, [{ kind: 'tenant_alias', certificate: 'new' }], name);
      assert.equal(gate.alias, 'orders-receiver', `${name}: the fact settled_by refers to`);
    }
    const overlap = synth(BASE);
    assert.deepEqual(only(overlap.stack('orders-2026-2-exchange-certificate'), 'cpi_renewal_gate').settled_by, [
      { kind: 'tenant_alias', certificate: 'new' },
    ]);
  });

  test('the exchange time comes from the certificate resource, re-timed by every exchange', () => {
    const s = synth(BASE);
    const exchange = s.stack('orders-2026-2-exchange-certificate');
    assert.equal(exchange.resource.terraform_data, undefined);
    assert.match(JSON.stringify(exchange.output.exchanged_at.value), /cpi_keystore_certificate\.[^.]+\.exchanged_at/);
  });

  test('the manifest is written even without the runbook', () => {
    const s = synth({ ...BASE, writeRunbook: false });
    assert.ok(
      existsSync(join(s.outdir, 'renewal-orders-2026.json')),
      "existsSync(join(s.outdir, 'renewal-orders-2026.json'))",
    );
  });

  test('refuses a requirement given twice in a gate override', () => {
    const e = error({
      gateEvidence: { 'exchange-certificate': { requirements: [{ kind: 'probe' }, { kind: 'probe' }] } },
    });
    assert.equal(e.code, 'CPI_CONSTRUCTS_PROPS_INVALID');
    assert.match(e.message, /each requirement once/);
  });

  test('a renewal without runbook writes none', () => {
    const s = synth({ ...BASE, writeRunbook: false });
    assert.equal(existsSync(join(s.outdir, 'RUNBOOK-orders-2026.md')), false);
  });
});

// The provider's safety attributes (docs/alias-rule.md) protect a renewal only where the L3 sets them: every stage
// must carry them, so that re-applying any stage after later ones plans no change and no stage can break traffic.
describe('EncryptionCertificateRenewal wires the safety attributes into every stage', () => {
  const RECEIVER = { kind: 'embedded', url: 'http://127.0.0.1:8081' };
  /** A reference to an output of stage 1 (a cross-stack reference in the later stack). */
  const fromStage1 = (value: unknown, output: RegExp) => {
    assert.match(String(value), /terraform_remote_state\.cross-stack-reference-input-orders-2026-1-prepare-receiver/);
    assert.match(String(value), output);
  };

  for (const props of [BASE, SINGLE_KEY]) {
    const s = synth(props);
    const stages = s.renewal.stages;
    const stackOf = (name: string) => s.stack(s.renewal.stacks[stages.findIndex((st) => st.name === name)]!.node.id);

    test(`${props.variant}: stage 1 records the old key's certificate fingerprint from the receiver, kept for good, and outputs it`, () => {
      const stage = stackOf('prepare-receiver');
      const keyring = Object.values(stage.data.cpi_receiver_keyring as Json)[0] as Json;
      assert.deepEqual(keyring.receiver, RECEIVER);
      const record = only(stage, 'terraform_data');
      assert.match(record.input.fingerprint_sha256, /cpi_receiver_keyring\.[^.]+\.keys/);
      assert.match(record.input.fingerprint_sha256, /k\.name == "orders-2025"/);
      assert.deepEqual(record.lifecycle.ignore_changes, ['input'], 'the first value is kept after the old key is gone');
      assert.match(record.lifecycle.postcondition[0].condition, /self\.output\.fingerprint_sha256 != ""/);
      assert.match(stage.output.old_fingerprint_sha256.value, /terraform_data\.[^.]+\.output\.fingerprint_sha256/);
      const key = only(stage, 'cpi_receiver_key');
      assert.ok(
        key.depends_on.some((d: string) => d.startsWith('terraform_data.')),
        'no new key without the record',
      );
      assert.equal(key.encryption_alias, undefined, 'stage 1 needs receiver access only');
    });

    test(`${props.variant}: the exchange is a compare-and-swap from the old certificate to the new key's, checked against the receiver`, () => {
      const certificate = only(stackOf('exchange-certificate'), 'cpi_keystore_certificate');
      fromStage1(certificate.expected_previous_fingerprint_sha256, /terraform_dataold-fingerprint/);
      fromStage1(certificate.receiver_key_fingerprint_sha256, /cpi_receiver_keynew-key.*fingerprint_sha256/);
      assert.deepEqual(certificate.receiver, RECEIVER);
    });

    test(`${props.variant}: every key adopted after stage 1 names the alias`, () => {
      const later = stages.filter((st) => st.name !== 'prepare-receiver');
      let keys = 0;
      for (const stage of later) {
        for (const key of Object.values((stackOf(stage.name).resource.cpi_receiver_key ?? {}) as Json) as Json[]) {
          keys++;
          assert.equal(key.encryption_alias, 'orders-receiver', `${stage.name}: ${key.key_name}`);
          assert.deepEqual(key.receiver, RECEIVER);
        }
      }
      assert.equal(keys, props.variant === 'overlap' ? 2 : 3, 'retire: old key; switch: new + old; cleanup: old');
    });
  }

  test('single-key: the iFlow deployments name the alias and the receiver; stop-sending undeploys only until the alias holds the new certificate', () => {
    const s = synth(SINGLE_KEY);
    for (const name of ['orders-2026-2-stop-sending', 'orders-2026-5-resume-sending']) {
      for (const d of Object.values(s.stack(name).resource.cpi_iflow_deployment as Json) as Json[]) {
        assert.equal(d.encryption_alias, 'orders-receiver', name);
        assert.deepEqual(d.receiver, RECEIVER, name);
        if (d.deployed) assert.equal(d.undeployed_until_alias_holds, undefined, name);
        else fromStage1(d.undeployed_until_alias_holds, /cpi_receiver_keynew-key.*fingerprint_sha256/);
      }
    }
  });

  test('the manifest names where the old fingerprint comes from; gates may require the alias to hold the old certificate', () => {
    const s = synth({
      ...BASE,
      gateEvidence: { 'retire-old-key': { requirements: [{ kind: 'tenant_alias', certificate: 'new' }] } },
    });
    const manifest = JSON.parse(readFileSync(join(s.outdir, 'renewal-orders-2026.json'), 'utf8')) as Json;
    assert.deepEqual(manifest.facts.oldFingerprint, { stage: 'prepare-receiver', output: 'old_fingerprint_sha256' });
    const old = synth({
      ...BASE,
      renewalId: 'orders-2026',
      gateEvidence: { 'retire-old-key': { requirements: [{ kind: 'tenant_alias', certificate: 'old' }] } },
    });
    const gate = only(old.stack('orders-2026-3-retire-old-key'), 'cpi_renewal_gate');
    assert.match(String(gate.old_fingerprint_sha256), /terraform_dataold-fingerprint/);
  });
});
