// Runs terraform in a stack directory, as a pipeline job would: asynchronous (the emulators run in this process
// and must keep answering), output captured for the summary and for error messages, and interruptible.
import { spawn, type ChildProcess } from 'node:child_process';
import type { ServedProvider } from '../provider/served-provider';

export interface TerraformRun {
  readonly code: number;
  /** stdout and stderr interleaved, for the summary and error messages. */
  readonly output: string;
  /** stdout alone: what `-json` commands print (Terraform writes warnings, e.g. about its CLI configuration, to stderr). */
  readonly stdout: string;
  readonly ms: number;
}

export class TerraformRunner {
  private readonly running = new Set<ChildProcess>();

  private served: ServedProvider | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** From now on every command uses this one provider process instead of starting its own (one at a time). */
  serveProvider(served: ServedProvider): void {
    this.served = served;
  }

  async run(dir: string, args: readonly string[]): Promise<TerraformRun> {
    const started = Date.now();
    const served = this.served;
    if (served) await served.enter(dir);
    return new Promise((resolve, reject) => {
      const child = spawn('terraform', [...args, '-no-color'], {
        cwd: dir,
        env: served ? { ...this.env, ...served.reattachEnv() } : this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.running.add(child);
      let output = '';
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        stdout += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', (error) => {
        this.running.delete(child);
        reject(error);
      });
      child.on('close', (code) => {
        this.running.delete(child);
        resolve({ code: code ?? 1, output, stdout, ms: Date.now() - started });
      });
    });
  }

  /** Asks every running terraform to stop as Ctrl-C would (it then stops its providers cleanly). */
  interrupt(): void {
    for (const child of this.running) child.kill('SIGINT');
  }
}
