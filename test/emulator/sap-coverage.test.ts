// docs/emulator.md says, for every operation of SAP's two API definitions, whether the emulator serves it. These
// tests hold that table, the definitions and the emulator together: a new operation in the definitions, an
// operation served but not listed (or listed but not served), or an undecided point fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Harness, sapContract } from './support/emulator-harness';
import { UNDECLARED_STATUSES } from './support/sap-contract';

type Status = 'served' | 'approximation' | 'not served';

interface Row {
  readonly spec: string;
  readonly operation: string;
  readonly status: Status;
  readonly why: string;
}

const SECTIONS: Record<string, string> = {
  'Security Content': 'SecurityContent',
  'Integration Content': 'IntegrationContent',
};
const ROW = /^\| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)` \| (served|approximation|not served) \| (.+) \|$/;

/** The coverage rows of docs/emulator.md, by the definition whose section they are in. */
function coverageTable(): Row[] {
  const text = readFileSync(join(import.meta.dirname, '../../docs/emulator.md'), 'utf8');
  const rows: Row[] = [];
  let spec: string | undefined;
  for (const line of text.split('\n')) {
    const heading = /^### (Security Content|Integration Content) /.exec(line);
    if (heading) spec = SECTIONS[heading[1]!];
    const row = ROW.exec(line);
    if (!row) continue;
    assert.ok(spec, `row outside a definition's section: ${line}`);
    rows.push({
      spec,
      operation: `${row[1]} ${row[2]!.replace(/\\\|/g, '|')}`,
      status: row[3] as Status,
      why: row[4]!,
    });
  }
  return rows;
}

describe('coverage table of SAP API definitions (docs/emulator.md)', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h?.close());

  test('names every operation of both definitions once, and nothing else', async () => {
    const table = coverageTable();
    const key = (spec: string, operation: string) => `${spec}: ${operation}`;
    const listed = table.map((row) => key(row.spec, row.operation));
    const defined = (await sapContract()).list().map((op) => key(op.spec, op.operation));
    assert.deepEqual(
      defined.filter((op) => !listed.includes(op)),
      [],
      'operations of the definitions missing from the table',
    );
    assert.deepEqual(
      listed.filter((op) => !defined.includes(op)),
      [],
      'rows naming no operation of the definitions',
    );
    assert.equal(new Set(listed).size, listed.length, 'an operation is listed twice');
  });

  test('calls served exactly what the emulator serves', () => {
    const served = new Set(
      coverageTable()
        .filter((row) => row.status !== 'not served')
        .map((row) => row.operation),
    );
    assert.deepEqual([...served].sort(), [...new Set(h.emulator.servedOperations)].sort());
  });

  test('gives every approximation an UNCONFIRMED reason and every unserved operation a why', () => {
    for (const row of coverageTable()) {
      if (row.status === 'approximation') assert.match(row.why, /UNCONFIRMED/, row.operation);
      if (row.status === 'not served') assert.match(row.why, /^Not served: \S.{20,}/, row.operation);
    }
  });

  test('records each status the emulator answers outside the definitions as an UNCONFIRMED approximation', () => {
    const table = coverageTable();
    assert.ok(Object.keys(UNDECLARED_STATUSES).length > 0, 'some undeclared statuses are listed');
    for (const [operation, statuses] of Object.entries(UNDECLARED_STATUSES)) {
      const row = table.find((r) => r.operation === operation);
      assert.equal(row?.status, 'approximation', operation);
      for (const status of statuses)
        assert.match(row.why, new RegExp(`\\b${status}\\b.*UNCONFIRMED|UNCONFIRMED.*\\b${status}\\b`));
    }
  });

  test('a path the emulator does not serve answers 404, and another method on a served path 405', async () => {
    const unserved = await h.call('GET', '/UserCredentials', { unchecked: true });
    assert.equal(unserved.status, 404);
    const otherMethod = await h.call('POST', '/IntegrationRuntimeArtifacts', { unchecked: true, body: '{}' });
    assert.equal(otherMethod.status, 405);
  });
});
