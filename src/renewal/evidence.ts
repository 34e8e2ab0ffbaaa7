// The I/O edge of a gate: reads the confirmation file, probes the receiver, asks the tenant what the alias holds and
// which iFlows run, and reads the clock; then hands everything to the pure decideGate. A source that fails is
// recorded as an observation with its error (the gate stays closed and says why), never thrown past the decision:
// in `any` mode another alternative may still open the gate.
import { resolve } from 'node:path';
import type { ReceiverSettings } from '../receiver/receiver-backend';
import {
  confirmationFilePath,
  confirmationsFor,
  readConfirmationFile,
  type ConfirmationFile,
  type ConfirmationVerdict,
} from './confirmation';
import {
  decideGate,
  type GateDecision,
  type GateObservations,
  type GateRequirement,
  type GateRequirements,
  type IflowObservation,
  type ProbeObservation,
  type TenantAliasObservation,
} from './gate-decision';
import type { Party } from './stages';

/** A gate as the resource configures it: the renewal's values bound in. */
export interface GateEvidenceSpec {
  readonly renewalId: string;
  /** The name of the stage the gate opens. */
  readonly gate: string;
  readonly mode: 'all' | 'any';
  /** Directory holding `<gate>.json`; relative paths count from the working directory. */
  readonly confirmationsDir: string;
  readonly confirmations: readonly { readonly party: Party; readonly fingerprintSha256: string }[];
  readonly probe?: {
    readonly certificatePem: string;
    readonly fingerprintSha256: string;
    readonly receiver: ReceiverSettings;
  };
  readonly tenantAlias?: { readonly alias: string; readonly fingerprintSha256: string };
  readonly iflowState?: { readonly iflowIds: readonly string[]; readonly state: 'undeployed' | 'started' };
  readonly notBefore?: Date;
}

/** Where observations come from; the provider passes the real systems, tests pass fakes. */
export interface EvidenceSources {
  now(): Date;
  readConfirmations(path: string): ConfirmationFile | undefined;
  probe(receiver: ReceiverSettings, certificatePem: string, signal?: AbortSignal): Promise<ProbeObservation>;
  /** The fingerprint the alias holds; undefined when the keystore has no such alias. */
  tenantAliasFingerprint(alias: string, signal?: AbortSignal): Promise<string | undefined>;
  /** The runtime status of an iFlow; undefined when it is not deployed. */
  iflowStatus(iflowId: string, signal?: AbortSignal): Promise<string | undefined>;
}

export interface GateEvaluation extends GateDecision {
  /** The moment the decision was made. */
  readonly now: Date;
  readonly confirmationFile: string;
}

/** The gate's requirements in the decision's terms. */
export function requirementsOf(spec: GateEvidenceSpec): GateRequirements {
  const requirements: GateRequirement[] = spec.confirmations.map((c) => ({
    kind: 'confirmation',
    party: c.party,
    fingerprintSha256: c.fingerprintSha256,
  }));
  if (spec.probe) requirements.push({ kind: 'probe', fingerprintSha256: spec.probe.fingerprintSha256 });
  if (spec.tenantAlias) requirements.push({ kind: 'tenant_alias', ...spec.tenantAlias });
  if (spec.iflowState) requirements.push({ kind: 'iflow_state', ...spec.iflowState });
  if (spec.notBefore) requirements.push({ kind: 'not_before', notBefore: spec.notBefore });
  return { mode: spec.mode, requirements };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Collects every observation the gate needs (in parallel) and decides. A malformed confirmation file throws. */
export async function evaluateGate(
  spec: GateEvidenceSpec,
  sources: EvidenceSources,
  signal?: AbortSignal,
): Promise<GateEvaluation> {
  const now = sources.now();
  const confirmationFile = resolve(confirmationFilePath(spec.confirmationsDir, spec.gate));
  const observations: {
    confirmations?: GateObservations['confirmations'];
    probe?: ProbeObservation;
    tenantAliases?: Record<string, TenantAliasObservation>;
    iflows?: Record<string, IflowObservation>;
  } = {};
  if (spec.confirmations.length > 0) {
    // Each party's entry is checked against the fingerprint that party's confirmation must name.
    const file = sources.readConfirmations(confirmationFile);
    const verdict: ConfirmationVerdict = { valid: [], rejected: [] };
    for (const required of spec.confirmations) {
      const own = file && { confirmations: file.confirmations.filter((c) => c.party === required.party) };
      const v = confirmationsFor(own, {
        renewalId: spec.renewalId,
        gate: spec.gate,
        fingerprint: required.fingerprintSha256,
        now,
      });
      verdict.valid.push(...v.valid);
      verdict.rejected.push(...v.rejected);
    }
    observations.confirmations = verdict;
  }
  const pending: Promise<void>[] = [];
  if (spec.probe) {
    const { receiver, certificatePem } = spec.probe;
    pending.push(
      sources.probe(receiver, certificatePem, signal).then(
        (result) => void (observations.probe = result),
        (error) => void (observations.probe = { decrypted: false, detail: '', error: message(error) }),
      ),
    );
  }
  if (spec.tenantAlias) {
    const { alias } = spec.tenantAlias;
    pending.push(
      sources.tenantAliasFingerprint(alias, signal).then(
        (fingerprintSha256) =>
          void (observations.tenantAliases = { [alias]: fingerprintSha256 === undefined ? {} : { fingerprintSha256 } }),
        (error) => void (observations.tenantAliases = { [alias]: { error: message(error) } }),
      ),
    );
  }
  if (spec.iflowState) {
    const iflows: Record<string, IflowObservation> = {};
    observations.iflows = iflows;
    for (const id of spec.iflowState.iflowIds) {
      pending.push(
        sources.iflowStatus(id, signal).then(
          (status) => void (iflows[id] = status === undefined ? {} : { status }),
          (error) => void (iflows[id] = { error: message(error) }),
        ),
      );
    }
  }
  await Promise.all(pending);
  return { ...decideGate(requirementsOf(spec), observations, now), now, confirmationFile };
}

/** Probes through the receiver backend; its code is loaded only when a gate has a probe. */
export async function probeReceiver(
  receiver: ReceiverSettings,
  certificatePem: string,
  signal?: AbortSignal,
): Promise<ProbeObservation> {
  const { openReceiverBackend } = await import('../receiver/open-backend');
  const backend = await openReceiverBackend(receiver);
  return backend.probe(certificatePem, signal);
}

/** Sources backed by the real systems: files on disk, the receiver backend, and a tenant client. */
export function liveEvidenceSources(options: {
  now: () => Date;
  tenant: () => Promise<{
    getKeystoreEntry(
      alias: string,
      options: { signal?: AbortSignal },
    ): Promise<{ fingerprintSha256?: string } | undefined>;
    getRuntimeArtifact(id: string, options: { signal?: AbortSignal }): Promise<{ status: string } | undefined>;
  }>;
}): EvidenceSources {
  return {
    now: options.now,
    readConfirmations: readConfirmationFile,
    probe: probeReceiver,
    // Asked directly rather than from the shared listing: the gate must see what the tenant holds now.
    tenantAliasFingerprint: async (alias, signal) => {
      const entry = await (await options.tenant()).getKeystoreEntry(alias, { signal });
      return entry && (entry.fingerprintSha256 ?? 'an entry whose fingerprint the tenant did not report');
    },
    iflowStatus: async (id, signal) => (await (await options.tenant()).getRuntimeArtifact(id, { signal }))?.status,
  };
}
