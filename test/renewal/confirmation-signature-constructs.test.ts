// Signed confirmations in the constructs: the renewal's confirmationSigners reach every gate as
// confirmation_signers blocks, signer texts the provider would refuse fail synth, and the runbook shows the signing
// command, and the manifest carries them so that `cpi-renewal status` judges confirmations as the gates do. No key
// is used to sign here: the texts hold public keys only.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, TerraformStack } from '../../constructs/cdktf';
import {
  EncryptionCertificateRenewal,
  type EncryptionCertificateRenewalProps,
} from '../../constructs/encryption-certificate-renewal';
import { RenewalGate } from '../../constructs/renewal-gate';
import { CpiError } from '../../src/errors';
import { evaluateGate } from '../../src/renewal/evidence';
import { confirmSteps } from '../../src/renewal/gate-report';
import { readManifests } from '../../src/renewal/manifest';
import type { Party } from '../../src/renewal/party';
import { gateFacts } from '../../src/renewal/renewal-status';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const outdir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-signed-constructs-'));
  dirs.push(dir);
  return dir;
};

const FP = 'AB:'.repeat(31) + 'AB';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO/0qtaycB+H3iMq7rYhTMS2MQWe7LNjzTQYxPPoGLcN fixture';
const SIGNERS = {
  'receiver-admin': `"Ada *" ${KEY}\n`,
  'tenant-admin': `* ${KEY}\n`,
  'integration-developer': `* ${KEY}\n`,
};
const RENEWAL: EncryptionCertificateRenewalProps = {
  renewalId: 'orders-2026',
  variant: 'overlap',
  alias: 'orders-receiver',
  iflowIds: ['OrdersOut'],
  receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
  newKey: { name: 'orders-2026', subject: 'CN=orders-2026,O=Example' },
  oldKeyName: 'orders-2025',
  confirmationSigners: SIGNERS,
};
const refused = (build: () => unknown, pattern: RegExp) =>
  assert.throws(
    build,
    (e: unknown) => e instanceof CpiError && e.code === 'CPI_GATE_SIGNERS_INVALID' && pattern.test(e.message),
  );

describe('signed confirmations in the constructs', { timeout: 120_000 }, () => {
  test('the renewal passes its signers to every gate, forward and on the way back, as confirmation_signers blocks', () => {
    const dir = outdir();
    const app = new App({ outdir: dir });
    new EncryptionCertificateRenewal(app, 'renewal', RENEWAL);
    app.synth();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const gates = Object.keys(manifest.stacks).flatMap((name) => {
      const stack = JSON.parse(readFileSync(join(dir, 'stacks', name, 'cdk.tf.json'), 'utf8'));
      return Object.values(stack.resource?.cpi_renewal_gate ?? {}) as {
        gate: string;
        confirmation_signers: object[];
      }[];
    });
    assert.ok(
      gates.some((g) => g.gate.startsWith('rollback-')),
      'the way back has gates',
    );
    for (const gate of gates)
      assert.deepEqual(
        gate.confirmation_signers,
        Object.entries(SIGNERS).map(([party, allowed_signers]) => ({ party, allowed_signers })),
        gate.gate,
      );
  });

  test('the runbook shows the signing command for every confirmation', () => {
    const renewal = new EncryptionCertificateRenewal(new App({ outdir: outdir() }), 'renewal', {
      ...RENEWAL,
      writeRunbook: false,
    });
    const lines = renewal
      .runbook()
      .split('\n')
      .filter((l) => l.startsWith('cpi-renewal confirm '));
    assert.ok(lines.length > 0, 'lines.length > 0');
    for (const line of lines) assert.match(line, /--sign-with "<your SSH key file, e\.g\. ~\/\.ssh\/id_ed25519>"$/);
    assert.match(renewal.runbook(), /ssh-keygen -Y sign -n cpi-renewal-confirmation/);
    const unsigned = new EncryptionCertificateRenewal(new App({ outdir: outdir() }), 'renewal', {
      ...RENEWAL,
      confirmationSigners: undefined,
      writeRunbook: false,
    });
    assert.doesNotMatch(unsigned.runbook(), /--sign-with/);
  });

  test('a renewal whose signers leave out a party a gate asks to confirm fails synth', () => {
    refused(
      () =>
        new EncryptionCertificateRenewal(new App({ outdir: outdir() }), 'renewal', {
          ...RENEWAL,
          confirmationSigners: { 'tenant-admin': SIGNERS['tenant-admin'] },
        }),
      /lists no key for receiver-admin|lists no key for integration-developer/,
    );
  });

  test('status judges confirmations as the gates do: the manifest carries the signers, an unsigned one does not count', async () => {
    const dir = outdir();
    const app = new App({ outdir: dir });
    const renewal = new EncryptionCertificateRenewal(app, 'renewal', RENEWAL);
    app.synth();
    const { manifest } = readManifests(dir)[0]!;
    assert.deepEqual(manifest.confirmationSigners, SIGNERS);
    const { facts } = gateFacts(manifest, [], join(dir, 'confirmations'));
    assert.deepEqual(Object.keys(facts.confirmationSigners ?? {}).sort(), Object.keys(SIGNERS).sort());
    const stage = renewal._stageSpecs.find((s) => s.gate?.requirements.some((r) => r.kind === 'confirmation'))!;
    const gate = { ...stage.gate!, mode: 'all' as const };
    const withCertificate = { ...facts, newCertificate: { fingerprintSha256: FP } };
    const party = gate.requirements.find((r) => r.kind === 'confirmation')!;
    const unsigned = {
      renewalId: RENEWAL.renewalId,
      gate: gate.name,
      fingerprintSha256: FP,
      party: (party as { party: Party }).party,
      person: 'Ada Lovelace',
      confirmedAt: new Date('2026-12-04T05:00:00Z'),
    };
    const evaluation = await evaluateGate(gate, withCertificate, {
      now: () => new Date('2026-12-04T06:00:00Z'),
      readConfirmations: () => ({ confirmations: [unsigned] }),
      probe: async () => ({ decrypted: false, detail: 'not asked' }),
      tenantAliasFingerprint: async () => undefined,
      iflowStatus: async () => undefined,
    });
    const result = evaluation.results.find((r) => r.requirement.kind === 'confirmation')!;
    assert.equal(result.holds, false);
    assert.match(result.message, /it is not signed/);
    const steps = confirmSteps(gate, withCertificate, evaluation.results, {
      dir: 'renewals/orders-2026/confirmations',
    });
    assert.ok(steps.length > 0, 'steps.length > 0');
    for (const step of steps) assert.match(step.command, /--sign-with "<your SSH key file/);
  });

  test('RenewalGate refuses at synth a signer text the provider could not read', () => {
    const gate = (text: string) => () =>
      new RenewalGate(new TerraformStack(new App({ outdir: outdir() }), 'gate'), 'gate', {
        renewalId: 'orders-2026',
        gate: 'exchange-certificate',
        waitsFor: ['receiver-admin'],
        requirements: [{ kind: 'confirmation', party: 'receiver-admin' }],
        newCertificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        confirmationSigners: { 'receiver-admin': text },
      });
    refused(gate('ada'), /line 1: expected "principals/);
    refused(gate(`ada cert-authority ${KEY}`), /cert-authority is not supported/);
    refused(gate(`ada ssh-ed25519 AAAAbroken`), /line 1: the ssh-ed25519 key cannot be read|not a ssh-ed25519 key/);
    assert.doesNotThrow(gate(`ada ${KEY}`));
  });
});
