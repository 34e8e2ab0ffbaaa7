// The one safety rule of a renewal, as a pure decision (observations + clock in, verdict out):
//
//   While any iFlow that encrypts with the alias is deployed, the receiver holds an active key for the certificate
//   under the alias; and a key is never deleted within the retention period after it last was the one the alias
//   pointed to.
//
// Every resource that can break it (keystore certificate, receiver key, iFlow deployment) describes its change as an
// AliasChange, observes tenant and receiver (alias-observation.ts) and asks decideAliasChange at plan and again at
// apply. A change is refused when the state it leads to breaks the rule AND the change is what matters for it: an
// unrelated key may still be retired while the alias is already broken by drift.
import type { ErrorCode } from '../errors';

export interface ObservedKey {
  readonly name: string;
  /** The receiver's own state: only `active` keys decrypt. */
  readonly state: string;
  readonly fingerprintSha256: string;
}

export interface ObservedUser {
  readonly iflowId: string;
  readonly status: string;
}

/** What the provider saw of the alias, its users and the receiver. */
export interface AliasObservation {
  readonly alias: string;
  /** Fingerprint of the certificate under the alias now; undefined when the alias is absent. */
  readonly fingerprintSha256: string | undefined;
  /** Deployed iFlows (any runtime status) whose configuration names the alias. */
  readonly users: readonly ObservedUser[];
  /** The receiver's keys; undefined when no receiver was given, so the receiver side cannot be checked. */
  readonly receiverKeys: readonly ObservedKey[] | undefined;
}

export type AliasChange =
  /** The alias will hold this certificate (a create or an exchange). */
  | { readonly kind: 'exchange'; readonly toFingerprintSha256: string }
  /** The alias entry is deleted. */
  | { readonly kind: 'remove' }
  /** A receiver key stops decrypting (retired, or back to pending). */
  | { readonly kind: 'deactivate-key'; readonly keyName: string; readonly fingerprintSha256: string }
  /** A receiver key is deleted. `aliasLastHeldAt`: when the alias was last seen holding its certificate. */
  | {
      readonly kind: 'delete-key';
      readonly keyName: string;
      readonly fingerprintSha256: string;
      readonly aliasLastHeldAt: Date | undefined;
      readonly retentionDays: number;
      /** A recorded early destruction reason lifts the retention (not the rule about deployed iFlows). */
      readonly earlyDestructionReason: string | undefined;
    }
  /** An iFlow that uses the alias is deployed. */
  | { readonly kind: 'deploy'; readonly iflowId: string };

export type AliasVerdict =
  | { readonly ok: true; readonly unverified?: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

const DAY_MS = 86_400_000;

const describeUsers = (users: readonly ObservedUser[]): string =>
  users.map((u) => `"${u.iflowId}" (${u.status})`).join(', ');

const describeKeys = (keys: readonly ObservedKey[]): string =>
  keys.length === 0
    ? 'the receiver holds no keys'
    : `the receiver holds ${keys.map((k) => `"${k.name}" ${k.state} sha256=${k.fingerprintSha256}`).join('; ')}`;

/** Decides whether `change` keeps the rule, given what was observed and the clock. */
export function decideAliasChange(seen: AliasObservation, change: AliasChange, now: Date): AliasVerdict {
  const alias = `alias "${seen.alias}"`;
  const users =
    change.kind === 'deploy' && !seen.users.some((u) => u.iflowId === change.iflowId)
      ? [...seen.users, { iflowId: change.iflowId, status: 'to be deployed' }]
      : seen.users;
  const fingerprintAfter =
    change.kind === 'exchange'
      ? change.toFingerprintSha256
      : change.kind === 'remove'
        ? undefined
        : seen.fingerprintSha256;
  const pointsAtKey =
    (change.kind === 'deactivate-key' || change.kind === 'delete-key') &&
    seen.fingerprintSha256 === change.fingerprintSha256;

  if (change.kind === 'delete-key') {
    if (pointsAtKey && users.length > 0) {
      return {
        ok: false,
        code: 'CPI_RECEIVER_KEY_IN_USE',
        detail: `key "${change.keyName}" (sha256=${change.fingerprintSha256}) is the key of the certificate under ${alias}, which the deployed iFlows ${describeUsers(users)} encrypt for`,
      };
    }
    const early = change.earlyDestructionReason !== undefined && change.earlyDestructionReason.trim() !== '';
    const lastHeld = pointsAtKey ? now : change.aliasLastHeldAt;
    if (!early && lastHeld) {
      const until = new Date(lastHeld.getTime() + change.retentionDays * DAY_MS);
      if (now.getTime() < until.getTime()) {
        return {
          ok: false,
          code: 'CPI_RECEIVER_KEY_RETAINED',
          detail: `key "${change.keyName}" (sha256=${change.fingerprintSha256}) ${pointsAtKey ? `is the key of the certificate under ${alias} now` : `was last the key under ${alias} at ${lastHeld.toISOString()}`}; it is retained until ${until.toISOString()} (${change.retentionDays} days after that); now is ${now.toISOString()}`,
        };
      }
    }
    return { ok: true };
  }

  if (users.length === 0) return { ok: true };

  if (change.kind === 'remove') {
    return {
      ok: false,
      code: 'CPI_ALIAS_IN_USE',
      detail: `${alias} is used by the deployed iFlows ${describeUsers(users)}; deleting it would make them fail`,
    };
  }

  if (change.kind === 'deactivate-key' && !pointsAtKey) return { ok: true };
  if (fingerprintAfter === undefined) {
    return {
      ok: false,
      code: 'CPI_IFLOW_DEPLOY_UNSAFE',
      detail: `${alias} holds no certificate, so the deployed iFlows ${describeUsers(users)} cannot encrypt`,
    };
  }
  if (seen.receiverKeys === undefined) {
    return {
      ok: true,
      unverified: `no receiver is given, so the provider cannot check that the receiver holds an active key for sha256=${fingerprintAfter}, which the deployed iFlows ${describeUsers(users)} encrypt for through ${alias}`,
    };
  }
  const keysAfter = seen.receiverKeys.filter(
    (k) => !(change.kind === 'deactivate-key' && k.name === change.keyName) && k.fingerprintSha256 === fingerprintAfter,
  );
  if (keysAfter.some((k) => k.state === 'active')) return { ok: true };

  const keys = describeKeys(seen.receiverKeys);
  switch (change.kind) {
    case 'exchange':
      return {
        ok: false,
        code: 'CPI_ALIAS_EXCHANGE_UNSAFE',
        detail: `putting the certificate sha256=${fingerprintAfter} under ${alias} while the iFlows ${describeUsers(users)} are deployed needs an active receiver key for it; ${keys}`,
      };
    case 'deactivate-key':
      return {
        ok: false,
        code: 'CPI_RECEIVER_KEY_IN_USE',
        detail: `key "${change.keyName}" (sha256=${change.fingerprintSha256}) is the key of the certificate under ${alias}, which the deployed iFlows ${describeUsers(users)} encrypt for; no other active key has that certificate`,
      };
    case 'deploy':
      return {
        ok: false,
        code: 'CPI_IFLOW_DEPLOY_UNSAFE',
        detail: `${alias} holds the certificate sha256=${fingerprintAfter}, and the receiver has no active key for it (${keys}); deploying would send messages the receiver cannot decrypt`,
      };
  }
}
