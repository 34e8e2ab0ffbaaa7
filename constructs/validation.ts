// Property checks shared by the constructs. A value that is a token (known only at apply) cannot be checked at
// synth time and is passed through; Terraform and the provider check it later.
import { CpiError } from '../src/errors';
import { validateAlias } from '../src/provider/resources/alias';
import { Token } from './cdktf';

/** True when the value is a literal that synth can check (not a token). */
export function isLiteral(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

/** Throws CPI_CONSTRUCTS_PROPS_INVALID naming the construct, the property, the bad value and what was expected. */
export function invalidProp(construct: string, prop: string, value: unknown, expected: string): never {
  throw new CpiError(
    'CPI_CONSTRUCTS_PROPS_INVALID',
    `${construct}: ${prop} is ${JSON.stringify(value)}; expected ${expected}`,
  );
}

export function requireNonEmpty(construct: string, prop: string, value: string | undefined): string {
  if (value === undefined || (isLiteral(value) && value.trim() === ''))
    invalidProp(construct, prop, value ?? null, 'a non-empty string');
  return value;
}

export function requireOneOf<T extends string>(
  construct: string,
  prop: string,
  value: string,
  allowed: readonly T[],
): T {
  if (isLiteral(value) && !allowed.includes(value as T))
    invalidProp(construct, prop, value, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  return value as T;
}

export function requireInteger(construct: string, prop: string, value: number, min: number, max: number): number {
  if (isLiteral(value) && (!Number.isInteger(value) || value < min || value > max)) {
    invalidProp(construct, prop, value, `a whole number from ${min} to ${max}`);
  }
  return value;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 / RFC 3339 time with a zone, as Terraform's timeadd() and the gate's not_before expect. */
export function requireTime(construct: string, prop: string, value: string): string {
  if (isLiteral(value) && (!RFC3339.test(value) || Number.isNaN(Date.parse(value)))) {
    invalidProp(construct, prop, value, 'an RFC 3339 time with a zone, e.g. "2026-03-01T22:00:00Z"');
  }
  return value;
}

/** The provider's own alias rule (src/provider/resources/alias.ts), applied at synth so that synth fails before plan. */
export function requireAlias(construct: string, prop: string, value: string): string {
  if (!isLiteral(value)) return value;
  try {
    validateAlias(value, []);
  } catch (error) {
    if (error instanceof CpiError) throw new CpiError(error.code, `${construct}: ${prop}: ${error.detail}`);
    throw error;
  }
  return value;
}

export function requirePem(construct: string, prop: string, value: string): string {
  if (isLiteral(value) && !value.includes('-----BEGIN CERTIFICATE-----')) {
    invalidProp(
      construct,
      prop,
      value.length > 40 ? `${value.slice(0, 40)}…` : value,
      'one X.509 certificate in PEM form (-----BEGIN CERTIFICATE-----), or a token',
    );
  }
  return value;
}
