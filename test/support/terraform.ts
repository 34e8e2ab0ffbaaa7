// Runs the real terraform binary in a scratch directory against a provider installed into a filesystem mirror,
// with no network: what a user's pipeline does.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installProvider, terraformEnv } from '../../src/provider/install';

export { terraformEnv };

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TerraformWorkdir {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  writeConfig(config: object): void;
  run(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<TerraformResult>;
  /** run(), failing with terraform's output unless the exit code is one of `codes`. */
  ok(args: string[], codes?: number[]): Promise<TerraformResult>;
  remove(): void;
}

/**
 * What every test's terraform runs with: the provider from the filesystem mirror that `cliConfigFile` names (no
 * registry), no prompts, and no version check over the network. Spread it over `process.env` and the test's own
 * variables.
 */

export function createWorkdir(options: { bundle: string; version: string; prefix?: string }): TerraformWorkdir {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'cpi-tf-'));
  let installed: ReturnType<typeof installProvider>;
  try {
    installed = installProvider({ dir: join(dir, '.provider'), bundle: options.bundle, version: options.version });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...terraformEnv(installed.cliConfigFile) };
  const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    new Promise<TerraformResult>((resolve, reject) => {
      const child = spawn('terraform', [...args], { cwd: dir, env: { ...env, ...extraEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  return {
    dir,
    env,
    writeConfig: (config) => writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config, null, 2)),
    run,
    async ok(args, codes = [0]) {
      const result = await run([...args, '-no-color']);
      if (!codes.includes(result.code)) {
        throw new Error(`terraform ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
      }
      return result;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
