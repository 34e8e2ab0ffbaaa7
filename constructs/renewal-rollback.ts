// The synthesized way back of a renewal: one Terraform stack per stage of `rollbackStages(variant)`
// (src/renewal/rollback-stages.ts), named `<renewalId>-rollback-<n>-<stage>`, each with its own local state and
// gate, outside the forward chain (no forward stack depends on them). See docs/rollback.md.
import { join, relative, resolve } from 'node:path';
import { CpiError } from '../src/errors';
import { allRequirements, factsNeeded, type GateSpec } from '../src/renewal/gate';
import {
  rollbackStackName,
  rollbackStages,
  type RollbackManifest,
  type RollbackStageName,
  type RollbackStageSpec,
} from '../src/renewal/rollback-stages';
import { RENEWAL_VARIANTS, type RenewalVariant } from '../src/renewal/stages';
import { CpiProvider } from './bindings/provider';
import { lockProviderAtSynth } from './provider-lock';
import { App, Construct, TerraformOutput, TerraformStack, type ITerraformDependable } from './cdktf';
import { IntegrationFlowDeployment } from './integration-flow-deployment';
import { ReceiverDecryptionKey } from './receiver-decryption-key';
import { requirementProps } from './gate-requirement';
import type { ReceiverBackendSettings } from './receiver-backend-settings';
import { RenewalGate, type ConfirmationSignerTexts, type RenewalGateProps } from './renewal-gate';
import type { DowntimeWindow, NewKeySpec, TenantConnectionProps } from './renewal-settings';
import { renewalStage, type RenewalStage } from './renewal-stage';
import { stateBackend, type IRenewalStateBackend } from './renewal-state-backend';
import { TenantKeystoreCertificate } from './tenant-keystore-certificate';
import { requireNonEmpty, requireOneOf } from './validation';

/** What the way back needs of the renewal's props (EncryptionCertificateRenewalProps has all of it). */
export interface RolledBackRenewal {
  /** `overlap` or `single-key`. */
  readonly variant: string;
  /** The tenant keystore alias. */
  readonly alias: string;
  /** Every iFlow whose channels use the alias. */
  readonly iflowIds: string[];
  /** The receiver backend that holds the decryption keys. */
  readonly receiver: ReceiverBackendSettings;
  /** The renewal's new key (its name). */
  readonly newKey: NewKeySpec;
  /** The key the receiver decrypted with before the renewal. */
  readonly oldKeyName: string;
  /**
   * The agreed downtime window.
   * @default - none; required for the `single-key` variant
   */
  readonly downtimeWindow?: DowntimeWindow;
  /**
   * How to reach the tenant.
   * @default - URL and credentials from the CPI_* environment variables
   */
  readonly tenant?: TenantConnectionProps;
  /**
   * Where the renewal keeps its stacks' state; the way back's stacks keep theirs there too.
   * @default - local state files in `stateDir`
   */
  readonly backend?: IRenewalStateBackend;
  /**
   * Directory of the stacks' local state files; only without `backend`.
   * @default 'state'
   */
  readonly stateDir?: string;
  /**
   * Directory under which confirmations are written.
   * @default 'renewals'
   */
  readonly confirmationsDir?: string;
  /** The renewal's confirmation signers: the way back's gates ask for signed confirmations too. */
  readonly confirmationSigners?: ConfirmationSignerTexts;
}

/** The way back of a renewal. */
export interface RenewalRollbackProps {
  /** The renewal's props. */
  readonly renewal: RolledBackRenewal;
  /** The renewal's validated ID. */
  readonly renewalId: string;
  /** The new certificate's fingerprint (a token of the renewal's first stage): the exchange back expects it. */
  readonly newFingerprintSha256: string;
  /**
   * Recorded as the receiver keys' `rollback_reason`.
   * @default `rollback of renewal <renewalId>`
   */
  readonly reason?: string;
}

/**
 * The way back of an EncryptionCertificateRenewal, while the receiver still holds the old key.
 *
 * - The old certificate is the old key's own, read from the receiver: the first stage of either way back adopts the
 *   old key (import), so a rollback whose old key has been deleted is refused at that plan
 *   (`CPI_RECEIVER_KEY_NOT_FOUND`) before anything changes.
 * - The exchange back is a compare-and-swap: it proceeds only while the alias holds the renewal's new certificate
 *   (or already the old one), and the alias rule checks the receiver decrypts for the old certificate.
 * - Keys go back in their lifecycle only with `rollback_reason`, which only these stacks set.
 */
export class RenewalRollback extends Construct {
  /** The way back's stages, in the order they are applied. */
  readonly stages: RenewalStage[];
  /** The way back's stacks, in the order they are applied. */
  readonly stacks: TerraformStack[];
  /** The old key's certificate as the receiver holds it (a token of the first rollback stage). */
  readonly oldCertificatePem: string;
  readonly reason: string;

  private readonly app: App;
  private readonly props: RenewalRollbackProps;
  private readonly stageSpecs: readonly RollbackStageSpec[];

  constructor(scope: Construct, id: string, props: RenewalRollbackProps) {
    super(scope, id);
    this.props = props;
    this.app = App.of(scope);
    this.reason = requireNonEmpty(
      'RenewalRollback',
      'reason',
      props.reason ?? `rollback of renewal ${props.renewalId}`,
    );
    const { renewal } = props;
    const variant: RenewalVariant = requireOneOf(
      'RenewalRollback',
      'renewal.variant',
      renewal.variant,
      RENEWAL_VARIANTS,
    );
    this.stageSpecs = rollbackStages(variant);
    this.stages = this.stageSpecs.map(renewalStage);

    let oldKey: ReceiverDecryptionKey | undefined;
    const build: {
      readonly [K in RollbackStageName]: (stack: TerraformStack, gated: () => ITerraformDependable[]) => void;
    } = {
      // Overlap 1: the old key decrypts again (adopted from the receiver; the new key stays active).
      'reactivate-old-key': (stack) => {
        oldKey = this.key(stack, 'old-key', renewal.oldKeyName, 'active', []);
        this.publishOldCertificate(stack, oldKey);
      },
      // Single-key 1: the old key is adopted as it is (no state change: `state` ignored), for its certificate and
      // to refuse the rollback here when it is gone; then the iFlows stop until the alias holds the old one.
      'stop-sending': (stack, gated) => {
        oldKey = ReceiverDecryptionKey.fromExistingKey(stack, 'old-key', {
          receiver: renewal.receiver,
          keyName: renewal.oldKeyName,
        });
        oldKey.resource.lifecycle = {
          ignoreChanges: ['algorithm', 'subject', 'validity_days', 'state', 'retain_until'],
          preventDestroy: true,
        };
        this.publishOldCertificate(stack, oldKey);
        this.iflows(stack, false, gated(), oldKey);
      },
      'restore-certificate': (stack, gated) => {
        const key = required(oldKey);
        const after = gated();
        new TenantKeystoreCertificate(stack, 'certificate', {
          alias: renewal.alias,
          certificatePem: key.certificatePem,
          adoptExisting: true,
          // Adopted, not created: destroying the restore stack releases the alias, never deletes it.
          deletionPolicy: 'ABANDON',
          // Compare-and-swap: only while the alias holds this renewal's new certificate (or already the old one).
          expectedPreviousFingerprintSha256: props.newFingerprintSha256,
          receiver: renewal.receiver,
          receiverKeyFingerprintSha256: key.fingerprintSha256,
          // The old certificate may be close to its end (that is why it was renewed): the way back must still work.
          minValidityDays: 1,
          dependsOn: after,
        });
      },
      'switch-back-receiver-key': (stack, gated) => {
        const after = gated();
        const old = this.key(stack, 'old-key', renewal.oldKeyName, 'active', after);
        // Add before remove: the new key stops decrypting only once the old one does.
        this.key(stack, 'new-key', renewal.newKey.name, 'pending', [...after, old.resource]);
      },
      'retire-new-key': (stack, gated) => {
        this.key(stack, 'new-key', renewal.newKey.name, 'pending', gated());
      },
      'resume-sending': (stack, gated) => this.iflows(stack, true, gated()),
    };

    const stacks: TerraformStack[] = [];
    for (const stage of this.stageSpecs) {
      const stack = new TerraformStack(this.app, this.stackName(stage));
      const previous = stacks.at(-1);
      if (previous) stack.addDependency(previous);
      stacks.push(stack);
      stateBackend(renewal).addBackend(stack, stack.node.id);
      const provider = new CpiProvider(stack, 'cpi', {
        tenantUrl: renewal.tenant?.tenantUrl,
        caCertificatePem: renewal.tenant?.caCertificatePem,
        requestsPerSecond: renewal.tenant?.requestsPerSecond,
      });
      lockProviderAtSynth(stack, provider);
      // Each stage asks for its gate where its gated resources begin: the single-key first stage's gate names the
      // old certificate, which the same stack adopts (changing nothing) before it.
      build[stage.name](stack, () => (stage.gate ? [this.gate(stack, stage.gate, oldKey).resource] : []));
    }
    this.stacks = stacks;
    this.oldCertificatePem = required(oldKey).certificatePem;
  }

  /**
   * The way back as the manifest records it; paths relative to the app's output directory.
   * @internal
   */
  _manifest(): RollbackManifest {
    const outdir = resolve(this.app.outdir);
    return {
      reason: this.reason,
      stages: this.stageSpecs.map((stage, i) => ({
        index: stage.index,
        name: stage.name,
        title: stage.title,
        party: stage.party,
        mirrors: stage.mirrors,
        stack: this.stackName(stage),
        stackDir: relative(outdir, this.stackDir(this.stacks[i]!)) || '.',
        ...(stage.gate ? { gate: stage.gate } : {}),
        ...(stage.completes ? { completes: true } : {}),
        ...(stage.final ? { final: true } : {}),
      })),
    };
  }

  private stackName(stage: RollbackStageSpec): string {
    return rollbackStackName(this.props.renewalId, stage);
  }

  private stackDir(stack: TerraformStack): string {
    return resolve(this.app.outdir, 'stacks', stack.node.id);
  }

  private confirmationsDir(): string {
    return resolve(this.props.renewal.confirmationsDir ?? 'renewals', this.props.renewalId, 'confirmations');
  }

  private publishOldCertificate(stack: TerraformStack, key: ReceiverDecryptionKey): void {
    new TerraformOutput(stack, 'old_certificate_pem', {
      value: key.certificatePem,
      staticId: true,
      description: 'The old certificate, as the receiver holds it: the way back puts it under the alias.',
    });
    new TerraformOutput(stack, 'old_fingerprint_sha256', {
      value: key.fingerprintSha256,
      staticId: true,
      description: 'SHA-256 fingerprint of the old certificate: the rollback confirmations name it.',
    });
  }

  /** A receiver key adopted and moved to `state`, back in its lifecycle if need be (rollback_reason). */
  private key(
    stack: TerraformStack,
    id: string,
    keyName: string,
    state: 'active' | 'pending',
    after: ITerraformDependable[],
  ): ReceiverDecryptionKey {
    return ReceiverDecryptionKey.fromExistingKey(stack, id, {
      receiver: this.props.renewal.receiver,
      keyName,
      state,
      rollbackReason: this.reason,
      // The alias rule: the key under the alias does not stop decrypting while deployed iFlows use it.
      encryptionAlias: this.props.renewal.alias,
      dependsOn: after,
    });
  }

  private iflows(
    stack: TerraformStack,
    deployed: boolean,
    after: ITerraformDependable[],
    oldKey?: ReceiverDecryptionKey,
  ): void {
    const { renewal } = this.props;
    for (const iflowId of renewal.iflowIds) {
      new IntegrationFlowDeployment(stack, `iflow-${iflowId}`, {
        iflowId,
        deployed,
        adoptExisting: true,
        encryptionAlias: renewal.alias,
        receiver: renewal.receiver,
        // Stopping is settled once the alias holds the old certificate: re-applying then undeploys nothing.
        ...(!deployed && oldKey ? { undeployedUntilAliasHolds: oldKey.fingerprintSha256 } : {}),
        dependsOn: after,
      });
    }
  }

  /** A rollback gate: the forward gate's shape, its "new certificate" being the old one the way back restores. */
  private gate(stack: TerraformStack, spec: GateSpec, oldKey: ReceiverDecryptionKey | undefined): RenewalGate {
    const { renewal } = this.props;
    const needed = new Set(allRequirements(spec).flatMap(factsNeeded));
    const facts: Partial<RenewalGateProps> = {};
    if (needed.has('new_certificate_pem')) Object.assign(facts, { newCertificatePem: required(oldKey).certificatePem });
    if (needed.has('alias')) Object.assign(facts, { alias: renewal.alias });
    if (needed.has('iflow_ids')) Object.assign(facts, { iflowIds: renewal.iflowIds });
    if (needed.has('receiver')) Object.assign(facts, { receiver: renewal.receiver });
    if (needed.has('window_start')) {
      if (!renewal.downtimeWindow)
        throw new CpiError(
          'CPI_CONSTRUCTS_WINDOW_INVALID',
          `RenewalRollback: gate "${spec.name}" waits for the downtime window, but downtimeWindow is not set`,
        );
      Object.assign(facts, { windowStart: renewal.downtimeWindow.start });
    }
    return new RenewalGate(stack, `gate-${spec.name}`, {
      renewalId: this.props.renewalId,
      gate: spec.name,
      waitsFor: [...spec.waitsFor],
      mode: spec.mode,
      requirements: spec.requirements.map(requirementProps),
      settledBy: spec.settledBy?.map(requirementProps),
      confirmationsDir: relative(this.stackDir(stack), this.confirmationsDir()),
      confirmationSigners: renewal.confirmationSigners,
      ...facts,
    });
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined)
    throw new CpiError(
      'CPI_CONSTRUCTS_PROPS_INVALID',
      'RenewalRollback: the way back does not begin with the stage that adopts the old key',
    );
  return value;
}

/**
 * Where the rollback's stacks are written, for tests and tools: `<outdir>/stacks/<name>`.
 * @internal
 */
export function rollbackStackDir(outdir: string, renewalId: string, stage: RollbackStageSpec): string {
  return join(outdir, 'stacks', rollbackStackName(renewalId, stage));
}
