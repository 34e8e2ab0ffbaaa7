// The main job's targets: a whole overlap renewal ≤ 15 s wall with 0 messages lost; the single-key downtime window
// as the traffic sees it ≤ 2× the emulator's own undeploy + deploy time (the floor, printed by the demo beside the
// window). Runs `cpi-renewal demo` (the bundled CLI) as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WINDOW_TARGET_RATIO = 2;
const cli = resolve(__dirname, '../dist/cli.js');

export interface DemoRun {
  readonly variant: string;
  readonly exit: number | null;
  readonly wallS: number;
  readonly lost: string | number;
  readonly windowS?: number;
  readonly floorS?: number;
  readonly ratio?: number;
  readonly output: string;
}

export function runDemo(variant: 'overlap' | 'single-key'): DemoRun {
  const dir = mkdtempSync(join(tmpdir(), `cpi-bench-demo-${variant}-`));
  try {
    const started = Date.now();
    const run = spawnSync(process.execPath, [cli, 'demo', '--variant', variant, '--dir', dir], { encoding: 'utf8' });
    const wallS = (Date.now() - started) / 1000;
    const lost = /no message lost/.test(run.stdout) ? 0 : (/(\d+) message\(s\) LOST/.exec(run.stdout)?.[1] ?? '?');
    const window =
      /downtime window[^:]*: ([\d.]+) s(?: = ([\d.]+)× the emulator's own undeploy \+ deploy \(([\d.]+) s\))?/.exec(
        run.stdout,
      );
    return {
      variant,
      exit: run.status,
      wallS,
      lost,
      ...(window ? { windowS: Number(window[1]) } : {}),
      ...(window?.[2] ? { ratio: Number(window[2]), floorS: Number(window[3]) } : {}),
      output: run.stdout.slice(-2000) + run.stderr.slice(-2000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeRun(r: DemoRun): string {
  const window =
    r.windowS !== undefined
      ? `, downtime window ${r.windowS} s${r.ratio !== undefined ? ` = ${r.ratio}× undeploy + deploy (${r.floorS} s; target ≤ ${WINDOW_TARGET_RATIO}×)` : ''}`
      : '';
  return `demo ${r.variant}: exit ${r.exit}, wall ${r.wallS.toFixed(1)} s, lost ${r.lost}${window}`;
}

/**
 * The window, its floor (undeploy + deploy) and their ratio: the median of three single-key demos (one run varies
 * by a few tenths of a second with the machine's load).
 */
export function measureSingleKeyWindow(runs = 3): { line: string; ratio?: number; floorMs?: number } {
  const done: DemoRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = runDemo('single-key');
    if (run.exit !== 0 || run.ratio === undefined) return { line: `${describeRun(run)}\n${run.output}` };
    done.push(run);
  }
  done.sort((a, b) => a.ratio! - b.ratio!);
  const median = done[Math.floor(done.length / 2)]!;
  return {
    line: `${describeRun(median)} (median of ${runs}: ${done.map((r) => `${r.windowS} s`).join(', ')})`,
    ratio: median.ratio,
    floorMs: median.floorS! * 1000,
  };
}

if (require.main === module) {
  for (const variant of ['overlap', 'single-key'] as const) {
    const run = runDemo(variant);
    console.log(describeRun(run));
    if (run.exit !== 0) console.log(run.output);
  }
}
