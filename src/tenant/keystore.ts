// Keystore entries of the Security Content API: list (all pages), get, import or exchange a certificate under an
// alias (`PUT CertificateResources('<hex>')/$value`), delete, and back up the tenant-owned entries.
import { CpiError } from '../errors';
import { isSapOwnedAlias } from '../rules/alias';
import { parseFingerprint } from '../rules/fingerprint';
import { fromHexAlias, isHexAlias, toHexAlias } from './hex-alias';
import type { TenantHttp, TenantRequest, TenantResponse } from './http';
import { collectAll } from './paging';
import { collectionOf, entityOf, errorMessageOf, optionalNumber, optionalString, parseODataDate } from './odata';

/** One entry of the tenant keystore, with the tenant's fields in TypeScript form (dates as Date). */
export interface KeystoreEntry {
  alias: string;
  /** Upper-case hex of the alias, the entry's key in the API. */
  hexAlias: string;
  /** RSA, DSA or EC. */
  keyType?: string;
  keySize?: number;
  validNotBefore?: Date;
  /** The expiry. */
  validNotAfter?: Date;
  /** Hex with a `0x` prefix, as the tenant writes it, e.g. `0x11F11`. */
  serialNumber?: string;
  signatureAlgorithm?: string;
  subjectDn?: string;
  issuerDn?: string;
  /** Colon-separated upper-case hex, e.g. `84:2D:B8:…`. */
  fingerprintSha1?: string;
  fingerprintSha256?: string;
  fingerprintSha512?: string;
  /** `Certificate` or `Key Pair` (with a space). */
  type?: string;
  /** `Tenant Administrator` or `SAP`. */
  owner?: string;
  lastModifiedTime?: Date;
  lastModifiedBy?: string;
  createdTime?: Date;
  createdBy?: string;
  /** Null on valid entries; `notTrusted` in a 409 answer. */
  validity?: string;
  /** X.509 version, usually 3. */
  version?: number;
  ellipticCurve?: string;
  /** Result of an import/backup: unchanged, changed, new, removed, `notImported: …`. */
  status?: string;
  /** PEM of the certificate; only filled when asked for (one more request). */
  certificatePem?: string;
}

/** Options every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

const READ_ROLE = 'MonitoringDataRead';
const EDIT_ROLE = 'SecurityMaterialEdit';

/** Maps a raw `KeystoreEntry` entity; undefined when it has neither Alias nor a readable Hexalias. */
export function toKeystoreEntry(raw: Record<string, unknown>): KeystoreEntry | undefined {
  const rawHex = optionalString(raw.Hexalias);
  const hexValid = rawHex !== undefined && isHexAlias(rawHex);
  const alias = optionalString(raw.Alias) ?? (hexValid ? fromHexAlias(rawHex) : undefined);
  if (alias === undefined) return undefined;
  const entry: KeystoreEntry = {
    alias,
    hexAlias: hexValid ? rawHex.toUpperCase() : Buffer.from(alias, 'utf8').toString('hex').toUpperCase(),
    keyType: optionalString(raw.KeyType),
    keySize: optionalNumber(raw.KeySize),
    validNotBefore: parseODataDate(raw.ValidNotBefore),
    validNotAfter: parseODataDate(raw.ValidNotAfter),
    serialNumber: optionalString(raw.SerialNumber),
    signatureAlgorithm: optionalString(raw.SignatureAlgorithm),
    subjectDn: optionalString(raw.SubjectDN),
    issuerDn: optionalString(raw.IssuerDN),
    fingerprintSha1: parseFingerprint(raw.FingerprintSha1),
    fingerprintSha256: parseFingerprint(raw.FingerprintSha256),
    fingerprintSha512: parseFingerprint(raw.FingerprintSha512),
    type: optionalString(raw.Type),
    owner: optionalString(raw.Owner),
    lastModifiedTime: parseODataDate(raw.LastModifiedTime),
    lastModifiedBy: optionalString(raw.LastModifiedBy),
    createdTime: parseODataDate(raw.CreatedTime),
    createdBy: optionalString(raw.CreatedBy),
    validity: optionalString(raw.Validity),
    version: optionalNumber(raw.Version),
    ellipticCurve: optionalString(raw.EllipticCurve),
    status: optionalString(raw.Status),
  };
  // undefined fields are dropped so that entries compare and print cleanly
  for (const key of Object.keys(entry) as (keyof KeystoreEntry)[]) if (entry[key] === undefined) delete entry[key];
  return entry;
}

function entryPath(alias: string): string {
  return `/KeystoreEntries('${toHexAlias(alias)}')`;
}

/** Every entry of the tenant keystore (`system`), all pages. */
export function listKeystoreEntries(http: TenantHttp, options: CallOptions = {}): Promise<KeystoreEntry[]> {
  return collectAll(
    http,
    {
      method: 'GET',
      path: '/KeystoreEntries',
      query: { keystoreName: 'system' },
      retry: 'idempotent',
      role: READ_ROLE,
      subject: 'keystore listing',
      signal: options.signal,
    },
    { map: toKeystoreEntry, key: (entry) => entry.hexAlias, nextQuery: (count) => ({ $skiptoken: String(count) }) },
  );
}

/** The entry under an alias, or undefined when the keystore has none. */
export async function getKeystoreEntry(
  http: TenantHttp,
  alias: string,
  options: CallOptions & { withCertificate?: boolean } = {},
): Promise<KeystoreEntry | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: entryPath(alias),
    query: { keystoreName: 'system' },
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `keystore alias "${alias}"`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  const raw = entityOf(http.json(request, response));
  const entry = raw && toKeystoreEntry(raw);
  if (!entry) http.fail(request, response, 'expected a keystore entry {"d":{"Hexalias":…,"Alias":…}}');
  if (options.withCertificate) {
    const pem = await getCertificatePem(http, alias, options);
    if (pem !== undefined) entry.certificatePem = pem;
  }
  return entry;
}

/** The PEM certificate under an alias (for a key pair: its public-key certificate), or undefined when absent. */
export async function getCertificatePem(
  http: TenantHttp,
  alias: string,
  options: CallOptions = {},
): Promise<string | undefined> {
  const request: TenantRequest = {
    method: 'GET',
    path: `${entryPath(alias)}/Certificate/$value`,
    query: { keystoreName: 'system', rootCA: 'false' },
    // SAP's definition marks Content-Type as required even on this GET; sent as declared
    headers: { Accept: 'application/pkix-cert, */*', 'Content-Type': 'application/pkix-cert' },
    retry: 'idempotent',
    role: READ_ROLE,
    subject: `keystore alias "${alias}"`,
    accept: [404],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 404) return undefined;
  const text = response.text.trim();
  if (text.includes('-----BEGIN CERTIFICATE-----')) return `${text}\n`;
  const base64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(base64)) http.fail(request, response, 'expected a PEM or base64 certificate');
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The request body for CertificateResources: base64 DER without PEM header/footer, the form SAP's API definition
 * documents (PEM with headers also works on tenants, but the documented form is the contract).
 */
export function certificateBody(certificatePem: string): { base64: string; der: Buffer } {
  const block = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(certificatePem);
  const base64 = (block ? block[1]! : certificatePem).replace(/\s+/g, '');
  const der = /^[A-Za-z0-9+/]+=*$/.test(base64) ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  if (der.length < 16 || der[0] !== 0x30) {
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `certificate is not a PEM "-----BEGIN CERTIFICATE-----" block nor base64 DER (got ${certificatePem.length} characters starting "${certificatePem.slice(0, 30).replace(/\s+/g, ' ')}")`,
      ['certificate_pem'],
    );
  }
  return { base64: der.toString('base64'), der };
}

function refuseSapAlias(alias: string, what: string): void {
  if (isSapOwnedAlias(alias)) {
    throw new CpiError(
      'CPI_TENANT_ALIAS_RESERVED',
      `refusing to ${what} keystore alias "${alias}": it belongs to SAP`,
      ['alias'],
    );
  }
}

/**
 * Imports a certificate under a new alias (`update: false`) or exchanges the certificate under an existing alias,
 * keeping the alias (`update: true`). Returns the entry as the tenant stores it afterwards.
 * `fingerprintVerified: true` tells the tenant the fingerprint was checked out of band, so it accepts a certificate
 * without a trust path (self-signed receiver certificates); without it such a certificate fails with 409.
 */
export async function putCertificate(
  http: TenantHttp,
  alias: string,
  certificatePem: string,
  options: CallOptions & { update: boolean; fingerprintVerified?: boolean },
): Promise<KeystoreEntry> {
  refuseSapAlias(alias, options.update ? 'exchange the certificate of' : 'import a certificate under');
  const { base64, der } = certificateBody(certificatePem);
  const verified = options.fingerprintVerified ?? false;
  const subject = `keystore alias "${alias}"`;
  const request: TenantRequest = {
    method: 'PUT',
    path: `/CertificateResources('${toHexAlias(alias)}')/$value`,
    // the answer lists the entries (with ours) as the tenant stores them now: no second request to read it back
    query: { fingerprintVerified: String(verified), returnKeystoreEntries: 'true', update: String(options.update) },
    headers: { 'Content-Type': 'application/pkix-cert' },
    body: base64,
    retry: options.update ? 'idempotent' : 'create',
    role: EDIT_ROLE,
    subject,
    accept: [400, 409],
    signal: options.signal,
    // a create whose answer was lost: done if the alias now holds our certificate, a conflict if it holds another
    onAmbiguous: async () => {
      const existing = await getKeystoreEntry(http, alias, options);
      if (!existing) return undefined;
      const ours = await sha256Fingerprint(der);
      if (existing.fingerprintSha256 === ours) return { status: 204, headers: new Headers(), text: '' };
      return { status: 400, headers: new Headers(), text: `Keystore entry with alias "${alias}" already exists` };
    },
  };
  const response = await http.request(request);
  if (response.status === 400) throw putCertificateRejection(http, request, response, alias, options.update);
  if (response.status === 409) {
    throw http.error(
      'CPI_TENANT_CERTIFICATE_UNTRUSTED',
      `${http.describe(request)} (${subject}): HTTP 409` +
        (verified ? '' : ' with fingerprintVerified=false') +
        `: ${tenantMessage(response) || 'no trust path to the certificate'}`,
    );
  }
  const entry = entryInAnswer(response, alias) ?? (await getKeystoreEntry(http, alias, options));
  if (!entry) {
    throw http.error(
      'CPI_TENANT_UNEXPECTED_RESPONSE',
      `${http.describe(request)} (${subject}) answered HTTP ${response.status}, but the alias is not in the keystore afterwards`,
    );
  }
  return entry;
}

/** Our entry from an answer with `returnKeystoreEntries=true`; undefined when the answer does not list it. */
function entryInAnswer(response: TenantResponse, alias: string): KeystoreEntry | undefined {
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return undefined;
  }
  const hexAlias = toHexAlias(alias).toUpperCase();
  return collectionOf(body)
    ?.results.map(toKeystoreEntry)
    .find((entry) => entry?.hexAlias.toUpperCase() === hexAlias);
}

function tenantMessage(response: TenantResponse): string {
  return errorMessageOf(response.text);
}

function putCertificateRejection(
  http: TenantHttp,
  request: TenantRequest,
  response: TenantResponse,
  alias: string,
  update: boolean,
): CpiError {
  const message = tenantMessage(response);
  const detail = `${http.describe(request)} (keystore alias "${alias}"): HTTP 400: ${message || 'no message'}`;
  if (!update && /already exist/i.test(message)) return http.error('CPI_TENANT_ALIAS_EXISTS', detail);
  if (update && /not (be )?found|does not exist|doesn't exist|not exist/i.test(message))
    return http.error('CPI_TENANT_NOT_FOUND', detail);
  return http.error('CPI_TENANT_REQUEST_REJECTED', detail);
}

async function sha256Fingerprint(der: Buffer): Promise<string | undefined> {
  try {
    const { X509Certificate } = await import('node:crypto');
    return new X509Certificate(der).fingerprint256;
  } catch {
    return undefined; // not parseable here: treat as "someone else's" and let the user decide
  }
}

/**
 * Deletes the entry under an alias; an absent alias is success. Uses the documented per-entry DELETE; when the
 * tenant does not support it (405/501, or 404 while the entry is still listed) it falls back to the mass-delete
 * form `PUT KeystoreResources('system')?deleteEntries=true` with a one-alias list, which a community provider
 * uses on live tenants.
 */
export async function deleteKeystoreEntry(http: TenantHttp, alias: string, options: CallOptions = {}): Promise<void> {
  refuseSapAlias(alias, 'delete');
  const request: TenantRequest = {
    method: 'DELETE',
    path: entryPath(alias),
    query: { returnKeystoreEntries: 'false' },
    retry: 'idempotent',
    role: EDIT_ROLE,
    subject: `keystore alias "${alias}"`,
    accept: [404, 405, 501],
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status < 300) return;
  if (response.status === 404 && (await getKeystoreEntry(http, alias, options)) === undefined) return;
  const mass: TenantRequest = {
    method: 'PUT',
    path: "/KeystoreResources('system')",
    query: { deleteEntries: 'true', returnKeystoreEntries: 'false' },
    headers: { 'Content-Type': 'application/json' },
    // the list separator is ';' and the escape character '\', so both are escaped inside an alias
    body: JSON.stringify({ Aliases: alias.replace(/[\\;]/g, (c) => `\\${c}`) }),
    retry: 'idempotent',
    role: EDIT_ROLE,
    subject: `keystore alias "${alias}"`,
    signal: options.signal,
  };
  await http.request(mass);
}

/**
 * Backs up the tenant-owned entries into `backup_admin_system` (one slot: it overwrites the previous backup).
 * Returns the entries the tenant reports as backed up.
 */
export async function backupKeystore(http: TenantHttp, options: CallOptions = {}): Promise<KeystoreEntry[]> {
  const request: TenantRequest = {
    method: 'POST',
    path: '/KeystoreResources',
    query: { returnKeystoreEntries: 'true' },
    headers: { 'Content-Type': 'application/json;charset=utf-8' },
    body: JSON.stringify({ Name: 'backup_admin_system' }),
    retry: 'idempotent',
    role: EDIT_ROLE,
    subject: 'keystore backup',
    signal: options.signal,
  };
  const response = await http.request(request);
  if (response.status === 204 || response.text.trim() === '') return [];
  const collection = collectionOf(http.json(request, response));
  if (!collection) http.fail(request, response, 'expected the backed-up entries {"d":{"results":[…]}}');
  return collection.results.map(toKeystoreEntry).filter((entry): entry is KeystoreEntry => entry !== undefined);
}
