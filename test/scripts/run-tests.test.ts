// scripts/run-tests.mjs on small test files written for the purpose: a test that hangs, a harness that leaves a
// server open, a file that never finishes loading and a run that outlives its watchdog all end the run with a
// failure that names the file, instead of waiting forever; skips other than a missing reference system fail it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNNER = join(__dirname, '../../scripts/run-tests.mjs');

const FILES: Record<string, string> = {
  'passes.test.ts': `import { test } from 'node:test';\ntest('adds', () => { if (1 + 1 !== 2) throw new Error('no'); });\n`,
  'hangs.test.ts': `import { test } from 'node:test';\ntest('never ends', () => new Promise(() => { setInterval(() => {}, 1000); }));\n`,
  'leaves-server-open.test.ts':
    `import { before, test } from 'node:test';\nimport { createServer } from 'node:net';\n` +
    `before(() => { createServer().listen(0, '127.0.0.1'); });\ntest('passes', () => {});\n`,
  // blocks while loading, as a module stuck in a synchronous call would
  'never-loads.test.ts': `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);\n`,
  'skips.test.ts': `import { test } from 'node:test';\ntest('not today', { skip: 'some reason' }, () => {});\n`,
  'reference-skip.test.ts':
    `import { test } from 'node:test';\n` +
    `test('needs a JVM', { skip: 'reference system missing: Java 17 JDK (java, javac, keytool): java not on PATH; install with: x' }, () => {});\n`,
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the runner on the named files (each in a directory of its own) with short timeouts. */
async function runOn(names: string[], env: Record<string, string> = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'run-tests-'));
  try {
    for (const name of names) writeFileSync(join(dir, name), FILES[name]!);
    const started = Date.now();
    const child = spawn(process.execPath, [RUNNER, dir], {
      env: {
        ...process.env,
        CI: '',
        CPI_TEST_TIMEOUT_MS: '1500',
        CPI_TEST_LINGER_MS: '1500',
        CPI_TEST_FILE_TIMEOUT_MS: '20000',
        CPI_TEST_RUN_TIMEOUT_MS: '60000',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr, ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const summary = (run: Run, name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(run.stdout)?.[1]);

describe('scripts/run-tests.mjs', { timeout: 120_000 }, () => {
  test('a passing file passes, with one summary at the end that CI reads', async () => {
    const run = await runOn(['passes.test.ts']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.stdout.match(/^# tests \d+$/gm)?.length, 1);
    assert.equal(summary(run, 'tests'), 1);
    assert.equal(summary(run, 'pass'), 1);
    assert.equal(summary(run, 'fail'), 0);
  });

  test('a test that never ends fails at the per-test timeout, named, and the run fails', async () => {
    const run = await runOn(['hangs.test.ts', 'passes.test.ts']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /not ok \d+ - never ends[\s\S]*test timed out after 1500ms/);
    assert.match(run.stdout, /^# failed files \(1\):\n# {3}.*hangs\.test\.ts/m);
    assert.equal(summary(run, 'pass'), 1, 'the other file still ran');
  });

  test('a harness that leaves a server open fails its file, naming what is open, instead of hanging the run', async () => {
    const run = await runOn(['leaves-server-open.test.ts']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /every test has ended, but the process is still running .*open: .*TCPServerWrap/);
    assert.match(run.stdout, /^# {3}.*leaves-server-open\.test\.ts/m);
  });

  test('a file still running at the file timeout is killed and named', async () => {
    const run = await runOn(['never-loads.test.ts'], { CPI_TEST_FILE_TIMEOUT_MS: '3000' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /never-loads\.test\.ts: still running after 3\.0 s \(file timeout\)/);
    assert.match(run.stdout, /^# {3}.*never-loads\.test\.ts: still running after 3\.0 s/m);
    assert.ok(run.ms < 15_000, `took ${run.ms} ms`);
  });

  test('the whole-run watchdog names the file still running, kills it and fails the run', async () => {
    const run = await runOn(['never-loads.test.ts', 'passes.test.ts'], { CPI_TEST_RUN_TIMEOUT_MS: '3000' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the whole run is still going after 3\.0 s \(run timeout\)/);
    assert.match(run.stderr, /still running: .*never-loads\.test\.ts/);
    assert.match(run.stdout, /^# files not run \(1\):\n# {3}.*passes\.test\.ts/m);
    assert.ok(run.ms < 15_000, `took ${run.ms} ms`);
  });

  test('a skip for a missing reference system is listed; any other skip fails the run', async () => {
    const reference = await runOn(['reference-skip.test.ts']);
    assert.equal(reference.code, 0, reference.stdout);
    assert.match(reference.stdout, /^# {14}.*reference-skip\.test\.ts \(needs a JVM\)/m);
    const other = await runOn(['skips.test.ts']);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /1 skipped\/todo tests that are not a missing reference system/);
    const underCi = await runOn(['reference-skip.test.ts'], { CI: 'true' });
    assert.equal(underCi.code, 1, 'under CI nothing may skip');
  });
});
