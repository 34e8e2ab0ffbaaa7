// cpi_keystore_certificate's plan of a certificate it checked before: the facts come from the prior state instead
// of reading the certificate again (the largest cost of a no-op plan at N = 1,000), and every rule still decides.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CpiError } from '../../src/errors';
import type { ObjectValue } from '../../src/provider/cty';
import type { ProviderClients } from '../../src/provider/provider-config';
import type { CallContext, PlanResult } from '../../src/provider/resource';
import { certificateFacts, keystoreCertificate } from '../../src/provider/resources/keystore-certificate';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { createLogger } from '../../src/provider/logger';
import { certificatePem, DAY, NOW } from '../pki/fixtures';

const ALIAS = 'receiver_enc';

function context(now = NOW) {
  const warnings: string[] = [];
  let tenantCalls = 0;
  const tenant = {
    keystoreEntry: () => {
      tenantCalls++;
      return Promise.resolve(undefined);
    },
  };
  const ctx: CallContext<ProviderClients> = {
    signal: new AbortController().signal,
    log: createLogger(),
    provider: () => ({ tenant }) as unknown as ProviderClients,
    warn: (summary) => warnings.push(summary),
    now: () => now,
  };
  return { ctx, warnings, tenantCalls: () => tenantCalls };
}

function config(pem: string): ObjectValue {
  return {
    alias: ALIAS,
    certificate_pem: pem,
    allow_same_key: null,
    expiry_warning_days: null,
    min_validity_days: null,
    expected_previous_fingerprint_sha256: null,
    receiver_key_fingerprint_sha256: null,
    deletion_policy: null,
    receiver: null,
  };
}

function proposed(pem: string, prior: ObjectValue | null): ObjectValue {
  return {
    ...(prior ?? {}),
    ...config(pem),
    allow_same_key: false,
    expiry_warning_days: 30,
    min_validity_days: 30,
    deletion_policy: 'DELETE',
  };
}

function plan(pem: string, prior: ObjectValue | null, priorPrivate: Uint8Array | undefined, now = NOW) {
  const c = context(now);
  const result = Promise.resolve(
    keystoreCertificate.plan!(
      { prior, proposed: proposed(pem, prior), config: config(pem), ...(priorPrivate ? { priorPrivate } : {}) },
      c.ctx,
    ),
  );
  return { result, ...c };
}

/** What an import of `pem` leaves in state (no private state). */
function stateOf(pem: string): ObjectValue {
  return applied({ ...proposed(pem, null), ...certificateFacts(parseCertificatePem(pem)), id: ALIAS });
}

/** The state an apply of `planned` leaves (computed values as the create would set them). */
function applied(planned: ObjectValue): ObjectValue {
  return { ...planned, owner: null, exchanged_at: NOW.toISOString() };
}

async function refused(promise: Promise<PlanResult>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CpiError, `expected a CpiError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe(
  'cpi_keystore_certificate plan: facts from prior state for an unchanged certificate',
  { timeout: 60_000 },
  () => {
    const pem = certificatePem({ key: 'plan-a' });

    /** The state of an imported certificate, and the mark the first plan of it (read in full) leaves. */
    async function created() {
      const { planned, private: mark } = await plan(pem, stateOf(pem), undefined).result;
      assert.ok(mark && mark.length > 0, 'a plan that read and checked the certificate marks it in private state');
      return { state: applied(planned), mark };
    }

    test('an unchanged, checked certificate plans as before without reading it again', async () => {
      const { state, mark } = await created();
      const again = plan(pem, state, mark);
      const { planned } = await again.result;
      for (const name of [
        'fingerprint_sha256',
        'serial_number',
        'issuer_dn',
        'subject_dn',
        'valid_not_after',
        'key_size',
      ])
        assert.equal(planned[name], state[name], `${name} is carried over from state`);
      assert.equal(planned.exchanged_at, state.exchanged_at, 'no exchange is planned');
      assert.equal(again.tenantCalls(), 0, 'the tenant is not asked: nothing arrives under the alias');

      // Proof that the facts come from state: the same (unreadable) text in state and configuration plans fine once
      // marked, while without the mark the certificate is read and refused.
      const garbled = pem.replace(/^(-----BEGIN CERTIFICATE-----\n)MII/, '$1AAA');
      const marked = { ...state, certificate_pem: garbled };
      await plan(garbled, marked, mark).result;
      await refused(plan(garbled, marked, undefined).result, 'CPI_PKI_CERTIFICATE_UNREADABLE');
    });

    test('the clock is still checked: a recorded certificate that has expired is refused', async () => {
      const { state, mark } = await created();
      const later = new Date(NOW.getTime() + 400 * DAY);
      await refused(plan(pem, state, mark, later).result, 'CPI_PKI_CERT_EXPIRED');
    });

    test('expiring soon still warns', async () => {
      const { state, mark } = await created();
      const soon = plan(pem, state, mark, new Date(NOW.getTime() + 350 * DAY));
      await soon.result;
      assert.deepEqual(soon.warnings, ['CPI_PKI_CERT_EXPIRING_SOON: certificate_pem']);
    });

    test('without the mark (an imported certificate) the certificate is read and every rule applies', async () => {
      const noEncipherment = certificatePem({ key: 'plan-b', keyUsage: ['digitalSignature'] });
      // what an import leaves: the state holds the certificate, no private state
      const imported = stateOf(noEncipherment);
      await refused(plan(noEncipherment, imported, undefined).result, 'CPI_PKI_NO_KEY_ENCIPHERMENT');
      // a mark for another certificate does not count either
      const { mark } = await created();
      await refused(plan(noEncipherment, imported, mark).result, 'CPI_PKI_NO_KEY_ENCIPHERMENT');
    });

    test('a changed certificate is read and checked in full, mark or not', async () => {
      const { state, mark } = await created();
      const weak = certificatePem({ key: 'plan-c', keyUsage: ['digitalSignature'] });
      await refused(plan(weak, state, mark).result, 'CPI_PKI_NO_KEY_ENCIPHERMENT');
    });
  },
);

describe(
  'cpi_keystore_certificate refresh: marks an imported certificate once its fixed facts pass',
  { timeout: 60_000 },
  () => {
    test('a good certificate read without a mark gets one; the next plan takes its facts from state', async () => {
      const pem = certificatePem({ key: 'read-a' });
      const state = stateOf(pem);
      const { ctx } = context();
      const mark = await keystoreCertificate.readPrivate!(state, undefined, ctx);
      assert.ok(mark && mark.length > 0, 'the refresh marks the certificate as checked');
      const garbled = pem.replace(/^(-----BEGIN CERTIFICATE-----\n)MII/, '$1AAA');
      await plan(garbled, { ...state, certificate_pem: garbled }, mark).result;
      assert.equal(
        await keystoreCertificate.readPrivate!(state, mark, ctx),
        undefined,
        'an existing mark stays as it is',
      );
    });

    test('a certificate whose key fails the rules is not marked, so every plan refuses it', async () => {
      const pem = certificatePem({ key: 'read-b', keyUsage: ['digitalSignature'] });
      const state = stateOf(pem);
      const { ctx } = context();
      assert.equal(await keystoreCertificate.readPrivate!(state, undefined, ctx), undefined, 'no mark for a bad key');
      await refused(plan(pem, state, undefined).result, 'CPI_PKI_NO_KEY_ENCIPHERMENT');
    });
  },
);
