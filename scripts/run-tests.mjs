// Runs the test files under test/ (or the files and folders given) with node's test runner and its TAP reporter,
// TypeScript through tsx. Each file runs in its own node process (as `node --test` would) from a small pool, so
// that nothing can hold the run forever:
//   - every test and hook has a timeout (scripts/test-preload.mjs; a test's own `timeout` option wins): node 20's
//     --test-timeout bounds only whole files;
//   - a file whose tests have all ended but whose process stays alive fails, naming what is still open (also
//     scripts/test-preload.mjs);
//   - a file still running after its file timeout is killed with every process it started and named;
//   - the whole run has a watchdog that names the files still running, kills them and fails the run.
// Each file's TAP is printed as one subtest; at the end comes ONE summary (`# tests N`, `# pass N`, `# fail N`, …),
// which reference suites ran and which were skipped (test/support/reference-systems.ts), and the failed files.
//
// Environment (milliseconds): CPI_TEST_TIMEOUT_MS (per test or hook, default 600000), CPI_TEST_FILE_TIMEOUT_MS
// (per file, default 1800000), CPI_TEST_RUN_TIMEOUT_MS (whole run, default 3600000), CPI_TEST_LINGER_MS (after a
// file's last test, default 20000); CPI_TEST_CONCURRENCY (files at once, default cores - 1, at least 1, as node's
// own runner does). The defaults leave room for a 2-core machine shared with other test runs: at a load average
// of 24 the slowest test took 217 s and the slowest file 741 s; on an idle machine the whole suite takes about 7 min.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import { tsImport } from 'tsx/esm/api';

function positiveNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`run-tests: ${name}=${raw} is not a positive number; unset it or give e.g. ${fallback}`);
    process.exit(2);
  }
  return value;
}

const TEST_TIMEOUT_MS = positiveNumber('CPI_TEST_TIMEOUT_MS', 600_000);
const FILE_TIMEOUT_MS = positiveNumber('CPI_TEST_FILE_TIMEOUT_MS', 1_800_000);
const RUN_TIMEOUT_MS = positiveNumber('CPI_TEST_RUN_TIMEOUT_MS', 3_600_000);
const CONCURRENCY = Math.floor(positiveNumber('CPI_TEST_CONCURRENCY', Math.max(1, availableParallelism() - 1)));
/** After SIGTERM, how long a file's processes get to close before SIGKILL. */
const KILL_GRACE_MS = 5_000;
const PRELOAD = fileURLToPath(new URL('./test-preload.mjs', import.meta.url));

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const SUMMARY_LINE = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/;
const RESULT_LINE = /^(\s*)(?:not )?ok \d+ - (.*?)(?: # (SKIP|TODO)\b ?(.*))?$/;

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const full = join(path, name);
      if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : testFiles(full);
      return name.endsWith('.test.ts') ? [full] : [];
    });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const { referenceSystems, referenceSystemsRequired, REFERENCE_SKIP_PREFIX } = await tsImport(
  '../test/support/reference-systems.ts',
  import.meta.url,
);

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];
const files = roots.flatMap(testFiles).map((file) => relative(process.cwd(), file) || file);
const streaming = CONCURRENCY === 1;
const started = Date.now();
const results = [];
const running = new Map();
let finishedFiles = 0;
let stopping = false;

/** Runs one file; resolves with its counts, skips and why it failed, if it did. */
function runFile(file) {
  return new Promise((resolvePromise) => {
    const fileStarted = Date.now();
    const args = ['--import', 'tsx', '--import', PRELOAD, '--test-reporter=tap', file];
    // its own process group, so that a kill reaches terraform, providers and JVMs the tests started
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CPI_TEST_TIMEOUT_MS: String(TEST_TIMEOUT_MS) },
    });
    const counts = Object.fromEntries(COUNTS.map((name) => [name, 0]));
    const skips = [];
    let lastEnded;
    let summarySeen = false;
    const buffered = [];
    let partial = '';
    let killedFor;
    const emit = (text) => (streaming ? process.stdout.write(text) : buffered.push(text));
    const onLine = (line) => {
      if (line === 'TAP version 13') return;
      const summary = SUMMARY_LINE.exec(line);
      if (summary) {
        if (summary[1] !== 'duration_ms') counts[summary[1]] = Number(summary[2]);
        summarySeen = true;
        return;
      }
      const result = RESULT_LINE.exec(line);
      if (result) {
        lastEnded = result[2];
        if (result[3]) skips.push({ name: result[2], directive: result[3], reason: result[4] ?? '' });
      }
      emit(`    ${line}\n`);
    };
    child.stdout.on('data', (chunk) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop();
      lines.forEach(onLine);
    });
    child.stderr.on('data', (chunk) => (streaming ? process.stderr.write(chunk) : buffered.push(chunk.toString())));

    const kill = (why) => {
      if (killedFor !== undefined) return;
      killedFor = why;
      // node reports a test when it ends, so the stuck one is the one after the last reported
      const where = lastEnded === undefined ? '; no test had ended yet' : `; the last test that ended: ${lastEnded}`;
      const message = `${file}: ${why}${where}; killing it and the processes it started`;
      console.error(`run-tests: ${message}`);
      emit(`    # ${message}\n`);
      const signal = (name) => {
        try {
          process.kill(-child.pid, name);
        } catch {
          // the group has already exited
        }
      };
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const fileTimer = setTimeout(
      () => kill(`still running after ${seconds(FILE_TIMEOUT_MS)} (file timeout)`),
      FILE_TIMEOUT_MS,
    );
    running.set(file, { kill, started: fileStarted });

    child.on('close', (code, signal) => {
      clearTimeout(fileTimer);
      running.delete(file);
      try {
        // whatever the file started and left behind (a terraform, a provider, a JVM) goes with it
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // nothing left in its process group
      }
      if (partial !== '') onLine(partial);
      const exit = signal ?? `code ${code}`;
      const failure =
        killedFor ??
        (!summarySeen
          ? `exited with ${exit} before node reported its summary`
          : code !== 0 && counts.fail === 0 && counts.cancelled === 0
            ? `exited with ${exit} although no test failed`
            : undefined);
      if (failure !== undefined && counts.fail === 0 && counts.cancelled === 0) {
        // the file itself counts as a failed test, as node's runner counts a file that crashes
        counts.tests += 1;
        counts.fail += 1;
      }
      const ms = Date.now() - fileStarted;
      const ok = code === 0 && failure === undefined;
      if (!streaming) process.stdout.write(`# Subtest: ${file}\n${buffered.join('')}`);
      resolvePromise({ file, ok, counts, skips, failure, ms });
    });
    if (streaming) process.stdout.write(`# Subtest: ${file}\n`);
  });
}

function report(result, index) {
  const yaml = [
    `  duration_ms: ${result.ms}`,
    `  type: 'file'`,
    ...(result.failure ? [`  error: '${result.failure.replaceAll("'", "''")}'`] : []),
  ];
  process.stdout.write(`${result.ok ? 'ok' : 'not ok'} ${index} - ${result.file}\n  ---\n${yaml.join('\n')}\n  ...\n`);
}

function summary(notRun) {
  const total = Object.fromEntries(COUNTS.map((name) => [name, 0]));
  for (const r of results) for (const name of COUNTS) total[name] += r.counts[name];
  const lines = [];

  // Which reference suites ran, which were skipped and why; any other skip fails the run.
  const required = referenceSystemsRequired();
  const referenceSkips = new Map();
  const otherSkips = [];
  for (const r of results) {
    for (const skip of r.skips) {
      if (skip.directive === 'SKIP' && skip.reason.startsWith(REFERENCE_SKIP_PREFIX) && !required) {
        const key = skip.reason;
        referenceSkips.set(key, [...(referenceSkips.get(key) ?? []), `${r.file} (${skip.name})`]);
      } else {
        otherSkips.push(`${r.file}: ${skip.name} # ${skip.directive} ${skip.reason}`.trim());
      }
    }
  }
  lines.push(`reference systems${required ? ' (CI is set: all required)' : ''}:`);
  const listed = new Set();
  for (const system of referenceSystems()) {
    const skipped = [...referenceSkips.entries()].filter(([reason]) => reason.includes(`: ${system.name}: `));
    if (system.missing !== undefined && required) {
      lines.push(`  MISSING  ${system.name}: ${system.missing}; install with: ${system.install}`);
    } else if (system.missing !== undefined) {
      lines.push(`  skipped  ${system.name}: ${system.missing}; install with: ${system.install}`);
    } else {
      lines.push(`  ${skipped.length > 0 ? 'skipped' : 'ran    '}  ${system.name}`);
    }
    for (const [reason, where] of skipped) {
      listed.add(reason);
      for (const w of where) lines.push(`             ${w}`);
    }
  }
  for (const [reason, where] of referenceSkips) {
    if (listed.has(reason)) continue;
    lines.push(`  skipped  ${reason.slice(REFERENCE_SKIP_PREFIX.length + 2)}`);
    for (const w of where) lines.push(`             ${w}`);
  }
  const failed = results.filter((r) => !r.ok);
  if (otherSkips.length > 0) {
    lines.push(
      required
        ? `${otherSkips.length} skipped/todo tests, but under CI nothing may skip:`
        : `${otherSkips.length} skipped/todo tests that are not a missing reference system (nothing else may skip):`,
    );
    for (const s of otherSkips) lines.push(`  ${s}`);
  }
  if (failed.length > 0) {
    lines.push(`failed files (${failed.length}):`);
    for (const r of failed) lines.push(`  ${r.file}${r.failure ? `: ${r.failure}` : ''}`);
  }
  if (notRun.length > 0) {
    lines.push(`files not run (${notRun.length}):`);
    for (const f of notRun) lines.push(`  ${f}`);
  }
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
  lines.push(`slowest files: ${slowest.map((r) => `${r.file} ${seconds(r.ms)}`).join(', ')}`);
  lines.push(
    `${results.length} files, ${CONCURRENCY} at a time; timeouts: test ${seconds(TEST_TIMEOUT_MS)}, file ${seconds(FILE_TIMEOUT_MS)}, run ${seconds(RUN_TIMEOUT_MS)}`,
  );

  process.stdout.write(`1..${results.length}\n`);
  for (const line of lines) process.stdout.write(`# ${line}\n`);
  for (const name of COUNTS) process.stdout.write(`# ${name} ${total[name]}\n`);
  process.stdout.write(`# duration_ms ${Date.now() - started}\n`);
  return failed.length === 0 && notRun.length === 0 && otherSkips.length === 0;
}

function finish(notRun) {
  const passed = summary(notRun);
  process.exit(passed ? 0 : 1);
}

function stopAll(why) {
  if (stopping) return;
  stopping = true;
  console.error(`run-tests: ${why}`);
  for (const [file, { kill, started: since }] of running) {
    console.error(`run-tests:   still running: ${file} (${seconds(Date.now() - since)})`);
    kill(why);
  }
}

const watchdog = setTimeout(
  () => stopAll(`the whole run is still going after ${seconds(RUN_TIMEOUT_MS)} (run timeout)`),
  RUN_TIMEOUT_MS,
);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(`stopped by ${signal}`));

process.stdout.write('TAP version 13\n');
let next = 0;
async function worker() {
  while (!stopping && next < files.length) {
    const file = files[next++];
    const result = await runFile(file);
    results.push(result);
    report(result, ++finishedFiles);
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
clearTimeout(watchdog);
finish(files.filter((f) => !results.some((r) => r.file === f)));
