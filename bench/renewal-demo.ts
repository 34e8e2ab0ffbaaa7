// The main job's targets: a whole overlap renewal ≤ 15 s wall with 0 messages lost; the single-key downtime window
// ≤ 5 s with the emulator's default 1 s per deploy. Runs `cpi-renewal demo` (the bundled CLI) as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const cli = resolve(__dirname, '../dist/cli.js');
for (const variant of ['overlap', 'single-key']) {
  const dir = mkdtempSync(join(tmpdir(), `cpi-bench-demo-${variant}-`));
  const started = Date.now();
  const run = spawnSync(process.execPath, [cli, 'demo', '--variant', variant, '--dir', dir], { encoding: 'utf8' });
  const wall = (Date.now() - started) / 1000;
  const lost = /no message lost/.test(run.stdout) ? 0 : (/(\d+) message\(s\) LOST/.exec(run.stdout)?.[1] ?? '?');
  const window = /downtime window[^:]*: ([\d.]+) s/.exec(run.stdout)?.[1];
  console.log(
    `demo ${variant}: exit ${run.status}, wall ${wall.toFixed(1)} s, lost ${lost}${window ? `, downtime window ${window} s` : ''}`,
  );
  if (run.status !== 0) console.log(run.stdout.slice(-2000), run.stderr.slice(-2000));
  rmSync(dir, { recursive: true, force: true });
}
