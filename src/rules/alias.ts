// What a keystore alias must be before anything is sent to the tenant; constructs check it at synth, the provider
// at validate and plan, the tenant client before a write.
import { CpiError } from '../errors';

/** Longest alias the tenant stores (`KeystoreEntry.Alias` is String(250) in SAP's API definition). */
export const MAX_ALIAS_LENGTH = 250;

/** Aliases SAP owns: the tenant answers 403 to any change of them, so we refuse before sending. */
export function isSapOwnedAlias(alias: string): boolean {
  return alias.startsWith('sap_') || ['hcicertificate', 'hcicertificate1', 'hcimsgcertificate'].includes(alias);
}

/** Throws CPI_ALIAS_INVALID (or CPI_TENANT_ALIAS_RESERVED) saying what is wrong with the alias. */
export function validateAlias(alias: string, attribute: readonly (string | number)[]): void {
  if (alias.trim() === '') throw new CpiError('CPI_ALIAS_INVALID', 'the alias is empty', attribute);
  if (alias.length > MAX_ALIAS_LENGTH) {
    throw new CpiError(
      'CPI_ALIAS_INVALID',
      `the alias has ${alias.length} characters; the tenant allows at most ${MAX_ALIAS_LENGTH}`,
      attribute,
    );
  }
  const illegal =
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
    /[\u0000-\u001f\u007f/\\]/.exec(alias) ?? (alias !== alias.trim() ? [' (leading or trailing space)'] : null);
  if (illegal) {
    throw new CpiError(
      'CPI_ALIAS_INVALID',
      `the alias "${alias}" contains the illegal character ${JSON.stringify(illegal[0])}`,
      attribute,
    );
  }
  if (alias !== alias.toLowerCase()) {
    // The tenant keystore is a Java keystore whose aliases are case-insensitive and stored in lower case.
    throw new CpiError(
      'CPI_ALIAS_INVALID',
      `the alias "${alias}" has upper-case letters; write it as "${alias.toLowerCase()}"`,
      attribute,
    );
  }
  if (isSapOwnedAlias(alias)) {
    throw new CpiError('CPI_TENANT_ALIAS_RESERVED', `the alias "${alias}" is reserved for SAP's own keys`, attribute);
  }
}
