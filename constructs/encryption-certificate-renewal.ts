// L3: a whole renewal of a receiver's encryption certificate, as one Terraform stack per stage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CpiError } from '../src/errors';
import { allRequirements, factsNeeded, GATE_MODES, type GateSpec } from '../src/renewal/gate';
import {
  manifestFileName,
  MANIFEST_FORMAT,
  type ManifestReceiver,
  type RenewalManifest,
} from '../src/renewal/manifest';
import { renderRunbook } from '../src/renewal/runbook';
import { MIN_RETENTION_DAYS } from '../src/rules/retention';
import { RECEIVER_KEY_ALGORITHMS } from '../src/rules/receiver-key';
import {
  RENEWAL_VARIANTS,
  renewalStages,
  stageStackName,
  type RenewalVariant,
  type StageName,
  type StageSpec,
} from '../src/renewal/stages';
import { modelRequirements, requirementProps, type GateRequirement } from './gate-requirement';
import { type Party } from '../src/renewal/party';
import { CpiProvider } from './bindings/provider';
import { lockProviderAtSynth } from './provider-lock';
import {
  App,
  Aspects,
  Construct,
  TerraformOutput,
  TerraformStack,
  type IConstruct,
  type ITerraformDependable,
} from './cdktf';
import { IntegrationFlowDeployment } from './integration-flow-deployment';
import { ReceiverDecryptionKey } from './receiver-decryption-key';
import { RecordedKeyFingerprint } from './recorded-key-fingerprint';
import { receiverBackend, type ReceiverBackend, type ReceiverBackendSettings } from './receiver-backend-settings';
import { RenewalGate, type ConfirmationSignerTexts, type RenewalGateProps } from './renewal-gate';
import { renewalStage, type RenewalStage } from './renewal-stage';
import type { DowntimeWindow, NewKeySpec, TenantConnectionProps } from './renewal-settings';
import { RenewalRollback } from './renewal-rollback';
import { stateBackend, type IRenewalStateBackend } from './renewal-state-backend';
import { TenantKeystoreCertificate } from './tenant-keystore-certificate';
import { invalidProp, requireAlias, requireInteger, requireNonEmpty, requireOneOf, requireTime } from './validation';

const NAME = 'EncryptionCertificateRenewal';

/** The renewal that claimed each alias, per app: a second renewal of the same alias would replace the first's
 * certificate under it, leaving the first stuck. */
const ALIAS_CLAIMS = new WeakMap<App, Map<string, string>>();

function claimAlias(app: App, alias: string, renewalId: string): void {
  const claims = ALIAS_CLAIMS.get(app) ?? new Map<string, string>();
  ALIAS_CLAIMS.set(app, claims);
  const other = claims.get(alias);
  if (other !== undefined)
    throw new CpiError(
      'CPI_CONSTRUCTS_ALIAS_RENEWED_TWICE',
      `${NAME}: renewal "${renewalId}" exchanges the certificate under alias "${alias}", which renewal "${other}" of the same app already renews; one renewal per alias`,
    );
  claims.set(alias, renewalId);
}

/** A gate's requirements instead of the stage table's, in the one gate model (src/renewal/gate.ts). */
export interface GateOverride {
  /**
   * `all`: every requirement must hold; `any`: one suffices (a not_before requirement always must hold).
   * @default - the stage table's mode for this gate
   */
  readonly mode?: string;
  /** The requirements, e.g. `[{ kind: 'probe' }, { kind: 'confirmation', party: 'receiver-admin' }]`. */
  readonly requirements: GateRequirement[];
}

export interface EncryptionCertificateRenewalProps {
  /** The renewal's ID: names its stacks, state files and confirmations (lower case, digits, `-`), e.g. `orders-2026`. */
  readonly renewalId: string;
  /** `overlap`: the receiver decrypts with old and new key at once (no downtime); `single-key`: agreed downtime. */
  readonly variant: string;
  /** The tenant keystore alias whose certificate is exchanged (the channels' "Public Key Alias for Encryption"). */
  readonly alias: string;
  /** Every iFlow whose channels use the alias (at least one); single-key undeploys and redeploys all of them. */
  readonly iflowIds: string[];
  /** The receiver backend that holds the decryption keys. */
  readonly receiver: ReceiverBackendSettings;
  /** The new key pair. */
  readonly newKey: NewKeySpec;
  /** The name of the key the receiver decrypts with now (retired by the renewal, removed after retention). */
  readonly oldKeyName: string;
  /**
   * The agreed downtime window.
   * @default - none; required for the `single-key` variant
   */
  readonly downtimeWindow?: DowntimeWindow;
  /**
   * Days the old key is kept after the exchange before the cleanup stage may remove it (at least 90).
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * How to reach the tenant.
   * @default - URL and credentials from the CPI_* environment variables
   */
  readonly tenant?: TenantConnectionProps;
  /**
   * Evidence per gate (by gate name, e.g. `exchange-certificate`), replacing the stage table's default.
   * @default - the evidence of src/renewal/stages.ts
   */
  readonly gateEvidence?: { readonly [gate: string]: GateOverride };
  /**
   * Stack names by stage name, where `<renewalId>-<n>-<stage>` does not suit (status reads them from the manifest).
   * @default - `<renewalId>-<n>-<stage>` for every stage
   */
  readonly stackNames?: { readonly [stage: string]: string };
  /**
   * Where each stage's state lives: any cdktf backend, one state per stack (docs/remote-state.md), e.g.
   * `RenewalStateBackend.pg()` (a PostgreSQL schema per stage, PG_CONN_STR where terraform runs) or
   * `RenewalStateBackend.s3({ bucket, key: 'renewals/orders-2026', region, useLockfile: true })`. Pipelines that
   * apply stages from different machines need a backend with locking, not local files.
   * @default - local state files in `stateDir`
   */
  readonly backend?: IRenewalStateBackend;
  /**
   * Directory of the stacks' local state files, relative to the directory synth runs in; only without `backend`.
   * @default 'state'
   */
  readonly stateDir?: string;
  /**
   * Directory under which `cpi-renewal confirm` writes `<renewalId>/confirmations/<gate>.json`, relative to the
   * directory synth runs in.
   * @default 'renewals'
   */
  readonly confirmationsDir?: string;
  /**
   * The SSH public keys allowed to sign each party's confirmations (Git's allowed_signers form). Given, every gate
   * counts only confirmations signed by a key of their party (`cpi-renewal confirm --sign-with`), and every party
   * a gate asks to confirm must be listed. See docs/signed-confirmations.md.
   * @default - unsigned confirmations count
   */
  readonly confirmationSigners?: ConfirmationSignerTexts;
  /**
   * Write `RUNBOOK-<renewalId>.md` into the output directory on synth.
   * @default true
   */
  readonly writeRunbook?: boolean;
}

/**
 * A renewal of the receiver's encryption certificate behind a tenant alias: one TerraformStack per stage of
 * `renewalStages(variant)`, named `<renewalId>-<n>-<stage>`, each depending on the one before, each beginning with
 * its `cpi_renewal_gate` (except the first), on which every other resource of the stage depends.
 *
 * Ownership across stages. Each stage's stack has its own local state and manages only the objects that stage
 * changes, adopting them with Terraform `import` blocks where an earlier stage (or the world before the renewal)
 * created them: the tenant alias is imported by the exchange stage; the old key by the stage that retires it; in
 * single-key, the new key (created pending in stage 1) is imported again by the switch stage to make it active,
 * and the iFlows by the stop and resume stages. Adopted keys ignore algorithm/subject/validity and refuse
 * replacement, so adopting never generates a key pair.
 *
 * Stages settle: re-applying any stage after later ones (a completed renewal included) plans no change, so that
 * no stage can step the renewal back (docs/design/stages-and-gates.md#stages-settle). What makes each one settle:
 * keys move forward only (pending -> active -> retired -> deleted), so stage 1's `pending` or a retire stage's
 * `retired` is behind a key that has moved on (a key gone after its retention reads as `deleted`); the exchange is a compare-and-swap that is a no-op while the alias holds the new
 * certificate; stop-sending undeploys only until the alias holds the new certificate
 * (`undeployed_until_alias_holds`); gates whose effect holds are settled. Going back is the gated rollback only.
 * Every key from the exchange stage on names the alias (`encryption_alias`), and the exchange and the iFlow
 * deployments name the receiver, so the provider refuses, at plan and at apply, any of them that would leave a
 * deployed iFlow encrypting for a certificate the receiver cannot decrypt (docs/alias-rule.md). Stage 1's new key
 * does not name the alias: that makes the provider read the tenant, and stage 1 needs receiver access only.
 *
 * The old certificate. The compare-and-swap needs the fingerprint of the certificate the renewal starts from. Stage 1
 * (receiver access only) records the old key's certificate fingerprint from the receiver in a `terraform_data` that
 * keeps its first value (RecordedKeyFingerprint) and publishes it as `old_fingerprint_sha256`; the exchange stage
 * takes it by cross-stack reference. Kept, not re-read: after the cleanup deleted the old key, re-planning stage 1
 * (and with it the exchange) still sees the same value and stays a no-op. Stage 1 fails if the receiver holds no
 * key named `oldKeyName`.
 *
 * Cleanup. The cleanup stack has its own state, like every stage: its gate waits until the exchange time plus
 * `retentionDays`, and it adopts the old key and declares it `deleted`, the end of the key's lifecycle. Applying it
 * deletes the key from the receiver, refused (as destroying would be) before the key's own retain_until, within the
 * retention after the alias last held its certificate, and while deployed iFlows encrypt for it; the key stays in
 * the cleanup's state as a `deleted` tombstone, and the stage that retired it reads it as `deleted` from then on,
 * so re-planning either is a no-op. (Deleting by dropping the key from the retiring stage's configuration would
 * make that stage's own configuration plan to bring the key back.)
 *
 * Cross-stage values travel through cdktf cross-stack references (outputs plus `terraform_remote_state` on the stacks'
 * backend): the new certificate and fingerprint and the old fingerprint from stage 1, and the exchange time the exchange stage's
 * `cpi_keystore_certificate` records (`exchanged_at`, re-timed by every exchange).
 *
 * Gates. Each gate is the stage table's GateSpec (src/renewal/gate.ts) with the renewal's facts its requirements
 * refer to. Gates are decided on every plan; a gate whose `settledBy` holds (the alias already holds the new
 * certificate) is settled, so re-applying its stage after later stages plans no change.
 */
export class EncryptionCertificateRenewal extends Construct {
  /** The stage stacks, in the order they are applied. */
  readonly stacks: TerraformStack[];
  /** The stages (with the effective gate evidence), in order. */
  readonly stages: RenewalStage[];
  readonly renewalId: string;
  /** The new key (in stage 1). */
  readonly newKey: ReceiverDecryptionKey;
  /** The gate of each gated stage, by stage name. */
  readonly gates: { [stage: string]: RenewalGate };
  /** When the tenant alias switched to the new certificate (a token; recorded by the exchange stage). */
  readonly exchangedAt: string;
  /**
   * SHA-256 fingerprint of the old key's certificate, the one the alias holds before the exchange (a token;
   * recorded by stage 1 from the receiver, kept for good).
   */
  readonly oldFingerprintSha256: string;
  /** The gated way back while the old key is retained (docs/rollback.md): its own stacks, outside the forward chain. */
  readonly rollback: RenewalRollback;

  private readonly props: EncryptionCertificateRenewalProps;
  private readonly app: App;
  private readonly variant: RenewalVariant;
  private readonly receiver: ReceiverBackend;
  /**
   * The stage table's entries with the effective gates (the public `stages` are these as props); for this
   * repository's demo and tests.
   * @internal
   */
  readonly _stageSpecs: readonly StageSpec[];

  constructor(scope: Construct, id: string, props: EncryptionCertificateRenewalProps) {
    super(scope, id);
    this.props = props;
    this.app = App.of(scope);
    const checked = validateProps(props);
    this.renewalId = checked.renewalId;
    this.variant = checked.variant;
    this.receiver = receiverBackend(NAME, props.receiver);
    claimAlias(this.app, props.alias, this.renewalId);
    this._stageSpecs = renewalStages(this.variant).map((stage) =>
      withGateOverride(stage, checked.gateOverrides[stage.gate?.name ?? '']),
    );
    const unknownGates = Object.keys(props.gateEvidence ?? {}).filter(
      (gate) => !this._stageSpecs.some((s) => s.gate?.name === gate),
    );
    if (unknownGates.length > 0) {
      invalidProp(
        NAME,
        'gateEvidence',
        unknownGates,
        `gate names of the ${this.variant} variant: ${this._stageSpecs.flatMap((s) => (s.gate ? [s.gate.name] : [])).join(', ')}`,
      );
    }
    const unknownStages = Object.keys(props.stackNames ?? {}).filter(
      (name) => !this._stageSpecs.some((s) => s.name === name),
    );
    if (unknownStages.length > 0)
      invalidProp(
        NAME,
        'stackNames',
        unknownStages,
        `stage names of the ${this.variant} variant: ${this._stageSpecs.map((s) => s.name).join(', ')}`,
      );
    this.stages = this._stageSpecs.map(renewalStage);

    const stacks: TerraformStack[] = [];
    const gates: { [stage: string]: RenewalGate } = {};
    let newKey: ReceiverDecryptionKey | undefined;
    let oldFingerprint: string | undefined;
    let exchangedAt: string | undefined;

    // What each stage builds, by stage name: the compiler checks that every stage of the table is handled.
    const build: { readonly [K in StageName]: (stack: TerraformStack, after: ITerraformDependable[]) => void } = {
      'prepare-receiver': (stack, after) => {
        // The certificate the renewal starts from, for the exchange's compare-and-swap (see the class comment).
        const old = new RecordedKeyFingerprint(stack, 'old-fingerprint', {
          receiver: props.receiver,
          keyName: props.oldKeyName,
          dependsOn: after,
        });
        oldFingerprint = old.fingerprintSha256;
        newKey = new ReceiverDecryptionKey(stack, 'new-key', {
          receiver: props.receiver,
          keyName: props.newKey.name,
          algorithm: props.newKey.algorithm,
          subject: props.newKey.subject,
          validityDays: props.newKey.validityDays,
          // Single-key: generated but not used (pending) until the switch stage makes it active; forward only, so
          // re-applying this stage after the switch plans no change.
          state: this.variant === 'overlap' ? 'active' : 'pending',
          // No encryptionAlias here: it makes the provider read the tenant, and stage 1 needs receiver access only.
          dependsOn: [...after, old.record],
        });
        new TerraformOutput(stack, 'new_certificate_pem', {
          value: newKey.certificatePem,
          staticId: true,
          description: 'The new certificate to hand to the tenant.',
        });
        new TerraformOutput(stack, 'new_fingerprint_sha256', {
          value: newKey.fingerprintSha256,
          staticId: true,
          description: 'SHA-256 fingerprint of the new certificate, for confirmations.',
        });
        new TerraformOutput(stack, 'old_fingerprint_sha256', {
          value: oldFingerprint,
          staticId: true,
          description: "SHA-256 fingerprint of the old key's certificate, which the exchange replaces.",
        });
      },
      'exchange-certificate': (stack, after) => {
        const certificate = new TenantKeystoreCertificate(stack, 'certificate', {
          alias: props.alias,
          certificatePem: required(newKey).certificatePem,
          // The tenant already holds the old certificate under the alias: exchange it in place.
          adoptExisting: true,
          // Adopted, not created: tearing this stack down hands the alias back (released from state), never deletes
          // it; applying the stack again imports it and changes nothing.
          deletionPolicy: 'ABANDON',
          // Compare-and-swap: only from the certificate the renewal started from (or already the new one).
          expectedPreviousFingerprintSha256: required(oldFingerprint),
          receiverKeyFingerprintSha256: required(newKey).fingerprintSha256,
          receiver: props.receiver,
          dependsOn: after,
        });
        // When the alias last switched, recorded by the certificate resource itself and re-timed by every exchange
        // (a rollback and a second exchange included): retention counts from here.
        exchangedAt = certificate.resource.exchangedAt;
        new TerraformOutput(stack, 'exchanged_at', {
          value: exchangedAt,
          staticId: true,
          description: 'When the tenant alias last switched to the new certificate (RFC 3339).',
        });
      },
      'retire-old-key': (stack, after) => {
        this.oldKey(stack, 'retired', after);
      },
      // Undeployed only until the alias holds the new certificate: re-applying after the exchange plans no change.
      'stop-sending': (stack, after) => this.iflows(stack, false, after, required(newKey).fingerprintSha256),
      'switch-receiver-key': (stack, after) => {
        const switched = this.switchedNewKey(stack, after);
        // Add before remove: the old key is retired only once the new one decrypts, so that the receiver never
        // holds no active key (a kill between the two would otherwise leave it unable to decrypt anything).
        this.oldKey(stack, 'retired', [...after, switched.resource]);
      },
      'resume-sending': (stack, after) => this.iflows(stack, true, after),
      // The end of the old key's lifecycle, kept in this stage's state as a tombstone (see the class comment).
      cleanup: (stack, after) => void this.oldKey(stack, 'deleted', after),
    };

    for (const stage of this._stageSpecs) {
      // Stacks are children of the app, not of this construct: cdktf records a stack's dependencies by construct
      // path, and the CLI matches them against stack names, which only agree at the top level.
      const stack = new TerraformStack(this.app, this.stackName(stage));
      const previous = stacks.at(-1);
      if (previous) stack.addDependency(previous);
      stacks.push(stack);
      stateBackend(props).addBackend(stack, this.stackName(stage));
      const provider = new CpiProvider(stack, 'cpi', {
        tenantUrl: props.tenant?.tenantUrl,
        caCertificatePem: props.tenant?.caCertificatePem,
        requestsPerSecond: props.tenant?.requestsPerSecond,
      });
      lockProviderAtSynth(stack, provider); // so that `cdktf diff/deploy` need no --skip-provider-lock

      const gate = stage.gate
        ? this.gate(stack, stage.gate, required(newKey), required(oldFingerprint), exchangedAt)
        : undefined;
      if (gate) gates[stage.name] = gate;
      build[stage.name](stack, gate ? [gate.resource] : []);
    }
    this.stacks = stacks;
    this.gates = gates;
    this.newKey = required(newKey);
    this.oldFingerprintSha256 = required(oldFingerprint);
    this.exchangedAt = required(exchangedAt);
    this.rollback = new RenewalRollback(this, 'rollback', {
      renewal: { ...props, variant: this.variant, receiver: this.receiver },
      renewalId: this.renewalId,
      newFingerprintSha256: this.newKey.fingerprintSha256,
    });

    // The manifest (and the runbook) are written when the app synthesizes: an aspect of the first stack runs then.
    const first = stacks[0]!;
    Aspects.of(first).add({
      visit: (node: IConstruct) => {
        if (node !== first) return;
        if (props.writeRunbook ?? true) this.writeRunbook();
        this.writeManifest();
      },
    });
  }

  /** The runbook of this renewal (Markdown). */
  runbook(): string {
    const { props } = this;
    return renderRunbook({
      renewalId: this.renewalId,
      variant: this.variant,
      alias: props.alias,
      iflowIds: props.iflowIds,
      newKeyName: props.newKey.name,
      oldKeyName: props.oldKeyName,
      receiver:
        this.receiver.kind === 'embedded'
          ? `embedded receiver at ${this.receiver.url}`
          : `PKCS#12 keystore ${this.receiver.keystorePath}`,
      downtimeWindow: props.downtimeWindow,
      retentionDays: props.retentionDays ?? MIN_RETENTION_DAYS,
      stages: this._stageSpecs,
      stackNames: Object.fromEntries(this._stageSpecs.map((stage) => [stage.name, this.stackName(stage)])),
      stacksDir: relative(process.cwd(), join(this.app.outdir, 'stacks')) || '.',
      confirmationsDir: props.confirmationsDir ?? 'renewals',
      signedConfirmations: props.confirmationSigners !== undefined,
    });
  }

  /** Writes RUNBOOK-<renewalId>.md into the app's output directory; returns its path. */
  writeRunbook(): string {
    mkdirSync(this.app.outdir, { recursive: true });
    const file = join(this.app.outdir, `RUNBOOK-${this.renewalId}.md`);
    writeFileSync(file, this.runbook());
    return file;
  }

  /** Terraform runs each stack in `<outdir>/stacks/<name>`; relative paths in the stack start there. */
  private stackDir(stack: TerraformStack): string {
    return resolve(this.app.outdir, 'stacks', stack.node.id);
  }

  /**
   * The manifest `cpi-renewal status` reads: the renewal as declared, with paths relative to the output directory.
   * @internal (`cpi-renewal runbook --json` prints it)
   */
  _manifest(): RenewalManifest {
    const { props, receiver: backend } = this;
    const outdir = resolve(this.app.outdir);
    const fromOutdir = (path: string) => relative(outdir, path) || '.';
    const receiver: ManifestReceiver =
      backend.kind === 'embedded'
        ? backend
        : { ...backend, keystorePath: resolve(backend.keystorePath), archivePath: resolve(backend.archivePath) };
    const parties = new Set<Party>();
    for (const stage of this._stageSpecs) {
      parties.add(stage.party);
      for (const p of stage.gate?.waitsFor ?? []) parties.add(p);
    }
    const exchange = this._stageSpecs.find((s) => s.name === 'exchange-certificate')!;
    return {
      format: MANIFEST_FORMAT,
      renewalId: this.renewalId,
      variant: this.variant,
      alias: props.alias,
      iflowIds: [...props.iflowIds],
      newKeyName: props.newKey.name,
      oldKeyName: props.oldKeyName,
      parties: [...parties],
      retentionDays: props.retentionDays ?? MIN_RETENTION_DAYS,
      ...(props.downtimeWindow ? { downtimeWindow: { ...props.downtimeWindow } } : {}),
      receiver,
      tenant: {
        ...(props.tenant?.tenantUrl ? { tenantUrl: props.tenant.tenantUrl } : {}),
        ...(props.tenant?.caCertificatePem ? { caCertificatePem: props.tenant.caCertificatePem } : {}),
        ...(props.tenant?.requestsPerSecond ? { requestsPerSecond: props.tenant.requestsPerSecond } : {}),
      },
      confirmationsDir: fromOutdir(this.confirmationsDir()),
      runbook: `RUNBOOK-${this.renewalId}.md`,
      facts: {
        newCertificatePem: { stage: this._stageSpecs[0]!.name, output: 'new_certificate_pem' },
        oldFingerprint: { stage: this._stageSpecs[0]!.name, output: 'old_fingerprint_sha256' },
        exchangedAt: { stage: exchange.name, output: 'exchanged_at' },
      },
      stages: this._stageSpecs.map((stage, i) => ({
        index: stage.index,
        name: stage.name,
        title: stage.title,
        party: stage.party,
        stack: this.stackName(stage),
        stackDir: fromOutdir(this.stackDir(this.stacks[i]!)),
        ...(stage.gate ? { gate: stage.gate } : {}),
      })),
      rollback: this.rollback._manifest(),
      ...(props.confirmationSigners ? { confirmationSigners: props.confirmationSigners } : {}),
    };
  }

  /** Writes `renewal-<renewalId>.json` into the app's output directory; returns its path. */
  writeManifest(): string {
    mkdirSync(this.app.outdir, { recursive: true });
    const file = join(this.app.outdir, manifestFileName(this.renewalId));
    writeFileSync(file, `${JSON.stringify(this._manifest(), null, 2)}\n`);
    return file;
  }

  private stackName(stage: StageSpec): string {
    return this.props.stackNames?.[stage.name] ?? stageStackName(this.renewalId, stage);
  }

  /** Where `cpi-renewal confirm` writes this renewal's confirmations (absolute). */
  private confirmationsDir(): string {
    return resolve(this.props.confirmationsDir ?? 'renewals', this.renewalId, 'confirmations');
  }

  /** The gate in front of a stage, given the renewal's facts its requirements refer to (and only those). */
  private gate(
    stack: TerraformStack,
    spec: GateSpec,
    newKey: ReceiverDecryptionKey,
    oldFingerprint: string,
    exchangedAt: string | undefined,
  ): RenewalGate {
    const { props } = this;
    const needed = new Set(allRequirements(spec).flatMap(factsNeeded));
    const facts: Partial<RenewalGateProps> = {};
    if (needed.has('new_certificate_pem')) Object.assign(facts, { newCertificatePem: newKey.certificatePem });
    if (needed.has('alias')) Object.assign(facts, { alias: props.alias });
    if (needed.has('iflow_ids')) Object.assign(facts, { iflowIds: props.iflowIds });
    if (needed.has('receiver')) Object.assign(facts, { receiver: props.receiver });
    if (needed.has('old_fingerprint_sha256')) Object.assign(facts, { oldFingerprintSha256: oldFingerprint });
    if (needed.has('window_start')) {
      if (!props.downtimeWindow)
        throw new CpiError(
          'CPI_CONSTRUCTS_WINDOW_INVALID',
          `${NAME}: gate "${spec.name}" waits for the downtime window, but downtimeWindow is not set`,
        );
      Object.assign(facts, { windowStart: props.downtimeWindow.start });
    }
    if (needed.has('exchanged_at')) {
      if (!exchangedAt)
        invalidProp(
          NAME,
          `gateEvidence["${spec.name}"]`,
          spec.requirements,
          'retention_end only on gates after the exchange-certificate stage',
        );
      Object.assign(facts, { exchangedAt, retentionDays: props.retentionDays ?? MIN_RETENTION_DAYS });
    }
    return new RenewalGate(stack, `gate-${spec.name}`, {
      renewalId: this.renewalId,
      gate: spec.name,
      waitsFor: [...spec.waitsFor],
      mode: spec.mode,
      requirements: spec.requirements.map(requirementProps),
      settledBy: spec.settledBy?.map(requirementProps),
      confirmationsDir: relative(this.stackDir(stack), this.confirmationsDir()),
      confirmationSigners: props.confirmationSigners,
      ...facts,
    });
  }

  /**
   * The stop/resume stages: every iFlow of the renewal undeployed or deployed. Deploying is refused while the
   * receiver has no active key for the certificate under the alias; undeploying lasts only until the alias holds
   * `undeployedUntilAliasHolds`.
   */
  private iflows(
    stack: TerraformStack,
    deployed: boolean,
    after: ITerraformDependable[],
    undeployedUntilAliasHolds?: string,
  ): void {
    for (const iflowId of this.props.iflowIds) {
      new IntegrationFlowDeployment(stack, `iflow-${iflowId}`, {
        iflowId,
        deployed,
        adoptExisting: true,
        encryptionAlias: this.props.alias,
        receiver: this.props.receiver,
        ...(undeployedUntilAliasHolds ? { undeployedUntilAliasHolds } : {}),
        dependsOn: after,
      });
    }
  }

  private oldKey(
    stack: TerraformStack,
    state: 'retired' | 'deleted',
    after: ITerraformDependable[],
  ): ReceiverDecryptionKey {
    return ReceiverDecryptionKey.fromExistingKey(stack, 'old-key', {
      receiver: this.props.receiver,
      keyName: this.props.oldKeyName,
      state,
      // Retiring it is refused while the alias still holds its certificate and deployed iFlows use the alias;
      // deleting it, also within the retention after the alias last held its certificate.
      encryptionAlias: this.props.alias,
      dependsOn: after,
    });
  }

  /** Single-key: the new key (created pending in stage 1) adopted and made active. */
  private switchedNewKey(stack: TerraformStack, after: ITerraformDependable[]): ReceiverDecryptionKey {
    return ReceiverDecryptionKey.fromExistingKey(stack, 'new-key', {
      receiver: this.props.receiver,
      keyName: this.props.newKey.name,
      state: 'active',
      encryptionAlias: this.props.alias,
      dependsOn: after,
    });
  }
}

/** The props once checked: what the construct reads in the gate model's and the stage table's types. */
interface CheckedProps {
  readonly renewalId: string;
  readonly variant: RenewalVariant;
  readonly gateOverrides: { readonly [gate: string]: ModelGateOverride };
}

/** A gate override in the gate model's types. */
interface ModelGateOverride {
  readonly mode?: GateSpec['mode'];
  readonly requirements: GateSpec['requirements'];
}

function validateProps(props: EncryptionCertificateRenewalProps): CheckedProps {
  const renewalId = requireNonEmpty(NAME, 'renewalId', props.renewalId);
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(renewalId))
    invalidProp(
      NAME,
      'renewalId',
      renewalId,
      'lower-case letters, digits and "-" (at most 63), starting with a letter or digit',
    );
  const variant = requireOneOf(NAME, 'variant', props.variant, RENEWAL_VARIANTS);
  requireAlias(NAME, 'alias', props.alias);
  if (props.iflowIds.length === 0)
    invalidProp(NAME, 'iflowIds', [], 'every iFlow whose channels use the alias (at least one)');
  const duplicates = props.iflowIds.filter((id, i) => props.iflowIds.indexOf(id) !== i);
  if (duplicates.length > 0)
    invalidProp(NAME, 'iflowIds', props.iflowIds, `each iFlow once (repeated: ${duplicates.join(', ')})`);
  props.iflowIds.forEach((id, i) => requireNonEmpty(NAME, `iflowIds[${i}]`, id));
  requireNonEmpty(NAME, 'newKey.name', props.newKey.name);
  requireNonEmpty(NAME, 'newKey.subject', props.newKey.subject);
  if (props.newKey.algorithm !== undefined)
    requireOneOf(NAME, 'newKey.algorithm', props.newKey.algorithm, RECEIVER_KEY_ALGORITHMS);
  requireNonEmpty(NAME, 'oldKeyName', props.oldKeyName);
  if (props.newKey.name === props.oldKeyName)
    invalidProp(
      NAME,
      'newKey.name',
      props.newKey.name,
      `a name other than oldKeyName "${props.oldKeyName}": a renewal needs a new key`,
    );
  const retention = props.retentionDays ?? MIN_RETENTION_DAYS;
  if (!Number.isInteger(retention) || retention < MIN_RETENTION_DAYS) {
    throw new CpiError(
      'CPI_CONSTRUCTS_RETENTION_TOO_SHORT',
      `${NAME}: retentionDays is ${retention}; expected a whole number of at least ${MIN_RETENTION_DAYS} days after the exchange`,
    );
  }
  requireInteger(NAME, 'retentionDays', retention, MIN_RETENTION_DAYS, 3650);
  if (props.variant === 'single-key' && !props.downtimeWindow) {
    throw new CpiError(
      'CPI_CONSTRUCTS_WINDOW_INVALID',
      `${NAME}: downtimeWindow is not set; a single-key renewal needs the window both administrators agreed`,
    );
  }
  if (props.downtimeWindow) {
    const { start, end } = props.downtimeWindow;
    try {
      requireTime(NAME, 'downtimeWindow.start', start);
      requireTime(NAME, 'downtimeWindow.end', end);
    } catch (error) {
      throw error instanceof CpiError ? new CpiError('CPI_CONSTRUCTS_WINDOW_INVALID', error.detail) : error;
    }
    if (Date.parse(end) <= Date.parse(start)) {
      throw new CpiError(
        'CPI_CONSTRUCTS_WINDOW_INVALID',
        `${NAME}: downtimeWindow ends at ${end}, not after its start ${start}`,
      );
    }
  }
  if (props.backend !== undefined && props.stateDir !== undefined)
    invalidProp(
      NAME,
      'stateDir',
      props.stateDir,
      'no stateDir with a backend (stateDir places local state files only)',
    );
  const gateOverrides: { [gate: string]: ModelGateOverride } = {};
  for (const [gate, override] of Object.entries(props.gateEvidence ?? {})) {
    gateOverrides[gate] = {
      ...(override.mode !== undefined
        ? { mode: requireOneOf(NAME, `gateEvidence["${gate}"].mode`, override.mode, GATE_MODES) }
        : {}),
      requirements: modelRequirements(NAME, `gateEvidence["${gate}"].requirements`, override.requirements),
    };
  }
  return { renewalId, variant, gateOverrides };
}

function withGateOverride(stage: StageSpec, override: ModelGateOverride | undefined): StageSpec {
  if (!stage.gate || !override) return stage;
  // A confirmation adds its party to those the gate waits for.
  const confirming = override.requirements.flatMap((r) => (r.kind === 'confirmation' ? [r.party] : []));
  const gate: GateSpec = {
    ...stage.gate,
    waitsFor: [...new Set<Party>([...stage.gate.waitsFor, ...confirming])],
    mode: override.mode ?? stage.gate.mode,
    requirements: override.requirements,
  };
  return { ...stage, gate };
}

function required<T>(value: T | undefined): T {
  if (value === undefined)
    throw new CpiError(
      'CPI_CONSTRUCTS_PROPS_INVALID',
      `${NAME}: the stage table does not begin with prepare-receiver and exchange-certificate`,
    );
  return value;
}
