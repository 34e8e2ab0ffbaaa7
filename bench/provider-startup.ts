// Provider start-up: spawn → handshake line on stdout, as Terraform measures it, through the installed wrapper
// (code-cache launcher included). Median of 21 runs after one warm-up run that writes the code cache.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTlsIdentity } from '../src/provider/tls-certificate';
import { installProvider } from '../src/provider/install';

const RUNS = 21;
const COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

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

export async function measureStartup(bundle = resolve(__dirname, '../dist/provider.js')) {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-bench-'));
  try {
    const { executable } = installProvider({ dir, bundle, version: '0.0.0-bench' });
    // Terraform's own client certificate stands in for PLUGIN_CLIENT_CERT: AutoMTLS is part of the cost.
    const clientCert = createTlsIdentity().certificatePem;
    await startOnce(executable, clientCert);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await startOnce(executable, clientCert));
    times.sort((a, b) => a - b);
    return { runs: RUNS, median: times[Math.floor(RUNS / 2)]!, min: times[0]!, max: times[RUNS - 1]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void measureStartup().then((r) =>
    console.log(
      `provider start-up (spawn → handshake), ${r.runs} runs: median ${r.median.toFixed(1)} ms, min ${r.min.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`,
    ),
  );
}
