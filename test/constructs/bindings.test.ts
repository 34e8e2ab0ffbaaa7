import { after, describe, test } from 'node:test';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BINDINGS_DIR, formattedBindings } from '../../scripts/generate-bindings';
import { cpiProvider } from '../../src/provider/cpi-provider';
import {
  App,
  TerraformDataSource,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Testing,
} from '../../constructs/cdktf';
import * as bindings from '../../constructs/bindings';
import { CpiKeystoreCertificate, CpiProvider, CpiRenewalGate, DataCpiKeystoreEntry } from '../../constructs/bindings';

// Testing.app() leaves a temp directory per call; one directory for the file, removed at the end.
const OUT = mkdtempSync(join(tmpdir(), 'cpi-bindings-'));
after(() => rmSync(OUT, { recursive: true, force: true }));

describe('CDKTF bindings', { timeout: 60_000 }, () => {
  test('the committed bindings are what the provider schema generates (run `npx tsx scripts/generate-bindings.ts`)', async () => {
    const expected = await formattedBindings();
    const committed = readdirSync(BINDINGS_DIR).filter((name) => name.endsWith('.ts'));
    assert.deepEqual(committed.sort(), [...expected.keys()].sort());
    for (const [name, text] of expected) {
      assert.equal(readFileSync(join(BINDINGS_DIR, name), 'utf8'), text, `constructs/bindings/${name} is stale`);
    }
  });

  // Read from what the constructs import, not from the generator's own naming: a binding counts when a class of
  // the right kind for the Terraform type is exported.
  test('every resource and data source of the provider has a binding', () => {
    const exported = (Object.values(bindings) as unknown[]).filter(
      (value): value is { tfResourceType: string; prototype: object } =>
        typeof value === 'function' && typeof (value as { tfResourceType?: unknown }).tfResourceType === 'string',
    );
    const ofKind = (base: abstract new (...args: never[]) => object) =>
      exported.filter((c) => c.prototype instanceof base).map((c) => c.tfResourceType);
    assert.deepEqual(ofKind(TerraformResource).sort(), cpiProvider.resources.map((r) => r.name).sort());
    assert.deepEqual(ofKind(TerraformDataSource).sort(), cpiProvider.dataSources.map((d) => d.name).sort());
    assert.deepEqual(ofKind(TerraformProvider), [cpiProvider.name]);
  });

  test('camelCase props synthesize to the snake_case attributes and nested blocks of the schema', () => {
    const app = new App({ outdir: OUT });
    const stack = new TerraformStack(app, 'bindings');
    new CpiProvider(stack, 'cpi', { tenantUrl: 'https://tenant.example', requestsPerSecond: 5 });
    const cert = new CpiKeystoreCertificate(stack, 'cert', {
      alias: 'orders',
      certificatePem: 'PEM',
      allowSameKey: false,
    });
    new CpiRenewalGate(stack, 'gate', {
      renewalId: 'r1',
      gate: 'retire-old-key',
      waitsFor: ['tenant-admin'],
      mode: 'any',
      alias: 'orders',
      newCertificatePem: cert.certificatePem,
      requirement: [
        { kind: 'tenant_alias', certificate: 'new' },
        { kind: 'confirmation', party: 'tenant-admin' },
      ],
    });
    new DataCpiKeystoreEntry(stack, 'entry', { alias: 'orders' });
    const json = JSON.parse(Testing.synth(stack)) as Record<string, any>;
    assert.deepEqual(json.provider.cpi[0], { tenant_url: 'https://tenant.example', requests_per_second: 5 });
    assert.deepEqual(json.terraform.required_providers.cpi, {
      source: 'cpi-renewal/cpi',
      version: cpiProvider.version,
    });
    assert.deepEqual(json.resource.cpi_keystore_certificate.cert, {
      alias: 'orders',
      certificate_pem: 'PEM',
      allow_same_key: false,
    });
    const gate = json.resource.cpi_renewal_gate.gate;
    assert.equal(gate.new_certificate_pem, '${cpi_keystore_certificate.cert.certificate_pem}');
    assert.deepEqual(gate.requirement, [
      { kind: 'tenant_alias', certificate: 'new' },
      { kind: 'confirmation', party: 'tenant-admin' },
    ]);
    assert.equal(gate.renewal_id, 'r1');
    assert.equal(json.data.cpi_keystore_entry.entry.alias, 'orders');
  });
});
