// Where secrets may go. A URL that receives a password, client secret or token must be https://, or plain http to
// this machine's loopback (the emulators); environment variables named in configuration may be read as receiver
// secrets only under a documented prefix, so that a change that is only planned cannot send e.g. CPI_PASSWORD to
// an address of its choice.
import { CpiError } from '../errors';

/** Environment variables named by receiver.admin_token_env / receiver.password_env must start with this. */
export const RECEIVER_SECRET_ENV_PREFIX = 'CPI_RECEIVER_';

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Returns `value` as a URL when it may carry secrets: absolute, https:// (http:// only to loopback), without
 * user info. `what` names it in messages ("tenant URL", "token URL (tokenurl)"); `attribute` is the config path.
 */
export function secretBearingUrl(value: string, what: string, attribute: readonly (string | number)[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CpiError('CPI_VALUE_INVALID', `${what} "${value}" is not an absolute URL; expected https://<host>`, [
      ...attribute,
    ]);
  }
  const loopback = LOOPBACK_HOSTNAMES.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new CpiError(
      'CPI_URL_NOT_HTTPS',
      `${what} "${url.origin}" must use https:// (plain http only to localhost, 127.0.0.1 or [::1]): credentials would travel in clear`,
      [...attribute],
    );
  }
  if (url.username || url.password) {
    throw new CpiError('CPI_VALUE_INVALID', `${what} must not contain user info; put credentials where documented`, [
      ...attribute,
    ]);
  }
  return url;
}

/** Throws CPI_SECRET_ENV_NAME_INVALID unless `name` is a receiver secret variable (prefix CPI_RECEIVER_). */
export function checkReceiverSecretEnvName(name: string, attribute: readonly (string | number)[]): void {
  if (!name.startsWith(RECEIVER_SECRET_ENV_PREFIX) || !/^[A-Z0-9_]+$/.test(name)) {
    throw new CpiError(
      'CPI_SECRET_ENV_NAME_INVALID',
      `${attribute.join('.')} is ${JSON.stringify(name)}; receiver secrets are read only from environment variables named ${RECEIVER_SECRET_ENV_PREFIX}<A-Z, 0-9, _>`,
      [...attribute],
    );
  }
}
