// Provider start-up: spawn → handshake line on stdout, as Terraform measures it, through the installed wrapper
// (code-cache launcher included), side by side with the floor measured in the same run: spawn → exit of
// `node -e 0` on the same node. The two alternate run by run, so that a change of the machine's load hits both.
// Median of 21 runs each after one warm-up launch, ended as Terraform ends it (GRPCController.Shutdown), which
// writes the code cache. Target: ratio ≤ 1.3.
// Beside it, spawn → first RPC answered (GetProviderSchema, which every launch of Terraform's starts with): work a
// launch needs is not saved by doing it after the handshake line, and this figure shows whether it only moved.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTlsIdentity, type TlsIdentity } from '../src/provider/tls-certificate';
import { installProvider } from '../src/provider/install';
import { median, timedRuns } from './floor';
import {
  autoMtls,
  callUnary,
  handshakeAddress,
  handshakeCertificatePem,
  pluginClient,
} from '../test/support/plugin-client';

const RUNS = 21;
const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const STARTUP_TARGET_RATIO = 1.3;

/** How far one launch goes: to the handshake line, to the first RPC answered, or on to Terraform's Shutdown. */
type Until = 'handshake' | 'first-rpc' | 'shutdown';

/**
 * Spawn → handshake line, or spawn → GetProviderSchema answered over the AutoMTLS connection the handshake
 * announces, made as Terraform's client makes it (server name localhost, the provider's certificate trusted).
 */
function startOnce(executable: string, client: TlsIdentity, until: Until = 'handshake'): Promise<number> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((done, fail) => {
    const child = spawn(executable, [], {
      env: {
        ...process.env,
        TF_PLUGIN_MAGIC_COOKIE: COOKIE,
        PLUGIN_PROTOCOL_VERSIONS: '5,6',
        PLUGIN_CLIENT_CERT: client.certificatePem,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.on('error', fail);
    child.stdout.once('data', (line: Buffer) => {
      if (until === 'handshake') {
        done(elapsed());
        child.kill('SIGTERM');
        return;
      }
      const [, , network, where, , certField] = line.toString('ascii').trim().split('|');
      const address = handshakeAddress(network!, where!);
      const credentials = autoMtls(handshakeCertificatePem(certField!), client);
      const connection = pluginClient('tfplugin6.Provider', address, credentials);
      callUnary(connection, 'GetProviderSchema').then(
        () => {
          const time = elapsed();
          connection.close();
          if (until === 'first-rpc') {
            child.kill('SIGTERM');
            done(time);
            return;
          }
          const controller = pluginClient('plugin.GRPCController', address, credentials);
          child.once('exit', () => done(time));
          const close = () => controller.close(); // the process may end before it answers
          callUnary(controller, 'Shutdown').then(close, close);
        },
        (error: unknown) => {
          connection.close();
          child.kill('SIGTERM');
          fail(error);
        },
      );
    });
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
  /** spawn → first RPC (GetProviderSchema) answered, median, and its ratio to the same floor. */
  readonly firstRpcMedian: number;
  readonly firstRpcRatio: number;
}

export async function measureStartup(bundle = resolve(__dirname, '../dist/provider.js')): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-'));
  try {
    const { executable } = installProvider({ dir, bundle, version: '0.0.0-bench' });
    // Terraform's own client certificate stands in for PLUGIN_CLIENT_CERT: AutoMTLS is part of the cost.
    const client = createTlsIdentity();
    await startOnce(executable, client, 'shutdown');
    await nodeFloorOnce();
    const [provider, floor, firstRpc] = await timedRuns(RUNS, [
      () => startOnce(executable, client),
      nodeFloorOnce,
      () => startOnce(executable, client, 'first-rpc'),
    ]);
    const sorted = [...provider!].sort((a, b) => a - b);
    const floorMedian = median(floor!);
    return {
      runs: RUNS,
      median: median(sorted),
      min: sorted[0]!,
      max: sorted[RUNS - 1]!,
      floorMedian,
      ratio: median(sorted) / floorMedian,
      firstRpcMedian: median(firstRpc!),
      firstRpcRatio: median(firstRpc!) / floorMedian,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeStartup(r: StartupResult): string {
  return (
    `provider start-up (spawn → handshake), ${r.runs} runs: median ${r.median.toFixed(1)} ms (min ${r.min.toFixed(1)}, max ${r.max.toFixed(1)}); ` +
    `node -e 0 ${r.floorMedian.toFixed(1)} ms → ratio ${r.ratio.toFixed(2)}× (target ≤ ${STARTUP_TARGET_RATIO}×); ` +
    `spawn → first RPC (GetProviderSchema) answered ${r.firstRpcMedian.toFixed(1)} ms = ${r.firstRpcRatio.toFixed(2)}×`
  );
}

if (require.main === module) {
  void measureStartup(process.argv[2] ? resolve(process.argv[2]) : undefined).then((r) =>
    console.log(describeStartup(r)),
  );
}
