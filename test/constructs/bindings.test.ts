import { after, describe, test } from 'node:test';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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
import { CpiProvider } from '../../constructs/bindings/provider';
import { KeystoreCertificate } from '../../constructs/bindings/keystore-certificate';
import { RenewalGate } from '../../constructs/bindings/renewal-gate';
import { DataCpiKeystoreEntry } from '../../constructs/bindings/data-cpi-keystore-entry';

// Testing.app() leaves a temp directory per call; one directory for the file, removed at the end.
const OUT = mkdtempSync(join(tmpdir(), 'cpi-bindings-'));
after(() => rmSync(OUT, { recursive: true, force: true }));

/** One stack using the provider block, a resource with a nested block, typed list blocks and a data source. */
function declare(stack: TerraformStack): void {
  new CpiProvider(stack, 'cpi', { tenantUrl: 'https://tenant.example', requestsPerSecond: 5 });
  const cert = new KeystoreCertificate(stack, 'cert', {
    alias: 'orders',
    certificatePem: 'PEM',
    allowSameKey: false,
    receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
  });
  new RenewalGate(stack, 'gate', {
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
}

/** The body of the HCL block whose `{` ends just before `from` (braces inside strings do not count). */
function blockAt(hcl: string, from: number): string {
  let depth = 1;
  let quoted = false;
  for (let i = from; i < hcl.length; i++) {
    const c = hcl[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '{') depth++;
    else if (!quoted && c === '}' && --depth === 0) return hcl.slice(from, i);
  }
  throw new Error(`unterminated block at ${from}`);
}

describe('CDKTF bindings', { timeout: 60_000 }, () => {
  // Read from what the constructs import, not from the generator's own naming: a binding counts when a class of
  // the right kind for the Terraform type is exported.
  test('every resource and data source of the provider has a binding', () => {
    const exported = Object.values(bindings)
      .flatMap((namespace) => Object.values(namespace) as unknown[])
      .filter(
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
    declare(stack);
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
      receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
    });
    const gate = json.resource.cpi_renewal_gate.gate;
    assert.equal(gate.new_certificate_pem, '${cpi_keystore_certificate.cert.certificate_pem}');
    assert.deepEqual(gate.requirement, [
      { kind: 'tenant_alias', certificate: 'new' },
      { kind: 'confirmation', party: 'tenant-admin' },
    ]);
    assert.equal(gate.renewal_id, 'r1');
    assert.deepEqual(gate.waits_for, ['tenant-admin']);
    assert.equal(json.data.cpi_keystore_entry.entry.alias, 'orders');
  });

  // `cdktf synth --hcl` used to write every cpi_* block empty (issue 12); terraform validating it is
  // test/constructs/bindings-terraform.test.ts.
  test('HCL synthesis writes the arguments of the provider, resources, nested and list blocks and data sources', () => {
    const stack = new TerraformStack(new App({ outdir: OUT }), 'hcl');
    declare(stack);
    // What `cdktf synth --hcl` writes as cdk.tf (cdktf 0.21 reads the switch from SYNTH_HCL_OUTPUT only).
    const hcl = stack.toHclTerraform().hcl;
    const block = (header: string): string => {
      const start = hcl.indexOf(header);
      assert.notEqual(start, -1, `cdk.tf has ${header}:\n${hcl}`);
      return blockAt(hcl, start + header.length);
    };
    const provider = block('provider "cpi" {');
    assert.match(provider, /^\s*tenant_url\s*= "https:\/\/tenant\.example"$/m);
    assert.match(provider, /^\s*requests_per_second\s*= 5$/m);
    const cert = block('resource "cpi_keystore_certificate" "cert" {');
    assert.match(cert, /^\s*alias\s*= "orders"$/m);
    assert.match(cert, /^\s*certificate_pem\s*= "PEM"$/m);
    assert.match(cert, /^\s*allow_same_key\s*= false$/m);
    assert.match(cert, /receiver \{\s*kind\s*= "embedded"\s*url\s*= "http:\/\/127\.0\.0\.1:8081"\s*\}/);
    const gate = block('resource "cpi_renewal_gate" "gate" {');
    assert.match(gate, /^\s*new_certificate_pem\s*= "\$\{cpi_keystore_certificate\.cert\.certificate_pem\}"$/m);
    assert.match(gate, /waits_for = \[\s*"tenant-admin"\s*\]/);
    const requirements = [...gate.matchAll(/requirement \{([^}]*)\}/g)].map((m) =>
      m[1]!
        .trim()
        .split(/\s*\n\s*/)
        .map((line) => line.replace(/\s*=\s*/, ' = ')),
    );
    assert.deepEqual(requirements, [
      ['certificate = "new"', 'kind = "tenant_alias"'],
      ['kind = "confirmation"', 'party = "tenant-admin"'],
    ]);
    assert.match(block('data "cpi_keystore_entry" "entry" {'), /^\s*alias\s*= "orders"$/m);
  });
});
