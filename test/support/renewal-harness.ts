// The one renewal harness of the tests (e2e, reliability, demo): a whole renewal of the demo's world driven stage
// by stage through the real CLIs, against the tenant emulator and the embedded receiver running in this process.
//
// - World: the receiver's old key behind the tenant alias, the iFlow encrypting for it; the receiver keys in the
//   embedded receiver or in a PKCS#12 keystore pair.
// - Runner: `cdktf` in a project directory whose app is ./renewal-app.ts, or plain `terraform` on the stacks
//   synthesized in-process (the same app); see ./stage-runners.ts.
// - Kill points: every terraform run is its own process group (the test can SIGKILL terraform with its providers)
//   whose output, and every request the tenant answers, is observable while it runs; see ./kill-points.ts.
// - Traffic: a generator sending through the iFlow, the tenant's message log and the receiver's counters.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ReceiverBackendSettings } from '../../constructs';
import { DEMO_RENEWAL_ID, DEMO_WORLD, prepareWorld } from '../../src/demo/renewal-demo';
import { TrafficGenerator } from '../../src/demo/traffic-generator';
import type { FaultSettings } from '../../src/emulator/faults';
import type { MessageRecord } from '../../src/emulator/message-log';
import type { KeyCounters } from '../../src/emulator/receiver-emulator';
import { startEmulators, type RunningEmulators } from '../../src/emulator/start-emulators';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { defaultBundlePath } from '../../src/provider/install';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { writeConfirmation } from '../../src/renewal/confirmation';
import type { GateSpec } from '../../src/renewal/gate';
import {
  rollbackGateName,
  rollbackStackName,
  rollbackStages,
  type RollbackStageSpec,
} from '../../src/renewal/rollback-stages';
import {
  renewalStages,
  stageStackName,
  type RenewalVariant,
  type StageName,
  type StageSpec,
} from '../../src/renewal/stages';
import { TenantClient } from '../../src/tenant/tenant-client';
import { startCommand, type CommandRun, type RunningCommand } from './command';
import { SETTINGS_ENV, synthesizeRenewal, type RenewalAppSettings } from './renewal-app';
import { homeWithProvider, startTerraform, userEnv } from './terraform';

const root = resolve(__dirname, '../..');
const TSX = join(root, 'node_modules', '.bin', 'tsx');
const CDKTF = join(root, 'node_modules', '.bin', 'cdktf');

export const { alias: ALIAS, iflowId: IFLOW, oldKeyName: OLD_KEY, newKeyName: NEW_KEY } = DEMO_WORLD;
export const KEYSTORE_PASSWORD = 'reliability-keystore-secret';

export type { CommandRun, RunningCommand };

export interface RenewalHarnessOptions {
  readonly variant: RenewalVariant;
  /** Working directory for emulator state, provider, stacks, state, confirmations, keystores. @default - a fresh one, removed by close() */
  readonly dir?: string;
  /** `embedded`: the embedded receiver holds the keys; `pkcs12`: a keystore pair under `dir/receiver`. @default 'embedded' */
  readonly receiver?: 'embedded' | 'pkcs12';
  /** Emulator configuration (e.g. short deploy delays). @default - the emulator's defaults */
  readonly emulatorConfig?: object;
  /** Extra environment for cdktf, terraform and the provider. */
  readonly env?: NodeJS.ProcessEnv;
  /** Messages per second of `traffic`. @default 20 */
  readonly trafficRate?: number;
  /** Stack names by stage, as a user may choose them. @default - `<renewal>-<n>-<stage>` */
  readonly stackNames?: Readonly<Partial<Record<StageName, string>>>;
  /**
   * Where the clock of tenant and receiver starts, relative to the real time (e.g. 91 days back, so that the
   * renewal happens "91 days ago" in what tenant and receiver record). {@link RenewalHarness.moveClock} moves it.
   * The provider and terraform keep the real clock: nothing in the product can be told what time it is.
   * @default 0
   */
  readonly clockOffsetMs?: number;
  /** The stages' state in PostgreSQL (give PG_CONN_STR in `env`). @default - local files under `<dir>/state` */
  readonly backend?: RenewalAppSettings['backend'];
}

/** The emulators' clock: the real time plus an offset the test moves. */
interface EmulatorClock {
  offsetMs: number;
}

/** A receiver key as the receiver's admin API lists it. */
export interface ListedKey {
  readonly name: string;
  readonly state: 'active' | 'retired';
  readonly fingerprintSha256: string;
  readonly retiredAt?: string;
  readonly retainUntil?: string;
}

/** What tenant and receiver hold: enough to see whether a stage changed anything. */
export interface WorldSnapshot {
  readonly aliasFingerprint: string | undefined;
  readonly iflows: readonly { id: string; status: string }[];
  readonly keys: readonly ListedKey[];
}

export interface ConvergeResult {
  /** terraform applies that failed on something other than a closed gate (the provider or terraform gave up). */
  readonly failedApplies: number;
  readonly applies: number;
  readonly outputs: string[];
}

export class RenewalHarness {
  readonly stages: readonly StageSpec[];
  /** The way back (src/renewal/rollback-stages.ts); the harness addresses them as `rollback-<name>`, their gate's name. */
  readonly rollbackStages: readonly RollbackStageSpec[];
  /** `<dir>/cdktf.out`, where both cdktf and the in-process synth write. */
  readonly outdir: string;
  readonly confirmationsDir: string;
  readonly receiverUrl: string;
  readonly traffic: TrafficGenerator;
  /** Every command run so far, with its exit code and wall time (for the report). */
  readonly timings: { command: string; code: number; ms: number }[] = [];
  /** Lines the tenant logged for the requests it answered: `METHOD /path STATUS Nms`. */
  readonly requests: string[] = [];
  /** Receiver keystore pair (pkcs12 harnesses only). */
  readonly keystorePath: string;
  readonly archivePath: string;
  /** The new certificate's fingerprint, once the first stage has been converged. */
  fingerprint: string | undefined;
  private readonly requestListeners = new Set<(line: string) => void>();

  private constructor(
    readonly options: RenewalHarnessOptions,
    readonly dir: string,
    private readonly ownsDir: boolean,
    readonly emulators: RunningEmulators,
    readonly env: NodeJS.ProcessEnv,
    private readonly settings: RenewalAppSettings,
    private readonly clock: EmulatorClock,
  ) {
    this.stages = renewalStages(options.variant);
    this.rollbackStages = rollbackStages(options.variant);
    this.outdir = join(dir, 'cdktf.out');
    this.confirmationsDir = join(dir, 'renewals', DEMO_RENEWAL_ID, 'confirmations');
    this.receiverUrl = emulators.ready.receiverUrl!;
    this.keystorePath = join(dir, 'receiver', 'active.p12');
    this.archivePath = join(dir, 'receiver', 'archive.p12');
    this.traffic = new TrafficGenerator({
      endpoint: `${emulators.ready.tenantUrl}/http/${IFLOW}`,
      username: emulators.ready.username,
      password: emulators.ready.password,
      rate: options.trafficRate ?? 20,
    });
  }

  get variant(): RenewalVariant {
    return this.options.variant;
  }

  /** What time it is for tenant and receiver (the message log's times are on this clock). */
  emulatorNow(): Date {
    return new Date(Date.now() + this.clock.offsetMs);
  }

  /**
   * Moves the clock of tenant and receiver forward, as if `ms` had passed. Stop the traffic first: a message
   * signed before the move would reach the receiver with a timestamp `ms` old, which it rightly refuses.
   */
  moveClock(ms: number): void {
    if (!(ms > 0)) throw new Error(`the emulators' clock moves forward only (asked: ${ms} ms)`);
    this.clock.offsetMs += ms;
  }

  /** Starts the emulators, sets up the world before the renewal, installs the provider and writes the cdktf project. */
  static async start(options: RenewalHarnessOptions): Promise<RenewalHarness> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), `cpi-renewal-${options.variant}-`));
    mkdirSync(join(dir, 'receiver'), { recursive: true });
    let configFile: string | undefined;
    if (options.emulatorConfig) {
      configFile = join(dir, 'emulator.json');
      writeFileSync(configFile, JSON.stringify(options.emulatorConfig));
    }
    let harness: RenewalHarness | undefined;
    const clock: EmulatorClock = { offsetMs: options.clockOffsetMs ?? 0 };
    const emulators = await startEmulators({
      dataDir: join(dir, 'emulator'),
      configFile,
      log: (line) => harness?.onRequest(line),
      now: () => new Date(Date.now() + clock.offsetMs),
    });
    try {
      // The provider where `cpi-renewal provider install` puts it, in a home of the harness's own: Terraform and
      // cdktf then run with no CLI configuration and no provider flags, as the README's commands do.
      const home = join(dir, 'home');
      homeWithProvider(home, defaultBundlePath(), PROVIDER_VERSION);
      const receiverUrl = emulators.ready.receiverUrl!;
      const receiver: ReceiverBackendSettings | undefined =
        options.receiver === 'pkcs12'
          ? {
              kind: 'pkcs12',
              keystorePath: join(dir, 'receiver', 'active.p12'),
              archivePath: join(dir, 'receiver', 'archive.p12'),
            }
          : undefined;
      const settings: RenewalAppSettings = {
        variant: options.variant,
        dir,
        receiverUrl,
        windowStart: new Date().toISOString(),
        ...(receiver ? { receiver } : {}),
        ...(options.stackNames ? { stackNames: options.stackNames } : {}),
        ...(options.backend ? { backend: options.backend } : {}),
      };
      const env: NodeJS.ProcessEnv = {
        ...userEnv(home),
        CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
        CI: 'true',
        CDKTF_HOME: join(dir, '.cdktf-home'),
        CPI_TENANT_URL: emulators.ready.tenantUrl,
        CPI_USERNAME: emulators.ready.username,
        CPI_PASSWORD: emulators.ready.password,
        // the embedded receiver's admin token, generated at each start of the emulators
        CPI_RECEIVER_ADMIN_TOKEN: emulators.ready.adminToken,
        CPI_RECEIVER_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD,
        [SETTINGS_ENV]: JSON.stringify(settings),
        ...options.env,
      };
      // The cdktf project a user would have: its app is a TypeScript file run by tsx.
      writeFileSync(
        join(dir, 'cdktf.json'),
        JSON.stringify({
          language: 'typescript',
          app: `${TSX} ${join(__dirname, 'renewal-app.ts')}`,
          projectId: 'cpi-renewal-harness',
          sendCrashReports: 'false',
          terraformProviders: [],
          terraformModules: [],
          context: {},
        }),
      );
      harness = new RenewalHarness(options, dir, options.dir === undefined, emulators, env, settings, clock);
      await harness.prepareWorld();
      return harness;
    } catch (error) {
      await emulators.close();
      throw error;
    }
  }

  /** The receiver decrypts with the old key, whose certificate is under the tenant alias. */
  private async prepareWorld(): Promise<void> {
    if (this.options.receiver !== 'pkcs12') return prepareWorld(this.emulators);
    const old = await this.pkcs12().generateKey({
      name: OLD_KEY,
      algorithm: 'RSA-2048',
      subject: 'CN=orders-receiver-2025,O=Example',
      validityDays: 365,
    });
    await this.tenantClient().putCertificate(ALIAS, old.certificatePem, { update: false, fingerprintVerified: true });
  }

  stage(name: string): StageSpec {
    const found = this.stages.find((s) => s.name === name);
    if (!found) throw new Error(`the ${this.variant} renewal has no stage "${name}"`);
    return found;
  }

  /** A forward stage by name, or a rollback stage as `rollback-<name>`: its stack, gate and kind. */
  private addressed(name: string): { stack: string; gate?: GateSpec; first: boolean; rollback: boolean } {
    const back = this.rollbackStages.find((s) => rollbackGateName(s.name) === name);
    if (back) return { stack: rollbackStackName(DEMO_RENEWAL_ID, back), gate: back.gate, first: false, rollback: true };
    const stage = this.stage(name);
    return {
      stack: this.options.stackNames?.[stage.name] ?? stageStackName(DEMO_RENEWAL_ID, stage),
      gate: stage.gate,
      first: stage.index === 1,
      rollback: false,
    };
  }

  stackName(stage: string): string {
    return this.addressed(stage).stack;
  }

  stackDir(stage: string): string {
    return join(this.outdir, 'stacks', this.stackName(stage));
  }

  /** Synthesizes in this process, as `cdktf synth` would (for the plain terraform path). */
  synth(): void {
    synthesizeRenewal(this.settings, this.outdir);
  }

  /** `terraform init` in every stack of the way back (`rollback-<name>`). */
  async initRollback(): Promise<void> {
    for (const stage of this.rollbackStages) {
      const init = await this.terraform(rollbackGateName(stage.name), ['init', '-input=false']);
      if (init.code !== 0) throw new Error(`terraform init of rollback ${stage.name} failed:\n${init.output}`);
    }
  }

  /** Synthesizes and runs `terraform init` in every stage, as a pipeline's checkout job does. */
  async synthAndInit(): Promise<void> {
    this.synth();
    for (const stage of this.stages) {
      const init = await this.terraform(stage.name, ['init', '-input=false']);
      if (init.code !== 0) throw new Error(`terraform init of ${stage.name} failed:\n${init.output}`);
    }
  }

  /**
   * `terraform <args…> -no-color` in a stage's stack, in a process group of its own: await it, or watch its output
   * (`onOutput`) and kill() it with its providers.
   */
  terraform(stage: string, args: readonly string[], onOutput?: (chunk: string, all: string) => void): RunningCommand {
    const run = startTerraform(args, { cwd: this.stackDir(stage), env: this.env, onOutput, processGroup: true });
    this.time(`terraform -chdir=…/${this.stackName(stage)} ${args.join(' ')}`, run);
    return run;
  }

  /** `cdktf <args…>` in the project directory (it synthesizes through the app first). */
  cdktf(args: readonly string[]): Promise<CommandRun> {
    return this.time(`cdktf ${args.join(' ')}`, startCommand(CDKTF, args, { cwd: this.dir, env: this.env }));
  }

  /** `cpi-renewal <args…>` (the built dist/cli.js) in `cwd`, as a party runs it. */
  cpiRenewal(args: readonly string[], cwd: string): Promise<CommandRun> {
    const cli = [join(root, 'dist', 'cli.js'), ...args];
    return this.time(
      `cpi-renewal ${args.map((a) => basename(a)).join(' ')}`,
      startCommand(process.execPath, cli, { cwd, env: this.env }),
    );
  }

  private time<T extends Promise<CommandRun>>(command: string, run: T): T {
    void run.then(
      (result) => this.timings.push({ command, code: result.code, ms: result.ms }),
      () => undefined,
    );
    return run;
  }

  /** `terraform plan -detailed-exitcode`: 0 when the stage has nothing left to change. */
  plan(stage: string): Promise<CommandRun> {
    return this.terraform(stage, ['plan', '-input=false', '-detailed-exitcode']);
  }

  /**
   * Applies a stage until it succeeds, as a pipeline's retry would: a closed gate is answered with the waited-for
   * parties' confirmations where the gate takes them (as the demo does) or waited for; any other failure is re-run.
   */
  async converge(stage: string, maxFailures = 6): Promise<ConvergeResult> {
    let failedApplies = 0;
    let applies = 0;
    let gateWaits = 0;
    let confirmed = false;
    const outputs: string[] = [];
    for (;;) {
      applies++;
      const run = await this.terraform(stage, ['apply', '-input=false', '-auto-approve']);
      outputs.push(run.output);
      if (run.code === 0) break;
      if (/CPI_GATE_CLOSED/.test(run.output)) {
        if (!confirmed && (await this.confirmFor(stage))) {
          confirmed = true;
          continue;
        }
        if (++gateWaits > 20) throw new Error(`gate ${this.addressed(stage).gate!.name} stayed closed:\n${run.output}`);
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (++failedApplies > maxFailures)
        throw new Error(`stage ${stage} did not converge in ${applies} applies:\n${run.output.slice(-4000)}`);
    }
    if (this.addressed(stage).first) this.fingerprint = await this.output(stage, 'new_fingerprint_sha256');
    return { failedApplies, applies, outputs };
  }

  /**
   * Writes the confirmations a stage's gate waits for when it requires them all (single-key stop-sending), in the
   * waited-for parties' names, as the demo does; false when the gate takes none.
   */
  confirm(stage: string, fingerprint = this.fingerprint): boolean {
    const gate = this.addressed(stage).gate;
    const parties = (gate?.requirements ?? []).flatMap((r) => (r.kind === 'confirmation' ? [r.party] : []));
    if (!gate || gate.mode !== 'all' || parties.length === 0) return false;
    for (const party of parties) {
      writeConfirmation(this.confirmationsDir, {
        renewalId: DEMO_RENEWAL_ID,
        gate: gate.name,
        fingerprintSha256: fingerprint!,
        party,
        person: `test run for ${party}`,
        confirmedAt: new Date(),
      });
    }
    return true;
  }

  /** confirm(), naming the certificate the stage moves to: on the way back, the old key's (read from the receiver). */
  private async confirmFor(stage: string): Promise<boolean> {
    if (!this.addressed(stage).rollback) return this.confirm(stage);
    const old = (await this.snapshot()).keys.find((k) => k.name === OLD_KEY);
    return old ? this.confirm(stage, old.fingerprintSha256) : false;
  }

  /** A stage's output value (`terraform output -json`). */
  async output(stage: string, name: string): Promise<string> {
    const run = await this.terraform(stage, ['output', '-json']);
    const value = (JSON.parse(run.stdout) as Record<string, { value: string }>)[name]?.value;
    if (!value) throw new Error(`stage output ${name} is missing:\n${run.output}`);
    return value;
  }

  /** Whether terraform left its local-backend lock info beside a stage's state file. */
  lockInfoLeft(stage: string): boolean {
    return existsSync(join(this.dir, 'state', `.${this.stackName(stage)}.tfstate.lock.info`));
  }

  stateOf(stage: string): string {
    return readFileSync(join(this.dir, 'state', `${this.stackName(stage)}.tfstate`), 'utf8');
  }

  pkcs12(): Pkcs12Backend {
    return new Pkcs12Backend({
      keystorePath: this.keystorePath,
      archivePath: this.archivePath,
      password: KEYSTORE_PASSWORD,
    });
  }

  tenantClient(): TenantClient {
    const { ready } = this.emulators;
    return new TenantClient({
      tenantUrl: ready.tenantUrl,
      auth: { kind: 'basic', username: ready.username, password: ready.password },
    });
  }

  /** The emulators' admin token as the control endpoints want it. */
  private adminHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.emulators.ready.adminToken}` };
  }

  /** Replaces the tenant's injected faults (PUT /emulator/faults); `{}` turns them off. */
  async setFaults(settings: Partial<FaultSettings>): Promise<void> {
    const response = await fetch(`${this.emulators.ready.tenantUrl}/emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...this.adminHeaders() },
      body: JSON.stringify(settings),
    });
    if (response.status !== 200) throw new Error(`PUT /emulator/faults: ${response.status} ${await response.text()}`);
  }

  /** Calls `listener` with each request line the tenant logs until the returned function is called. */
  onRequests(listener: (line: string) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  private onRequest(line: string): void {
    this.requests.push(line);
    for (const listener of this.requestListeners) listener(line);
  }

  /** What tenant and (embedded) receiver hold. */
  async snapshot(): Promise<WorldSnapshot> {
    const entry = this.emulators.tenant.state.keystoreEntries().find((e) => e.alias === ALIAS);
    const iflows = this.emulators.tenant.state.runtimeArtifacts().map((a) => ({ id: a.id, status: String(a.status) }));
    const listed = (await (await fetch(`${this.receiverUrl}/admin/keys`, { headers: this.adminHeaders() })).json()) as {
      keys: ListedKey[];
    };
    const keys = listed.keys
      .map(({ name, state, fingerprintSha256, retiredAt, retainUntil }) => ({
        name,
        state,
        fingerprintSha256,
        retiredAt,
        retainUntil,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { aliasFingerprint: entry?.fingerprintSha256, iflows, keys };
  }

  /** The tenant's message log, oldest first. */
  messages(): MessageRecord[] {
    return this.emulators.tenant.state.messages();
  }

  /** The receiver's counters: per key fingerprint, decrypted and refused messages (GET /admin/counters). */
  async counters(): Promise<Record<string, KeyCounters>> {
    const body = (await (
      await fetch(`${this.receiverUrl}/admin/counters`, { headers: this.adminHeaders() })
    ).json()) as {
      counters: Record<string, KeyCounters>;
    };
    return body.counters;
  }

  /** Stops traffic and emulators; removes the directory the harness made (kept with CPI_E2E_KEEP). */
  async close(): Promise<void> {
    await this.traffic.stop();
    await this.emulators.close();
    if (this.ownsDir && !process.env.CPI_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Prints the wall time of every command the harness ran (for the report), then closes it; a no-op without one. */
export async function reportAndClose(harness: RenewalHarness | undefined): Promise<void> {
  if (!harness) return;
  for (const t of harness.timings) console.log(`# ${(t.ms / 1000).toFixed(1)} s rc=${t.code} ${t.command}`);
  await harness.close();
}

/**
 * The messages whose request reached the tenant in [from, to) (epoch ms). A stage's effect is judged by arrival
 * time, not by log order: a message that arrived just before an apply ended may be logged just after it.
 */
export function messagesArrivedBetween(
  messages: readonly MessageRecord[],
  from: number,
  to = Infinity,
): MessageRecord[] {
  return messages.filter((m) => {
    const at = Date.parse(m.time);
    return at >= from && at < to;
  });
}

/** Waits until at least `count` messages have arrived at or after `from` (epoch ms) and have been logged. */
export async function awaitArrivals(
  harness: RenewalHarness,
  from: number,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (messagesArrivedBetween(harness.messages(), from).length < count) {
    if (Date.now() > deadline)
      throw new Error(
        `fewer than ${count} messages arrived after ${new Date(from).toISOString()} within ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How many messages had each outcome. */
export function outcomes(messages: readonly MessageRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of messages) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
  return counts;
}
