// The retention rule of every renewal (docs/design/domain-rules.md#retention): a retired key is kept for at least 90
// days after its retirement, so that messages sent for the old certificate can still be decrypted. Pure functions of
// the key's dates and a clock, shared by both backends and the provider's plan-time checks.
import { CpiError } from '../errors';
import { MIN_RETENTION_DAYS, minimumRetainUntil } from '../rules/retention';
import type { ReceiverKeyState } from './receiver-backend';

export { MIN_RETENTION_DAYS, minimumRetainUntil };

/** retainUntil for a retirement: the requested one if it is at least 90 days after retiredAt, else an error. */
export function retainUntilFor(
  retiredAt: Date,
  requested: Date | undefined,
  attribute: readonly (string | number)[] = ['retain_until'],
): Date {
  const minimum = minimumRetainUntil(retiredAt);
  if (requested === undefined) return minimum;
  if (Number.isNaN(requested.getTime())) {
    throw new CpiError('CPI_VALUE_INVALID', 'retain_until is not a valid RFC 3339 time', attribute);
  }
  if (requested.getTime() < minimum.getTime()) {
    throw new CpiError(
      'CPI_RECEIVER_RETENTION_TOO_SHORT',
      `retain_until ${requested.toISOString()} is before ${minimum.toISOString()}, ${MIN_RETENTION_DAYS} days after the key was retired at ${retiredAt.toISOString()}`,
      attribute,
    );
  }
  return requested;
}

export interface DeletionCheck {
  readonly name: string;
  readonly state: ReceiverKeyState;
  readonly retainUntil?: Date;
  readonly now: Date;
  readonly earlyDestructionReason?: string;
}

/**
 * Throws CPI_RECEIVER_KEY_RETAINED unless the key may be deleted: retired with its retention over, or an early
 * destruction reason given. An active key is in use (the receiver decrypts with it), so it is retained too.
 */
export function checkDeletable(check: DeletionCheck): void {
  if (check.earlyDestructionReason !== undefined && check.earlyDestructionReason.trim() !== '') return;
  if (check.state === 'active') {
    throw new CpiError(
      'CPI_RECEIVER_KEY_RETAINED',
      `key "${check.name}" is active: the receiver decrypts with it; retire it first (retention then runs ${MIN_RETENTION_DAYS} days), or give an early destruction reason`,
    );
  }
  if (check.retainUntil !== undefined && check.now.getTime() < check.retainUntil.getTime()) {
    throw new CpiError(
      'CPI_RECEIVER_KEY_RETAINED',
      `key "${check.name}" is retained until ${check.retainUntil.toISOString()}; now is ${check.now.toISOString()}`,
    );
  }
}
