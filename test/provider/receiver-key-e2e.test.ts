// cpi_receiver_key and cpi_receiver_keyring through the real terraform binary, against both backends: a PKCS#12
// keystore pair and the embedded receiver. Create, no-op re-plan, a key name taken, retire in place (retain_until
// computed), destroy refused under retention (the key stays), early destruction with a reason, a key lost out of
// band reported as an error, and the keystore password never in plan or state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { skipWithout } from '../support/reference-systems';

const PASSWORD = 'p12-Secret-4711';
const ADMIN_TOKEN = 'admin-Token-0815';
const DAY = 86_400_000;
// Built by `node scripts/build.mjs` (npm test builds first).
const BUNDLE = resolve(__dirname, '../../dist/provider.js');

describe('cpi_receiver_key through terraform', () => {
  let receiver: ReceiverEmulator;
  let tf: TerraformWorkdir;
  let dir: string;
  let p12: Pkcs12Backend;
  let admin: EmbeddedBackend;
  let pkcs12Block: object;
  let embeddedBlock: object;

  const key = (name: string, receiverBlock: object, extra: object = {}) => ({
    key_name: name,
    subject: `CN=${name},O=Receiver`,
    receiver: receiverBlock,
    ...extra,
  });
  const config = (resources: object, data: object = {}) => ({
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
    provider: { cpi: {} },
    resource: { cpi_receiver_key: resources },
    ...(Object.keys(data).length > 0 ? { data } : {}),
  });
  const values = async () => {
    const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
    return Object.fromEntries(
      (state.values?.root_module?.resources ?? []).map((r: { address: string; values: Record<string, unknown> }) => [
        r.address,
        r.values,
      ]),
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'receiver-key-e2e-'));
    receiver = await startReceiverEmulator({ dataDir: join(dir, 'receiver'), adminToken: ADMIN_TOKEN });
    p12 = new Pkcs12Backend({
      keystorePath: join(dir, 'keys', 'active.p12'),
      archivePath: join(dir, 'keys', 'archive.p12'),
      password: PASSWORD,
    });
    admin = new EmbeddedBackend({ url: receiver.url, adminToken: ADMIN_TOKEN });
    pkcs12Block = {
      kind: 'pkcs12',
      keystore_path: join(dir, 'keys', 'active.p12'),
      archive_path: join(dir, 'keys', 'archive.p12'),
    };
    embeddedBlock = { kind: 'embedded', url: receiver.url };
    tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-receiver-' });
    Object.assign(tf.env, { CPI_RECEIVER_KEYSTORE_PASSWORD: PASSWORD, CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN });
    tf.writeConfig(
      config({
        p12: key('orders-2026', pkcs12Block),
        emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365 }),
      }),
    );
    await tf.ok(['init']);
  });
  after(async () => {
    tf?.remove();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('apply generates a key in each backend; state holds the certificate facts, the password is in neither plan nor state', async () => {
    await tf.ok(['plan', '-out', 'tfplan']);
    const planJson = (await tf.ok(['show', '-json', 'tfplan'])).stdout;
    await tf.ok(['apply', '-auto-approve', 'tfplan']);
    const v = await values();
    const [inFile] = await p12.listKeys();
    const [inReceiver] = await admin.listKeys();
    assert.equal(v['cpi_receiver_key.p12'].fingerprint_sha256, inFile!.fingerprintSha256);
    assert.equal(v['cpi_receiver_key.emb'].fingerprint_sha256, inReceiver!.fingerprintSha256);
    assert.equal(inReceiver!.algorithm, 'RSA-3072');
    assert.equal(v['cpi_receiver_key.p12'].state, 'active');
    assert.equal(v['cpi_receiver_key.p12'].retain_until, null);
    assert.match(String(v['cpi_receiver_key.p12'].subject_key_identifier), /^[0-9a-f]{40}$/);
    assert.match(String(v['cpi_receiver_key.emb'].issuer_dn), /CN=orders-2026/);
    const stateFile = readFileSync(join(tf.dir, 'terraform.tfstate'), 'utf8');
    for (const text of [stateFile, planJson]) {
      assert.ok(!text.includes(PASSWORD), 'keystore password leaked');
      assert.ok(!text.includes(ADMIN_TOKEN), 'admin token leaked');
      assert.doesNotMatch(text, /PRIVATE KEY/);
    }
  });

  test(
    'Java keytool lists the key applied into the PKCS#12 keystore as a PrivateKeyEntry',
    { skip: skipWithout('java') },
    () => {
      const listing = execFileSync(
        'keytool',
        ['-list', '-storetype', 'PKCS12', '-keystore', join(dir, 'keys', 'active.p12'), '-storepass', PASSWORD],
        { encoding: 'utf8' },
      );
      assert.match(listing, /^orders-2026, .*PrivateKeyEntry/m);
    },
  );

  test('a second plan is a no-op', async () => {
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('a second resource with a key name the receiver already holds is refused at plan time', async () => {
    tf.writeConfig(
      config({
        p12: key('orders-2026', pkcs12Block),
        emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365 }),
        dup: key('orders-2026', embeddedBlock),
      }),
    );
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /CPI_RECEIVER_KEY_EXISTS/);
    assert.match(plan.stderr, /cpi_receiver_key\.dup/);
  });

  test('retiring is an in-place update; retain_until defaults to retired_at + 90 days; the key moves to the archive', async () => {
    tf.writeConfig(
      config(
        {
          p12: key('orders-2026', pkcs12Block, { state: 'retired' }),
          emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365, state: 'retired' }),
        },
        { cpi_receiver_keyring: { emb: { receiver: embeddedBlock, depends_on: ['cpi_receiver_key.emb'] } } },
      ),
    );
    const plan = await tf.ok(['plan'], [0, 2]);
    assert.match(plan.stdout, /update in-place/);
    assert.doesNotMatch(plan.stdout, /must be replaced/);
    await tf.ok(['apply', '-auto-approve']);
    const v = await values();
    for (const address of ['cpi_receiver_key.p12', 'cpi_receiver_key.emb']) {
      assert.equal(v[address].state, 'retired');
      const retiredAt = new Date(String(v[address].retired_at)).getTime();
      assert.equal(new Date(String(v[address].retain_until)).getTime() - retiredAt, 90 * DAY);
    }
    assert.equal((await p12.listKeys())[0]!.state, 'retired');
    assert.equal((await admin.listKeys())[0]!.state, 'retired');
    const ring = v['data.cpi_receiver_keyring.emb'].keys as { name: string; state: string; retain_until: string }[];
    assert.deepEqual(
      ring.map((k) => [k.name, k.state]),
      [['orders-2026', 'retired']],
    );
    assert.equal(
      new Date(ring[0]!.retain_until).getTime(),
      new Date(String(v['cpi_receiver_key.emb'].retain_until)).getTime(),
    );
    const replan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(replan.code, 0, replan.stdout + replan.stderr);
  });

  test('a retain_until less than 90 days after retirement is refused at plan time', async () => {
    const retiredAt = new Date(String((await values())['cpi_receiver_key.p12'].retired_at));
    const tooSoon = new Date(retiredAt.getTime() + 60 * DAY).toISOString().replace(/\.\d+Z$/, 'Z');
    tf.writeConfig(
      config({
        p12: key('orders-2026', pkcs12Block, { state: 'retired', retain_until: tooSoon }),
        emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365, state: 'retired' }),
      }),
    );
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /CPI_RECEIVER_RETENTION_TOO_SHORT/);
  });

  test('destroy is refused before retain_until, and the keys are still there', async () => {
    tf.writeConfig(
      config({
        p12: key('orders-2026', pkcs12Block, { state: 'retired' }),
        emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365, state: 'retired' }),
      }),
    );
    const destroy = await tf.run(['destroy', '-auto-approve', '-no-color']);
    assert.equal(destroy.code, 1);
    assert.match(destroy.stderr, /CPI_RECEIVER_KEY_RETAINED/);
    assert.match(destroy.stderr, /retained until/);
    assert.equal((await p12.listKeys()).length, 1);
    assert.equal((await admin.listKeys()).length, 1);
  });

  test('with an early destruction reason applied first, destroy goes through and the reason is recorded', async () => {
    const reason = 'private key exposed in incident INC-42';
    tf.writeConfig(
      config({
        p12: key('orders-2026', pkcs12Block, { state: 'retired', early_destruction_reason: reason }),
        emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365, state: 'retired' }),
      }),
    );
    await tf.ok(['apply', '-auto-approve']);
    await tf.ok(['destroy', '-auto-approve', '-target', 'cpi_receiver_key.p12']);
    assert.deepEqual(await p12.listKeys(), []);
    assert.equal(p12.destructionRecords().at(-1)?.earlyDestructionReason, reason);
  });

  test('a key deleted out of band before its time is reported as an error, not recreated', async () => {
    tf.writeConfig(
      config({
        emb: key('orders-2026', embeddedBlock, { algorithm: 'RSA-3072', validity_days: 365, state: 'retired' }),
      }),
    );
    await admin.deleteKey('orders-2026', { now: new Date(), earlyDestructionReason: 'operator mistake' });
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /CPI_RECEIVER_KEY_MISSING/);
    assert.doesNotMatch(plan.stdout, /will be created/);
    await tf.ok(['state', 'rm', 'cpi_receiver_key.emb']);
  });
});
