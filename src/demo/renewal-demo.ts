// The main job: a whole renewal on this machine. Starts the embedded tenant and receiver, puts the receiver's
// current key behind the tenant alias, installs the provider into a project-local mirror, synthesizes the renewal,
// and plans and applies every stage in order with real terraform while live traffic flows through the iFlow.
// Gates open on real evidence; where a gate waits for a party's confirmation, the demo writes it in that party's
// name and says so.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App } from '../../constructs/cdktf';
import { EncryptionCertificateRenewal, type EncryptionCertificateRenewalProps } from '../../constructs';
import { resolveEmulatorConfig } from '../emulator/emulator-config';
import { startEmulators, type RunningEmulators } from '../emulator/start-emulators';
import type { MessageRecord } from '../emulator/message-log';
import { PROVIDER_VERSION } from '../provider/cpi-provider';
import { automationEnv, defaultBundlePath, installProvider } from '../provider/install';
import { ServedProvider } from '../provider/served-provider';
import { EmbeddedBackend } from '../receiver/embedded-backend';
import { writeConfirmation } from '../renewal/confirmation';
import { describeGate } from '../renewal/gate-report';
import { stageStackName, type RenewalVariant, type StageSpec } from '../renewal/stages';
import { PARTY_TITLES } from '../renewal/party';
import { TenantClient } from '../tenant/tenant-client';
import { TerraformRunner } from './terraform-runner';
import { TrafficGenerator } from './traffic-generator';

export const DEMO_RENEWAL_ID = 'orders-2026';
const ALIAS = 'receiver_encryption'; // the emulator's default channel encrypts for this alias
const IFLOW = 'EncryptedOrderToReceiver';
const OLD_KEY = 'orders-2025';
const NEW_KEY = 'orders-2026';

/** The demo's world: the alias the emulator's default iFlow encrypts for, that iFlow, and the receiver's keys. */
export const DEMO_WORLD = { alias: ALIAS, iflowId: IFLOW, oldKeyName: OLD_KEY, newKeyName: NEW_KEY } as const;
const GATE_RETRIES = 20;
const GATE_RETRY_MS = 250;

export interface DemoOptions {
  readonly variant: RenewalVariant;
  /** Fresh working directory for emulator state, provider, stacks, state and confirmations. */
  readonly dir: string;
  /** Messages per second through the iFlow. @default 20 */
  readonly rate?: number;
  /** Progress lines for the user. */
  readonly print: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface StageOutcome {
  readonly stage: StageSpec;
  /** applied; blocked (its gate stays closed, e.g. retention); failed. */
  readonly result: 'applied' | 'blocked' | 'failed';
  readonly ms: number;
  readonly note: string;
  readonly sent: number;
  readonly delivered: number;
  readonly refused: number;
  readonly notSent: number;
  readonly unreachable: number;
}

export interface DemoResult {
  readonly variant: RenewalVariant;
  readonly stages: StageOutcome[];
  /** Messages the receiver could not decrypt, or that never reached it: the renewal's purpose is zero. */
  readonly lost: number;
  /**
   * single-key: how long the iFlow sent nothing, as the traffic saw it: from the first message the tenant refused
   * to send (undeployed) to the first one delivered again (STARTED), at the traffic's resolution.
   */
  readonly downtimeMs?: number;
  /** single-key: from the start of the stop-sending apply to the end of the resume-sending apply (pipeline view). */
  readonly stopToResumeMs?: number;
  /**
   * single-key: the emulator's own undeploy + deploy time, the least any window can last (the floor that
   * downtimeMs is compared with).
   */
  readonly transitionFloorMs?: number;
  readonly totalMs: number;
  readonly runbook: string;
  readonly stateDir: string;
  readonly logFile: string;
}

interface StageWindow {
  firstSeq: number;
  lastSeq: number;
}

export async function runRenewalDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'emulator.log');
  const { print } = options;
  const lines: string[] = [];
  const emulators = await startEmulators({ dataDir: join(dir, 'emulator'), log: (line) => lines.push(line) });
  const runner = new TerraformRunner(demoEnv(dir, emulators));
  const traffic = new TrafficGenerator({
    endpoint: `${emulators.ready.tenantUrl}/http/${IFLOW}`,
    username: emulators.ready.username,
    password: emulators.ready.password,
    rate: options.rate ?? 20,
  });
  let served: ServedProvider | undefined;
  const onAbort = () => runner.interrupt();
  options.signal?.addEventListener('abort', onAbort);
  try {
    print(`tenant emulator ${emulators.ready.tenantUrl}, embedded receiver ${emulators.ready.receiverUrl}`);
    await prepareWorld(emulators);
    print(
      `receiver decrypts with key "${OLD_KEY}"; tenant alias "${ALIAS}" holds its certificate; iFlow ${IFLOW} is deployed`,
    );

    // where `cpi-renewal provider install` puts it: Terraform's implied local mirror in ~/.terraform.d/plugins
    const provider = installProvider({ bundle: defaultBundlePath(), version: PROVIDER_VERSION });
    print(`provider cpi-renewal/cpi ${PROVIDER_VERSION} installed into ${provider.mirrorDir}`);
    const { renewal, outdir } = synthesize(options.variant, dir, emulators.ready.receiverUrl!);
    print(`synthesized ${renewal.stacks.length} stage stacks and the runbook into ${outdir}`);

    // init needs no evidence: do it for every stage up front, as a pipeline's checkout job would
    for (const stage of renewal._stageSpecs) {
      const init = await runner.run(join(outdir, 'stacks', stageStackName(DEMO_RENEWAL_ID, stage)), [
        'init',
        '-input=false',
      ]);
      if (init.code !== 0) throw new Error(`terraform init of stage ${stage.name} failed:\n${init.output}`);
    }
    // one provider process for every stage instead of 3-5 per terraform command: the single-key window spans four
    // commands, and their provider starts were most of it (bench/README.md)
    served = await ServedProvider.start({
      executable: provider.executable,
      env: demoEnv(dir, emulators),
      log: (line) => lines.push(line),
    });
    runner.serveProvider(served);
    print('one provider process serves every stage: terraform reattaches to it instead of starting its own');
    traffic.start();
    print(`traffic: ${options.rate ?? 20} messages/s through ${IFLOW}`);
    const windows: StageWindow[] = [];
    const outcomes: Omit<StageOutcome, 'sent' | 'delivered' | 'refused' | 'notSent' | 'unreachable'>[] = [];
    let fingerprint: string | undefined;
    let stopAt: number | undefined;
    let resumedAt: number | undefined;

    for (const stage of renewal._stageSpecs) {
      if (options.signal?.aborted) throw new Error('interrupted');
      const stackDir = join(outdir, 'stacks', stageStackName(DEMO_RENEWAL_ID, stage));
      const firstSeq = lastSeq(emulators);
      const stageStart = Date.now();
      print(
        `[${stage.index}/${renewal._stageSpecs.length}] ${stage.name} — ${PARTY_TITLES[stage.party]}: ${stage.does}`,
      );
      const outcome = await runStage(stage, stackDir, runner, fingerprint, dir, print, () => {
        if (stage.name === 'stop-sending') stopAt = Date.now();
      });
      if (stage.name === 'resume-sending' && outcome.result === 'applied') resumedAt = Date.now();
      if (stage.index === 1 && outcome.result === 'applied') {
        fingerprint = await stageOutput(runner, stackDir, 'new_fingerprint_sha256');
        print(`    new certificate fingerprint ${fingerprint}`);
      }
      outcomes.push({ stage, result: outcome.result, ms: Date.now() - stageStart, note: outcome.note });
      windows.push({ firstSeq, lastSeq: lastSeq(emulators) });
      print(
        `    ${outcome.result} in ${((Date.now() - stageStart) / 1000).toFixed(1)} s${outcome.note ? ` — ${outcome.note}` : ''}`,
      );
      if (outcome.result === 'failed') break;
    }
    await traffic.stop();
    // messages still in flight when a stage ended belong to it
    if (windows.length > 0) windows.at(-1)!.lastSeq = lastSeq(emulators);
    const messages = emulators.tenant.state.messages();
    const stages = outcomes.map((o, i) => ({ ...o, ...count(messages, windows[i]!) }));
    const lost = stages.reduce((sum, s) => sum + s.refused + s.unreachable, 0);
    const downtimeMs = measuredDowntime(messages);
    return {
      variant: options.variant,
      stages,
      lost,
      ...(downtimeMs !== undefined ? { downtimeMs } : {}),
      ...(stopAt !== undefined && resumedAt !== undefined ? { stopToResumeMs: resumedAt - stopAt } : {}),
      ...(downtimeMs !== undefined ? { transitionFloorMs: transitionFloorMs() } : {}),
      totalMs: Date.now() - started,
      runbook: join(outdir, `RUNBOOK-${DEMO_RENEWAL_ID}.md`),
      stateDir: join(dir, 'state'),
      logFile,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await traffic.stop();
    await served?.close();
    await emulators.close();
    writeFileSync(logFile, lines.join('\n') + '\n');
  }
}

/** Undeploy + deploy as the demo's emulator (default configuration) takes them. */
function transitionFloorMs(): number {
  const { undeployDelayMs, deployDelayMs } = resolveEmulatorConfig({});
  return undeployDelayMs + deployDelayMs;
}

function demoEnv(dir: string, emulators: RunningEmulators): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...automationEnv(),
    CPI_TENANT_URL: emulators.ready.tenantUrl,
    CPI_USERNAME: emulators.ready.username,
    CPI_PASSWORD: emulators.ready.password,
    // the embedded receiver's admin token, generated at each start (receiver.admin_token_env's default)
    CPI_RECEIVER_ADMIN_TOKEN: emulators.ready.adminToken,
  };
}

/** The world before the renewal: the receiver decrypts with its current key, whose certificate is under the alias. */
export async function prepareWorld(emulators: RunningEmulators): Promise<void> {
  const receiver = new EmbeddedBackend({ url: emulators.ready.receiverUrl!, adminToken: emulators.ready.adminToken });
  const existing = (await receiver.listKeys()).find((k) => k.name === OLD_KEY);
  const oldKey =
    existing ??
    (await receiver.generateKey({
      name: OLD_KEY,
      algorithm: 'RSA-2048',
      subject: 'CN=orders-receiver-2025,O=Example',
      validityDays: 365,
    }));
  const tenant = new TenantClient({
    tenantUrl: emulators.ready.tenantUrl,
    auth: { kind: 'basic', username: emulators.ready.username, password: emulators.ready.password },
  });
  const entry = await tenant.getKeystoreEntry(ALIAS);
  if (!entry) await tenant.putCertificate(ALIAS, oldKey.certificatePem, { update: false, fingerprintVerified: true });
}

/**
 * The demo's renewal of the world {@link prepareWorld} sets up; state and confirmations under `dir`. In single-key the
 * agreed downtime window begins just before `windowStart` (pass the same time to every synth of one renewal).
 */
export function demoRenewalProps(
  variant: RenewalVariant,
  dir: string,
  receiverUrl: string,
  windowStart: Date = new Date(),
): EncryptionCertificateRenewalProps {
  const start = windowStart.getTime();
  return {
    renewalId: DEMO_RENEWAL_ID,
    variant,
    alias: ALIAS,
    iflowIds: [IFLOW],
    receiver: { kind: 'embedded', url: receiverUrl },
    newKey: { name: NEW_KEY, subject: 'CN=orders-receiver-2026,O=Example', validityDays: 730 },
    oldKeyName: OLD_KEY,
    // single-key: the window both administrators agree on begins now
    ...(variant === 'single-key'
      ? {
          downtimeWindow: {
            start: new Date(start - 1000).toISOString(),
            end: new Date(start + 15 * 60_000).toISOString(),
          },
        }
      : {}),
    stateDir: join(dir, 'state'),
    confirmationsDir: join(dir, 'renewals'),
  };
}

function synthesize(variant: RenewalVariant, dir: string, receiverUrl: string) {
  const outdir = join(dir, 'cdktf.out');
  const app = new App({ outdir });
  const renewal = new EncryptionCertificateRenewal(app, DEMO_RENEWAL_ID, demoRenewalProps(variant, dir, receiverUrl));
  app.synth();
  return { renewal, outdir };
}

async function runStage(
  stage: StageSpec,
  stackDir: string,
  runner: TerraformRunner,
  fingerprint: string | undefined,
  dir: string,
  print: (line: string) => void,
  beforeApply: () => void,
): Promise<{ result: StageOutcome['result']; note: string }> {
  // `terraform apply` plans (the gate is evaluated there) and applies in one run, as `cdktf apply` does: a
  // separate `plan -out` would start the provider three more times inside a downtime window.
  let confirmed = false;
  for (let attempt = 0; ; attempt++) {
    beforeApply(); // the last call before a successful apply marks when the change began
    const apply = await runner.run(stackDir, ['apply', '-input=false', '-auto-approve']);
    if (apply.code === 0) return { result: 'applied', note: `plan and apply ${(apply.ms / 1000).toFixed(1)} s` };
    const output = apply.output;
    if (!/CPI_GATE_CLOSED/.test(output)) return { result: 'failed', note: firstError(output) };
    if (stage.name === 'cleanup') {
      const until = /the time (\S+) \(not_before\)/.exec(output)?.[1];
      return {
        result: 'blocked',
        note: `gate closed: the old key is kept until retention ends${until ? ` (${until})` : ''}, as SAP requires`,
      };
    }
    const parties = (stage.gate?.requirements ?? []).flatMap((r) => (r.kind === 'confirmation' ? [r.party] : []));
    if (!confirmed && parties.length > 0 && stage.gate?.mode === 'all' && fingerprint) {
      for (const party of parties) {
        writeConfirmation(join(dir, 'renewals', DEMO_RENEWAL_ID, 'confirmations'), {
          renewalId: DEMO_RENEWAL_ID,
          gate: stage.gate.name,
          fingerprintSha256: fingerprint,
          party,
          person: `demo ${PARTY_TITLES[party]}`,
          confirmedAt: new Date(),
        });
        print(
          `    gate "${stage.gate.name}" waits for the ${PARTY_TITLES[party]}: the demo confirms in their name (cpi-renewal confirm)`,
        );
      }
      confirmed = true;
      continue;
    }
    if (attempt >= GATE_RETRIES) return { result: 'failed', note: firstError(output) };
    if (attempt === 0)
      print(
        `    gate "${stage.gate?.name}" closed, waiting for evidence: ${stage.gate ? describeGate(stage.gate) : ''}`,
      );
    await new Promise((r) => setTimeout(r, GATE_RETRY_MS));
  }
}

async function stageOutput(runner: TerraformRunner, stackDir: string, name: string): Promise<string> {
  const out = await runner.run(stackDir, ['output', '-json']);
  const value = (JSON.parse(out.stdout) as Record<string, { value: string }>)[name]?.value;
  if (!value) throw new Error(`stage output ${name} is missing in ${stackDir}`);
  return value;
}

function lastSeq(emulators: RunningEmulators): number {
  return emulators.tenant.state.messages().at(-1)?.seq ?? 0;
}

function count(messages: readonly MessageRecord[], window: StageWindow) {
  const inStage = messages.filter((m) => m.seq > window.firstSeq && m.seq <= window.lastSeq);
  const of = (outcome: MessageRecord['outcome']) => inStage.filter((m) => m.outcome === outcome).length;
  return {
    sent: inStage.length,
    delivered: of('delivered'),
    refused: of('refused'),
    notSent: of('not-sent'),
    unreachable: of('receiver-unreachable'),
  };
}

function measuredDowntime(messages: readonly MessageRecord[]): number | undefined {
  // By arrival time, not log order: a message that arrived just before the undeploy may be logged after the first
  // one refused, which made the window come out negative.
  const arrived = messages.map((m) => ({ outcome: m.outcome, at: Date.parse(m.time) })).sort((a, b) => a.at - b.at);
  const notSent = arrived.filter((m) => m.outcome === 'not-sent');
  if (notSent.length === 0) return undefined;
  const last = notSent.at(-1)!.at;
  const back = arrived.find((m) => m.outcome === 'delivered' && m.at >= last);
  return back ? back.at - notSent[0]!.at : undefined;
}

function firstError(output: string): string {
  const match = /Error: (.*)\n(?:[\s\S]*?\n\n)?([\s\S]{0,600})/.exec(output);
  return match ? `${match[1]} ${match[2]!.split('\n').filter(Boolean).slice(0, 6).join(' ')}` : output.slice(-600);
}
