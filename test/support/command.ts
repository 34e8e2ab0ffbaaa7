// The one way tests start a process they wait for: terraform, cdktf, the built CLI, npm. Asynchronous, because the
// emulators usually run in the test's own process and must keep answering; the output is collected (without
// colour codes, so assertions read text) and can be watched while it runs; a run can be signalled or killed, as a
// whole process group when it starts children of its own (terraform starts the provider).
import { spawn, type ChildProcess } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';

/** A finished run. */
export interface CommandRun {
  readonly code: number;
  /** stdout and stderr interleaved as they arrived. */
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Whether the test killed it (kill() or a timeout). */
  readonly killed: boolean;
}

/** A run in progress: await it for its CommandRun. */
export interface RunningCommand extends Promise<CommandRun> {
  readonly child: ChildProcess;
  /** The output so far. */
  output(): string;
  /** Sends a signal to the process (to its whole group when started with `processGroup`). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL, remembered as `killed` in the result: a crash at this point. */
  kill(): void;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with every chunk and all output so far: where a test decides to kill. */
  readonly onOutput?: (chunk: string, all: string) => void;
  /** Start in a process group of its own, so that signals reach every process it starts (terraform's providers). */
  readonly processGroup?: boolean;
  /** Killed (SIGKILL) after this long. @default - no limit */
  readonly timeoutMs?: number;
}

export function startCommand(command: string, args: readonly string[], options: CommandOptions = {}): RunningCommand {
  const started = Date.now();
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  let killed = false;
  const take = (chunk: string) => {
    output += chunk;
    options.onOutput?.(chunk, output);
  };
  child.stdout!.on('data', (d: Buffer) => {
    const chunk = stripVTControlCharacters(d.toString());
    stdout += chunk;
    take(chunk);
  });
  child.stderr!.on('data', (d: Buffer) => {
    const chunk = stripVTControlCharacters(d.toString());
    stderr += chunk;
    take(chunk);
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const signal = (name: NodeJS.Signals) => {
    try {
      // the group may outlive its leader (a provider terraform started)
      if (options.processGroup) process.kill(-child.pid!, name);
      else if (!exited()) child.kill(name);
    } catch {
      // already gone
    }
  };
  const kill = () => {
    if (!exited()) killed = true;
    signal('SIGKILL');
  };
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(kill, options.timeoutMs);
  const done = new Promise<CommandRun>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output, stdout, stderr, ms: Date.now() - started, killed });
    });
  });
  return Object.assign(done, { child, output: () => output, signal, kill });
}

/** Runs a command to its end. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandRun> {
  return startCommand(command, args, options);
}
