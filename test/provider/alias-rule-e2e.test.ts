// The alias rule (docs/alias-rule.md) through the real terraform binary against the tenant and receiver emulators.
// Two deployed iFlows use the alias; only one of them is ever named in a configuration. Every unsafe change is
// refused at plan with its code and leaves tenant, receiver and state unchanged; every safe one converges, and
// re-applying it is a no-op plan.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const ADMIN_TOKEN = 'admin-Token-alias-rule';
const ALIAS = 'orders_enc';

describe('the alias rule through terraform', { timeout: 600_000 }, () => {
  let tenant: TenantEmulator;
  let receiver: ReceiverEmulator;
  let admin: EmbeddedBackend;
  let tf: TerraformWorkdir;
  let dir: string;
  let oldKey: { certificatePem: string; fingerprintSha256: string };
  let newKey: { certificatePem: string; fingerprintSha256: string };
  let receiverBlock: object;

  const config = (resources: Record<string, object>) => ({
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
    provider: { cpi: {} },
    resource: resources,
  });
  const certificate = (pem: string, extra: object = {}) => ({
    cpi_keystore_certificate: { orders: { alias: ALIAS, certificate_pem: pem, receiver: receiverBlock, ...extra } },
  });
  const aliasFingerprint = () => tenant.state.keystoreEntries().find((e) => e.alias === ALIAS)?.fingerprintSha256;
  /** Everything an unsafe change must leave alone: tenant keystore and runtime, receiver keys, Terraform state. */
  const world = async () =>
    JSON.stringify({
      keys: tenant.state.keystoreEntries().map((e) => [e.alias, e.fingerprintSha256]),
      runtime: tenant.state.runtimeArtifacts().map((a) => [a.id, a.status]),
      receiver: (await admin.listKeys()).map((k) => [k.name, k.state, k.retainUntil?.toISOString()]),
      state: existsSync(join(tf.dir, 'terraform.tfstate'))
        ? readFileSync(join(tf.dir, 'terraform.tfstate'), 'utf8')
        : '',
    });
  const values = async (address: string) => {
    const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
    return state.values.root_module.resources.find((r: { address: string }) => r.address === address).values;
  };
  /** Plan and apply are both refused with `code`, naming `seen`; nothing changes. */
  const refused = async (code: string, seen: RegExp[], args: string[] = []) => {
    const before = await world();
    const plan = await tf.run(['plan', '-no-color', ...args]);
    assert.equal(plan.code, 1, plan.stdout + plan.stderr);
    assert.match(plan.stderr, new RegExp(code));
    for (const s of seen) assert.match(plan.stderr.replace(/\s+/g, ' '), s);
    const apply = await tf.run(['apply', '-auto-approve', '-no-color', ...args]);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stderr, new RegExp(code));
    assert.equal(await world(), before, 'tenant, receiver and state are unchanged');
  };
  const noOpPlan = async () => {
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alias-rule-e2e-'));
    receiver = await startReceiverEmulator({ dataDir: join(dir, 'receiver'), adminToken: ADMIN_TOKEN });
    admin = new EmbeddedBackend({ url: receiver.url, adminToken: ADMIN_TOKEN });
    const spec = { algorithm: 'RSA-2048' as const, validityDays: 365 };
    oldKey = await admin.generateKey({ ...spec, name: 'orders-2025', subject: 'CN=orders-2025,O=Receiver' });
    newKey = await admin.generateKey({
      ...spec,
      name: 'orders-2026',
      subject: 'CN=orders-2026,O=Receiver',
      state: 'retired',
    });
    tenant = await startTenantEmulator({
      dataDir: join(dir, 'tenant'),
      config: {
        deployDelayMs: 200,
        undeployDelayMs: 100,
        certificates: [{ alias: ALIAS, pem: oldKey.certificatePem }],
        iflows: [
          { id: 'Orders', deployed: true, publicKeyAlias: ALIAS },
          // Never named in any configuration: found through its externalized parameter.
          { id: 'Invoices', deployed: true, publicKeyAlias: ALIAS },
          { id: 'Unrelated', deployed: true, publicKeyAlias: 'other_enc' },
        ],
      },
    });
    receiverBlock = { kind: 'embedded', url: receiver.url };
    tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-alias-rule-' });
    Object.assign(tf.env, {
      CPI_TENANT_URL: tenant.url,
      CPI_USERNAME: tenant.credentials.username,
      CPI_PASSWORD: tenant.credentials.password,
      CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    tf.writeConfig(config(certificate(oldKey.certificatePem)));
    await tf.ok(['init']);
  });
  after(async () => {
    tf?.remove();
    await tenant?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('cpi_keystore_certificate', () => {
    test('managing the alias that already holds this certificate adopts it: no exchange, exchanged_at set', async () => {
      await tf.ok(['apply', '-auto-approve']);
      const v = await values('cpi_keystore_certificate.orders');
      assert.equal(v.fingerprint_sha256, oldKey.fingerprintSha256);
      assert.match(v.exchanged_at, /^\d{4}-\d\d-\d\dT/);
      await noOpPlan();
    });

    test('exchanging while deployed iFlows use the alias and the new key is not active is refused, naming the unlisted iFlow', async () => {
      tf.writeConfig(config(certificate(newKey.certificatePem)));
      await refused('CPI_ALIAS_EXCHANGE_UNSAFE', [
        /"Invoices" \(STARTED\)/,
        /"Orders" \(STARTED\)/,
        /"orders-2026" retired/,
      ]);
    });

    test('an exchange whose alias holds neither the expected old nor the new certificate is refused (compare-and-swap)', async () => {
      const third = generateKeyPairWithCertificate({
        algorithm: 'RSA-2048',
        subject: 'CN=someone-else',
        validityDays: 365,
        now: new Date(),
      });
      const { fingerprintSha256: thirdFp } = await import('../../src/pki/certificate-info').then((m) =>
        m.parseCertificatePem(third.certificatePem),
      );
      tf.writeConfig(config(certificate(newKey.certificatePem, { expected_previous_fingerprint_sha256: thirdFp })));
      await refused('CPI_RENEWAL_ALIAS_CONFLICT', [new RegExp(oldKey.fingerprintSha256)]);
    });

    test('a certificate that is not the one of the receiver key it is meant for is refused', async () => {
      tf.writeConfig(
        config(certificate(newKey.certificatePem, { receiver_key_fingerprint_sha256: oldKey.fingerprintSha256 })),
      );
      await refused('CPI_ALIAS_CERTIFICATE_KEY_MISMATCH', [new RegExp(newKey.fingerprintSha256)]);
    });

    test('a new certificate with less than min_validity_days left is refused', async () => {
      const short = generateKeyPairWithCertificate({
        algorithm: 'RSA-2048',
        subject: 'CN=short',
        validityDays: 10,
        now: new Date(),
      });
      tf.writeConfig(config(certificate(short.certificatePem)));
      await refused('CPI_PKI_CERT_VALIDITY_TOO_SHORT', [/at least 30 days/]);
    });

    test('destroying the alias while deployed iFlows use it is refused', async () => {
      tf.writeConfig(config(certificate(oldKey.certificatePem)));
      await refused('CPI_ALIAS_IN_USE', [/"Invoices" \(STARTED\)/], ['-destroy']);
      const destroy = await tf.run(['destroy', '-auto-approve', '-no-color']);
      assert.equal(destroy.code, 1);
      assert.equal(aliasFingerprint(), oldKey.fingerprintSha256);
    });

    test('renaming the alias (destroy-then-create) is refused while deployed iFlows use the old one', async () => {
      tf.writeConfig(
        config({
          cpi_keystore_certificate: {
            orders: { alias: 'orders_enc_v2', certificate_pem: oldKey.certificatePem, receiver: receiverBlock },
          },
        }),
      );
      await refused('CPI_ALIAS_IN_USE', [/renaming the alias/, /"Orders" \(STARTED\)/]);
    });

    test('with the new key active the exchange proceeds (compare-and-swap holds), re-timing exchanged_at; re-apply is a no-op', async () => {
      const first = (await values('cpi_keystore_certificate.orders')).exchanged_at;
      await admin.setKeyState('orders-2026', 'active', {});
      tf.writeConfig(
        config(certificate(newKey.certificatePem, { expected_previous_fingerprint_sha256: oldKey.fingerprintSha256 })),
      );
      await tf.ok(['apply', '-auto-approve']);
      assert.equal(aliasFingerprint(), newKey.fingerprintSha256);
      const second = (await values('cpi_keystore_certificate.orders')).exchanged_at;
      assert.ok(Date.parse(second) > Date.parse(first), `${second} after ${first}`);
      await noOpPlan();
    });

    test('a second renewal of the same alias, expecting the old certificate, is refused at plan', async () => {
      const other = generateKeyPairWithCertificate({
        algorithm: 'RSA-2048',
        subject: 'CN=renewal-b',
        validityDays: 365,
        now: new Date(),
      });
      tf.writeConfig(
        config(certificate(other.certificatePem, { expected_previous_fingerprint_sha256: oldKey.fingerprintSha256 })),
      );
      await refused('CPI_RENEWAL_ALIAS_CONFLICT', [new RegExp(newKey.fingerprintSha256)]);
    });

    test('rolling back to the old certificate re-times exchanged_at again', async () => {
      const before = (await values('cpi_keystore_certificate.orders')).exchanged_at;
      tf.writeConfig(
        config(
          certificate(oldKey.certificatePem, {
            expected_previous_fingerprint_sha256: newKey.fingerprintSha256,
            allow_same_key: false,
          }),
        ),
      );
      await tf.ok(['apply', '-auto-approve']);
      assert.equal(aliasFingerprint(), oldKey.fingerprintSha256);
      assert.ok(Date.parse((await values('cpi_keystore_certificate.orders')).exchanged_at) > Date.parse(before));
      await noOpPlan();
    });

    test('apply re-checks: a key retired between plan and apply stops the saved plan before the tenant changes', async () => {
      tf.writeConfig(
        config(certificate(newKey.certificatePem, { expected_previous_fingerprint_sha256: oldKey.fingerprintSha256 })),
      );
      await tf.ok(['plan', '-out', 'tfplan']);
      await admin.setKeyState('orders-2026', 'retired', {});
      const apply = await tf.run(['apply', '-no-color', 'tfplan']);
      assert.equal(apply.code, 1, apply.stdout);
      assert.match(apply.stderr, /CPI_ALIAS_EXCHANGE_UNSAFE/);
      assert.equal(aliasFingerprint(), oldKey.fingerprintSha256);
    });
  });
});
