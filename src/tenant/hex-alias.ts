// Keystore entries are addressed by `Hexalias`: the alias as UTF-8 bytes in hex. SAP chose this because the
// tenant refuses slashes and backslashes in a URI even when percent-encoded. The tenant answers in upper case
// and accepts either case, so we always send upper case and compare case-insensitively.
import { CpiError } from '../errors';
import { MAX_ALIAS_LENGTH } from '../rules/alias';

/** The upper-case hex alias of a keystore alias, e.g. `my alias` → `6D7920616C696173`. */
export function toHexAlias(alias: string): string {
  if (alias.length === 0 || alias.length > MAX_ALIAS_LENGTH) {
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `keystore alias "${alias}" has ${alias.length} characters; expected 1 to ${MAX_ALIAS_LENGTH}`,
      ['alias'],
    );
  }
  return Buffer.from(alias, 'utf8').toString('hex').toUpperCase();
}

/** The alias behind a hex alias in either case; throws on anything that is not even-length hex. */
export function fromHexAlias(hexAlias: string): string {
  if (!isHexAlias(hexAlias)) {
    throw new CpiError('CPI_VALUE_INVALID', `hex alias "${hexAlias}" is not an even-length string of hex digits`, [
      'hex_alias',
    ]);
  }
  return Buffer.from(hexAlias, 'hex').toString('utf8');
}

/** Whether a string is a well-formed hex alias (either case). */
export function isHexAlias(value: string): boolean {
  return value.length > 0 && value.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(value);
}

/** The canonical (upper-case) form of a hex alias the tenant or a user gave in either case. */
export function normalizeHexAlias(hexAlias: string): string {
  fromHexAlias(hexAlias); // validates
  return hexAlias.toUpperCase();
}
