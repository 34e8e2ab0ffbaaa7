// A whole renewal driven stage by stage with real terraform against the in-process emulators, as the demo does
// (src/demo/renewal-demo.ts), but with the hooks reliability tests need: each terraform run is its own process
// group (so that a test can SIGKILL terraform together with its providers), every request the tenant answers and
// every line terraform prints is observable while it runs, and a stage is re-applied until it converges.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, EncryptionCertificateRenewal, type ReceiverBackendSettings } from '../../../constructs';
import { startEmulators, type RunningEmulators } from '../../../src/emulator/start-emulators';
import type { FaultSettings } from '../../../src/emulator/faults';
import { DEMO_RENEWAL_ID, DEMO_WORLD, demoRenewalProps, prepareWorld } from '../../../src/demo/renewal-demo';
import { PROVIDER_VERSION } from '../../../src/provider/cpi-provider';
import { defaultBundlePath, installProvider } from '../../../src/provider/install';
import { Pkcs12Backend } from '../../../src/receiver/pkcs12-backend';
import { writeConfirmation } from '../../../src/renewal/confirmation';
import { stageStackName, type RenewalVariant, type StageSpec } from '../../../src/renewal/stages';
import { TenantClient } from '../../../src/tenant/tenant-client';
import { terraformEnv } from '../../support/terraform';

export const { alias: ALIAS, iflowId: IFLOW, oldKeyName: OLD_KEY, newKeyName: NEW_KEY } = DEMO_WORLD;
export const KEYSTORE_PASSWORD = 'reliability-keystore-secret';

export interface RigOptions {
  readonly variant: RenewalVariant;
  /** Fresh directory for emulator state, provider, stacks, state, confirmations and keystores. */
  readonly dir: string;
  /** `embedded`: the embedded receiver (live traffic is decrypted); `pkcs12`: a keystore pair under `dir/receiver`. */
  readonly receiver: 'embedded' | 'pkcs12';
  /** Extra environment for terraform and the provider. */
  readonly env?: NodeJS.ProcessEnv;
}

/** One terraform run as it happened. */
export interface TerraformRun {
  readonly code: number;
  readonly output: string;
  /** Whether the test killed it (SIGKILL to its process group). */
  readonly killed: boolean;
}

/** A terraform run that the test watches and may kill. */
export interface RunningTerraform {
  /** Terraform's stdout and stderr so far. */
  output(): string;
  /** SIGKILL to terraform's process group: terraform and every provider it started die at once. */
  kill(): void;
  readonly done: Promise<TerraformRun>;
}

export interface Stage {
  readonly spec: StageSpec;
  /** The stack directory terraform runs in. */
  readonly dir: string;
}

export interface StageResult {
  /** terraform applies that failed on something other than a closed gate (the provider or terraform gave up). */
  readonly failedApplies: number;
  readonly applies: number;
  readonly outputs: string[];
}

export class RenewalRig {
  readonly stages: readonly Stage[];
  /** Lines the tenant logged for the requests it answered: `METHOD /path STATUS Nms`. */
  readonly requests: string[] = [];
  /** Receiver keystore pair (pkcs12 rigs only). */
  readonly keystorePath: string;
  readonly archivePath: string;
  fingerprint: string | undefined;
  private readonly requestListeners = new Set<(line: string) => void>();

  private constructor(
    readonly options: RigOptions,
    readonly emulators: RunningEmulators,
    readonly env: NodeJS.ProcessEnv,
    stages: Stage[],
  ) {
    this.stages = stages;
    this.keystorePath = join(options.dir, 'receiver', 'active.p12');
    this.archivePath = join(options.dir, 'receiver', 'archive.p12');
  }

  /** Starts the emulators, sets up the world before the renewal, installs the provider, synthesizes and inits. */
  static async start(options: RigOptions): Promise<RenewalRig> {
    mkdirSync(options.dir, { recursive: true });
    let rig: RenewalRig | undefined;
    const emulators = await startEmulators({
      dataDir: join(options.dir, 'emulator'),
      log: (line) => rig?.onRequest(line),
    });
    try {
      const installed = installProvider({
        dir: join(options.dir, 'provider'),
        bundle: defaultBundlePath(),
        version: PROVIDER_VERSION,
      });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...terraformEnv(installed.cliConfigFile),
        CPI_TENANT_URL: emulators.ready.tenantUrl,
        CPI_USERNAME: emulators.ready.username,
        CPI_PASSWORD: emulators.ready.password,
        CPI_RECEIVER_ADMIN_TOKEN: emulators.ready.adminToken,
        CPI_RECEIVER_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD,
        ...options.env,
      };
      const receiver: ReceiverBackendSettings =
        options.receiver === 'embedded'
          ? { kind: 'embedded', url: emulators.ready.receiverUrl! }
          : {
              kind: 'pkcs12',
              keystorePath: join(options.dir, 'receiver', 'active.p12'),
              archivePath: join(options.dir, 'receiver', 'archive.p12'),
            };
      const outdir = join(options.dir, 'cdktf.out');
      const app = new App({ outdir });
      const renewal = new EncryptionCertificateRenewal(app, DEMO_RENEWAL_ID, {
        ...demoRenewalProps(options.variant, options.dir, emulators.ready.receiverUrl!),
        receiver,
      });
      app.synth();
      const stages = renewal.stages.map((spec) => ({
        spec,
        dir: join(outdir, 'stacks', stageStackName(DEMO_RENEWAL_ID, spec)),
      }));
      rig = new RenewalRig(options, emulators, env, stages);
      await rig.prepareWorld();
      for (const stage of stages) {
        const init = await rig.terraform(stage, ['init', '-input=false']).done;
        if (init.code !== 0) throw new Error(`terraform init of ${stage.spec.name} failed:\n${init.output}`);
      }
      return rig;
    } catch (error) {
      await emulators.close();
      throw error;
    }
  }

  /** The receiver decrypts with the old key, whose certificate is under the tenant alias. */
  private async prepareWorld(): Promise<void> {
    if (this.options.receiver === 'embedded') return prepareWorld(this.emulators);
    const backend = this.pkcs12();
    const old = await backend.generateKey({
      name: OLD_KEY,
      algorithm: 'RSA-2048',
      subject: 'CN=orders-receiver-2025,O=Example',
      validityDays: 365,
    });
    await this.tenantClient().putCertificate(ALIAS, old.certificatePem, { update: false, fingerprintVerified: true });
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

  stage(name: string): Stage {
    const found = this.stages.find((s) => s.spec.name === name);
    if (!found) throw new Error(`no stage ${name} in ${this.options.variant}`);
    return found;
  }

  /** Replaces the tenant's injected faults (PUT /emulator/faults); `{}` turns them off. */
  async setFaults(settings: Partial<FaultSettings>): Promise<void> {
    const response = await fetch(`${this.emulators.ready.tenantUrl}/emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.emulators.ready.adminToken}` },
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

  /** Starts terraform in a stage's stack directory, in a process group of its own. */
  terraform(stage: Stage, args: readonly string[], onOutput?: (chunk: string, all: string) => void): RunningTerraform {
    const child = spawn('terraform', [...args, '-no-color'], {
      cwd: stage.dir,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let killed = false;
    const take = (d: Buffer) => {
      output += d.toString();
      onOutput?.(d.toString(), output);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    const done = new Promise<TerraformRun>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, output, killed }));
    });
    return {
      output: () => output,
      kill: () => {
        if (killed || child.exitCode !== null) return;
        killed = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      },
      done,
    };
  }

  /** `terraform plan -detailed-exitcode`: 0 when the stage has nothing left to change. */
  async plan(stage: Stage): Promise<TerraformRun> {
    return this.terraform(stage, ['plan', '-input=false', '-detailed-exitcode']).done;
  }

  /**
   * Applies a stage until it succeeds, as a pipeline's retry would: a closed gate is answered with the waited-for
   * party's confirmation where the gate takes one (as the demo does) or waited for; any other failure is re-run.
   */
  async converge(stage: Stage, maxFailures = 6): Promise<StageResult> {
    let failedApplies = 0;
    let applies = 0;
    let gateWaits = 0;
    let confirmed = false;
    const outputs: string[] = [];
    for (;;) {
      applies++;
      const run = await this.terraform(stage, ['apply', '-input=false', '-auto-approve']).done;
      outputs.push(run.output);
      if (run.code === 0) break;
      if (/CPI_GATE_CLOSED/.test(run.output)) {
        if (!confirmed && this.confirm(stage)) {
          confirmed = true;
          continue;
        }
        if (++gateWaits > 20) throw new Error(`gate ${stage.spec.gate!.name} stayed closed:\n${run.output}`);
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (++failedApplies > maxFailures)
        throw new Error(`stage ${stage.spec.name} did not converge in ${applies} applies:\n${run.output.slice(-4000)}`);
    }
    if (stage.spec.index === 1) this.fingerprint = await this.output(stage, 'new_fingerprint_sha256');
    return { failedApplies, applies, outputs };
  }

  /**
   * Writes the confirmations a stage's gate waits for when it requires them all (single-key stop-sending), in the
   * waited-for parties' names, as the demo does; false when the gate takes none.
   */
  confirm(stage: Stage): boolean {
    const gate = stage.spec.gate;
    const parties = (gate?.requirements ?? []).flatMap((r) => (r.kind === 'confirmation' ? [r.party] : []));
    if (!gate || gate.mode !== 'all' || parties.length === 0) return false;
    for (const party of parties) {
      writeConfirmation(join(this.options.dir, 'renewals', DEMO_RENEWAL_ID, 'confirmations'), {
        renewalId: DEMO_RENEWAL_ID,
        gate: gate.name,
        fingerprintSha256: this.fingerprint!,
        party,
        person: `reliability test for ${party}`,
        confirmedAt: new Date(),
      });
    }
    return true;
  }

  async output(stage: Stage, name: string): Promise<string> {
    const run = await this.terraform(stage, ['output', '-json']).done;
    const value = (JSON.parse(run.output) as Record<string, { value: string }>)[name]?.value;
    if (!value) throw new Error(`stage output ${name} is missing:\n${run.output}`);
    return value;
  }

  /** Whether terraform left its local-backend lock info beside a stage's state file. */
  lockInfoLeft(stage: Stage): boolean {
    return existsSync(
      join(this.options.dir, 'state', `.${stageStackName(DEMO_RENEWAL_ID, stage.spec)}.tfstate.lock.info`),
    );
  }

  stateOf(stage: Stage): string {
    return readFileSync(
      join(this.options.dir, 'state', `${stageStackName(DEMO_RENEWAL_ID, stage.spec)}.tfstate`),
      'utf8',
    );
  }

  async close(): Promise<void> {
    await this.emulators.close();
  }
}
