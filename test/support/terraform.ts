// Terraform as tests run it: the real binary, against a provider installed into a filesystem mirror, with no
// network (what a user's pipeline does). Every test that runs terraform starts it here.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installProvider, terraformEnv } from '../../src/provider/install';
import { startCommand, type CommandOptions, type CommandRun, type RunningCommand } from './command';

export { terraformEnv };
export type { CommandRun, RunningCommand };

/** `terraform <args> -no-color` in `options.cwd`. */
export function startTerraform(args: readonly string[], options: CommandOptions): RunningCommand {
  return startCommand('terraform', [...args, '-no-color'], options);
}

/** What a workdir run returns (a CommandRun; the name kept for its callers). */
export type TerraformResult = CommandRun;

export interface TerraformWorkdir {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  writeConfig(config: object): void;
  /** `terraform <args>` as given (add `-no-color` where the output is read). */
  run(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<TerraformResult>;
  /** run(), failing with terraform's output unless the exit code is one of `codes`. */
  ok(args: string[], codes?: number[]): Promise<TerraformResult>;
  /** `terraform <args> -no-color`, running: to watch, signal or kill (its own process group, with the provider). */
  start(args: string[], options?: Pick<CommandOptions, 'onOutput'>): RunningCommand;
  remove(): void;
}

/** A scratch directory with the provider installed for it; `env` is what its terraform runs with. */
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
    startCommand('terraform', args, { cwd: dir, env: { ...env, ...extraEnv } });
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
    start: (args, startOptions = {}) => startTerraform(args, { ...startOptions, cwd: dir, env, processGroup: true }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
