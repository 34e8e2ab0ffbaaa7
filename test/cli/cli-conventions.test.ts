// Conventions every cpi-renewal command keeps, as a script or a pipeline step relies on them: `--version` prints the
// version and exits 0; `--json` prints JSON (and a failure as JSON on stderr); `status` says by its exit code
// whether the next stage is blocked (docs/cli.md).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STATUS_EXIT_CODES, statusExitCode } from '../../src/cli/status-command';
import { DEMO_RENEWAL_ID, demoRenewalProps } from '../../src/demo/renewal-demo';
import type { RenewalManifest } from '../../src/renewal/manifest';
import type { RenewalStatus } from '../../src/renewal/renewal-status';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');

function cli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

describe('cpi-renewal command-line conventions', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-cli-conventions-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--version (and -V) prints the package version and exits 0', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = cli([flag]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, `${version}\n`);
    }
  });

  test('runbook --json prints the renewal as its manifest records it, and the runbook', () => {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify(demoRenewalProps('single-key', dir, 'http://127.0.0.1:9')));
    const run = cli(['runbook', '--spec', spec, '--json'], dir);
    assert.equal(run.status, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as { renewal: RenewalManifest; markdown: string };
    assert.equal(printed.renewal.renewalId, DEMO_RENEWAL_ID);
    assert.deepEqual(
      printed.renewal.stages.map((s) => [s.name, s.party, s.stack, s.gate?.waitsFor ?? []]),
      [
        ['prepare-receiver', 'receiver-admin', 'orders-2026-1-prepare-receiver', []],
        ['stop-sending', 'integration-developer', 'orders-2026-2-stop-sending', ['receiver-admin', 'tenant-admin']],
        ['exchange-certificate', 'tenant-admin', 'orders-2026-3-exchange-certificate', ['integration-developer']],
        ['switch-receiver-key', 'receiver-admin', 'orders-2026-4-switch-receiver-key', ['tenant-admin']],
        ['resume-sending', 'integration-developer', 'orders-2026-5-resume-sending', ['receiver-admin']],
        ['cleanup', 'receiver-admin', 'orders-2026-6-cleanup', ['receiver-admin']],
      ],
    );
    // the same Markdown as without --json
    const markdown = cli(['runbook', '--spec', spec], dir);
    assert.equal(markdown.status, 0, markdown.stderr);
    assert.equal(printed.markdown, markdown.stdout);
  });

  test('--json failures are JSON on stderr with the error code, exit 1', () => {
    const run = cli(['runbook', '--spec', join(dir, 'missing.json'), '--json'], dir);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    const { error } = JSON.parse(run.stderr) as { error: { code: string; message: string } };
    assert.equal(error.code, 'CPI_CONSTRUCTS_SPEC_INVALID');
    assert.match(error.message, /cannot read .*missing\.json/);
  });

  test('status: 0 when the next stage is ready or all are applied, 2 when blocked, 3 when undone; documented in --help', () => {
    const renewal = (condition: RenewalStatus['condition'], next?: 'ready' | 'blocked') =>
      ({
        renewalId: 'r',
        variant: 'overlap',
        checkedAt: '2026-12-04T10:00:00Z',
        condition,
        ...(next ? { next: { index: 2, name: 'exchange-certificate', condition: next } } : {}),
        stages: [],
      }) satisfies RenewalStatus;
    assert.equal(statusExitCode([renewal('in-progress', 'ready')]), 0);
    assert.equal(statusExitCode([renewal('completed')]), 0);
    assert.equal(statusExitCode([renewal('in-progress', 'blocked')]), 2);
    assert.equal(statusExitCode([renewal('in-progress', 'ready'), renewal('in-progress', 'blocked')]), 2);
    assert.equal(statusExitCode([renewal('in-progress', 'blocked'), renewal('undone', 'ready')]), 3);

    const help = cli(['status', '--help']);
    assert.equal(help.status, 0, help.stderr);
    for (const [name, code] of Object.entries(STATUS_EXIT_CODES))
      assert.match(help.stdout, new RegExp(`^ {2}${code} {2}\\S`, 'm'), `exit code ${code} (${name}) in --help`);
    const docs = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    for (const code of Object.values(STATUS_EXIT_CODES))
      assert.match(docs, new RegExp(`^\\| ${code} \\|`, 'm'), `exit code ${code} in docs/cli.md`);
  });
});
