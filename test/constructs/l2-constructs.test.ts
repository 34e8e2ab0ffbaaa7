// The L2 constructs: what they synthesize and how they refuse bad props (naming the value).
import { after, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { App, TerraformStack, Testing } from '../../constructs/cdktf';
import { IntegrationFlowDeployment } from '../../constructs/integration-flow-deployment';
import { ReceiverDecryptionKey } from '../../constructs/receiver-decryption-key';
import { RenewalGate } from '../../constructs/renewal-gate';
import { TenantKeystoreCertificate } from '../../constructs/tenant-keystore-certificate';
import { CpiError } from '../../src/errors';

// Testing.app() leaves a temp directory per call; one directory for the file, removed at the end.
const OUT = mkdtempSync(join(tmpdir(), 'cpi-l2-'));
after(() => rmSync(OUT, { recursive: true, force: true }));

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const RECEIVER = { kind: 'embedded', url: 'http://127.0.0.1:8081' } as const;

function stack(): TerraformStack {
  return new TerraformStack(new App({ outdir: OUT }), 'l2');
}
function synth(s: TerraformStack): Record<string, any> {
  return JSON.parse(Testing.synth(s)) as Record<string, any>;
}
function refused(build: (s: TerraformStack) => void, pattern: RegExp, code = 'CPI_CONSTRUCTS_PROPS_INVALID'): void {
  assert.throws(
    () => build(stack()),
    (e: unknown) => e instanceof CpiError && e.code === code && pattern.test(e.message),
  );
}

describe('TenantKeystoreCertificate', () => {
  test('adopting the existing alias adds an import block for it', () => {
    const s = stack();
    const c = new TenantKeystoreCertificate(s, 'cert', { alias: 'orders', certificatePem: PEM, adoptExisting: true });
    const json = synth(s);
    assert.equal(json.resource.cpi_keystore_certificate[c.resource.friendlyUniqueId].alias, 'orders');
    assert.deepEqual(json.import, [{ id: 'orders', to: `cpi_keystore_certificate.${c.resource.friendlyUniqueId}` }]);
  });

  test('deletionPolicy: absent leaves the provider default (DELETE); ABANDON is passed on; anything else is refused', () => {
    const s = stack();
    const plain = new TenantKeystoreCertificate(s, 'plain', { alias: 'orders', certificatePem: PEM });
    const kept = new TenantKeystoreCertificate(s, 'kept', {
      alias: 'invoices',
      certificatePem: PEM,
      deletionPolicy: 'ABANDON',
    });
    const certificates = synth(s).resource.cpi_keystore_certificate;
    assert.equal(certificates[plain.resource.friendlyUniqueId].deletion_policy, undefined);
    assert.equal(certificates[kept.resource.friendlyUniqueId].deletion_policy, 'ABANDON');
    refused(
      (t) =>
        new TenantKeystoreCertificate(t, 'c', {
          alias: 'orders',
          certificatePem: PEM,
          deletionPolicy: 'KEEP' as 'ABANDON',
        }),
      /deletionPolicy is "KEEP"/,
    );
  });

  test('refuses a private key or text where a certificate belongs, and an invalid alias', () => {
    refused(
      (s) => new TenantKeystoreCertificate(s, 'c', { alias: 'orders', certificatePem: 'hello' }),
      /certificatePem is "hello"/,
    );
    refused(
      (s) => new TenantKeystoreCertificate(s, 'c', { alias: 'Orders', certificatePem: PEM }),
      /alias.*"Orders".*"orders"/,
      'CPI_ALIAS_INVALID',
    );
  });
});

describe('IntegrationFlowDeployment', () => {
  test('undeploys when deployed is false, and refuses an ID with spaces', () => {
    const s = stack();
    const d = new IntegrationFlowDeployment(s, 'iflow', { iflowId: 'OrdersOut', deployed: false });
    assert.equal(synth(s).resource.cpi_iflow_deployment[d.resource.friendlyUniqueId].deployed, false);
    refused((x) => new IntegrationFlowDeployment(x, 'i', { iflowId: 'Orders Out' }), /iflowId is "Orders Out"/);
    refused(
      (x) => new IntegrationFlowDeployment(x, 'i', { iflowId: 'A', deployTimeoutSeconds: 0 }),
      /deployTimeoutSeconds is 0/,
    );
  });
});

describe('ReceiverDecryptionKey', () => {
  test('a new key is active by default with subject CN=<name>', () => {
    const s = stack();
    const k = new ReceiverDecryptionKey(s, 'key', { receiver: RECEIVER, keyName: 'orders-2026' });
    const json = synth(s).resource.cpi_receiver_key[k.resource.friendlyUniqueId];
    assert.equal(json.state, 'active');
    assert.equal(json.subject, 'CN=orders-2026');
    assert.equal(json.lifecycle, undefined, 'a new key is not protected like an adopted one');
  });

  test('refuses bad names, algorithms, states and receiver settings, naming the value', () => {
    refused(
      (s) => new ReceiverDecryptionKey(s, 'k', { receiver: RECEIVER, keyName: 'Orders 2026' }),
      /keyName is "Orders 2026"/,
    );
    refused(
      (s) => new ReceiverDecryptionKey(s, 'k', { receiver: RECEIVER, keyName: 'k', algorithm: 'RSA-1024' as never }),
      /algorithm is "RSA-1024"; expected one of "RSA-2048"/,
    );
    refused(
      (s) => new ReceiverDecryptionKey(s, 'k', { receiver: RECEIVER, keyName: 'k', state: 'revoked' as never }),
      /state is "revoked"/,
    );
    refused(
      (s) => new ReceiverDecryptionKey(s, 'k', { receiver: { kind: 'embedded', url: 'ftp://x' }, keyName: 'k' }),
      /receiver.url is "ftp:\/\/x"/,
    );
    refused(
      (s) =>
        new ReceiverDecryptionKey(s, 'k', {
          receiver: { kind: 'pkcs12', keystorePath: '', archivePath: 'a' },
          keyName: 'k',
        }),
      /receiver.keystorePath/,
    );
    refused(
      (s) => new ReceiverDecryptionKey(s, 'k', { receiver: RECEIVER, keyName: 'k', retainUntil: 'in 90 days' }),
      /retainUntil is "in 90 days"/,
    );
  });
});

describe('RenewalGate', () => {
  test('refuses a gate without evidence, an unknown party and an unknown mode', () => {
    const base = {
      renewalId: 'r',
      gate: 'exchange-certificate',
      waitsFor: ['receiver-admin'],
      windowStart: '2026-01-01T00:00:00Z',
    };
    const window = [{ kind: 'not_before', moment: 'window_start' }];
    refused((s) => new RenewalGate(s, 'g', { ...base, requirements: [] }), /requirements/);
    refused(
      (s) => new RenewalGate(s, 'g', { ...base, waitsFor: ['receiver'] as never, requirements: window }),
      /waitsFor\[0\] is "receiver"/,
    );
    refused((s) => new RenewalGate(s, 'g', { ...base, mode: 'some' as never, requirements: window }), /mode is "some"/);
    refused(
      (s) =>
        new RenewalGate(s, 'g', {
          ...base,
          iflowIds: [],
          requirements: [{ kind: 'iflow_state', state: 'undeployed' }],
        }),
      /iflowIds/,
    );
  });

  test('refuses a requirement given twice, and one whose fact is not given, naming the prop', () => {
    const base = { renewalId: 'r', gate: 'exchange-certificate', waitsFor: ['receiver-admin'] };
    refused(
      (s) =>
        new RenewalGate(s, 'g', {
          ...base,
          newCertificatePem: PEM,
          receiver: RECEIVER,
          requirements: [{ kind: 'probe' }, { kind: 'probe' }],
        }),
      /requirements is \["probe"\]; expected each requirement once/,
    );
    refused(
      (s) => new RenewalGate(s, 'g', { ...base, requirements: [{ kind: 'tenant_alias', certificate: 'new' }] }),
      /alias, newCertificatePem/,
    );
  });
});
