// Security Content API: keystore entries (list, read, certificate download, delete), certificate import and
// exchange through CertificateResources, backup / restore / mass delete through KeystoreResources
// (docs/design/sap-api.md#security-content). Also the keystore and its size. docs/emulator.md lists what is served
// and what is decided where SAP is silent.
import { X509Certificate } from 'node:crypto';
import { flag, jsonBody, type ApiRequest, type ApiResponse, type ApiRoute } from './api-route';
import { keystoreEntryFacts, isIssuedBy, parseCertificateUpload } from './certificate-facts';
import { aliasFromHex, hexAlias, isSapReservedAlias } from './hex-alias';
import { jceksKeystore } from './jceks-export';
import { generateSelfSignedKeyPair } from './key-material';
import { readKeyPairUpload } from './key-pair-upload';
import { collectionEnvelope, entityEnvelope, ODataError, odataDate, type ODataRecord } from './odata';
import type { KeystoreName, StoredKeystoreEntry, TenantStore } from './tenant-store';

/** Largest certificate upload the tenant accepts (S2 413 text). */
export const MAX_CERTIFICATE_BYTES = 10 * 1024;

const KEYSTORES: readonly KeystoreName[] = ['system', 'backup_admin_system', 'KeyRenewal'];

/** The wire form of a keystore entry (KeystoreEntry). */
export function keystoreEntryRecord(entry: StoredKeystoreEntry, status: string | null = null): ODataRecord {
  const facts = keystoreEntryFacts(entry.certificatePem);
  return {
    Hexalias: hexAlias(entry.alias),
    Alias: entry.alias,
    KeyType: facts.keyType,
    KeySize: facts.keySize,
    ValidNotBefore: odataDate(facts.validNotBefore),
    ValidNotAfter: odataDate(facts.validNotAfter),
    SerialNumber: facts.serialNumber,
    SignatureAlgorithm: facts.signatureAlgorithm,
    EllipticCurve: facts.ellipticCurve,
    Validity: null,
    SubjectDN: facts.subjectDN,
    IssuerDN: facts.issuerDN,
    Version: facts.version,
    FingerprintSha1: facts.fingerprintSha1,
    FingerprintSha256: facts.fingerprintSha256,
    FingerprintSha512: facts.fingerprintSha512,
    Type: entry.type,
    Owner: entry.owner,
    LastModifiedBy: entry.lastModifiedBy,
    LastModifiedTime: odataDate(entry.lastModifiedTime),
    CreatedBy: entry.createdBy,
    CreatedTime: odataDate(entry.createdTime),
    Status: status,
  };
}

function sortedEntries(entries: Record<string, StoredKeystoreEntry>): StoredKeystoreEntry[] {
  return Object.values(entries).sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
}

function keystoreName(query: URLSearchParams): KeystoreName {
  const name = query.get('keystoreName') ?? 'system';
  if (!(KEYSTORES as readonly string[]).includes(name)) {
    throw new ODataError(400, `Invalid keystoreName "${name}"; expected one of ${KEYSTORES.join(', ')}`);
  }
  return name as KeystoreName;
}

/**
 * The definition requires `Content-Type: application/pkix-cert` on a certificate upload and documents 415 for a
 * wrong format. Decided (UNCONFIRMED, docs/emulator.md): another media type is refused with 415, as SAP's
 * CertificateChainResources tells formats apart by Content-Type; a request without one is judged by its body,
 * as SAP documents "no Content-Type" for a PEM chain.
 */
function assertCertificateMediaType(request: ApiRequest): void {
  const header = request.headers['content-type'];
  const value = (Array.isArray(header) ? header[0] : header)?.split(';')[0]!.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'application/pkix-cert') return;
  throw new ODataError(
    415,
    `Unsupported media type "${value}" for a certificate upload; send Content-Type: application/pkix-cert with the certificate as DER, base64-encoded DER or PEM`,
  );
}

function reservedAliasError(alias: string): ODataError {
  return new ODataError(
    403,
    alias.startsWith('sap_')
      ? `The alias "${alias}" is not allowed. Aliases starting with 'sap_' are reserved for SAP.`
      : `The alias "${alias}" is not allowed. The alias '${alias}' is reserved for SAP.`,
  );
}

function notFound(alias: string): ODataError {
  return new ODataError(404, `Alias '${alias}' not found in the keystore`);
}

function assertUnlocked(locked: () => boolean): void {
  if (locked()) throw new ODataError(503, 'Service unavailable - keystore is locked by another user');
}

function allEntries(store: TenantStore, name: KeystoreName = 'system'): { d: { results: ODataRecord[] } } {
  return { d: { results: sortedEntries(store.state.keystores[name]).map((e) => keystoreEntryRecord(e)) } };
}

/** Splits a mass-delete alias list `a;b`, where `\;` and `\\` escape. */
function splitAliases(list: string): string[] {
  const aliases: string[] = [];
  let current = '';
  for (let i = 0; i < list.length; i++) {
    const char = list[i]!;
    if (char === '\\' && i + 1 < list.length) current += list[++i];
    else if (char === ';') {
      aliases.push(current);
      current = '';
    } else current += char;
  }
  aliases.push(current);
  return aliases.filter((alias) => alias.length > 0);
}

/** The Security Content routes over one store; `keystoreLocked` is the fault switch for 503. */
export function securityContentRoutes(store: TenantStore, keystoreLocked: () => boolean): ApiRoute[] {
  const entryOr404 = (name: KeystoreName, hex: string): StoredKeystoreEntry => {
    const alias = aliasFromHex(hex);
    const entry = store.state.keystores[name][alias];
    if (!entry) throw notFound(alias);
    return entry;
  };

  const putCertificate = (request: ApiRequest, hex: string): ApiResponse => {
    const alias = aliasFromHex(hex);
    if (alias.length === 0 || alias.length > 250)
      throw new ODataError(400, `Invalid alias "${alias}"; 1 to 250 characters`);
    if (isSapReservedAlias(alias)) throw reservedAliasError(alias);
    assertUnlocked(keystoreLocked);
    assertCertificateMediaType(request);
    const body = request.body ?? Buffer.alloc(0);
    if (body.length > MAX_CERTIFICATE_BYTES) {
      throw new ODataError(
        413,
        `Payload too large: the certificate has ${body.length} bytes; at most ${MAX_CERTIFICATE_BYTES} are accepted`,
      );
    }
    const certificate = parseCertificateUpload(body);
    const update = flag(request.query, 'update');
    const existing = store.state.keystores.system[alias];
    if (existing && !update) throw new ODataError(400, `Keystore entry with alias "${alias}" already exists`);
    if (!existing && update)
      throw new ODataError(400, `Keystore entry with alias "${alias}" does not exist; send update=false to create it`);
    if (existing?.owner === 'SAP') throw reservedAliasError(alias);
    if (existing?.type === 'Key Pair')
      throw new ODataError(400, `Key Pair entry "${alias}" cannot be overwritten by a certificate entry`);
    const pem = certificate.toString();
    if (!flag(request.query, 'fingerprintVerified')) {
      const trusted = Object.values(store.state.keystores.system).some((entry) =>
        isIssuedBy(certificate, new X509Certificate(entry.certificatePem)),
      );
      if (!trusted) {
        const candidate: StoredKeystoreEntry = {
          alias,
          type: 'Certificate',
          owner: 'Tenant Administrator',
          certificatePem: pem,
          createdBy: request.principal.name,
          createdTime: request.now,
          lastModifiedBy: request.principal.name,
          lastModifiedTime: request.now,
        };
        // The definition says the 409 body "contains the certificate as KeystoreEntry entity with the validity
        // value 'notTrusted'" without saying where. Decided (UNCONFIRMED, docs/emulator.md): an OData error whose
        // `innererror` is that KeystoreEntry, OData v2's place for service-specific detail of an error.
        throw new ODataError(
          409,
          `Trust path to the certificate could not be established (SHA-256 fingerprint ${certificate.fingerprint256}). Check the fingerprint and send the request again with fingerprintVerified=true`,
          {},
          { innererror: { ...keystoreEntryRecord(candidate), Validity: 'notTrusted' } },
        );
      }
    }
    store.update((state) => {
      state.keystores.system[alias] = {
        alias,
        type: 'Certificate',
        owner: 'Tenant Administrator',
        certificatePem: pem,
        createdBy: existing?.createdBy ?? request.principal.name,
        createdTime: existing?.createdTime ?? request.now,
        lastModifiedBy: request.principal.name,
        lastModifiedTime: request.now,
      };
    });
    return flag(request.query, 'returnKeystoreEntries') ? { status: 200, json: allEntries(store) } : { status: 204 };
  };

  /**
   * PUT KeystoreEntries('{Hexalias}')?renameAlias=<new>: the entry keeps its certificate (and key) under the new
   * alias. With returnHexAlias=true the answer is the renamed entry, whose Hexalias is the new one: the definition's
   * text speaks of "the new Hexalias value (in square brackets)", its schema of a KeystoreEntry; the emulator
   * follows the schema (UNCONFIRMED, docs/emulator.md).
   */
  const renameEntry = (request: ApiRequest, hex: string): ApiResponse => {
    const entry = entryOr404('system', hex);
    const target = request.query.get('renameAlias') ?? '';
    if (target.length === 0 || target.length > 250) {
      throw new ODataError(
        400,
        `Invalid renameAlias "${target}"; send the new alias (1 to 250 characters) URL-encoded`,
      );
    }
    if (entry.owner === 'SAP' || isSapReservedAlias(entry.alias)) throw reservedAliasError(entry.alias);
    if (isSapReservedAlias(target)) throw reservedAliasError(target);
    jsonBody(request); // the definition asks for {"Status":null}; anything but a JSON object is a 400
    if (store.state.keystores.system[target]) {
      throw new ODataError(400, `Keystore entry with alias "${target}" already exists`);
    }
    assertUnlocked(keystoreLocked);
    const renamed = store.update((state) => {
      delete state.keystores.system[entry.alias];
      const moved = {
        ...entry,
        alias: target,
        lastModifiedBy: request.principal.name,
        lastModifiedTime: request.now,
      };
      state.keystores.system[target] = moved;
      return moved;
    });
    if (flag(request.query, 'returnKeystoreEntries')) return { status: 200, json: allEntries(store) };
    if (flag(request.query, 'returnHexAlias')) return { status: 200, json: { d: keystoreEntryRecord(renamed) } };
    return { status: 204 };
  };

  /**
   * POST KeyPairGenerationRequests: the tenant generates a key pair under Alias with a self-signed certificate for
   * the given subject; the private key never leaves it. RSA only in the emulator (DSA and EC answer 400).
   */
  const generateKeyPair = (request: ApiRequest): ApiResponse => {
    const body = jsonBody(request);
    const text = (name: string): string | undefined =>
      typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : undefined;
    const alias = text('Alias');
    const commonName = text('CommonName');
    if (!alias || alias.length > 250) throw new ODataError(400, 'Alias is empty or null; send 1 to 250 characters');
    if (!commonName) throw new ODataError(400, 'CommonName is empty or null');
    if (isSapReservedAlias(alias)) throw reservedAliasError(alias);
    const keyType = text('KeyType') ?? 'RSA';
    if (keyType !== 'RSA') {
      throw new ODataError(400, `KeyType "${keyType}" is not generated by the emulator; send KeyType RSA`);
    }
    const keySize = body.KeySize ?? 4096;
    if (keySize !== 2048 && keySize !== 3072 && keySize !== 4096) {
      throw new ODataError(
        400,
        `Invalid KeySize ${String(keySize)}; the emulator generates RSA keys of 2048, 3072 or 4096 bits`,
      );
    }
    const notAfter = text('ValidNotAfter');
    const notAfterMs =
      notAfter === undefined ? undefined : Number(/^\/Date\((\d+)[^)]*\)\/$/.exec(notAfter)?.[1] ?? NaN);
    if (notAfterMs !== undefined && !(notAfterMs > request.now)) {
      throw new ODataError(400, `Invalid ValidNotAfter "${notAfter}"; send a future /Date(<milliseconds>)/`);
    }
    if (store.state.keystores.system[alias]) {
      throw new ODataError(400, `Keystore entry with alias "${alias}" already exists`);
    }
    assertUnlocked(keystoreLocked);
    const pair = generateSelfSignedKeyPair(
      {
        commonName,
        organization: text('Organization'),
        organizationUnit: text('OrganizationUnit'),
        locality: text('Locality'),
        state: text('State'),
        country: text('Country'),
        email: text('Email'),
      },
      undefined,
      365,
      { modulusLength: keySize, notAfter: notAfterMs === undefined ? undefined : new Date(notAfterMs) },
    );
    store.update((state) => {
      state.keystores.system[alias] = {
        alias,
        type: 'Key Pair',
        owner: 'Tenant Administrator',
        certificatePem: pair.certificatePem,
        privateKeyPem: pair.privateKeyPem,
        createdBy: request.principal.name,
        createdTime: request.now,
        lastModifiedBy: request.principal.name,
        lastModifiedTime: request.now,
      };
    });
    return flag(request.query, 'returnKeystoreEntries') ? { status: 200, json: allEntries(store) } : { status: 204 };
  };

  /**
   * POST KeyPairResources: imports (or with update=true replaces) a key pair from a base64 PKCS#12 file. As for a
   * certificate import, the top of the chain must be issued by an entry of the keystore unless fingerprintVerified.
   */
  const importKeyPair = (request: ApiRequest): ApiResponse => {
    const body = jsonBody(request);
    const alias = typeof body.Alias === 'string' ? body.Alias : '';
    if (alias.length === 0 || alias.length > 250) {
      throw new ODataError(400, 'Alias is empty or too long; send 1 to 250 characters');
    }
    if (isSapReservedAlias(alias)) throw reservedAliasError(alias);
    if (typeof body.Resource !== 'string' || body.Resource === '') {
      throw new ODataError(400, 'Resource is empty; send the PKCS#12 file base64-encoded');
    }
    if (body.Resource.length > 24_576) {
      throw new ODataError(413, `Payload too large: Resource has ${body.Resource.length} characters; at most 24576`);
    }
    const update = flag(request.query, 'update');
    const existing = store.state.keystores.system[alias];
    if (existing && !update) throw new ODataError(400, `Keystore entry with alias "${alias}" already exists`);
    if (!existing && update)
      throw new ODataError(400, `Keystore entry with alias "${alias}" does not exist; send update=false to create it`);
    if (existing?.owner === 'SAP') throw reservedAliasError(alias);
    assertUnlocked(keystoreLocked);
    const pair = readKeyPairUpload(body.Resource, typeof body.Password === 'string' ? body.Password : '');
    if (!flag(request.query, 'fingerprintVerified')) {
      const top = pair.chain.at(-1) ?? new X509Certificate(pair.certificatePem);
      const trusted = Object.values(store.state.keystores.system).some((entry) =>
        isIssuedBy(top, new X509Certificate(entry.certificatePem)),
      );
      if (!trusted) {
        throw new ODataError(
          409,
          `Trust path to the top CA certificate could not be established (SHA-256 fingerprint ${top.fingerprint256}). Check the fingerprint and send the request again with fingerprintVerified=true`,
          {},
          {
            innererror: {
              ...keystoreEntryRecord({
                alias,
                type: 'Key Pair',
                owner: 'Tenant Administrator',
                certificatePem: pair.certificatePem,
                createdBy: request.principal.name,
                createdTime: request.now,
                lastModifiedBy: request.principal.name,
                lastModifiedTime: request.now,
              }),
              Validity: 'notTrusted',
            },
          },
        );
      }
    }
    store.update((state) => {
      state.keystores.system[alias] = {
        alias,
        type: 'Key Pair',
        owner: 'Tenant Administrator',
        certificatePem: pair.certificatePem,
        privateKeyPem: pair.privateKeyPem,
        createdBy: existing?.createdBy ?? request.principal.name,
        createdTime: existing?.createdTime ?? request.now,
        lastModifiedBy: request.principal.name,
        lastModifiedTime: request.now,
      };
    });
    return flag(request.query, 'returnKeystoreEntries') ? { status: 200, json: allEntries(store) } : { status: 204 };
  };

  const deleteEntry = (request: ApiRequest, hex: string): ApiResponse => {
    const name = keystoreName(request.query);
    const entry = entryOr404(name, hex);
    if (entry.owner === 'SAP' || isSapReservedAlias(entry.alias)) throw reservedAliasError(entry.alias);
    assertUnlocked(keystoreLocked);
    store.update((state) => {
      delete state.keystores[name][entry.alias];
    });
    return flag(request.query, 'returnKeystoreEntries')
      ? { status: 200, json: { d: keystoreEntryRecord(entry) } }
      : { status: 204 };
  };

  const backup = (request: ApiRequest): ApiResponse => {
    const body = jsonBody(request);
    if (body.Name !== 'backup_admin_system') {
      throw new ODataError(
        400,
        `Keystore name "${String(body.Name)}" is not supported by the emulator: send {"Name":"backup_admin_system"} to back up; importing JKS/JCEKS keystores is not emulated`,
      );
    }
    assertUnlocked(keystoreLocked);
    const owned = sortedEntries(store.state.keystores.system).filter((e) => e.owner === 'Tenant Administrator');
    store.update((state) => {
      // one generation only: a backup overwrites the previous one
      state.keystores.backup_admin_system = Object.fromEntries(owned.map((e) => [e.alias, { ...e }]));
      state.backupTakenAt = request.now;
    });
    return flag(request.query, 'returnKeystoreEntries', true)
      ? { status: 200, json: { d: { results: owned.map((e) => keystoreEntryRecord(e, 'new')) } } }
      : { status: 204 };
  };

  const restore = (request: ApiRequest): ApiResponse => {
    if (store.state.backupTakenAt === null) {
      throw new ODataError(404, 'Not found - no backed up keystore entries owned by the tenant administrator');
    }
    const option = request.query.get('importOption') ?? 'overwrite';
    if (option !== 'overwrite' && option !== 'replace') {
      throw new ODataError(400, `Invalid importOption "${option}"; expected overwrite or replace`);
    }
    assertUnlocked(keystoreLocked);
    const results = store.update((state) => {
      const system = state.keystores.system;
      const backupEntries = state.keystores.backup_admin_system;
      const out: ODataRecord[] = [];
      for (const entry of sortedEntries(backupEntries)) {
        const current = system[entry.alias];
        const status = !current ? 'new' : current.certificatePem === entry.certificatePem ? 'unchanged' : 'changed';
        if (status !== 'unchanged')
          system[entry.alias] = { ...entry, lastModifiedBy: request.principal.name, lastModifiedTime: request.now };
        out.push(keystoreEntryRecord(system[entry.alias]!, status));
      }
      if (option === 'replace') {
        for (const entry of sortedEntries(system)) {
          if (entry.owner === 'Tenant Administrator' && !backupEntries[entry.alias]) {
            delete system[entry.alias];
            out.push(keystoreEntryRecord(entry, 'removed'));
          }
        }
      }
      return out;
    });
    // the definition's default for returnKeystoreEntries on KeystoreResources('system') is true
    return flag(request.query, 'returnKeystoreEntries', true)
      ? { status: 200, json: { d: { results } } }
      : { status: 204 };
  };

  const massDelete = (request: ApiRequest): ApiResponse => {
    const body = jsonBody(request);
    if (typeof body.Aliases !== 'string')
      throw new ODataError(400, 'The request body must be {"Aliases":"alias1;alias2"}');
    const aliases = splitAliases(body.Aliases);
    const reserved = aliases.find(
      (alias) => isSapReservedAlias(alias) || store.state.keystores.system[alias]?.owner === 'SAP',
    );
    if (reserved !== undefined) throw reservedAliasError(reserved);
    assertUnlocked(keystoreLocked);
    store.update((state) => {
      for (const alias of aliases) delete state.keystores.system[alias];
    });
    return flag(request.query, 'returnKeystoreEntries', true)
      ? { status: 200, json: allEntries(store) }
      : { status: 204 };
  };

  const HEX = "'([^']*)'";
  return [
    {
      operation: 'GET /KeystoreEntries',
      method: 'GET',
      pattern: /^\/KeystoreEntries$/,
      area: 'securityContent',
      answersJson: true,
      handle: (request) => ({
        status: 200,
        json: collectionEnvelope(
          sortedEntries(store.state.keystores[keystoreName(request.query)]).map((e) => keystoreEntryRecord(e)),
          request.query,
          `${request.serviceRoot}/KeystoreEntries`,
        ),
      }),
    },
    {
      operation: "GET /KeystoreEntries('{Hexalias}')",
      method: 'GET',
      pattern: new RegExp(`^/KeystoreEntries\\(${HEX}\\)$`),
      area: 'securityContent',
      answersJson: true,
      handle: (request, match) => ({
        status: 200,
        json: entityEnvelope(keystoreEntryRecord(entryOr404(keystoreName(request.query), match[1]!)), request.query),
      }),
    },
    {
      operation: "GET /KeystoreEntries('{Hexalias}')/Certificate/$value",
      method: 'GET',
      pattern: new RegExp(`^/KeystoreEntries\\(${HEX}\\)/Certificate/\\$value$`),
      area: 'securityContent',
      answersJson: false,
      handle: (request, match) => ({
        status: 200,
        text: entryOr404(keystoreName(request.query), match[1]!).certificatePem,
        contentType: 'application/pkix-cert',
      }),
    },
    {
      operation: "DELETE /KeystoreEntries('{Hexalias}')",
      method: 'DELETE',
      pattern: new RegExp(`^/KeystoreEntries\\(${HEX}\\)$`),
      area: 'securityContent',
      answersJson: false,
      handle: (request, match) => deleteEntry(request, match[1]!),
    },
    {
      operation: 'POST /KeyPairResources',
      method: 'POST',
      pattern: /^\/KeyPairResources$/,
      area: 'securityContent',
      answersJson: false,
      handle: importKeyPair,
    },
    {
      operation: 'POST /KeyPairGenerationRequests',
      method: 'POST',
      pattern: /^\/KeyPairGenerationRequests$/,
      area: 'securityContent',
      answersJson: false,
      handle: generateKeyPair,
    },
    {
      operation: "PUT /KeystoreEntries('{Hexalias}')",
      method: 'PUT',
      pattern: new RegExp(`^/KeystoreEntries\\(${HEX}\\)$`),
      area: 'securityContent',
      answersJson: false,
      handle: (request, match) => renameEntry(request, match[1]!),
    },
    {
      operation: "PUT /CertificateResources('{Hexalias}')/$value",
      method: 'PUT',
      pattern: new RegExp(`^/CertificateResources\\(${HEX}\\)/\\$value$`),
      area: 'securityContent',
      answersJson: false,
      handle: (request, match) => putCertificate(request, match[1]!),
    },
    {
      operation: 'POST /KeystoreResources',
      method: 'POST',
      pattern: /^\/KeystoreResources$/,
      area: 'securityContent',
      answersJson: false,
      handle: backup,
    },
    {
      operation: "GET /KeystoreResources('{KeystoreName}')",
      method: 'GET',
      pattern: /^\/KeystoreResources\('([^']*)'\)$/,
      area: 'securityContent',
      answersJson: true,
      handle: (request, match) => {
        // the definition allows only these two here (400 otherwise)
        const name = match[1]!;
        if (name !== 'system' && name !== 'backup_admin_system') {
          throw new ODataError(400, `Keystore name '${name}' is invalid. Use system or backup_admin_system`);
        }
        const certificates = sortedEntries(store.state.keystores[name]).map((entry) => ({
          alias: entry.alias,
          certificatePem: entry.certificatePem,
          modified: entry.lastModifiedTime,
        }));
        return {
          status: 200,
          json: entityEnvelope(
            {
              Name: name,
              Resource: jceksKeystore(certificates).toString('base64'),
              Password: null,
              Aliases: null,
            },
            request.query,
          ),
        };
      },
    },
    {
      operation: "PUT /KeystoreResources('system')",
      method: 'PUT',
      pattern: /^\/KeystoreResources\('system'\)$/,
      area: 'securityContent',
      answersJson: false,
      handle: (request) => {
        if (flag(request.query, 'deleteEntries')) return massDelete(request);
        if (request.query.get('retrieveBackup') === 'backup_admin_system') return restore(request);
        throw new ODataError(
          400,
          'Send deleteEntries=true (mass delete) or retrieveBackup=backup_admin_system (restore)',
        );
      },
    },
    {
      operation: "GET /Keystores('{KeystoreName}')",
      method: 'GET',
      pattern: /^\/Keystores\('(system|backup_admin_system)'\)$/,
      area: 'securityContent',
      answersJson: true,
      handle: (request, match) => {
        const name = match[1] as KeystoreName;
        const entries = sortedEntries(store.state.keystores[name]);
        const last = Math.max(0, ...entries.map((e) => e.lastModifiedTime));
        const expanded = (request.query.get('$expand') ?? '').split(',').some((part) => part.trim() === 'Entries');
        return {
          status: 200,
          json: entityEnvelope(
            {
              Name: name,
              LastModifiedBy: entries.find((e) => e.lastModifiedTime === last)?.lastModifiedBy ?? null,
              LastModifiedTime: odataDate(last),
              Size: entries.length,
              // a navigation is a deferred link unless $expand asks for it inline (OData v2)
              Entries: expanded
                ? { results: entries.map((e) => keystoreEntryRecord(e)) }
                : { __deferred: { uri: `${request.serviceRoot}/Keystores('${name}')/Entries` } },
            },
            request.query,
          ),
        };
      },
    },
    {
      operation: "GET /Keystores('{KeystoreName}')/Size/$value",
      method: 'GET',
      pattern: /^\/Keystores\('([^']*)'\)\/Size\/\$value$/,
      area: 'securityContent',
      answersJson: false,
      handle: (_request, match) => {
        // the definition allows only these two here (400 otherwise), unlike Keystores('{KeystoreName}') itself
        const name = match[1]!;
        if (name !== 'system' && name !== 'KeyRenewal') {
          throw new ODataError(400, `Keystore name '${name}' is invalid. Use system or KeyRenewal`);
        }
        const size = Object.keys(store.state.keystores[name]).length;
        return { status: 200, text: String(size), contentType: 'text/plain; charset=utf-8' };
      },
    },
  ];
}
