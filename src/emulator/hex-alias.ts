// The tenant keys keystore entries by the hex of the UTF-8 alias, because it refuses slashes in URIs even when
// percent-encoded (docs/design/sap-api.md#hex-aliases). Requests may use either case; answers use upper case.
import { ODataError } from './odata';

/** Upper-case hex of the UTF-8 bytes of an alias, as the tenant answers it. */
export function hexAlias(alias: string): string {
  return Buffer.from(alias, 'utf8').toString('hex').toUpperCase();
}

/** The alias behind a hex key from a URL; odd length or non-hex answers 500 as the tenant does. */
export function aliasFromHex(hex: string): string {
  if (hex.length % 2 !== 0) throw new ODataError(500, `hexBinary needs to be even-length: ${hex}`);
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new ODataError(500, `'${hex}' is not a valid hexBinary value`);
  return Buffer.from(hex, 'hex').toString('utf8');
}

const SAP_RESERVED = new Set(['hcicertificate', 'hcicertificate1', 'hcimsgcertificate']);

/**
 * SAP owns these aliases; a tenant administrator cannot create, change or delete them
 * (docs/design/sap-api.md#sap-owned-aliases).
 */
export function isSapReservedAlias(alias: string): boolean {
  return SAP_RESERVED.has(alias) || alias.startsWith('sap_');
}
