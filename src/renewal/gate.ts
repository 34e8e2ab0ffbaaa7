// THE model of a gate, used unchanged by the stage table, the constructs, the cpi_renewal_gate resource (as
// `requirement` blocks), the decision and `cpi-renewal status`. A requirement names the renewal's values by role
// ("the new certificate", "the downtime window's start"); the values themselves are the gate's facts, given once
// per gate. So a requirement means the same in every layer, and no layer turns it into another shape.
import type { ReceiverSettings } from '../receiver/receiver-backend';
import type { ConfirmationSigners } from './confirmation-signature';
import type { Party } from './party';

/** `all`: every requirement must hold; `any`: one suffices. A not_before requirement must hold in both. */
export type GateMode = 'all' | 'any';
export const GATE_MODES: readonly GateMode[] = ['all', 'any'];

/** Which of the renewal's certificates a requirement is about. */
export type CertificateRole = 'new' | 'old';
export const CERTIFICATE_ROLES: readonly CertificateRole[] = ['new', 'old'];
/** The moments a gate can wait for. */
export type GateMoment = 'window_start' | 'retention_end';
export const GATE_MOMENTS: readonly GateMoment[] = ['window_start', 'retention_end'];
export type IflowState = 'undeployed' | 'started';
export const IFLOW_STATES: readonly IflowState[] = ['undeployed', 'started'];

/** One piece of evidence a gate requires. */
export type GateRequirement =
  /** This party committed a confirmation naming the new certificate. */
  | { readonly kind: 'confirmation'; readonly party: Party }
  /** The receiver decrypts a canary message encrypted for the new certificate. */
  | { readonly kind: 'probe' }
  /** The tenant alias holds this certificate. */
  | { readonly kind: 'tenant_alias'; readonly certificate: CertificateRole }
  /** Every iFlow of the renewal is in this state (undeployed: no runtime artifact at all). */
  | { readonly kind: 'iflow_state'; readonly state: IflowState }
  /** This moment has passed. Always ANDed, whatever the mode. */
  | { readonly kind: 'not_before'; readonly moment: GateMoment };

export type RequirementKind = GateRequirement['kind'];
export const REQUIREMENT_KINDS: readonly RequirementKind[] = [
  'confirmation',
  'probe',
  'tenant_alias',
  'iflow_state',
  'not_before',
];

/** A gate: the hand-over in front of a stage. */
export interface GateSpec {
  /** The gate's name: the name of the stage it opens (confirmations name it). */
  readonly name: string;
  /** The parties whose action the gate waits for (not the party of the stage it opens). */
  readonly waitsFor: readonly Party[];
  readonly mode: GateMode;
  readonly requirements: readonly GateRequirement[];
  /**
   * Observable facts that show the stage's effect already holds, or a later stage's effect superseded it (e.g. the
   * alias already holds the new certificate): while any of them holds, the gate is settled, re-applying the stage
   * is a no-op, and a requirement that no longer holds (the iFlows run again) does not turn the plan into a refusal.
   */
  readonly settledBy?: readonly GateRequirement[];
}

/** The renewal's values a gate's requirements refer to; a value is absent when no requirement needs it. */
export interface GateFacts {
  readonly renewalId: string;
  /** Directory holding `<gate>.json` confirmation files (absolute, or relative to the working directory). */
  readonly confirmationsDir: string;
  /** The tenant keystore alias (tenant_alias). */
  readonly alias?: string;
  /** The new certificate (probe, confirmation, tenant_alias new). */
  readonly newCertificate?: { readonly pem?: string; readonly fingerprintSha256: string };
  /** The certificate the alias held before the renewal (tenant_alias old). */
  readonly oldFingerprintSha256?: string;
  /** Every iFlow that uses the alias (iflow_state). */
  readonly iflowIds?: readonly string[];
  /** The receiver backend to probe, secrets read (probe). */
  readonly receiver?: ReceiverSettings;
  /** Start of the downtime window (not_before window_start). */
  readonly windowStart?: Date;
  /** When the alias switched to the new certificate, and how long the old key is kept (not_before retention_end). */
  readonly exchangedAt?: Date;
  readonly retentionDays?: number;
  /**
   * The SSH keys allowed to confirm, by party: given, a confirmation counts only when signed by one of its party's
   * keys (src/renewal/confirmation-signature.ts); absent, unsigned confirmations count.
   */
  readonly confirmationSigners?: ConfirmationSigners;
}

/** The end of retention: the exchange time plus the retention days. The one place this is computed. */
export function retentionEnd(exchangedAt: Date, retentionDays: number): Date {
  return new Date(exchangedAt.getTime() + retentionDays * 86_400_000);
}

/** The moment a not_before requirement waits for; undefined when its facts are missing. */
export function momentOf(moment: GateMoment, facts: GateFacts): Date | undefined {
  if (moment === 'window_start') return facts.windowStart;
  return facts.exchangedAt && facts.retentionDays !== undefined
    ? retentionEnd(facts.exchangedAt, facts.retentionDays)
    : undefined;
}

/** Every requirement of a gate, those that open it and those that settle it. */
export function allRequirements(gate: Pick<GateSpec, 'requirements' | 'settledBy'>): GateRequirement[] {
  return [...gate.requirements, ...(gate.settledBy ?? [])];
}

/** The facts a requirement needs, by the name they have in the resource's schema. */
export function factsNeeded(requirement: GateRequirement): readonly string[] {
  switch (requirement.kind) {
    case 'confirmation':
      return ['new_certificate_pem'];
    case 'probe':
      return ['new_certificate_pem', 'receiver'];
    case 'tenant_alias':
      return requirement.certificate === 'new' ? ['alias', 'new_certificate_pem'] : ['alias', 'old_fingerprint_sha256'];
    case 'iflow_state':
      return ['iflow_ids'];
    case 'not_before':
      return requirement.moment === 'window_start' ? ['window_start'] : ['exchanged_at', 'retention_days'];
  }
}

/** A requirement as one key, to find repeats: `tenant_alias:new`, `confirmation:tenant-admin`. */
export function requirementKey(requirement: GateRequirement): string {
  switch (requirement.kind) {
    case 'confirmation':
      return `confirmation:${requirement.party}`;
    case 'probe':
      return 'probe';
    case 'tenant_alias':
      return `tenant_alias:${requirement.certificate}`;
    case 'iflow_state':
      return `iflow_state:${requirement.state}`;
    case 'not_before':
      return `not_before:${requirement.moment}`;
  }
}

/** Requirements that appear more than once (a repeat would be meaningless or contradict the first). */
export function repeatedRequirements(requirements: readonly GateRequirement[]): string[] {
  const keys = requirements.map(requirementKey);
  return [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
}
