// Receiver key names are PKCS#12 aliases. Java lower-cases PKCS#12 aliases when it lists them, so a name with
// upper case would come back different from what Terraform stored; such names are refused instead.
import { CpiError } from '../errors';

const KEY_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Throws CPI_RECEIVER_KEY_NAME_INVALID unless `name` is a valid receiver key name. */
export function validateKeyName(name: string, attribute: readonly (string | number)[] = ['key_name']): void {
  if (typeof name !== 'string' || !KEY_NAME.test(name)) {
    throw new CpiError(
      'CPI_RECEIVER_KEY_NAME_INVALID',
      `key name ${JSON.stringify(name)} is not 1-64 characters of a-z, 0-9, ".", "_", "-" starting with a letter or digit`,
      attribute,
    );
  }
}
