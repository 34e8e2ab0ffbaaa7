// L2: the gate in front of a renewal stage. It waits for another party and opens on evidence the provider checks
// at plan and again at apply: confirmations, a probe of the receiver, the tenant alias, the iFlows' state, a time.
import { type Party } from '../src/renewal/stages';
import { CpiRenewalGate, type CpiProvider } from './bindings';
import { Construct, type ITerraformDependable } from './cdktf';
import { receiverBlockFrom, type ReceiverBackendSettings } from './receiver-backend-settings';
import {
  invalidProp,
  isLiteral,
  requireAlias,
  requireNonEmpty,
  requireOneOf,
  requirePem,
  requireTime,
} from './validation';

const NAME = 'RenewalGate';
export const PARTIES: readonly Party[] = ['receiver-admin', 'tenant-admin', 'integration-developer'];

/** A confirmation the gate waits for: a committed file by this party naming this certificate. */
export interface GateConfirmation {
  /** The party that must confirm. */
  readonly party: Party;
  /** SHA-256 fingerprint of the certificate the confirmation must name (usually a token). */
  readonly fingerprintSha256: string;
}

/** A canary WS-Security message, encrypted for this certificate, must be decrypted by the receiver. */
export interface GateProbe {
  /** The certificate the canary is encrypted for (usually a token: the new key's certificate). */
  readonly certificatePem: string;
  /** The receiver backend to probe. */
  readonly receiver: ReceiverBackendSettings;
}

/** The tenant alias must hold the certificate with this fingerprint. */
export interface GateTenantAlias {
  /** The keystore alias. */
  readonly alias: string;
  /** SHA-256 fingerprint the alias must hold. */
  readonly fingerprintSha256: string;
}

/** Every one of these iFlows must be in this state. */
export interface GateIflowState {
  /** The iFlows' artifact IDs. */
  readonly iflowIds: readonly string[];
  /** `undeployed` (no runtime artifact) or `started`. */
  readonly state: 'undeployed' | 'started';
}

export interface RenewalGateProps {
  /** The renewal the gate belongs to (confirmations name it). */
  readonly renewalId: string;
  /** The name of the stage the gate opens, e.g. `exchange-certificate`. */
  readonly gate: string;
  /** The parties whose action the gate waits for (at least one). */
  readonly waitsFor: readonly Party[];
  /**
   * What the waited-for party must do, shown in the closed-gate error.
   * @default - the provider describes the missing evidence
   */
  readonly action?: string;
  /**
   * `all`: every requirement must hold; `any`: one suffices. `notBefore` must hold in both modes.
   * @default 'all'
   */
  readonly mode?: 'all' | 'any';
  /**
   * Directory holding `<gate>.json` confirmation files, relative to the directory Terraform runs in (the stack's
   * directory under `cdktf.out/stacks/`).
   * @default - `renewals/<renewalId>/confirmations` (the provider's default)
   */
  readonly confirmationsDir?: string;
  /**
   * The gate stays closed before this moment (RFC 3339), e.g. the start of the downtime window.
   * @default - no time condition
   */
  readonly notBefore?: string;
  /**
   * Confirmations the gate accepts.
   * @default - none
   */
  readonly confirmations?: readonly GateConfirmation[];
  /**
   * A probe of the receiver.
   * @default - none
   */
  readonly probe?: GateProbe;
  /**
   * A check of the tenant alias.
   * @default - none
   */
  readonly tenantAlias?: GateTenantAlias;
  /**
   * A check of the iFlows' runtime state.
   * @default - none
   */
  readonly iflowState?: GateIflowState;
  /**
   * What must be applied first.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The provider instance to use.
   * @default - the stack's default `cpi` provider
   */
  readonly provider?: CpiProvider;
}

/** The hand-over in front of a stage: closed, the stage's plan fails naming the gate, the party and the action. */
export class RenewalGate extends Construct {
  readonly resource: CpiRenewalGate;
  readonly gate: string;

  constructor(scope: Construct, id: string, props: RenewalGateProps) {
    super(scope, id);
    requireNonEmpty(NAME, 'renewalId', props.renewalId);
    this.gate = requireNonEmpty(NAME, 'gate', props.gate);
    if (props.waitsFor.length === 0) invalidProp(NAME, 'waitsFor', [], `at least one of ${PARTIES.join(', ')}`);
    props.waitsFor.forEach((party, i) => requireOneOf(NAME, `waitsFor[${i}]`, party, PARTIES));
    if (props.mode !== undefined) requireOneOf(NAME, 'mode', props.mode, ['all', 'any']);
    if (props.notBefore !== undefined) requireTime(NAME, 'notBefore', props.notBefore);
    (props.confirmations ?? []).forEach((c, i) => {
      requireOneOf(NAME, `confirmations[${i}].party`, c.party, PARTIES);
      requireNonEmpty(NAME, `confirmations[${i}].fingerprintSha256`, c.fingerprintSha256);
    });
    if (props.probe) requirePem(NAME, 'probe.certificatePem', props.probe.certificatePem);
    if (props.tenantAlias) requireAlias(NAME, 'tenantAlias.alias', props.tenantAlias.alias);
    if (props.iflowState) {
      if (isLiteral(props.iflowState.iflowIds) && props.iflowState.iflowIds.length === 0)
        invalidProp(NAME, 'iflowState.iflowIds', [], 'at least one iFlow ID');
      requireOneOf(NAME, 'iflowState.state', props.iflowState.state, ['undeployed', 'started']);
    }
    const hasEvidence =
      (props.confirmations?.length ?? 0) > 0 || props.probe || props.tenantAlias || props.iflowState || props.notBefore;
    if (!hasEvidence)
      invalidProp(
        NAME,
        `evidence of gate "${props.gate}"`,
        null,
        'at least one of confirmations, probe, tenantAlias, iflowState or notBefore',
      );

    this.resource = new CpiRenewalGate(this, 'gate', {
      renewalId: props.renewalId,
      gate: this.gate,
      waitsFor: [...props.waitsFor],
      action: props.action,
      mode: props.mode,
      confirmationsDir: props.confirmationsDir,
      notBefore: props.notBefore,
      confirmation: props.confirmations?.map((c) => ({ party: c.party, fingerprintSha256: c.fingerprintSha256 })),
      probe: props.probe && {
        certificatePem: props.probe.certificatePem,
        receiver: receiverBlockFrom(NAME, props.probe.receiver),
      },
      tenantAlias: props.tenantAlias && { ...props.tenantAlias },
      iflowState: props.iflowState && { iflowIds: [...props.iflowState.iflowIds], state: props.iflowState.state },
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
  }

  /** When the gate opened (RFC 3339; a token). */
  get openedAt(): string {
    return this.resource.openedAt;
  }

  /** The evidence that opened it: the audit trail (a token). */
  get evidence(): string[] {
    return this.resource.evidence;
  }
}
