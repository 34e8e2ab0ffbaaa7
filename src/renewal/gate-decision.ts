// Whether a gate is open: a pure function of the gate (its requirements and mode), its facts, what was observed and
// the clock. Collecting the observations (files, the receiver, the tenant) is evidence.ts's job; turning results
// into text for people is gate-report.ts's. This file does no I/O, so every rule is tested with a table.
import { sameFingerprint } from '../rules/fingerprint';
import type { ConfirmationVerdict, CountedConfirmation } from './confirmation';
import { momentOf, type GateFacts, type GateMode, type GateRequirement } from './gate';

/** What the probe of the receiver showed; `error` when the receiver could not be asked at all. */
export interface ProbeObservation {
  readonly decrypted: boolean;
  readonly keyFingerprintSha256?: string;
  readonly detail: string;
  readonly error?: string;
}

/** What the tenant alias holds: `fingerprintSha256` undefined when the alias has no entry. */
export interface TenantAliasObservation {
  readonly fingerprintSha256?: string;
  readonly error?: string;
}

/** The runtime status of an iFlow (e.g. `STARTED`, `ERROR`); undefined when it is not deployed. */
export interface IflowObservation {
  readonly status?: string;
  readonly error?: string;
}

/** Everything evidence.ts found; a part is absent when no requirement asked for it. */
export interface GateObservations {
  /** The confirmations that count, and those that were found but do not count, with the reason. */
  readonly confirmations?: ConfirmationVerdict;
  readonly probe?: ProbeObservation;
  /** The gate's alias. */
  readonly tenantAlias?: TenantAliasObservation;
  /** By iFlow ID. */
  readonly iflows?: Readonly<Record<string, IflowObservation>>;
}

/** Why a requirement holds or not: stable names (like Kubernetes condition reasons) that tools may match on. */
export const GateReason = {
  ConfirmationFound: 'ConfirmationFound',
  ConfirmationMissing: 'ConfirmationMissing',
  ConfirmationNotCounted: 'ConfirmationNotCounted',
  ProbeDecrypted: 'ProbeDecrypted',
  ProbeNotDecrypted: 'ProbeNotDecrypted',
  ProbeOtherKey: 'ProbeOtherKey',
  ProbeNotRun: 'ProbeNotRun',
  ReceiverUnreachable: 'ReceiverUnreachable',
  AliasHoldsCertificate: 'AliasHoldsCertificate',
  AliasHoldsOtherCertificate: 'AliasHoldsOtherCertificate',
  AliasEmpty: 'AliasEmpty',
  AliasNotRead: 'AliasNotRead',
  IflowsInState: 'IflowsInState',
  IflowsNotInState: 'IflowsNotInState',
  IflowsNotRead: 'IflowsNotRead',
  MomentPassed: 'MomentPassed',
  MomentAhead: 'MomentAhead',
  FactMissing: 'FactMissing',
} as const;
export type GateReason = (typeof GateReason)[keyof typeof GateReason];

/** The verdict on one requirement. */
export interface RequirementResult {
  readonly requirement: GateRequirement;
  readonly holds: boolean;
  /**
   * The provider observed the fact itself and it is the opposite of what the requirement asks (the alias holds
   * another certificate, an iFlow still runs, the probe failed to decrypt). Unreachable systems are not contrary:
   * nothing was observed.
   */
  readonly contrary: boolean;
  readonly reason: GateReason;
  /** One line for people: what holds (the audit trail), or what is awaited and what was seen instead. */
  readonly message: string;
}

export interface GateDecision {
  /** The requirements hold (by the mode) and nothing the provider observed contradicts them. */
  readonly open: boolean;
  /** The stage's effect already holds or was superseded: re-applying it is a no-op, whatever `open` says. */
  readonly settled: boolean;
  /** One result per requirement, in the order of the requirements. */
  readonly results: readonly RequirementResult[];
  /** One result per settledBy requirement. */
  readonly settledResults: readonly RequirementResult[];
  /**
   * Results the provider observed itself that contradict what the gate waits for. A confirmation cannot overrule
   * them: it opens a gate only where the fact cannot be observed (the receiver or tenant could not be asked).
   */
  readonly contrary: readonly RequirementResult[];
}

type Verdict = Omit<RequirementResult, 'requirement'>;
const holds = (reason: GateReason, message: string): Verdict => ({ holds: true, contrary: false, reason, message });
const fails = (reason: GateReason, message: string, contrary = false): Verdict => ({
  holds: false,
  contrary,
  reason,
  message,
});

function confirmationText(c: CountedConfirmation): string {
  const signed = c.signedBy === undefined ? '' : `, signed with the SSH key ${c.signedBy}`;
  return `confirmation: ${c.party} (${c.person}) confirmed ${c.fingerprintSha256} at ${c.confirmedAt.toISOString()}${signed}`;
}

const newFingerprint = (facts: GateFacts) => facts.newCertificate?.fingerprintSha256;

function checkConfirmation(
  req: Extract<GateRequirement, { kind: 'confirmation' }>,
  facts: GateFacts,
  obs: GateObservations,
): Verdict {
  const fingerprint = newFingerprint(facts);
  if (!fingerprint)
    return fails(GateReason.FactMissing, `a confirmation by ${req.party}; the new certificate is not known`);
  const found = obs.confirmations?.valid.find(
    (c) => c.party === req.party && sameFingerprint(c.fingerprintSha256, fingerprint),
  );
  if (found) return holds(GateReason.ConfirmationFound, confirmationText(found));
  const refused = (obs.confirmations?.rejected ?? [])
    .filter((r) => r.confirmation.party === req.party)
    .map((r) => r.reason);
  const awaited = `a confirmation by ${req.party} for the certificate ${fingerprint}`;
  return refused.length > 0
    ? fails(GateReason.ConfirmationNotCounted, `${awaited}; found but not counted: ${refused.join('; ')}`)
    : fails(GateReason.ConfirmationMissing, `${awaited}; none found`);
}

function checkProbe(facts: GateFacts, obs: GateObservations): Verdict {
  const fingerprint = newFingerprint(facts);
  if (!fingerprint) return fails(GateReason.FactMissing, 'a probe of the receiver; the new certificate is not known');
  const probe = obs.probe;
  const awaited = `the receiver decrypts a probe encrypted for the certificate ${fingerprint}`;
  if (!probe) return fails(GateReason.ProbeNotRun, `${awaited}; the probe was not run`);
  if (probe.error)
    return fails(GateReason.ReceiverUnreachable, `${awaited}; the receiver could not be probed: ${probe.error}`);
  // A receiver that names the key it used must name the new one: decrypting with another key proves nothing.
  const rightKey = probe.keyFingerprintSha256 === undefined || sameFingerprint(probe.keyFingerprintSha256, fingerprint);
  if (probe.decrypted && rightKey)
    return holds(
      GateReason.ProbeDecrypted,
      `probe: the receiver decrypted a canary encrypted for ${fingerprint} (${probe.detail})`,
    );
  return probe.decrypted
    ? fails(
        GateReason.ProbeOtherKey,
        `${awaited}; it decrypted with the key of ${probe.keyFingerprintSha256} instead`,
        true,
      )
    : fails(GateReason.ProbeNotDecrypted, `${awaited}; it did not decrypt: ${probe.detail}`, true);
}

function checkTenantAlias(
  req: Extract<GateRequirement, { kind: 'tenant_alias' }>,
  facts: GateFacts,
  obs: GateObservations,
): Verdict {
  const fingerprint = req.certificate === 'new' ? newFingerprint(facts) : facts.oldFingerprintSha256;
  if (!facts.alias || !fingerprint)
    return fails(
      GateReason.FactMissing,
      `the tenant alias holds the ${req.certificate} certificate; the alias or that certificate is not known`,
    );
  const seen = obs.tenantAlias;
  const awaited = `the tenant alias "${facts.alias}" holds the certificate ${fingerprint}`;
  if (seen?.fingerprintSha256 !== undefined && sameFingerprint(seen.fingerprintSha256, fingerprint))
    return holds(GateReason.AliasHoldsCertificate, `tenant_alias: "${facts.alias}" holds ${fingerprint}`);
  if (!seen) return fails(GateReason.AliasNotRead, `${awaited}; the alias was not read`);
  if (seen.error) return fails(GateReason.AliasNotRead, `${awaited}; the tenant could not be read: ${seen.error}`);
  if (seen.fingerprintSha256 === undefined)
    return fails(GateReason.AliasEmpty, `${awaited}; the alias has no entry`, true);
  return fails(GateReason.AliasHoldsOtherCertificate, `${awaited}; it holds ${seen.fingerprintSha256}`, true);
}

function checkIflowState(
  req: Extract<GateRequirement, { kind: 'iflow_state' }>,
  facts: GateFacts,
  obs: GateObservations,
): Verdict {
  const iflowIds = facts.iflowIds ?? [];
  if (iflowIds.length === 0)
    return fails(GateReason.FactMissing, `every iFlow ${req.state}; the renewal names no iFlow`);
  const wrong: string[] = [];
  const unread: string[] = [];
  for (const id of iflowIds) {
    const seen = obs.iflows?.[id];
    if (!seen) unread.push(`"${id}" was not read`);
    else if (seen.error) unread.push(`"${id}" could not be read: ${seen.error}`);
    else if (req.state === 'undeployed' && seen.status !== undefined)
      wrong.push(`"${id}" is deployed (${seen.status})`);
    else if (req.state === 'started' && seen.status !== 'STARTED')
      wrong.push(`"${id}" is ${seen.status ?? 'undeployed'}`);
  }
  const ids = iflowIds.map((id) => `"${id}"`).join(', ');
  if (wrong.length === 0 && unread.length === 0)
    return holds(GateReason.IflowsInState, `iflow_state: ${ids} ${req.state}`);
  const message = `every iFlow (${ids}) ${req.state}; ${[...wrong, ...unread].join(', ')}`;
  return wrong.length > 0
    ? fails(GateReason.IflowsNotInState, message, true)
    : fails(GateReason.IflowsNotRead, message);
}

function checkNotBefore(req: Extract<GateRequirement, { kind: 'not_before' }>, facts: GateFacts, now: Date): Verdict {
  const moment = momentOf(req.moment, facts);
  if (!moment) return fails(GateReason.FactMissing, `the moment ${req.moment}; it is not known`);
  const at = moment.toISOString();
  if (now.getTime() >= moment.getTime())
    return holds(GateReason.MomentPassed, `not_before: ${at} has passed (checked at ${now.toISOString()})`);
  return fails(GateReason.MomentAhead, `the time ${at} (not_before); it is now ${now.toISOString()}`);
}

function check(req: GateRequirement, facts: GateFacts, obs: GateObservations, now: Date): Verdict {
  switch (req.kind) {
    case 'confirmation':
      return checkConfirmation(req, facts, obs);
    case 'probe':
      return checkProbe(facts, obs);
    case 'tenant_alias':
      return checkTenantAlias(req, facts, obs);
    case 'iflow_state':
      return checkIflowState(req, facts, obs);
    case 'not_before':
      return checkNotBefore(req, facts, now);
  }
}

/**
 * Decides whether the gate is open. not_before requirements must always hold; the others combine by `mode`. A gate
 * whose only requirements are not_before opens when they hold; a gate with no requirement at all never opens
 * (the resource refuses such a gate before it gets here).
 */
export function decideGate(
  gate: {
    readonly mode: GateMode;
    readonly requirements: readonly GateRequirement[];
    readonly settledBy?: readonly GateRequirement[];
  },
  facts: GateFacts,
  observations: GateObservations,
  now: Date,
): GateDecision {
  const judge = (requirement: GateRequirement): RequirementResult => ({
    requirement,
    ...check(requirement, facts, observations, now),
  });
  const results = gate.requirements.map(judge);
  const settledResults = (gate.settledBy ?? []).map(judge);
  const times = results.filter((r) => r.requirement.kind === 'not_before');
  const others = results.filter((r) => r.requirement.kind !== 'not_before');
  // Evidence beats confirmation: what the provider saw itself and contradicts the gate keeps it closed.
  const contrary = others.filter((r) => r.contrary);
  const rest =
    others.length === 0
      ? results.length > 0
      : gate.mode === 'all'
        ? others.every((r) => r.holds)
        : others.some((r) => r.holds) && contrary.length === 0;
  return {
    open: times.every((r) => r.holds) && rest,
    settled: settledResults.some((r) => r.holds),
    results,
    settledResults,
    contrary,
  };
}
