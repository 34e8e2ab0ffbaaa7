// The operator who does everything wrong, as steps both variants' test files share: re-applying earlier stages,
// destroying stage stacks, changing the alias behind the renewal's back, a second renewal of the same alias (its own
// cdktf app, outdir and state), a second iFlow on the alias that the renewal does not list, and confirmations given
// against the evidence. Each unsafe action must be refused at plan with its code and leave tenant, receiver and every
// stack's state as they were; each safe one must converge; the receiver must refuse no message over the whole file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from '../../../constructs/cdktf';
import { EncryptionCertificateRenewal } from '../../../constructs';
import { demoRenewalProps } from '../../../src/demo/renewal-demo';
import { TrafficGenerator } from '../../../src/demo/traffic-generator';
import { EmbeddedBackend } from '../../../src/receiver/embedded-backend';
import { writeConfirmation } from '../../../src/renewal/confirmation';
import type { Party } from '../../../src/renewal/party';
import { renewalStages, stageStackName, type RenewalVariant } from '../../../src/renewal/stages';
import type { CommandRun } from '../../support/command';
import { ALIAS, IFLOW, RenewalHarness, outcomes, type WorldSnapshot } from '../../support/renewal-harness';
import { startTerraform } from '../../support/terraform';
import { refusedTotal } from './renewal-assertions';

/** The second iFlow that encrypts with the alias; the renewal lists only the first. */
export const OTHER_IFLOW = 'EncryptedInvoiceToReceiver';

/** Starts the harness of `variant` with two deployed iFlows on the alias and traffic through both. */
export async function startMistakesWorld(variant: RenewalVariant): Promise<{
  harness: RenewalHarness;
  otherTraffic: TrafficGenerator;
}> {
  const harness = await RenewalHarness.start({
    variant,
    // both iFlows' channels encrypt with the alias (its default) and send to the embedded receiver
    emulatorConfig: {
      iflows: [
        { id: IFLOW, deployed: true },
        { id: OTHER_IFLOW, deployed: true },
      ],
      deployDelayMs: 300,
      undeployDelayMs: 300,
    },
    trafficRate: 10,
  });
  const { ready } = harness.emulators;
  const otherTraffic = new TrafficGenerator({
    endpoint: `${ready.tenantUrl}/http/${OTHER_IFLOW}`,
    username: ready.username,
    password: ready.password,
    rate: 5,
  });
  return { harness, otherTraffic };
}

/** A stack's local state as far as a refused action could have changed it. */
interface StateEvidence {
  readonly serial: number;
  readonly resources: readonly unknown[];
}

/** What tenant, receiver and the stacks of both renewals hold. */
export interface Evidence {
  readonly world: WorldSnapshot;
  readonly states: Readonly<Record<string, StateEvidence>>;
}

/** Every local state file of the renewal (stages and way back) and of any second renewal started beside it. */
function stateFiles(harness: RenewalHarness): string[] {
  return [join(harness.dir, 'state'), join(harness.dir, 'second', 'state')].flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => name.endsWith('.tfstate'))
          .sort()
          .map((name) => join(dir, name))
      : [],
  );
}

/** Tenant alias and iFlow states, receiver keys, and the serial and resources of every stack's state. */
export async function evidence(harness: RenewalHarness): Promise<Evidence> {
  const states: Record<string, StateEvidence> = {};
  for (const file of stateFiles(harness)) {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { serial: number; resources: unknown[] };
    states[file] = { serial: state.serial, resources: state.resources };
  }
  return { world: await harness.snapshot(), states };
}

/** The CPI_* codes in a command's output. */
export function codesIn(output: string): string[] {
  return [...new Set(output.match(/CPI_[A-Z0-9_]+/g) ?? [])];
}

/**
 * Runs an action that must be refused with `code` (one of the codes if several are right) and asserts that it
 * changed nothing. Returns the run.
 */
export async function assertRefused(
  harness: RenewalHarness,
  what: string,
  code: string | readonly string[],
  action: () => Promise<CommandRun>,
): Promise<CommandRun> {
  const before = await evidence(harness);
  const run = await action();
  const codes = typeof code === 'string' ? [code] : code;
  assert.equal(
    run.code,
    1,
    `${what}: expected a refusal with ${codes.join(' or ')}, got exit ${run.code}:\n${tail(run)}`,
  );
  assert.ok(
    codes.some((c) => run.output.includes(c)),
    `${what}: expected ${codes.join(' or ')}, saw ${codesIn(run.output).join(', ') || 'no code'}:\n${tail(run)}`,
  );
  assert.doesNotMatch(run.output, /Apply complete|Destroy complete/, what);
  assert.deepEqual(await evidence(harness), before, `${what}: tenant, receiver and state are unchanged`);
  console.log(`# refused: ${what}: ${codesIn(run.output).join(', ')}`);
  return run;
}

function tail(run: CommandRun): string {
  return run.output.slice(-3000);
}

/**
 * Re-applying `stage` after later stages: its plan must change nothing (`-detailed-exitcode` 0) or be refused
 * with a code; either way tenant, receiver and state stay as they are.
 */
export async function assertReapplyIsNoop(harness: RenewalHarness, stage: string, after: string): Promise<void> {
  const before = await evidence(harness);
  const plan = await harness.plan(stage);
  const what = `re-applying ${stage} after ${after}`;
  assert.notEqual(plan.code, 2, `${what} plans a change (a step back):\n${tail(plan)}`);
  if (plan.code === 1) assert.ok(codesIn(plan.output).length > 0, `${what} failed without a code:\n${tail(plan)}`);
  else assert.equal(plan.code, 0, `${what}:\n${tail(plan)}`);
  assert.deepEqual(await evidence(harness), before, `${what}: tenant, receiver and state are unchanged`);
}

/**
 * Deleting a receiver key is refused while the alias points at it and iFlows encrypt for it (IN_USE), and while it
 * is active or under retention (RETAINED); which one the provider names first depends on what the stack declares.
 */
export const KEY_DELETION_REFUSED = ['CPI_RECEIVER_KEY_IN_USE', 'CPI_RECEIVER_KEY_RETAINED'] as const;

/** `terraform plan -destroy` of a stage's stack (what `terraform destroy` shows before it asks). */
export function planDestroy(harness: RenewalHarness, stage: string): Promise<CommandRun> {
  return harness.terraform(stage, ['plan', '-destroy', '-input=false', '-detailed-exitcode']);
}

/** `terraform destroy` of a stage's stack, as an operator cleaning up would run it. */
export function destroy(harness: RenewalHarness, stage: string): Promise<CommandRun> {
  return harness.terraform(stage, ['destroy', '-input=false', '-auto-approve']);
}

/**
 * `terraform plan -destroy` of a stage stack that adopted the alias (deletion_policy ABANDON): not refused, it says
 * the alias is released rather than deleted, and changes nothing.
 */
export async function assertDestroyReleasesAlias(harness: RenewalHarness, stage: string): Promise<void> {
  const before = await evidence(harness);
  const plan = await planDestroy(harness, stage);
  assert.equal(plan.code, 2, `plan -destroy ${stage}: expected a release, got exit ${plan.code}:\n${tail(plan)}`);
  assert.match(plan.output.replace(/\s+/g, ' '), /Alias "[^"]+" is released, not deleted/, `plan -destroy ${stage}`);
  assert.doesNotMatch(plan.output, /PRIVATE KEY/, `plan -destroy ${stage} shows no secret`);
  assert.deepEqual(await evidence(harness), before, `plan -destroy ${stage}: tenant, receiver and state are unchanged`);
}

/**
 * `terraform destroy` of a stage stack that adopted the alias: the alias keeps its certificate and the stack's
 * state no longer holds it; applying the stack again adopts it again without a tenant write, and then plans nothing.
 */
export async function assertAliasReleasedAndAdoptedAgain(harness: RenewalHarness, stage: string): Promise<void> {
  const held = aliasCertificate(harness);
  await assertDestroyReleasesAlias(harness, stage);
  const destroyed = await destroy(harness, stage);
  assert.equal(destroyed.code, 0, `destroy ${stage}:\n${tail(destroyed)}`);
  assert.deepEqual(aliasCertificate(harness), held, `destroy ${stage}: the alias still holds its certificate`);
  const listed = await harness.terraform(stage, ['state', 'list']);
  assert.doesNotMatch(listed.output, /cpi_keystore_certificate/, `destroy ${stage}: the alias is released from state`);
  await harness.converge(stage);
  assert.deepEqual(aliasCertificate(harness), held, `re-applying ${stage}: the alias is unchanged`);
  const plan = await harness.plan(stage);
  assert.equal(plan.code, 0, `re-applying ${stage} again plans a change:\n${tail(plan)}`);
}

/** The new certificate's fingerprint as stage 1 outputs it now. */
export function newFingerprint(harness: RenewalHarness): string {
  assert.ok(harness.fingerprint, 'stage 1 was converged');
  return harness.fingerprint;
}

/** A confirmation in `party`'s name for `gate`, as `cpi-renewal confirm` writes it. */
export function confirmGate(harness: RenewalHarness, gate: string, party: Party): void {
  writeConfirmation(harness.confirmationsDir, {
    renewalId: 'orders-2026',
    gate,
    fingerprintSha256: newFingerprint(harness),
    party,
    person: `careless ${party}`,
    confirmedAt: new Date(),
  });
}

/** The certificate the tenant alias holds now. */
export function aliasCertificate(harness: RenewalHarness): { pem: string; fingerprint: string } {
  const entry = harness.emulators.tenant.state.keystoreEntries().find((e) => e.alias === ALIAS);
  assert.ok(entry, 'the alias exists');
  return { pem: entry.certificatePem, fingerprint: entry.fingerprintSha256 };
}

/** Someone puts a certificate under the alias in the tenant console. */
export async function putAliasOutOfBand(harness: RenewalHarness, pem: string): Promise<void> {
  await harness.tenantClient().putCertificate(ALIAS, pem, { update: true, fingerprintVerified: true });
}

/**
 * A key the receiver decrypts with that belongs to no renewal (someone generated it by hand): its certificate
 * under the alias breaks no message, but it is neither the renewal's old nor its new certificate.
 */
export async function strayReceiverKey(harness: RenewalHarness): Promise<string> {
  const receiver = new EmbeddedBackend({
    url: harness.receiverUrl,
    adminToken: harness.emulators.ready.adminToken,
  });
  const key = await receiver.generateKey({
    name: 'orders-by-hand',
    algorithm: 'RSA-2048',
    subject: 'CN=orders-receiver-by-hand,O=Example',
    validityDays: 365,
  });
  return key.certificatePem;
}

/** Deploys or undeploys an iFlow by hand in the tenant and waits until the runtime shows it. */
export async function setIflowByHand(harness: RenewalHarness, id: string, deployed: boolean): Promise<void> {
  const tenant = harness.tenantClient();
  if (deployed) {
    const { taskId } = await tenant.deployIntegrationFlow(id, 'active');
    await tenant.waitForDeployment(id, taskId, { timeoutMs: 30_000, pollMs: 100 });
    return;
  }
  await tenant.undeployIntegrationFlow(id);
  for (let i = 0; i < 200 && (await tenant.getRuntimeArtifact(id)); i++) await new Promise((r) => setTimeout(r, 100));
}

export const SECOND_RENEWAL_ID = 'orders-2026-again';

/** A second renewal of the same alias: another team's cdktf app, with its own outdir, state and new key. */
export class SecondRenewal {
  readonly dir: string;
  readonly outdir: string;

  constructor(private readonly harness: RenewalHarness) {
    this.dir = join(harness.dir, 'second');
    this.outdir = join(this.dir, 'cdktf.out');
  }

  /** Synthesizes the second app in this process and runs `terraform init` in its stages. */
  async synthAndInit(stages: readonly string[]): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const app = new App({ outdir: this.outdir });
    const props = demoRenewalProps(this.harness.variant, this.dir, this.harness.receiverUrl, new Date());
    new EncryptionCertificateRenewal(app, SECOND_RENEWAL_ID, {
      ...props,
      renewalId: SECOND_RENEWAL_ID,
      newKey: { name: 'orders-2026-again', subject: 'CN=orders-receiver-2026-again,O=Example', validityDays: 730 },
    });
    app.synth();
    for (const stage of stages) {
      const init = await this.terraform(stage, ['init', '-input=false']);
      assert.equal(init.code, 0, init.output);
    }
  }

  private stackDir(stage: string): string {
    const spec = renewalStages(this.harness.variant).find((s) => s.name === stage)!;
    return join(this.outdir, 'stacks', stageStackName(SECOND_RENEWAL_ID, spec));
  }

  terraform(stage: string, args: readonly string[]): Promise<CommandRun> {
    return startTerraform(args, { cwd: this.stackDir(stage), env: this.harness.env });
  }

  plan(stage: string): Promise<CommandRun> {
    return this.terraform(stage, ['plan', '-input=false', '-detailed-exitcode']);
  }

  apply(stage: string): Promise<CommandRun> {
    return this.terraform(stage, ['apply', '-input=false', '-auto-approve']);
  }
}

/**
 * Over the whole file: the receiver refused no message and every message the tenant sent reached it (messages the
 * tenant did not send because an iFlow was undeployed are not lost: the sender is told).
 */
export async function assertNothingLost(harness: RenewalHarness): Promise<void> {
  const messages = harness.messages();
  const counts = outcomes(messages);
  assert.ok((counts.delivered ?? 0) >= 100, `traffic flowed (${JSON.stringify(counts)})`);
  assert.equal(counts.refused, undefined, `messages refused by the receiver: ${JSON.stringify(counts)}`);
  assert.equal(counts['receiver-unreachable'], undefined, JSON.stringify(counts));
  const counters = await harness.counters();
  assert.equal(refusedTotal(counters), 0, JSON.stringify(counters));
  const decrypted = Object.values(counters).reduce((sum, c) => sum + c.decrypted, 0);
  assert.equal(decrypted, counts.delivered, 'the receiver decrypted every message the tenant delivered');
}
