// The runbook (src/renewal/runbook.ts) and the `cpi-renewal runbook` command (src/cli/runbook-command.ts).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRunbook, type RunbookSpec } from '../../src/renewal/runbook';
import { renewalStages } from '../../src/renewal/stages';
import { readRenewalSpec, runbookFromSpec } from '../../src/cli/runbook-command';
import { CpiError } from '../../src/errors';

const dir = mkdtempSync(join(tmpdir(), 'cpi-runbook-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SPEC: RunbookSpec = {
  renewalId: 'orders-2026',
  variant: 'single-key',
  alias: 'orders-receiver',
  iflowIds: ['OrdersOut', 'OrdersRetry'],
  newKeyName: 'orders-2026',
  oldKeyName: 'orders-2025',
  receiver: 'embedded receiver at http://127.0.0.1:8081',
  downtimeWindow: { start: '2026-03-01T22:00:00Z', end: '2026-03-01T23:00:00Z' },
  retentionDays: 90,
  stages: renewalStages('single-key'),
  stacksDir: 'cdktf.out/stacks',
  confirmationsDir: 'renewals',
};

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(heading);
  assert.ok(start >= 0, `no section ${heading}`);
  const next = markdown.indexOf('\n## ', start + heading.length);
  return markdown.slice(start, next < 0 ? undefined : next);
}

describe('renderRunbook', () => {
  const runbook = renderRunbook(SPEC);

  test('lists every stage in order with its stack, party and gate', () => {
    const rows = section(runbook, '## Stages')
      .split('\n')
      .filter((l) => /^\| \d/.test(l));
    assert.deepEqual(
      rows.map((r) => r.split('|')[2]!.trim()),
      [
        '`orders-2026-1-prepare-receiver`',
        '`orders-2026-2-stop-sending`',
        '`orders-2026-3-exchange-certificate`',
        '`orders-2026-4-switch-receiver-key`',
        '`orders-2026-5-resume-sending`',
        '`orders-2026-6-cleanup`',
      ],
    );
    assert.match(rows[1]!, /integration developer .* waits for receiver administrator and tenant administrator/);
    assert.match(rows[0]!, /\| — \|$/);
  });

  test('names who applies what', () => {
    const parties = section(runbook, '## Parties');
    assert.match(
      parties,
      /\*\*integration developer\*\* \(`integration-developer`\): applies 2 stop-sending, 5 resume-sending/,
    );
    assert.match(parties, /\*\*receiver administrator\*\* .*1 prepare-receiver, 4 switch-receiver-key, 6 cleanup/);
  });

  test('gives the exact plan/apply commands, cdktf and plain terraform, per stage', () => {
    const stage3 = section(runbook, '## 3. ');
    assert.match(stage3, /cdktf plan orders-2026-3-exchange-certificate\n/);
    assert.match(
      stage3,
      /cdktf apply orders-2026-3-exchange-certificate --ignore-missing-stack-dependencies --auto-approve/,
    );
    assert.match(
      stage3,
      /terraform -chdir=cdktf\.out\/stacks\/orders-2026-3-exchange-certificate plan -input=false -out=stage\.tfplan/,
    );
    assert.match(stage3, /iFlows `OrdersOut`, `OrdersRetry` are undeployed/);
  });

  test('gives the confirm command lines for each confirming party, with the fingerprint from stage 1', () => {
    const stage2 = section(runbook, '## 2. ');
    assert.match(
      stage2,
      /FINGERPRINT=\$\(terraform -chdir=cdktf\.out\/stacks\/orders-2026-1-prepare-receiver output -raw new_fingerprint_sha256\)/,
    );
    for (const party of ['receiver-admin', 'tenant-admin']) {
      assert.ok(
        stage2.includes(
          `cpi-renewal confirm --renewal orders-2026 --gate stop-sending --party ${party} --fingerprint "$FINGERPRINT"`,
        ),
        party,
      );
    }
    assert.match(stage2, /git add renewals\/orders-2026\/confirmations\/stop-sending\.json/);
    assert.match(stage2, /not before the downtime window starts \(2026-03-01T22:00:00Z\)/);
    assert.doesNotMatch(
      section(runbook, '## 3. '),
      /cpi-renewal confirm/,
      'a gate without confirmations asks for none',
    );
  });

  test('draws a Mermaid sequence diagram with a hand-over per gate', () => {
    const diagram = section(runbook, '## Sequence');
    assert.match(diagram, /```mermaid\nsequenceDiagram\n/);
    assert.match(diagram, /participant RA as receiver administrator/);
    assert.match(diagram, /ID->>TA: gate exchange-certificate: /);
    assert.match(diagram, /TA->>RA: gate switch-receiver-key: /);
    assert.equal((diagram.match(/Note over/g) ?? []).length, 6);
  });

  test('overlap has no downtime window and no iFlow stages', () => {
    const overlap = renderRunbook({
      ...SPEC,
      variant: 'overlap',
      downtimeWindow: undefined,
      stages: renewalStages('overlap'),
    });
    assert.doesNotMatch(overlap, /Downtime window/);
    assert.doesNotMatch(overlap, /participant ID/);
    assert.match(
      overlap,
      /opens on any one of:\n\n- probe: the receiver \(embedded receiver at http:\/\/127\.0\.0\.1:8081\) decrypts/,
    );
  });
});

describe('cpi-renewal runbook --spec', () => {
  test('renders the runbook of a spec file through the construct', async () => {
    const file = join(dir, 'renewal.json');
    writeFileSync(
      file,
      JSON.stringify({
        renewalId: 'billing-2026',
        variant: 'overlap',
        alias: 'billing',
        iflowIds: ['BillingOut'],
        receiver: { kind: 'pkcs12', keystorePath: '/srv/keys/active.p12', archivePath: '/srv/keys/archive.p12' },
        newKey: { name: 'billing-2026', subject: 'CN=billing-2026' },
        oldKeyName: 'billing-2025',
        retentionDays: 120,
      }),
    );
    const markdown = await runbookFromSpec(readRenewalSpec(file));
    assert.match(markdown, /# Runbook: renewal `billing-2026`/);
    assert.match(markdown, /PKCS#12 keystore \/srv\/keys\/active\.p12/);
    assert.match(markdown, /kept 120 days after the exchange/);
    assert.match(markdown, /billing-2026-3-retire-old-key/);
  });

  test('refuses a file that is not a renewal spec, naming what is wrong', async () => {
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ renewalId: ');
    assert.throws(
      () => readRenewalSpec(notJson),
      (e: unknown) =>
        e instanceof CpiError && e.code === 'CPI_CONSTRUCTS_SPEC_INVALID' && /is not JSON/.test(e.message),
    );
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify({ renewalId: 'x', variant: 'overlap' }));
    assert.throws(() => readRenewalSpec(partial), /lacks alias, iflowIds, receiver, newKey, oldKeyName/);
    const short = join(dir, 'short.json');
    writeFileSync(
      short,
      JSON.stringify({
        renewalId: 'x',
        variant: 'overlap',
        alias: 'a',
        iflowIds: ['I'],
        receiver: { kind: 'embedded', url: 'http://r' },
        newKey: { name: 'n', subject: 'CN=n' },
        oldKeyName: 'o',
        retentionDays: 30,
      }),
    );
    await assert.rejects(
      runbookFromSpec(readRenewalSpec(short)),
      (e: unknown) => e instanceof CpiError && e.code === 'CPI_CONSTRUCTS_RETENTION_TOO_SHORT',
    );
  });
});
