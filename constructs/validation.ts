// Property checks shared by the constructs. A value that is a token (known only at apply) cannot be checked at
// synth time and is passed through; Terraform and the provider check it later.
import { CpiError } from '../src/errors';
import { validateAlias } from '../src/rules/alias';
import { checkReceiverSecretEnvName, secretBearingUrl } from '../src/rules/secret-routes';
import { isKeyName, KEY_NAME_RULE } from '../src/rules/receiver-key';
import { isRfc3339, RFC3339_EXAMPLE } from '../src/rules/time';
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

/** An RFC 3339 time with seconds and a zone (src/rules/time.ts), as Terraform's timeadd() and the provider read it. */
export function requireTime(construct: string, prop: string, value: string): string {
  if (isLiteral(value) && !isRfc3339(value)) {
    invalidProp(construct, prop, value, `an RFC 3339 time with seconds and a zone, e.g. "${RFC3339_EXAMPLE}"`);
  }
  return value;
}

/** Applies one of the provider's rules (src/rules) at synth, so that synth fails where plan would. */
function requireRule(
  construct: string,
  prop: string,
  value: string,
  rule: (value: string) => void,
  messageNamesProp = false,
): string {
  if (!isLiteral(value)) return value;
  try {
    rule(value);
  } catch (error) {
    const where = messageNamesProp ? construct : `${construct}: ${prop}`;
    if (error instanceof CpiError) throw new CpiError(error.code, `${where}: ${error.detail}`);
    throw error;
  }
  return value;
}

/** The keystore alias rule (src/rules/alias.ts). */
export function requireAlias(construct: string, prop: string, value: string): string {
  return requireRule(construct, prop, value, (v) => validateAlias(v, []));
}

/** The receiver secret variable rule (src/rules/secret-routes.ts): names start with CPI_RECEIVER_. */
export function requireReceiverSecretEnvName(construct: string, prop: string, value: string): string {
  return requireRule(construct, prop, value, (v) => checkReceiverSecretEnvName(v, [prop]), true);
}

/** The rule for URLs that receive secrets (src/rules/secret-routes.ts): https, plain http only to loopback. */
export function requireSecretBearingUrl(construct: string, prop: string, value: string): string {
  return requireRule(construct, prop, value, (v) => void secretBearingUrl(v, prop, [prop]), true);
}

/** The receiver key name rule (src/rules/receiver-key.ts). */
export function requireKeyName(construct: string, prop: string, value: string): string {
  requireNonEmpty(construct, prop, value);
  if (isLiteral(value) && !isKeyName(value)) invalidProp(construct, prop, value, KEY_NAME_RULE);
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
