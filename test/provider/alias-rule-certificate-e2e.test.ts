// The alias rule (docs/alias-rule.md) for cpi_keystore_certificate, through the real terraform binary against the
// tenant and receiver emulators: every unsafe exchange, destroy or rename is refused at plan (and re-checked at
// apply) with its code, naming what was seen, and leaves tenant, receiver and state unchanged; the safe exchange,
// its rollback and their re-apply converge.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { ALIAS, AliasRuleWorld } from './alias-rule-world';

describe('cpi_keystore_certificate and the alias rule through terraform', { timeout: 900_000 }, () => {
  const w = new AliasRuleWorld();
  before(() => w.start());
  after(() => w.stop());

  test('managing the alias that already holds this certificate adopts it: no exchange, exchanged_at set', async () => {
    await w.tf.ok(['apply', '-auto-approve']);
    const v = await w.values('cpi_keystore_certificate.orders');
    assert.equal(v.fingerprint_sha256, w.oldKey.fingerprintSha256);
    assert.match(v.exchanged_at, /^\d{4}-\d\d-\d\dT/);
    await w.noOpPlan();
  });

  test('exchanging while deployed iFlows use the alias and the new key is not active is refused, naming the unlisted iFlow', async () => {
    w.tf.writeConfig(w.config(w.certificate(w.newKey.certificatePem)));
    await w.refused('CPI_ALIAS_EXCHANGE_UNSAFE', [
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
    w.tf.writeConfig(
      w.config(w.certificate(w.newKey.certificatePem, { expected_previous_fingerprint_sha256: thirdFp })),
    );
    await w.refused('CPI_RENEWAL_ALIAS_CONFLICT', [new RegExp(w.oldKey.fingerprintSha256)]);
  });

  test('a certificate that is not the one of the receiver key it is meant for is refused', async () => {
    w.tf.writeConfig(
      w.config(w.certificate(w.newKey.certificatePem, { receiver_key_fingerprint_sha256: w.oldKey.fingerprintSha256 })),
    );
    await w.refused('CPI_ALIAS_CERTIFICATE_KEY_MISMATCH', [new RegExp(w.newKey.fingerprintSha256)]);
  });

  test('a new certificate with less than min_validity_days left is refused', async () => {
    const short = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=short',
      validityDays: 10,
      now: new Date(),
    });
    w.tf.writeConfig(w.config(w.certificate(short.certificatePem)));
    await w.refused('CPI_PKI_CERT_VALIDITY_TOO_SHORT', [/at least 30 days/]);
  });

  test('destroying the alias while deployed iFlows use it is refused', async () => {
    w.tf.writeConfig(w.config(w.certificate(w.oldKey.certificatePem)));
    await w.refused('CPI_ALIAS_IN_USE', [/"Invoices" \(STARTED\)/], ['-destroy']);
    const destroy = await w.tf.run(['destroy', '-auto-approve', '-no-color']);
    assert.equal(destroy.code, 1);
    assert.equal(w.aliasFingerprint(), w.oldKey.fingerprintSha256);
  });

  test('renaming the alias (destroy-then-create) is refused while deployed iFlows use the old one', async () => {
    w.tf.writeConfig(
      w.config({
        cpi_keystore_certificate: {
          orders: { alias: 'orders_enc_v2', certificate_pem: w.oldKey.certificatePem, receiver: w.receiverBlock },
        },
      }),
    );
    await w.refused('CPI_ALIAS_IN_USE', [/renaming the alias/, /"Orders" \(STARTED\)/]);
  });

  test('with the new key active the exchange proceeds (compare-and-swap holds), re-timing exchanged_at; re-apply is a no-op', async () => {
    const first = (await w.values('cpi_keystore_certificate.orders')).exchanged_at;
    await w.admin.setKeyState('orders-2026', 'active', {});
    w.tf.writeConfig(
      w.config(
        w.certificate(w.newKey.certificatePem, { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 }),
      ),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(w.aliasFingerprint(), w.newKey.fingerprintSha256);
    const second = (await w.values('cpi_keystore_certificate.orders')).exchanged_at;
    assert.ok(Date.parse(second) > Date.parse(first), `${second} after ${first}`);
    await w.noOpPlan();
  });

  test('a second renewal of the same alias, expecting the old certificate, is refused at plan', async () => {
    const other = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=renewal-b',
      validityDays: 365,
      now: new Date(),
    });
    w.tf.writeConfig(
      w.config(
        w.certificate(other.certificatePem, { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 }),
      ),
    );
    await w.refused('CPI_RENEWAL_ALIAS_CONFLICT', [new RegExp(w.newKey.fingerprintSha256)]);
  });

  test('rolling back to the old certificate re-times exchanged_at again', async () => {
    const before = (await w.values('cpi_keystore_certificate.orders')).exchanged_at;
    w.tf.writeConfig(
      w.config(
        w.certificate(w.oldKey.certificatePem, {
          expected_previous_fingerprint_sha256: w.newKey.fingerprintSha256,
          allow_same_key: false,
        }),
      ),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.equal(w.aliasFingerprint(), w.oldKey.fingerprintSha256);
    assert.ok(
      Date.parse((await w.values('cpi_keystore_certificate.orders')).exchanged_at) > Date.parse(before),
      "Date.parse((await w.values('cpi_keystore_certificate.orders')).exchanged_at) > Date.parse(before)",
    );
    await w.noOpPlan();
  });

  test('apply re-checks: a key retired between plan and apply stops the saved plan before the tenant changes', async () => {
    w.tf.writeConfig(
      w.config(
        w.certificate(w.newKey.certificatePem, { expected_previous_fingerprint_sha256: w.oldKey.fingerprintSha256 }),
      ),
    );
    await w.tf.ok(['plan', '-out', 'tfplan']);
    await w.admin.setKeyState('orders-2026', 'retired', {});
    const apply = await w.tf.run(['apply', '-no-color', 'tfplan']);
    assert.equal(apply.code, 1, apply.stdout);
    assert.match(apply.stderr, /CPI_ALIAS_EXCHANGE_UNSAFE/);
    assert.equal(w.aliasFingerprint(), w.oldKey.fingerprintSha256);
  });

  test('deletion_policy ABANDON: destroy releases the alias from state, leaving it and its certificate in the tenant while deployed iFlows use it; an import block adopts it again with no change', async () => {
    w.tf.writeConfig(w.config(w.certificate(w.oldKey.certificatePem, { deletion_policy: 'ABANDON' })));
    await w.tf.ok(['apply', '-auto-approve']);
    const keys = () => w.tenant.state.keystoreEntries().map((e) => [e.alias, e.fingerprintSha256]);
    const before = keys();
    const plan = await w.tf.run(['plan', '-destroy', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    const shown = (plan.stdout + plan.stderr).replace(/\s+/g, ' ');
    assert.match(shown, /Alias "orders_enc" is released, not deleted/, 'the plan says the alias is released');
    assert.doesNotMatch(shown, /PRIVATE KEY/, 'no private key in the plan output');
    await w.tf.ok(['destroy', '-auto-approve']);
    assert.deepEqual(keys(), before, 'the tenant keystore is untouched');
    assert.equal(w.aliasFingerprint(), w.oldKey.fingerprintSha256);
    const state = JSON.parse((await w.tf.ok(['show', '-json'])).stdout);
    assert.equal(state.values?.root_module?.resources, undefined, 'the resource is released from state');

    w.tf.writeConfig({
      ...w.config(w.certificate(w.oldKey.certificatePem, { deletion_policy: 'ABANDON' })),
      import: [{ to: 'cpi_keystore_certificate.orders', id: ALIAS }],
    });
    await w.tf.ok(['apply', '-auto-approve']);
    assert.deepEqual(keys(), before, 'adopting again puts nothing to the tenant');
    const adopted = await w.values('cpi_keystore_certificate.orders');
    assert.equal(adopted.fingerprint_sha256, w.oldKey.fingerprintSha256);
    assert.match(adopted.exchanged_at, /^\d{4}-\d\d-\d\dT/, 'exchanged_at is read from the tenant entry');
    await w.noOpPlan();
  });

  test('deletion_policy DELETE: destroy is still refused while a deployed iFlow uses the alias, and deletes an alias nobody uses', async () => {
    const spare = { alias: 'spare_enc', certificate_pem: w.newKey.certificatePem, deletion_policy: 'DELETE' };
    w.tf.writeConfig(
      w.config({
        cpi_keystore_certificate: {
          ...w.certificate(w.oldKey.certificatePem, { deletion_policy: 'DELETE' }).cpi_keystore_certificate,
          spare,
        },
      }),
    );
    await w.tf.ok(['apply', '-auto-approve']);
    assert.ok(
      w.tenant.state.keystoreEntries().some((e) => e.alias === 'spare_enc'),
      'the unused alias was created',
    );
    await w.refused('CPI_ALIAS_IN_USE', [/"Invoices" \(STARTED\)/], ['-destroy']);
    await w.tf.ok(['destroy', '-auto-approve', '-target=cpi_keystore_certificate.spare']);
    assert.ok(
      !w.tenant.state.keystoreEntries().some((e) => e.alias === 'spare_enc'),
      'the alias nobody uses is deleted',
    );
    assert.equal(w.aliasFingerprint(), w.oldKey.fingerprintSha256);
  });
});
