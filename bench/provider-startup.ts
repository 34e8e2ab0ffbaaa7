// Provider start-up: spawn → handshake line on stdout, as Terraform measures it, through the installed wrapper
// (code-cache launcher included), side by side with the floor measured in the same run: spawn → exit of
// `node -e 0` on the same node. The two alternate run by run, so that a change of the machine's load hits both.
// Median of 21 runs each after one warm-up run (which writes the code cache). Target: ratio ≤ 1.3.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTlsIdentity } from '../src/provider/tls-certificate';
import { installProvider } from '../src/provider/install';
import { median, timedRuns } from './floor';

const RUNS = 21;
const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const STARTUP_TARGET_RATIO = 1.3;

function startOnce(executable: string, clientCert: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((done, fail) => {
    const child = spawn(executable, [], {
      env: {
        ...process.env,
        TF_PLUGIN_MAGIC_COOKIE: COOKIE,
        PLUGIN_PROTOCOL_VERSIONS: '5,6',
        PLUGIN_CLIENT_CERT: clientCert,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.once('data', () => {
      done(Number(process.hrtime.bigint() - started) / 1e6);
      child.kill('SIGKILL');
    });
    child.on('error', fail);
  });
}

/** spawn → exit of `node -e 0`: what any Node program pays before its first line. */
export function nodeFloorOnce(): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('exit', () => done(Number(process.hrtime.bigint() - started) / 1e6));
    child.on('error', fail);
  });
}

export interface StartupResult {
  readonly runs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** `node -e 0`, measured alternately with the provider in the same run. */
  readonly floorMedian: number;
  readonly ratio: number;
}

export async function measureStartup(bundle = resolve(__dirname, '../dist/provider.js')): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-'));
  try {
    const { executable } = installProvider({ dir, bundle, version: '0.0.0-bench' });
    // Terraform's own client certificate stands in for PLUGIN_CLIENT_CERT: AutoMTLS is part of the cost.
    const clientCert = createTlsIdentity().certificatePem;
    await startOnce(executable, clientCert);
    await nodeFloorOnce();
    const [provider, floor] = await timedRuns(RUNS, [() => startOnce(executable, clientCert), nodeFloorOnce]);
    const sorted = [...provider!].sort((a, b) => a - b);
    const floorMedian = median(floor!);
    return {
      runs: RUNS,
      median: median(sorted),
      min: sorted[0]!,
      max: sorted[RUNS - 1]!,
      floorMedian,
      ratio: median(sorted) / floorMedian,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeStartup(r: StartupResult): string {
  return (
    `provider start-up (spawn → handshake), ${r.runs} runs: median ${r.median.toFixed(1)} ms (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)}); ` +
    `node -e 0 ${r.floorMedian.toFixed(1)} ms → ratio ${r.ratio.toFixed(2)}× (target ≤ ${STARTUP_TARGET_RATIO}×)`
  );
}

if (require.main === module) {
  void measureStartup(process.argv[2] ? resolve(process.argv[2]) : undefined).then((r) =>
    console.log(describeStartup(r)),
  );
}
