// The I/O edge of a gate: reads the confirmation file, probes the receiver, asks the tenant what the alias holds and
// which iFlows run, and reads the clock; then hands everything to the pure decideGate. A source that fails is
// recorded as an observation with its error (the gate stays closed and says why), never thrown past the decision:
// in `any` mode another alternative may still open the gate.
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import type { ReceiverSettings } from '../receiver/receiver-backend';
import {
  confirmationFilePath,
  confirmationsFor,
  readConfirmationFile,
  type ConfirmationFile,
  type ConfirmationVerdict,
} from './confirmation';
import { allRequirements, type GateFacts, type GateSpec } from './gate';
import {
  decideGate,
  type GateDecision,
  type IflowObservation,
  type ProbeObservation,
  type TenantAliasObservation,
} from './gate-decision';

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
  /** The confirmation file read (absolute). */
  readonly confirmationFile: string;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Collects every observation the gate needs (in parallel) and decides. A malformed confirmation file throws. */
export async function evaluateGate(
  gate: GateSpec,
  facts: GateFacts,
  sources: EvidenceSources,
  signal?: AbortSignal,
): Promise<GateEvaluation> {
  const now = sources.now();
  const confirmationFile = resolve(confirmationFilePath(facts.confirmationsDir, gate.name));
  const kinds = new Set(allRequirements(gate).map((r) => r.kind));
  const observations: {
    confirmations?: ConfirmationVerdict;
    probe?: ProbeObservation;
    tenantAlias?: TenantAliasObservation;
    iflows?: Record<string, IflowObservation>;
  } = {};
  const fingerprint = facts.newCertificate?.fingerprintSha256;
  if (kinds.has('confirmation') && fingerprint) {
    // Only the parties the gate asks for count; the file may hold others' entries for other purposes.
    const parties = new Set(gate.requirements.flatMap((r) => (r.kind === 'confirmation' ? [r.party] : [])));
    const file = sources.readConfirmations(confirmationFile);
    const own = file && { confirmations: file.confirmations.filter((c) => parties.has(c.party)) };
    observations.confirmations = confirmationsFor(own, {
      renewalId: facts.renewalId,
      gate: gate.name,
      fingerprint,
      now,
      // a confirmation cannot predate the certificate it confirms (the renewal's start)
      notBefore: certificateStart(facts.newCertificate?.pem),
      ...(facts.confirmationSigners ? { signers: facts.confirmationSigners } : {}),
    });
  }
  const pending: Promise<void>[] = [];
  const pem = facts.newCertificate?.pem;
  if (kinds.has('probe') && facts.receiver && pem) {
    pending.push(
      sources.probe(facts.receiver, pem, signal).then(
        (result) => void (observations.probe = result),
        (error) => void (observations.probe = { decrypted: false, detail: '', error: message(error) }),
      ),
    );
  }
  const alias = facts.alias;
  if (kinds.has('tenant_alias') && alias) {
    pending.push(
      sources.tenantAliasFingerprint(alias, signal).then(
        (fingerprintSha256) =>
          void (observations.tenantAlias = fingerprintSha256 === undefined ? {} : { fingerprintSha256 }),
        (error) => void (observations.tenantAlias = { error: message(error) }),
      ),
    );
  }
  if (kinds.has('iflow_state')) {
    const iflows: Record<string, IflowObservation> = {};
    observations.iflows = iflows;
    for (const id of facts.iflowIds ?? []) {
      pending.push(
        sources.iflowStatus(id, signal).then(
          (status) => void (iflows[id] = status === undefined ? {} : { status }),
          (error) => void (iflows[id] = { error: message(error) }),
        ),
      );
    }
  }
  await Promise.all(pending);
  return { ...decideGate(gate, facts, observations, now), now, confirmationFile };
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

/**
 * Sources backed by the real systems: files on disk and the receiver backend; what the tenant shows comes from
 * the caller (the gate resource decides how fresh it must be).
 */
export function liveEvidenceSources(options: {
  now: () => Date;
  aliasFingerprint: EvidenceSources['tenantAliasFingerprint'];
  iflowStatus: EvidenceSources['iflowStatus'];
}): EvidenceSources {
  return {
    now: options.now,
    readConfirmations: readConfirmationFile,
    probe: probeReceiver,
    tenantAliasFingerprint: options.aliasFingerprint,
    iflowStatus: options.iflowStatus,
  };
}

/** What the tenant shows, asked directly of a tenant client (no shared listing): for `cpi-renewal status`. */
export function tenantEvidence(
  tenant: () => Promise<{
    getKeystoreEntry(
      alias: string,
      options: { signal?: AbortSignal },
    ): Promise<{ fingerprintSha256?: string } | undefined>;
    getRuntimeArtifact(id: string, options: { signal?: AbortSignal }): Promise<{ status: string } | undefined>;
  }>,
): Pick<Parameters<typeof liveEvidenceSources>[0], 'aliasFingerprint' | 'iflowStatus'> {
  return {
    aliasFingerprint: async (alias, signal) => {
      const entry = await (await tenant()).getKeystoreEntry(alias, { signal });
      return entry && (entry.fingerprintSha256 ?? FINGERPRINT_NOT_REPORTED);
    },
    iflowStatus: async (id, signal) => (await (await tenant()).getRuntimeArtifact(id, { signal }))?.status,
  };
}

/** An alias entry without a fingerprint still counts as "holds something else". */
export const FINGERPRINT_NOT_REPORTED = 'an entry whose fingerprint the tenant did not report';

/** When the certificate became valid; undefined when there is none or it does not parse (refused elsewhere). */
function certificateStart(pem: string | undefined): Date | undefined {
  if (!pem) return undefined;
  try {
    return new Date(new X509Certificate(pem).validFrom);
  } catch {
    return undefined;
  }
}
