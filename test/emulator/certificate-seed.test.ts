// Certificates seeded by expiry date: what lets `cpi-renewal scan` be tried on the emulator alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveEmulatorConfig } from '../../src/emulator/emulator-config';
import { Harness } from './support/emulator-harness';

const DAY_MS = 86_400_000;

function odataDate(value: string): number {
  return Number(/\/Date\((-?\d+)\)\//.exec(value)![1]);
}

describe('emulator: certificates seeded at chosen expiry dates', { timeout: 60_000 }, () => {
  let h: Harness;
  let started: number;
  before(async () => {
    started = Date.now();
    h = await Harness.start({
      certificates: [
        { alias: 'due_in_5', expiresInDays: 5 },
        { alias: 'due_in_400', expiresInDays: 400, validityDays: 825 },
        { alias: 'expired', expiresInDays: -3, validityDays: 90 },
      ],
    });
  });
  after(() => h?.close());

  test('the listing reports each not-after and not-before as configured', { timeout: 10_000 }, async () => {
    const answer = await h.call('GET', '/KeystoreEntries');
    assert.equal(answer.status, 200, 'listing answered');
    const byAlias = new Map<string, { ValidNotAfter: string; ValidNotBefore: string; Type: string }>(
      answer.json.d.results.map((e: { Alias: string }) => [e.Alias, e]),
    );
    const expect = { due_in_5: [5, 365], due_in_400: [400, 825], expired: [-3, 90] } as const;
    for (const [alias, [days, validity]] of Object.entries(expect)) {
      const entry = byAlias.get(alias);
      assert.ok(entry, `${alias} is in the keystore`);
      assert.equal(entry.Type, 'Certificate');
      const notAfter = odataDate(entry.ValidNotAfter);
      // X.509 times have whole seconds
      assert.ok(Math.abs(notAfter - (started + days * DAY_MS)) < 60_000, `${alias} expires in ${days} days`);
      assert.ok(
        Math.abs(notAfter - odataDate(entry.ValidNotBefore) - validity * DAY_MS) < 2_000,
        `${alias} is valid for ${validity} days`,
      );
    }
  });
});

describe('emulator config: certificate seeds', { timeout: 10_000 }, () => {
  test('a seed needs exactly one of pem and expiresInDays', () => {
    assert.throws(() => resolveEmulatorConfig({ certificates: [{ alias: 'x' }] }), {
      code: 'CPI_EMULATOR_CONFIG_INVALID',
    });
    assert.throws(() => resolveEmulatorConfig({ certificates: [{ alias: 'x', pem: 'p', expiresInDays: 3 }] }), {
      code: 'CPI_EMULATOR_CONFIG_INVALID',
    });
    assert.throws(() => resolveEmulatorConfig({ certificates: [{ alias: 'x', expiresInDays: 3, validityDays: 0 }] }), {
      code: 'CPI_EMULATOR_CONFIG_INVALID',
    });
  });
});
