// When a certificate is due for renewal: the one rule the scan, its report and `propose` apply. cert-manager's
// default is the last third of the validity; an operator may give a fixed number of days instead.
import { CpiError } from '../errors';

export const DAY_MS = 86_400_000;

/** The renew-before window: a fixed number of days, or the last third of each certificate's validity. */
export type RenewBefore = { readonly kind: 'last-third' } | { readonly kind: 'days'; readonly days: number };

export const LAST_THIRD: RenewBefore = { kind: 'last-third' };

/** Where a certificate stands: valid and not yet due, inside the window, or past its not-after. */
export type ExpiryStatus = 'ok' | 'due' | 'expired';

/** Reads `30d` (whole days; `0d` flags only expired certificates). */
export function parseRenewBefore(text: string): RenewBefore {
  const match = /^(\d{1,5})d$/.exec(text.trim());
  if (!match) {
    throw new CpiError(
      'CPI_SCAN_RENEW_BEFORE_INVALID',
      `renew-before "${text}" is not a number of days like "30d"; give e.g. --renew-before 30d, or leave it out for the last third of the validity`,
    );
  }
  return { kind: 'days', days: Number(match[1]) };
}

export function describeRenewBefore(window: RenewBefore): string {
  return window.kind === 'days' ? `${window.days}d` : 'last third of the validity';
}

/** The moment from which the certificate is due. */
export function renewFrom(notBefore: Date, notAfter: Date, window: RenewBefore): Date {
  const span = window.kind === 'days' ? window.days * DAY_MS : (notAfter.getTime() - notBefore.getTime()) / 3;
  return new Date(notAfter.getTime() - span);
}

/** Days until the not-after, to the nearest whole day; negative once expired (−2: expired two days ago). */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.round((notAfter.getTime() - now.getTime()) / DAY_MS);
}

export function expiryStatus(notBefore: Date, notAfter: Date, window: RenewBefore, now: Date): ExpiryStatus {
  if (notAfter.getTime() <= now.getTime()) return 'expired';
  return now.getTime() >= renewFrom(notBefore, notAfter, window).getTime() ? 'due' : 'ok';
}
