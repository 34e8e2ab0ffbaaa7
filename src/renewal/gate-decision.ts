// Whether a gate is open: a pure function of what the gate requires, what was observed and the clock. Collecting
// the observations (files, the receiver, the tenant) is evidence.ts's job; this file does no I/O, so every rule
// here is tested with a table and a fixed clock.
import type { Confirmation, ConfirmationVerdict } from './confirmation';
import type { EvidenceKind, Party } from './stages';

/** One piece of evidence a concrete gate requires, bound to this renewal's values. */
export type GateRequirement =
  /** This party committed a confirmation naming the certificate with this fingerprint. */
  | { readonly kind: 'confirmation'; readonly party: Party; readonly fingerprintSha256: string }
  /** The receiver decrypts a canary encrypted for the certificate with this fingerprint. */
  | { readonly kind: 'probe'; readonly fingerprintSha256: string }
  /** The tenant keystore alias holds the certificate with this fingerprint. */
  | { readonly kind: 'tenant_alias'; readonly alias: string; readonly fingerprintSha256: string }
  /** Every one of these iFlows is in this runtime state (undeployed: no runtime artifact at all). */
  | { readonly kind: 'iflow_state'; readonly iflowIds: readonly string[]; readonly state: 'undeployed' | 'started' }
  /** This moment has passed. Always ANDed, whatever the mode. */
  | { readonly kind: 'not_before'; readonly notBefore: Date };

export interface GateRequirements {
  /** `all`: every requirement must hold; `any`: one of them suffices. not_before must hold in both modes. */
  readonly mode: 'all' | 'any';
  readonly requirements: readonly GateRequirement[];
}

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
  /** By alias. */
  readonly tenantAliases?: Readonly<Record<string, TenantAliasObservation>>;
  /** By iFlow ID. */
  readonly iflows?: Readonly<Record<string, IflowObservation>>;
}

/** One piece of evidence that holds: the gate's audit trail. */
export interface EvidenceRecord {
  readonly kind: EvidenceKind;
  /** One line, e.g. `confirmation: receiver-admin (Jane Roe) confirmed AB:CD:… at 2026-03-01T10:00:00.000Z`. */
  readonly text: string;
}

export interface GateDecision {
  readonly open: boolean;
  /** Every requirement that holds, in the order of the requirements. */
  readonly satisfied: EvidenceRecord[];
  /** Every requirement that does not hold, each saying what is awaited and what was seen instead. */
  readonly missing: string[];
}

type Check =
  { readonly holds: true; readonly record: EvidenceRecord } | { readonly holds: false; readonly missing: string };

function confirmationText(c: Confirmation): string {
  return `confirmation: ${c.party} (${c.person}) confirmed ${c.fingerprintSha256} at ${c.confirmedAt.toISOString()}`;
}

function checkConfirmation(req: Extract<GateRequirement, { kind: 'confirmation' }>, obs: GateObservations): Check {
  const found = obs.confirmations?.valid.find(
    (c) => c.party === req.party && sameFingerprint(c.fingerprintSha256, req.fingerprintSha256),
  );
  if (found) return { holds: true, record: { kind: 'confirmation', text: confirmationText(found) } };
  const refused = (obs.confirmations?.rejected ?? [])
    .filter((r) => r.confirmation.party === req.party)
    .map((r) => r.reason);
  const seen = refused.length > 0 ? `; found but not counted: ${refused.join('; ')}` : '; none found';
  return {
    holds: false,
    missing: `a confirmation by ${req.party} for the certificate ${req.fingerprintSha256}${seen}`,
  };
}

function checkProbe(req: Extract<GateRequirement, { kind: 'probe' }>, obs: GateObservations): Check {
  const probe = obs.probe;
  const awaited = `the receiver decrypts a probe encrypted for the certificate ${req.fingerprintSha256}`;
  if (!probe) return { holds: false, missing: `${awaited}; the probe was not run` };
  if (probe.error) return { holds: false, missing: `${awaited}; the receiver could not be probed: ${probe.error}` };
  // A receiver that names the key it used must name the new one: decrypting with another key proves nothing.
  const rightKey =
    probe.keyFingerprintSha256 === undefined || sameFingerprint(probe.keyFingerprintSha256, req.fingerprintSha256);
  if (probe.decrypted && rightKey) {
    return {
      holds: true,
      record: {
        kind: 'probe',
        text: `probe: the receiver decrypted a canary encrypted for ${req.fingerprintSha256} (${probe.detail})`,
      },
    };
  }
  const why = probe.decrypted
    ? `it decrypted with the key of ${probe.keyFingerprintSha256} instead`
    : `it did not decrypt: ${probe.detail}`;
  return { holds: false, missing: `${awaited}; ${why}` };
}

function checkTenantAlias(req: Extract<GateRequirement, { kind: 'tenant_alias' }>, obs: GateObservations): Check {
  const seen = obs.tenantAliases?.[req.alias];
  const awaited = `the tenant alias "${req.alias}" holds the certificate ${req.fingerprintSha256}`;
  if (seen?.fingerprintSha256 !== undefined && sameFingerprint(seen.fingerprintSha256, req.fingerprintSha256)) {
    return {
      holds: true,
      record: { kind: 'tenant_alias', text: `tenant_alias: "${req.alias}" holds ${req.fingerprintSha256}` },
    };
  }
  const now = !seen
    ? 'the alias was not read'
    : seen.error
      ? `the tenant could not be read: ${seen.error}`
      : seen.fingerprintSha256 === undefined
        ? 'the alias has no entry'
        : `it holds ${seen.fingerprintSha256}`;
  return { holds: false, missing: `${awaited}; ${now}` };
}

function checkIflowState(req: Extract<GateRequirement, { kind: 'iflow_state' }>, obs: GateObservations): Check {
  const wrong: string[] = [];
  for (const id of req.iflowIds) {
    const seen = obs.iflows?.[id];
    if (!seen) wrong.push(`"${id}" was not read`);
    else if (seen.error) wrong.push(`"${id}" could not be read: ${seen.error}`);
    else if (req.state === 'undeployed' && seen.status !== undefined)
      wrong.push(`"${id}" is deployed (${seen.status})`);
    else if (req.state === 'started' && seen.status !== 'STARTED')
      wrong.push(`"${id}" is ${seen.status ?? 'undeployed'}`);
  }
  const ids = req.iflowIds.map((id) => `"${id}"`).join(', ');
  if (wrong.length === 0)
    return { holds: true, record: { kind: 'iflow_state', text: `iflow_state: ${ids} ${req.state}` } };
  return { holds: false, missing: `every iFlow (${ids}) ${req.state}; ${wrong.join(', ')}` };
}

function checkNotBefore(req: Extract<GateRequirement, { kind: 'not_before' }>, now: Date): Check {
  const at = req.notBefore.toISOString();
  if (now.getTime() >= req.notBefore.getTime()) {
    return {
      holds: true,
      record: { kind: 'not_before', text: `not_before: ${at} has passed (checked at ${now.toISOString()})` },
    };
  }
  return { holds: false, missing: `the time ${at} (not_before); it is now ${now.toISOString()}` };
}

function check(req: GateRequirement, obs: GateObservations, now: Date): Check {
  switch (req.kind) {
    case 'confirmation':
      return checkConfirmation(req, obs);
    case 'probe':
      return checkProbe(req, obs);
    case 'tenant_alias':
      return checkTenantAlias(req, obs);
    case 'iflow_state':
      return checkIflowState(req, obs);
    case 'not_before':
      return checkNotBefore(req, now);
  }
}

/**
 * Decides whether the gate is open. not_before requirements must always hold; the others combine by `mode`. A gate
 * whose only requirements are not_before opens when they hold; a gate with no requirement at all never opens
 * (the resource refuses such a gate before it gets here).
 */
export function decideGate(gate: GateRequirements, observations: GateObservations, now: Date): GateDecision {
  const satisfied: EvidenceRecord[] = [];
  const missing: string[] = [];
  let timesHold = true;
  let alternatives = 0;
  let alternativesHolding = 0;
  for (const req of gate.requirements) {
    const result = check(req, observations, now);
    if (result.holds) satisfied.push(result.record);
    else missing.push(result.missing);
    if (req.kind === 'not_before') timesHold &&= result.holds;
    else {
      alternatives += 1;
      if (result.holds) alternativesHolding += 1;
    }
  }
  const rest =
    alternatives === 0
      ? gate.requirements.length > 0
      : gate.mode === 'all'
        ? alternativesHolding === alternatives
        : alternativesHolding > 0;
  return { open: timesHold && rest, satisfied, missing };
}

/** Fingerprints compare without separators and case: `ab:cd` equals `ABCD`. */
export function sameFingerprint(a: string, b: string): boolean {
  return normalizeFingerprint(a) === normalizeFingerprint(b);
}

/** Colon-separated upper-case hex, as the tenant shows fingerprints. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[\s:]/g, '').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}
