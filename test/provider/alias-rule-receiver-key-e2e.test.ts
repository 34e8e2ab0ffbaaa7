// The alias rule and the forward-only lifecycle of cpi_receiver_key, through the real terraform binary against the
// tenant and receiver emulators: retiring or deleting the key under the alias is refused while deployed iFlows use
// it; pending -> active -> retired never steps back without rollback_reason; refresh records when the alias let go.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AliasRuleWorld, ALIAS } from './alias-rule-world';

describe('cpi_receiver_key and the alias rule through terraform', { timeout: 900_000 }, () => {
  const w = new AliasRuleWorld();
  before(() => w.start());
  after(() => w.stop());

  const key = (name: string, extra: object = {}) => ({
    key_name: name,
    subject: `CN=${name},O=Receiver`,
    validity_days: 365,
    receiver: w.receiverBlock,
    encryption_alias: ALIAS,
    ...extra,
  });
  const keys = (resources: Record<string, object>) =>
    w.config({ ...w.certificate(w.oldKey.certificatePem), cpi_receiver_key: resources });

  test('the key under the alias, imported, shows that the alias holds its certificate; re-plan is a no-op', async () => {
    w.tf.writeConfig(keys({ old: key('orders-2025') }));
    await w.tf.ok([
      'import',
      'cpi_receiver_key.old',
      JSON.stringify({ key_name: 'orders-2025', receiver: w.receiverBlock }),
    ]);
    await w.tf.ok(['apply', '-auto-approve']);
    const v = await w.values('cpi_receiver_key.old');
    assert.equal(v.alias_holds_certificate, true);
    assert.equal(v.alias_released_at, null);
    await w.noOpPlan();
  });

  test('retiring the key under the alias while deployed iFlows use it is refused, naming the unlisted iFlow', async () => {
    w.tf.writeConfig(keys({ old: key('orders-2025', { state: 'retired' }) }));
    await w.refused('CPI_RECEIVER_KEY_IN_USE', [/"Invoices" \(STARTED\)/, /orders-2025/]);
  });

  test('deleting it is refused while in use, even with an early destruction reason', async () => {
    w.tf.writeConfig(keys({ old: key('orders-2025', { early_destruction_reason: 'suspected leak' }) }));
    await w.tf.ok(['apply', '-auto-approve']);
    await w.refused('CPI_RECEIVER_KEY_IN_USE', [/destroying key "orders-2025"/], ['-destroy']);
    w.tf.writeConfig(keys({ old: key('orders-2025') }));
    await w.tf.ok(['apply', '-auto-approve']);
  });

  test('forward only: pending -> active applies; declaring pending again plans no change; rollback_reason goes back', async () => {
    w.tf.writeConfig(keys({ old: key('orders-2025'), fresh: key('orders-2027', { state: 'pending' }) }));
    await w.tf.ok(['apply', '-auto-approve']);
    const generated = (await w.admin.listKeys()).find((k) => k.name === 'orders-2027')!;
    assert.equal(generated.state, 'retired', 'a pending key does not decrypt');
    assert.equal((await w.values('cpi_receiver_key.fresh')).state, 'pending');
    await w.noOpPlan();

    w.tf.writeConfig(keys({ old: key('orders-2025'), fresh: key('orders-2027', { state: 'active' }) }));
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal((await w.admin.listKeys()).find((k) => k.name === 'orders-2027')!.state, 'active');

    w.tf.writeConfig(keys({ old: key('orders-2025'), fresh: key('orders-2027', { state: 'pending' }) }));
    const before = await w.world();
    const plan = await w.tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout + plan.stderr, /behind/);
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(await w.world(), before, 'applying the earlier stage again changes nothing');

    w.tf.writeConfig(
      keys({
        old: key('orders-2025'),
        fresh: key('orders-2027', { state: 'pending', rollback_reason: 'receiver cannot decrypt yet' }),
      }),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal((await w.admin.listKeys()).find((k) => k.name === 'orders-2027')!.state, 'retired');
    assert.equal((await w.values('cpi_receiver_key.fresh')).state, 'pending');
    await w.noOpPlan();
  });

  test('a refresh records when the alias stopped holding the key; retention counts from there', async () => {
    const client = new (await import('../../src/tenant/tenant-client')).TenantClient({
      tenantUrl: w.tenant.url,
      auth: { kind: 'basic', username: w.tenant.credentials.username, password: w.tenant.credentials.password },
    });
    const fresh = (await w.admin.listKeys()).find((k) => k.name === 'orders-2027')!;
    await client.putCertificate(ALIAS, fresh.certificatePem, { update: true, fingerprintVerified: true });
    await w.tf.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.equal((await w.values('cpi_receiver_key.fresh')).alias_holds_certificate, true);
    await client.putCertificate(ALIAS, w.oldKey.certificatePem, { update: true, fingerprintVerified: true });
    const moved = Date.now();
    await w.tf.ok(['apply', '-refresh-only', '-auto-approve']);
    const v = await w.values('cpi_receiver_key.fresh');
    assert.equal(v.alias_holds_certificate, false);
    assert.ok(Date.parse(v.alias_released_at) >= moved - 1000, v.alias_released_at);
    await w.noOpPlan();
  });
});
