// The alias rule for cpi_iflow_deployment, through the real terraform binary against the tenant and receiver
// emulators: a deploy the receiver could not decrypt for is refused; the stop-sending stage's `deployed = false`
// with undeployed_until_alias_holds becomes a no-op (and its destroy leaves the iFlow running) once the alias holds
// the new certificate; destroying the deployment of a running iFlow that sends with the alias is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AliasRuleWorld, ALIAS } from './alias-rule-world';

describe('cpi_iflow_deployment and the alias rule through terraform', { timeout: 900_000 }, () => {
  const w = new AliasRuleWorld();
  before(() => w.start());
  after(() => w.stop());

  const stopSending = (iflowId: string) => ({
    iflow_id: iflowId,
    deployed: false,
    encryption_alias: ALIAS,
    undeployed_until_alias_holds: w.newKey.fingerprintSha256,
    receiver: w.receiverBlock,
  });
  const resume = () => ({ iflow_id: 'Orders', deployed: true, encryption_alias: ALIAS, receiver: w.receiverBlock });
  const renewal = (pem: string, deployments: Record<string, object>, extra: object = {}) =>
    w.config({
      ...w.certificate(pem, extra),
      cpi_iflow_deployment: deployments,
    });
  const status = (id: string) => w.tenant.state.runtimeArtifacts().find((a) => a.id === id)?.status;

  test('stop-sending undeploys every iFlow using the alias; then the exchange is allowed', async () => {
    w.tf.writeConfig(
      renewal(w.oldKey.certificatePem, { stop_orders: stopSending('Orders'), stop_invoices: stopSending('Invoices') }),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(status('Orders'), undefined);
    assert.equal(status('Invoices'), undefined);
    w.tf.writeConfig(
      renewal(
        w.newKey.certificatePem,
        { stop_orders: stopSending('Orders'), stop_invoices: stopSending('Invoices') },
        { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 },
      ),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(w.aliasFingerprint(), w.newKey.fingerprintSha256);
  });

  test('deploying while the receiver has no active key for the certificate under the alias is refused', async () => {
    w.tf.writeConfig(
      renewal(
        w.newKey.certificatePem,
        { stop_orders: stopSending('Orders'), stop_invoices: stopSending('Invoices'), resume: resume() },
        { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 },
      ),
    );
    await w.refused('CPI_IFLOW_DEPLOY_UNSAFE', [new RegExp(w.newKey.fingerprintSha256), /"orders-2026" retired/]);
    assert.equal(status('Orders'), undefined);
  });

  test('with the new key active the deploy proceeds, and re-applying stop-sending plans no change', async () => {
    await w.admin.setKeyState('orders-2026', 'active', {});
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(status('Orders'), 'STARTED');
    await w.noOpPlan();
    // A no-op apply still saves the refreshed state; tenant and receiver must not move.
    const outside = async () => JSON.parse(await w.world()).runtime.concat(JSON.parse(await w.world()).receiver);
    const before = await outside();
    await w.tf.ok(['apply', '-auto-approve']);
    assert.deepEqual(await outside(), before);
    assert.equal(status('Orders'), 'STARTED');
  });

  test('destroying the stop-sending resources after the exchange leaves the iFlow running', async () => {
    w.tf.writeConfig(
      renewal(
        w.newKey.certificatePem,
        { resume: resume() },
        { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 },
      ),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(status('Orders'), 'STARTED');
    await w.noOpPlan();
  });

  test('destroying the deployment of the running iFlow, or removing it from the configuration, is refused', async () => {
    await w.refused('CPI_IFLOW_UNDEPLOY_REFUSED', [/iFlow "Orders", which is deployed \(STARTED\)/], ['-destroy']);
    w.tf.writeConfig(
      w.config(
        w.certificate(w.newKey.certificatePem, { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 }),
      ),
    );
    await w.refused('CPI_IFLOW_UNDEPLOY_REFUSED', [/sends with alias/]);
    assert.equal(status('Orders'), 'STARTED');
  });
});
