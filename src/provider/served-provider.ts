// One provider process for a run of Terraform commands. Terraform starts a provider 3-5 times per command (schema,
// validate, plan, apply walks), ≈ 0.25 s each; a renewal's downtime window spans several commands, so those starts
// are most of it. Served, the provider runs once and Terraform reattaches to it (TF_REATTACH_PROVIDERS, the
// mechanism of go-plugin's debug mode). Every gate and check runs exactly as in a launched provider; what the
// runner guarantees is that commands run one at a time, each announced with its working directory
// (plugin-server.ts, serveForCommands).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVE_ENV, type ServeMessage } from './plugin-server';
import { PROVIDER_HOSTNAMES, PROVIDER_NAMESPACE, PROVIDER_TYPE } from '../rules/provider-package';

const START_TIMEOUT_MS = 30_000;

export class ServedProvider {
  private nextId = 0;
  private readonly waiting = new Map<number, { entered: () => void; fail: (error: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly socketDir: string,
    private readonly socketPath: string,
    private readonly exited: Promise<void>,
  ) {
    child.on('message', (message: ServeMessage) => {
      if ('event' in message && message.event === 'entered') this.waiting.get(message.id)?.entered();
    });
    child.once('exit', (code, signal) => {
      for (const { fail } of this.waiting.values())
        fail(new Error(`the served provider ended (${signal ?? `exit ${code}`})`));
      this.waiting.clear();
    });
  }

  /**
   * Starts `executable` (the installed provider, what Terraform would start) with `env`, which is what the
   * provider reads its credentials from. Its log lines (hclog JSON) go to `log`.
   */
  static async start(options: {
    executable: string;
    env: NodeJS.ProcessEnv;
    log?: (line: string) => void;
  }): Promise<ServedProvider> {
    // mkdtemp makes the directory 0700: only this user can reach the socket, which carries no TLS
    const socketDir = mkdtempSync(join(tmpdir(), 'cpi-provider-'));
    const socketPath = join(socketDir, 'provider.sock');
    const child = fork(options.executable, [], {
      env: { ...options.env, [SERVE_ENV]: socketPath },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const lines = stderr.split('\n');
      stderr = lines.pop()!;
      for (const line of lines) options.log?.(line);
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      await new Promise<void>((ready, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`the served provider did not start within ${START_TIMEOUT_MS / 1000} s`)),
          START_TIMEOUT_MS,
        );
        child.on('message', (message: ServeMessage) => {
          if ('event' in message && message.event === 'serving') {
            clearTimeout(timer);
            ready();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          fail(new Error(`the served provider ended before serving (exit ${code}): ${stderr.slice(-500)}`));
        });
      });
    } catch (error) {
      child.kill();
      rmSync(socketDir, { recursive: true, force: true });
      throw error;
    }
    return new ServedProvider(child, socketDir, socketPath, exited);
  }

  /** The environment that makes Terraform (and OpenTofu) use this process instead of starting the provider. */
  reattachEnv(): { TF_REATTACH_PROVIDERS: string } {
    const config = {
      Protocol: 'grpc',
      ProtocolVersion: 6,
      Pid: this.child.pid,
      // go-plugin's "not ours to kill": Terraform leaves the process running after each command
      Test: true,
      Addr: { Network: 'unix', String: this.socketPath },
    };
    return {
      TF_REATTACH_PROVIDERS: JSON.stringify(
        Object.fromEntries(
          PROVIDER_HOSTNAMES.map((host) => [`${host}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`, config]),
        ),
      ),
    };
  }

  /** Call before each Terraform command, with the directory it runs in; resolves once the provider is ready. */
  enter(dir: string): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((entered, fail) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        fail(new Error('the served provider has ended'));
        return;
      }
      this.waiting.set(id, {
        entered: () => {
          this.waiting.delete(id);
          entered();
        },
        fail,
      });
      this.child.send({ command: 'enter', dir: resolve(dir), id } satisfies ServeMessage, (error) => {
        if (error) fail(error);
      });
    });
  }

  async close(): Promise<void> {
    // disconnecting ends it cleanly (plugin-server.ts); a process that does not end is killed
    if (this.child.connected) this.child.disconnect();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(killer);
    rmSync(this.socketDir, { recursive: true, force: true });
  }
}
