// What the provider says when part of the alias rule could not be checked: iFlows whose configuration or whose
// bundle the tenant did not hand out are named in a warning, and the change still goes on the rest of the evidence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { enforceAliasRule } from '../../src/provider/alias-observation';
import type { CallContext } from '../../src/provider/resource';
import type { AliasUsage } from '../../src/tenant/alias-usage';

function context(usage: AliasUsage, warnings: string[]): CallContext<never> {
  const tenant = {
    forgetListing() {},
    keystoreEntry: async () => ({ fingerprintSha256: 'AA' }),
    aliasUsage: async () => usage,
  };
  return {
    signal: new AbortController().signal,
    log: { debug() {}, info() {}, warn() {}, error() {} } as never,
    provider: () => ({ tenant }) as never,
    warn: (summary, detail) => warnings.push(`${summary}: ${detail}`),
    now: () => new Date(),
  };
}

describe('alias rule: what could not be checked is named', () => {
  test('an iFlow whose bundle the tenant refused is named in a warning', async () => {
    const warnings: string[] = [];
    const usage = { users: [], unreadable: [], unreadableBundles: ['Other'] } as unknown as AliasUsage;
    await enforceAliasRule(context(usage, warnings), {
      alias: 'orders_enc',
      receiver: undefined,
      change: { kind: 'remove' },
      attribute: [],
      what: 'destroying alias "orders_enc"',
    });
    const typedIn = warnings.filter((w) => w.includes('typed into their channels'));
    assert.equal(typedIn.length, 1, warnings.join('\n'));
    assert.match(typedIn[0]!, /bundles of the deployed iFlows "Other".*alias "orders_enc"/);
  });

  test('nothing unread: no such warning', async () => {
    const warnings: string[] = [];
    const usage = { users: [], unreadable: [], unreadableBundles: [] } as unknown as AliasUsage;
    await enforceAliasRule(context(usage, warnings), {
      alias: 'orders_enc',
      receiver: undefined,
      change: { kind: 'remove' },
      attribute: [],
      what: 'destroying alias "orders_enc"',
    });
    assert.deepEqual(
      warnings.filter((w) => w.startsWith('Some deployed')),
      [],
    );
  });
});
