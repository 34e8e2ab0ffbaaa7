// examples/github-actions: the workflow keeps the renewal's state in a backend with locking (PostgreSQL, through
// the app beside it), commits nothing back, and names only stacks the app synthesizes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/github-actions');

describe('examples/github-actions', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-gha-example-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const workflow = readFileSync(join(EXAMPLE, 'renewal.yml'), 'utf8');

  test('the workflow commits no state and hides no failure; it reads the repository only', () => {
    assert.doesNotMatch(workflow, /git (add|commit|push)/, 'nothing is committed back');
    assert.doesNotMatch(workflow, /\|\|\s*echo/, 'no failure is turned into success');
    assert.match(workflow, /^permissions:\n {2}contents: read$/m);
    assert.match(workflow, /^ {2}PG_CONN_STR: \$\{\{ secrets\.PG_CONN_STR \}\}$/m, 'the connection from a secret');
    assert.match(workflow, /^ {2}TF_CLI_ARGS_apply: -lock-timeout=\S+$/m, 'a second job waits for the lock');
  });

  test('its app keeps every stage in PostgreSQL, and every stack the workflow applies is one the app synthesizes', () => {
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    const run = spawnSync(tsx, [join(EXAMPLE, 'main.ts')], { cwd: dir, encoding: 'utf8', timeout: 90_000 });
    assert.equal(run.status, 0, run.stderr);
    const manifest = JSON.parse(readFileSync(join(dir, 'cdktf.out/manifest.json'), 'utf8')) as {
      stacks: Record<string, unknown>;
    };
    const stacks = Object.keys(manifest.stacks);
    for (const name of stacks) {
      const stack = JSON.parse(readFileSync(join(dir, 'cdktf.out/stacks', name, 'cdk.tf.json'), 'utf8')) as {
        terraform: { backend: Record<string, { schema_name?: string }> };
      };
      assert.deepEqual(Object.keys(stack.terraform.backend), ['pg'], `${name} keeps its state in PostgreSQL`);
    }
    const renewal = /^ {2}RENEWAL: (\S+)$/m.exec(workflow)?.[1];
    const applied = [...workflow.matchAll(/\$RENEWAL-([0-9a-z-]+)/g), ...workflow.matchAll(/stage: ([0-9a-z-]+),/g)]
      .map((m) => `${renewal}-${m[1]}`)
      .filter((name, i, all) => all.indexOf(name) === i);
    assert.ok(applied.length >= 4, applied.join(', '));
    for (const name of applied)
      assert.ok(stacks.includes(name), `${name} is a stack of the app (${stacks.join(', ')})`);
  });
});
