// What every bench compares with: a floor measured in the same run, alternating with the thing measured, and the
// machine's load and `node -e 0` time printed beside each figure (figures are ratios because machines differ).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs each measure `runs` times, alternating between them run by run; returns the times per measure. */
export async function timedRuns(runs: number, measures: readonly (() => Promise<number>)[]): Promise<number[][]> {
  const times = measures.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [m, measure] of measures.entries()) times[m]!.push(await measure());
  }
  return times;
}

/** Median wall time of `node -e 0` (spawn → exit), synchronous: for benches that print it beside their figure. */
export function nodeFloorMs(runs = 11): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

/** "load 1.23, node -e 0 98 ms": the conditions a figure was taken under. */
export function conditions(floorMs = nodeFloorMs()): string {
  return `load ${loadavg()[0]!.toFixed(2)}, node -e 0 ${floorMs.toFixed(0)} ms`;
}
