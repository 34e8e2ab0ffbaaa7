// The world the alias-rule e2e files share: a tenant emulator whose alias `orders_enc` holds the old key's
// certificate and is used by two deployed iFlows (Orders, and Invoices that no configuration ever names), a
// receiver emulator with the old key active and the new key retired, and a terraform working directory.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import type { ReceiverKey } from '../../src/receiver/receiver-backend';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

export const ALIAS = 'orders_enc';
const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const ADMIN_TOKEN = 'admin-Token-alias-rule';

export class AliasRuleWorld {
  tenant!: TenantEmulator;
  receiver!: ReceiverEmulator;
  admin!: EmbeddedBackend;
  tf!: TerraformWorkdir;
  oldKey!: ReceiverKey;
  newKey!: ReceiverKey;
  receiverBlock!: object;
  private dir = '';

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'alias-rule-e2e-'));
    this.receiver = await startReceiverEmulator({ dataDir: join(this.dir, 'receiver'), adminToken: ADMIN_TOKEN });
    this.admin = new EmbeddedBackend({ url: this.receiver.url, adminToken: ADMIN_TOKEN });
    const spec = { algorithm: 'RSA-2048' as const, validityDays: 365 };
    this.oldKey = await this.admin.generateKey({ ...spec, name: 'orders-2025', subject: 'CN=orders-2025,O=Receiver' });
    this.newKey = await this.admin.generateKey({
      ...spec,
      name: 'orders-2026',
      subject: 'CN=orders-2026,O=Receiver',
      state: 'retired',
    });
    this.tenant = await startTenantEmulator({
      dataDir: join(this.dir, 'tenant'),
      config: {
        deployDelayMs: 200,
        undeployDelayMs: 100,
        certificates: [{ alias: ALIAS, pem: this.oldKey.certificatePem }],
        iflows: [
          { id: 'Orders', deployed: true, publicKeyAlias: ALIAS },
          // Never named in any configuration: found through its externalized parameter.
          { id: 'Invoices', deployed: true, publicKeyAlias: ALIAS },
          { id: 'Unrelated', deployed: true, publicKeyAlias: 'other_enc' },
        ],
      },
    });
    this.receiverBlock = { kind: 'embedded', url: this.receiver.url };
    this.tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-alias-rule-' });
    Object.assign(this.tf.env, {
      CPI_TENANT_URL: this.tenant.url,
      CPI_USERNAME: this.tenant.credentials.username,
      CPI_PASSWORD: this.tenant.credentials.password,
      CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    this.tf.writeConfig(this.config(this.certificate(this.oldKey.certificatePem)));
    await this.tf.ok(['init']);
  }

  async stop(): Promise<void> {
    this.tf?.remove();
    await this.tenant?.close();
    await this.receiver?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  config(resources: Record<string, object>): object {
    return {
      terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
      provider: { cpi: {} },
      resource: resources,
    };
  }

  certificate(pem: string, extra: object = {}): Record<string, object> {
    return {
      cpi_keystore_certificate: {
        orders: { alias: ALIAS, certificate_pem: pem, receiver: this.receiverBlock, ...extra },
      },
    };
  }

  aliasFingerprint(): string | undefined {
    return this.tenant.state.keystoreEntries().find((e) => e.alias === ALIAS)?.fingerprintSha256;
  }

  /** Everything an unsafe change must leave alone: tenant keystore and runtime, receiver keys, Terraform state. */
  async world(): Promise<string> {
    const stateFile = join(this.tf.dir, 'terraform.tfstate');
    return JSON.stringify({
      keys: this.tenant.state.keystoreEntries().map((e) => [e.alias, e.fingerprintSha256]),
      runtime: this.tenant.state.runtimeArtifacts().map((a) => [a.id, a.status]),
      receiver: (await this.admin.listKeys()).map((k) => [k.name, k.state, k.retainUntil?.toISOString()]),
      state: existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '',
    });
  }

  async values(address: string): Promise<any> {
    const state = JSON.parse((await this.tf.ok(['show', '-json'])).stdout);
    return state.values.root_module.resources.find((r: { address: string }) => r.address === address).values;
  }

  /** Plan and apply are both refused with `code`, naming `seen`; nothing changes. */
  async refused(code: string, seen: RegExp[], args: string[] = []): Promise<void> {
    const before = await this.world();
    const plan = await this.tf.run(['plan', '-no-color', ...args]);
    assert.equal(plan.code, 1, plan.stdout + plan.stderr);
    assert.match(plan.stderr, new RegExp(code));
    for (const s of seen) assert.match(plan.stderr.replace(/\s+/g, ' '), s);
    const apply = await this.tf.run(['apply', '-auto-approve', '-no-color', ...args]);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stderr, new RegExp(code));
    assert.equal(await this.world(), before, 'tenant, receiver and state are unchanged');
  }

  async noOpPlan(): Promise<void> {
    const plan = await this.tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  }
}
