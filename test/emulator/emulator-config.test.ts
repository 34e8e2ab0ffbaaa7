import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCpiError } from '../../src/errors';
import { loadEmulatorConfig, resolveEmulatorConfig, type EmulatorConfig } from '../../src/emulator/emulator-config';

describe('emulator configuration', () => {
  test('an empty configuration is a working tenant with one deployed iFlow and SAP-like defaults', () => {
    const config = resolveEmulatorConfig({});
    assert.equal(config.iflows.length, 1);
    assert.equal(config.iflows[0]!.deployed, true);
    assert.equal(config.iflows[0]!.keyIdentifier, 'IssuerSerial');
    assert.equal(config.deployDelayMs, 1000);
    assert.equal(config.tokenLifetimeSeconds, 43200);
    assert.deepEqual(config.rateLimits, { securityContent: 12, runtimeArtifacts: 120, designtimeArtifacts: 15 });
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    [
      'unknown key identifier',
      { iflows: [{ id: 'F', keyIdentifier: 'X509KeyIdentifier' }] },
      /\/iflows\/0\/keyIdentifier/,
    ],
    ['negative delay', { deployDelayMs: -1 }, /\/deployDelayMs/],
    ['duplicate iFlow id', { iflows: [{ id: 'F' }, { id: 'F' }] }, /"F" appears twice/],
    ['error rate above 1', { faults: { errorRates: { '500': 1.5 } } }, /\/faults\/errorRates/],
    ['unknown field', { iflow: [] }, /additional properties/],
  ];
  for (const [name, config, detail] of invalid) {
    test(`refuses ${name}, naming the field`, () => {
      assert.throws(
        () => resolveEmulatorConfig(config as EmulatorConfig),
        (error: unknown) =>
          isCpiError(error) && error.code === 'CPI_EMULATOR_CONFIG_INVALID' && detail.test(error.detail),
      );
    });
  }

  test('loads a JSON file and reports one that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpi-emulator-config-'));
    try {
      writeFileSync(
        join(dir, 'good.json'),
        JSON.stringify({ iflows: [{ id: 'A', deployed: false }], deployDelayMs: 5 }),
      );
      assert.equal(resolveEmulatorConfig(loadEmulatorConfig(join(dir, 'good.json'))).deployDelayMs, 5);
      writeFileSync(join(dir, 'bad.json'), '{ iflows: ');
      assert.throws(
        () => loadEmulatorConfig(join(dir, 'bad.json')),
        (e: unknown) => isCpiError(e) && e.detail.includes('bad.json'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
