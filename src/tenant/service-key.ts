// A BTP service key of a Process Integration Runtime instance (plan `api`) holds the tenant URL and OAuth2
// client credentials, either at the top level or under `oauth` (the form SAP's Piper reads). Users paste the
// whole JSON; we accept both forms and refuse anything that would only fail later at the first request.
import { CpiError } from '../errors';
import type { TenantConnection } from './connection';

function field(object: Record<string, unknown>, name: string): string | undefined {
  const value = object[name];
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

function checkUrl(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CpiError('CPI_TENANT_SERVICE_KEY_INVALID', `"${name}" is "${value}", which is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CpiError('CPI_TENANT_SERVICE_KEY_INVALID', `"${name}" is "${value}"; expected an https:// URL`);
  }
}

/**
 * Reads a service key JSON into a connection with OAuth2 client credentials. Throws
 * CPI_TENANT_SERVICE_KEY_INVALID naming the missing or bad field; the error never repeats the client secret.
 */
export function parseServiceKey(json: string): TenantConnection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    // the JSON parser's message can quote the input, which contains the secret: keep only the position
    const where = /position \d+/.exec(String((error as Error).message))?.[0];
    throw new CpiError('CPI_TENANT_SERVICE_KEY_INVALID', `the text is not JSON${where ? ` (error at ${where})` : ''}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CpiError(
      'CPI_TENANT_SERVICE_KEY_INVALID',
      'expected a JSON object with url, tokenurl, clientid, clientsecret',
    );
  }
  const top = parsed as Record<string, unknown>;
  const oauth = typeof top.oauth === 'object' && top.oauth !== null ? (top.oauth as Record<string, unknown>) : top;
  const url = field(oauth, 'url') ?? field(top, 'url');
  const tokenUrl = field(oauth, 'tokenurl');
  const clientId = field(oauth, 'clientid');
  const clientSecret = field(oauth, 'clientsecret');
  const missing = [
    ['url', url],
    ['tokenurl', tokenUrl],
    ['clientid', clientId],
    ['clientsecret', clientSecret],
  ]
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    const certificateKey = field(oauth, 'certificate') !== undefined || field(oauth, 'key') !== undefined;
    throw new CpiError(
      'CPI_TENANT_SERVICE_KEY_INVALID',
      `missing ${missing.map((name) => `"${name}"`).join(', ')}` +
        (certificateKey ? ' (this looks like a key of type Certificate; create one of type ClientId/Secret)' : '') +
        ` in ${oauth === top ? 'the top level' : 'the "oauth" object'} of the service key`,
    );
  }
  checkUrl('url', url!);
  checkUrl('tokenurl', tokenUrl!);
  return {
    tenantUrl: url!,
    auth: { kind: 'oauth2', tokenUrl: tokenUrl!, clientId: clientId!, clientSecret: clientSecret! },
  };
}
