// Terraform as tests run it: the real binary, against a provider installed as a user installs it (`cpi-renewal
// provider install` into ~/.terraform.d/plugins, Terraform's implied local mirror), with no CLI configuration and
// no network (what a user's pipeline does). Each test gets its own HOME, so the machine's ~/.terraform.d is never
// touched. Every test that runs terraform starts it here.
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { automationEnv, impliedMirrorDir, installProvider } from '../../src/provider/install';
import { startCommand, type CommandOptions, type CommandRun, type RunningCommand } from './command';

export type { CommandRun, RunningCommand };

/**
 * The environment of a user whose home is `home`: Terraform reads no CLI configuration but `home`/.terraformrc
 * (absent) and finds providers in `home`/.terraform.d/plugins. Whatever CLI configuration or plugin cache the
 * machine sets is left out.
 */
export function userEnv(home: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...automationEnv(), HOME: home };
  delete env.TF_CLI_CONFIG_FILE;
  delete env.TF_PLUGIN_CACHE_DIR;
  return env;
}

/** A fresh home with the provider installed into its implied local mirror, as `cpi-renewal provider install` does. */
export function homeWithProvider(home: string, bundle: string, version: string): ReturnType<typeof installProvider> {
  mkdirSync(home, { recursive: true });
  return installProvider({ dir: impliedMirrorDir(home), bundle, version });
}

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

/**
 * A scratch directory with a home of its own (`.home`) into which the provider is installed; `env` is what its
 * terraform runs with.
 */
export function createWorkdir(options: { bundle: string; version: string; prefix?: string }): TerraformWorkdir {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'cpi-tf-'));
  const home = join(dir, '.home');
  try {
    homeWithProvider(home, options.bundle, options.version);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const env = userEnv(home);
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
