// The world of an end-to-end renewal test: the tenant emulator and the embedded receiver in this process (short
// deploy delays), the receiver's old key behind the tenant alias, the provider in a filesystem mirror, a cdktf
// project directory whose app is ./renewal-app.ts, and runners for `cdktf` and plain `terraform` that stay
// asynchronous (the emulators answer from this very process). Snapshots of what tenant and receiver hold let a
// test show that a refused stage changed nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { startEmulators, type RunningEmulators } from '../../../src/emulator/start-emulators';
import { DEMO_RENEWAL_ID, DEMO_WORLD, prepareWorld } from '../../../src/demo/renewal-demo';
import { TrafficGenerator } from '../../../src/demo/traffic-generator';
import type { KeyCounters } from '../../../src/emulator/receiver-emulator';
import type { MessageRecord } from '../../../src/emulator/message-log';
import { PROVIDER_VERSION } from '../../../src/provider/cpi-provider';
import { defaultBundlePath, installProvider } from '../../../src/provider/install';
import { renewalStages, stageStackName, type RenewalVariant, type StageSpec } from '../../../src/renewal/stages';
import { terraformEnv } from '../../support/terraform';
import { SETTINGS_ENV, synthesizeRenewal, type E2eRenewalSettings } from './renewal-app';

const root = resolve(__dirname, '../../..');
const TSX = join(root, 'node_modules', '.bin', 'tsx');
const CDKTF = join(root, 'node_modules', '.bin', 'cdktf');

export interface CommandRun {
  readonly code: number;
  readonly output: string;
  readonly ms: number;
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

export interface RenewalWorld {
  readonly dir: string;
  readonly variant: RenewalVariant;
  readonly emulators: RunningEmulators;
  readonly receiverUrl: string;
  readonly stages: readonly StageSpec[];
  /** `<dir>/cdktf.out`, where both cdktf and the in-process synth write. */
  readonly outdir: string;
  readonly confirmationsDir: string;
  readonly traffic: TrafficGenerator;
  /** Every cdktf / terraform command run so far, with its exit code and wall time (for the report). */
  readonly timings: { command: string; code: number; ms: number }[];
  stackName(stage: string): string;
  stackDir(stage: string): string;
  stage(name: string): StageSpec;
  /** Synthesizes in this process, as `cdktf synth` would (for the plain terraform path). */
  synth(): void;
  /** `terraform -chdir=<stage stack> <args…>`. */
  terraform(stage: string, args: readonly string[]): Promise<CommandRun>;
  /** `cdktf <args…>` in the project directory (it synthesizes through the app first). */
  cdktf(args: readonly string[]): Promise<CommandRun>;
  /** `cpi-renewal <args…>` (the built dist/cli.js) in `cwd`, as a party runs it. */
  cpiRenewal(args: readonly string[], cwd: string): Promise<CommandRun>;
  snapshot(): Promise<WorldSnapshot>;
  /** The tenant's message log, oldest first. */
  messages(): MessageRecord[];
  /** The receiver's counters: per key fingerprint, decrypted and refused messages (GET /admin/counters). */
  counters(): Promise<Record<string, KeyCounters>>;
  close(): Promise<void>;
}

/** Starts the world of a renewal of `variant` in a fresh directory. */
export async function startRenewalWorld(
  variant: RenewalVariant,
  options: { rate?: number } = {},
): Promise<RenewalWorld> {
  const dir = mkdtempSync(join(tmpdir(), `cpi-e2e-${variant}-`));
  // short emulator delays keep the file fast; the order of events is what the test checks, not their duration
  const configFile = join(dir, 'emulator.json');
  writeFileSync(configFile, JSON.stringify({ deployDelayMs: 300, undeployDelayMs: 300 }));
  const emulators = await startEmulators({ dataDir: join(dir, 'emulator'), configFile });
  const receiverUrl = emulators.ready.receiverUrl!;
  try {
    await prepareWorld(emulators);
  } catch (error) {
    await emulators.close();
    throw error;
  }
  const installed = installProvider({
    dir: join(dir, 'provider'),
    bundle: defaultBundlePath(),
    version: PROVIDER_VERSION,
  });
  const adminHeaders = { authorization: `Bearer ${emulators.ready.adminToken}` };
  const settings: E2eRenewalSettings = { variant, dir, receiverUrl, windowStart: new Date().toISOString() };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...terraformEnv(installed.cliConfigFile),
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
    CI: 'true',
    CDKTF_HOME: join(dir, '.cdktf-home'),
    CPI_TENANT_URL: emulators.ready.tenantUrl,
    CPI_USERNAME: emulators.ready.username,
    CPI_PASSWORD: emulators.ready.password,
    CPI_RECEIVER_ADMIN_TOKEN: emulators.ready.adminToken,
    [SETTINGS_ENV]: JSON.stringify(settings),
  };
  // The cdktf project a user would have: its app is a TypeScript file run by tsx.
  writeFileSync(
    join(dir, 'cdktf.json'),
    JSON.stringify({
      language: 'typescript',
      app: `${TSX} ${join(__dirname, 'renewal-app.ts')}`,
      projectId: 'cpi-renewal-e2e',
      sendCrashReports: 'false',
      terraformProviders: [],
      terraformModules: [],
      context: {},
    }),
  );
  const outdir = join(dir, 'cdktf.out');
  const stages = renewalStages(variant);
  const stage = (name: string) => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`the ${variant} renewal has no stage "${name}"`);
    return found;
  };
  const stackName = (name: string) => stageStackName(DEMO_RENEWAL_ID, stage(name));
  const traffic = new TrafficGenerator({
    endpoint: `${emulators.ready.tenantUrl}/http/${DEMO_WORLD.iflowId}`,
    username: emulators.ready.username,
    password: emulators.ready.password,
    rate: options.rate ?? 20,
  });
  const timings: RenewalWorld['timings'] = [];
  const timed = async (command: string, args: readonly string[], cwd = dir) => {
    const result = await run(command, args, cwd, env);
    timings.push({
      command: `${command.split('/').pop()} ${args.map((a) => (a.startsWith('-chdir=') ? `-chdir=…/${basename(a)}` : a)).join(' ')}`,
      code: result.code,
      ms: result.ms,
    });
    return result;
  };
  return {
    dir,
    variant,
    timings,
    emulators,
    receiverUrl,
    stages,
    outdir,
    confirmationsDir: join(dir, 'renewals', DEMO_RENEWAL_ID, 'confirmations'),
    traffic,
    stackName,
    stackDir: (name) => join(outdir, 'stacks', stackName(name)),
    stage,
    synth: () => void synthesizeRenewal(settings, outdir),
    terraform: (name, args) =>
      timed('terraform', [`-chdir=${join(outdir, 'stacks', stackName(name))}`, ...args, '-no-color']),
    cdktf: (args) => timed(CDKTF, args),
    cpiRenewal: (args, cwd) => timed(process.execPath, [join(root, 'dist', 'cli.js'), ...args], cwd),
    async snapshot() {
      const entry = emulators.tenant.state.keystoreEntries().find((e) => e.alias === DEMO_WORLD.alias);
      const iflows = emulators.tenant.state.runtimeArtifacts().map((a) => ({ id: a.id, status: String(a.status) }));
      const listed = (await (await fetch(`${receiverUrl}/admin/keys`, { headers: adminHeaders })).json()) as {
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
    },
    messages: () => emulators.tenant.state.messages(),
    async counters() {
      const body = (await (await fetch(`${receiverUrl}/admin/counters`, { headers: adminHeaders })).json()) as {
        counters: Record<string, KeyCounters>;
      };
      return body.counters;
    },
    async close() {
      await traffic.stop();
      await emulators.close();
      if (!process.env.CPI_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Prints the wall time of every command the world ran (for the report), then closes it; a no-op without one. */
export async function reportAndClose(world: RenewalWorld | undefined): Promise<void> {
  if (!world) return;
  for (const t of world.timings) console.log(`# ${(t.ms / 1000).toFixed(1)} s rc=${t.code} ${t.command}`);
  await world.close();
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandRun> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    // colours off: assertions read the text (cdktf colours terraform's output even without a TTY)
    child.on('close', (code) =>
      resolvePromise({ code: code ?? 1, output: stripVTControlCharacters(output), ms: Date.now() - started }),
    );
  });
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
  world: RenewalWorld,
  from: number,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (messagesArrivedBetween(world.messages(), from).length < count) {
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
