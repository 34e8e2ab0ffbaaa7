// cpi_keystore_certificate: a certificate entry in the tenant keystore (alias → X.509). Changing the certificate
// exchanges it in place under the same alias, as SAP's renewal procedure requires; the certificate is checked at
// plan time so that a bad one never reaches the tenant. The exchange is a compare-and-swap against the live alias
// (expected_previous_fingerprint_sha256) and keeps the alias rule (docs/alias-rule.md); deleting an alias that a
// deployed iFlow uses is refused.
import { CpiError } from '../../errors';
import { enforceAliasRule } from '../alias-observation';
import type { CertificateInfo } from '../../pki/certificate-info';
import type { CertificateTimeFacts } from '../../pki/certificate-rules';
import { toHexAlias } from '../../tenant/hex-alias';
import type { KeystoreEntry } from '../../tenant/keystore';
import { isUnknown, UNKNOWN, type ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import { receiverBlock } from '../receiver-settings';
import type { CallContext, ResourceType } from '../resource';
import { validateAlias } from '../../rules/alias';
import { requireSha256Fingerprint } from '../../rules/fingerprint';

const DEFAULT_EXPIRY_WARNING_DAYS = 30;
const DEFAULT_MIN_VALIDITY_DAYS = 30;
/** What destroy, removal or a rename does to the tenant entry (the idiom of Google's provider). */
export const DELETION_POLICIES = ['DELETE', 'ABANDON'] as const;
const DEFAULT_DELETION_POLICY = 'DELETE';

/**
 * ABANDON: the resource adopted an alias it did not create (a renewal stage), so giving it up must hand the alias
 * back untouched, never delete it: destroy, removal and rename only release the resource from state.
 */
function abandons(state: ObjectValue): boolean {
  return state.deletion_policy === 'ABANDON';
}

/** The plan-time word that a release leaves the tenant entry alone (fingerprint and alias only; no certificate). */
function warnReleased(state: ObjectValue, ctx: CallContext<ProviderClients>, why: string): void {
  ctx.warn(
    `Alias "${String(state.alias)}" is released, not deleted`,
    `${why} releases cpi_keystore_certificate "${String(state.alias)}" from state without deleting it (deletion_policy = "ABANDON"): the tenant keeps the certificate with SHA-256 fingerprint ${String(state.fingerprint_sha256)} under the alias and nothing manages it until it is imported again (an import block, or terraform import <address> ${String(state.alias)}).`,
    ['deletion_policy'],
  );
}

// Certificate code (node-forge) is loaded on first use: most provider launches never parse a certificate.
const pki = async () => ({
  ...(await import('../../pki/certificate-info')),
  ...(await import('../../pki/certificate-rules')),
});

/** The certificate facts every keystore attribute set shows, from the certificate itself. */
export function certificateFacts(info: CertificateInfo): ObjectValue {
  return {
    fingerprint_sha256: info.fingerprintSha256,
    serial_number: info.serialNumber,
    issuer_dn: info.issuerDn,
    subject_dn: info.subjectDn,
    valid_not_before: info.validFrom.toISOString(),
    valid_not_after: info.validTo.toISOString(),
    key_type: info.keyType,
    key_size: info.keySize,
  };
}

// What plan and read record as the resource's private state (kept by Terraform beside the state, never shown): the
// fingerprint of the certificate whose fixed facts (key type, size, usage) passed the certificate rules. A later
// plan of the same PEM re-checks only what the clock changes, from the facts in state, without reading the
// certificate again: at N = 1,000 certificates that parse was the largest cost of a no-op plan (bench/README.md).
// Read marks a certificate that no plan marked yet (an import), so that the next apply keeps the mark.
interface CheckedMark {
  readonly checkedFingerprintSha256: string;
}

function checkedMark(info: Pick<CertificateInfo, 'fingerprintSha256'>): Uint8Array {
  const mark: CheckedMark = { checkedFingerprintSha256: info.fingerprintSha256 };
  return Buffer.from(JSON.stringify(mark));
}

function markedFingerprint(bytes: Uint8Array | undefined): string | undefined {
  if (!bytes) return undefined;
  try {
    const mark = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<CheckedMark> | null;
    return typeof mark?.checkedFingerprintSha256 === 'string' ? mark.checkedFingerprintSha256 : undefined;
  } catch {
    return undefined; // not ours (or damaged): read the certificate again
  }
}

/**
 * The time facts of the prior state's certificate, when the configuration names the same PEM text and the prior
 * plan marked that very certificate as checked; otherwise undefined (the certificate is read and checked in full).
 */
function checkedPriorFacts(
  prior: ObjectValue | null,
  pem: string,
  alias: string,
  priorPrivate: Uint8Array | undefined,
): CertificateTimeFacts | undefined {
  if (prior === null || prior.alias !== alias || prior.certificate_pem !== pem) return undefined;
  const fingerprint = prior.fingerprint_sha256;
  if (typeof fingerprint !== 'string' || markedFingerprint(priorPrivate) !== fingerprint) return undefined;
  const { valid_not_before: from, valid_not_after: to, subject_dn: subject, serial_number: serial } = prior;
  if (typeof from !== 'string' || typeof to !== 'string' || typeof subject !== 'string' || typeof serial !== 'string')
    return undefined;
  const facts = {
    fingerprintSha256: fingerprint,
    subjectDn: subject,
    serialNumber: serial,
    validFrom: new Date(from),
    validTo: new Date(to),
  };
  return Number.isNaN(facts.validFrom.getTime()) || Number.isNaN(facts.validTo.getTime()) ? undefined : facts;
}

/** The certificate facts in state that a plan of an unchanged certificate carries over. */
const CERTIFICATE_FACT_ATTRIBUTES = [
  'fingerprint_sha256',
  'serial_number',
  'issuer_dn',
  'subject_dn',
  'valid_not_before',
  'valid_not_after',
  'key_type',
  'key_size',
] as const;

/**
 * Plan of a certificate already checked under this alias (see CheckedMark): the clock-dependent rules from the
 * recorded facts, the receiver key's fingerprint, and nothing arriving, so no exchange and no alias rule.
 */
async function planChecked(
  prior: ObjectValue,
  planned: ObjectValue,
  config: ObjectValue,
  facts: CertificateTimeFacts,
  ctx: CallContext<ProviderClients>,
): Promise<ObjectValue> {
  const { assertNoErrors, checkEncryptionCertificateTimes } = await import('../../pki/certificate-rules');
  const findings = checkEncryptionCertificateTimes(facts, {
    now: ctx.now(),
    expiryWarningDays:
      typeof config.expiry_warning_days === 'number' ? config.expiry_warning_days : DEFAULT_EXPIRY_WARNING_DAYS,
    label: 'certificate_pem',
  });
  assertNoErrors(findings, ['certificate_pem']);
  for (const w of findings) ctx.warn(`${w.code}: certificate_pem`, w.detail, ['certificate_pem']);
  checkMeantFor(config, facts);
  for (const name of CERTIFICATE_FACT_ATTRIBUTES) planned[name] = prior[name] ?? null;
  return {
    ...planned,
    id: String(planned.alias),
    hexalias: toHexAlias(String(planned.alias)),
    owner: prior.owner ?? null,
    exchanged_at: prior.exchanged_at ?? null,
  };
}

/** Parses certificate_pem, pointing any error at the attribute. */
// Terraform validates and plans every resource in the same process: parse each certificate once.
const parsed = new Map<string, CertificateInfo>();

export async function parseCertificateAttribute(pem: string, attribute = 'certificate_pem'): Promise<CertificateInfo> {
  const { parseCertificatePem } = await pki();
  try {
    const known = parsed.get(pem);
    if (known) return known;
    const info = parseCertificatePem(pem);
    parsed.set(pem, info);
    return info;
  } catch (error) {
    if (error instanceof CpiError) throw new CpiError(error.code, error.detail, [attribute]);
    throw error;
  }
}

/** certificate_pem's text, without reading the certificate (readCertificateBlock), pointing errors at it. */
async function checkCertificateText(pem: string): Promise<void> {
  const { readCertificateBlock } = await import('../../pki/certificate-pem');
  try {
    readCertificateBlock(pem);
  } catch (error) {
    if (error instanceof CpiError) throw new CpiError(error.code, error.detail, ['certificate_pem']);
    throw error;
  }
}

/**
 * The certificate's own rules. `arriving`: the certificate is about to be put under the alias (create or
 * exchange), so it must also have at least min_validity_days left; one already there only warns as it ages.
 */
async function checkCertificate(
  config: ObjectValue,
  ctx: CallContext<ProviderClients>,
  arriving = false,
): Promise<CertificateInfo | undefined> {
  if (typeof config.certificate_pem !== 'string') return undefined;
  const { assertNoErrors, checkEncryptionCertificate } = await pki();
  const info = await parseCertificateAttribute(config.certificate_pem);
  const findings = checkEncryptionCertificate(info, {
    now: ctx.now(),
    expiryWarningDays:
      typeof config.expiry_warning_days === 'number' ? config.expiry_warning_days : DEFAULT_EXPIRY_WARNING_DAYS,
    label: 'certificate_pem',
    ...(arriving
      ? {
          minValidityDays:
            typeof config.min_validity_days === 'number' ? config.min_validity_days : DEFAULT_MIN_VALIDITY_DAYS,
        }
      : {}),
  });
  assertNoErrors(findings, ['certificate_pem']);
  for (const w of findings) ctx.warn(`${w.code}: certificate_pem`, w.detail, ['certificate_pem']);
  return info;
}

function optionalFingerprint(config: ObjectValue, attribute: string): string | undefined {
  const value = config[attribute];
  return typeof value === 'string' ? requireSha256Fingerprint(value, attribute) : undefined;
}

/** The certificate must be the one of the receiver key it is meant for, when that key's fingerprint is given. */
function checkMeantFor(config: ObjectValue, info: Pick<CertificateInfo, 'fingerprintSha256' | 'subjectDn'>): void {
  const expected = optionalFingerprint(config, 'receiver_key_fingerprint_sha256');
  if (expected !== undefined && expected !== info.fingerprintSha256) {
    throw new CpiError(
      'CPI_ALIAS_CERTIFICATE_KEY_MISMATCH',
      `certificate_pem has SHA-256 fingerprint ${info.fingerprintSha256} (subject "${info.subjectDn}"), but the receiver key it is meant for has ${expected}`,
      ['certificate_pem'],
    );
  }
}

/**
 * Compare-and-swap: the exchange proceeds only while the live alias holds the certificate it replaces
 * (expected_previous_fingerprint_sha256) or already the new one. Anything else means another renewal or a person
 * moved the alias, and exchanging would silently undo their change.
 */
async function checkCompareAndSwap(
  planned: ObjectValue,
  info: CertificateInfo,
  live: string | undefined,
): Promise<void> {
  const expected = optionalFingerprint(planned, 'expected_previous_fingerprint_sha256');
  if (expected === undefined || live === expected || live === info.fingerprintSha256) return;
  throw new CpiError(
    'CPI_RENEWAL_ALIAS_CONFLICT',
    `alias "${String(planned.alias)}" holds ${live ? `the certificate with SHA-256 fingerprint ${live}` : 'no certificate'}, neither the one this exchange replaces (expected_previous_fingerprint_sha256 = ${expected}) nor the new one (${info.fingerprintSha256}); nothing was changed`,
    ['expected_previous_fingerprint_sha256'],
  );
}

/** What the alias holds now; `fresh` lists the keystore again (apply-time re-checks). */
async function liveFingerprint(
  alias: string,
  ctx: CallContext<ProviderClients>,
  fresh = false,
): Promise<string | undefined> {
  return (await ctx.provider().tenant.keystoreEntry(alias, ctx.signal, fresh ? ctx : undefined))?.fingerprintSha256;
}

/** The checks that guard putting `info` under the alias: compare-and-swap, then the alias rule. */
async function guardExchange(
  planned: ObjectValue,
  info: CertificateInfo,
  ctx: CallContext<ProviderClients>,
  fresh: boolean,
): Promise<boolean> {
  const alias = String(planned.alias);
  const live = await liveFingerprint(alias, ctx, fresh);
  if (live === info.fingerprintSha256) return false;
  await checkCompareAndSwap(planned, info, live);
  await enforceAliasRule(
    ctx,
    {
      alias,
      receiver: planned.receiver,
      change: { kind: 'exchange', toFingerprintSha256: info.fingerprintSha256 },
      attribute: ['certificate_pem'],
      what: `putting the certificate ${info.fingerprintSha256} under alias "${alias}"`,
    },
    { fresh },
  );
  return true;
}

/** Deleting the alias (destroy, removal, or a rename that replaces it) is refused while a deployed iFlow uses it. */
async function guardRemoval(state: ObjectValue, ctx: CallContext<ProviderClients>, what: string, fresh = false) {
  await enforceAliasRule(
    ctx,
    { alias: String(state.alias), receiver: state.receiver, change: { kind: 'remove' }, attribute: ['alias'], what },
    { fresh },
  );
}

/**
 * When the alias switched, as the tenant recorded it: the system that made the change keeps the time retention
 * counts from, not the pipeline runner that asked for it (whose clock a later plan compares it with).
 */
function switchedAt(entry: KeystoreEntry | undefined, ctx: CallContext<ProviderClients>): string {
  return (entry?.lastModifiedTime ?? ctx.now()).toISOString();
}

function stateFrom(
  alias: string,
  pem: string,
  entry: KeystoreEntry | undefined,
  prior: ObjectValue,
  info: CertificateInfo,
): ObjectValue {
  return {
    ...prior,
    id: alias,
    alias,
    hexalias: toHexAlias(alias),
    certificate_pem: pem,
    owner: entry?.owner ?? prior.owner ?? null,
    ...certificateFacts(info),
  };
}

export const keystoreCertificate: ResourceType<ProviderClients> = {
  name: 'cpi_keystore_certificate',
  schema: {
    version: 0,
    description:
      "A certificate entry in the tenant keystore, such as the receiver's encryption certificate under the alias that " +
      'a SOAP receiver channel names as "Public Key Alias for Encryption". Changing `certificate_pem` exchanges the ' +
      'certificate in place, keeping the alias. The exchange is a compare-and-swap: with ' +
      '`expected_previous_fingerprint_sha256` it proceeds only while the alias holds that certificate or already the ' +
      'new one. Given the `receiver` block, creating or exchanging is refused while an iFlow that uses the alias is ' +
      'deployed and the receiver has no active key for the new certificate (docs/alias-rule.md). Destroying the ' +
      'resource, or renaming the alias (which replaces it), is refused with `CPI_ALIAS_IN_USE` while a deployed iFlow ' +
      'uses the alias (deleting it would make those iFlows fail), unless `deletion_policy` is `ABANDON`: then the ' +
      'resource is released from state, the tenant entry is left as it is and the plan warns so. Import with the ' +
      'alias as ID.',
    block: {
      attributes: {
        alias: {
          type: 'string',
          required: true,
          requiresReplace: true,
          description: 'The keystore alias (lower case, at most 250 characters). Changing it creates a new entry.',
        },
        certificate_pem: {
          type: 'string',
          required: true,
          description: 'The X.509 certificate in PEM form (one certificate, no private key).',
        },
        allow_same_key: {
          type: 'bool',
          optional: true,
          computed: true,
          default: false,
          description:
            'Accept an exchange to a certificate for the same public key (a re-certification, not a key renewal). Defaults to `false`.',
        },
        expiry_warning_days: {
          type: 'number',
          optional: true,
          computed: true,
          default: DEFAULT_EXPIRY_WARNING_DAYS,
          description: `Warn at plan time when the certificate expires within this many days. Defaults to \`${DEFAULT_EXPIRY_WARNING_DAYS}\`.`,
        },
        min_validity_days: {
          type: 'number',
          optional: true,
          computed: true,
          default: DEFAULT_MIN_VALIDITY_DAYS,
          description: `Refuse a certificate about to be put under the alias (create or exchange) with fewer days of validity left (at least 1). Defaults to \`${DEFAULT_MIN_VALIDITY_DAYS}\`.`,
        },
        expected_previous_fingerprint_sha256: {
          type: 'string',
          optional: true,
          description:
            'SHA-256 fingerprint of the certificate this exchange replaces. The exchange proceeds only while the alias holds it or already the new certificate; otherwise it is refused at plan with `CPI_RENEWAL_ALIAS_CONFLICT` (another renewal or a person moved the alias). Defaults to no check.',
        },
        receiver_key_fingerprint_sha256: {
          type: 'string',
          optional: true,
          description:
            "SHA-256 fingerprint of the receiver key's certificate this alias is meant for; a different `certificate_pem` is refused with `CPI_ALIAS_CERTIFICATE_KEY_MISMATCH`. Defaults to no check.",
        },
        deletion_policy: {
          type: 'string',
          optional: true,
          computed: true,
          default: DEFAULT_DELETION_POLICY,
          oneOf: DELETION_POLICIES,
          description:
            "What destroying the resource, removing it from the configuration or renaming the alias does to the tenant entry. `DELETE` deletes it, refused with `CPI_ALIAS_IN_USE` while a deployed iFlow uses the alias. `ABANDON` releases the resource from state and leaves the alias and its certificate in the tenant (the plan warns that it does); for an alias the configuration adopted rather than created, such as a renewal stage's. Destroy uses the value in state: apply a change of it before destroying. Defaults to `DELETE`.",
        },
        id: { type: 'string', computed: true, description: 'The alias.' },
        exchanged_at: {
          type: 'string',
          computed: true,
          description:
            "When this resource last put a certificate under the alias (RFC 3339), as the tenant recorded it (the entry's `LastModifiedTime`; the provider's clock only where the tenant records none): set at create and re-timed by every exchange, including a rollback and a second exchange. Retention of the replaced key counts from here.",
        },
        hexalias: {
          type: 'string',
          computed: true,
          description: 'The alias as upper-case hex, the key of the entry in the tenant API.',
        },
        fingerprint_sha256: {
          type: 'string',
          computed: true,
          description: 'SHA-256 fingerprint of the certificate, colon-separated hex as the tenant shows it.',
        },
        serial_number: { type: 'string', computed: true, description: 'Serial number, lower-case hex.' },
        issuer_dn: { type: 'string', computed: true, description: 'Issuer distinguished name (RFC 4514).' },
        subject_dn: { type: 'string', computed: true, description: 'Subject distinguished name (RFC 4514).' },
        valid_not_before: { type: 'string', computed: true, description: 'Start of validity (RFC 3339).' },
        valid_not_after: { type: 'string', computed: true, description: 'End of validity (RFC 3339).' },
        key_type: { type: 'string', computed: true, description: 'Public key type, e.g. `RSA`.' },
        key_size: { type: 'number', computed: true, description: 'Public key size in bits.' },
        owner: {
          type: 'string',
          computed: true,
          description: 'Owner as the tenant reports it, e.g. `Tenant Administrator`.',
        },
      },
      blocks: {
        // The receiver whose keys decrypt for this certificate. Given, the alias rule is checked against its keys;
        // without it only the tenant side is checked and a warning says so.
        receiver: { ...receiverBlock, minItems: 0, maxItems: 0 },
      },
    },
  },

  async validate(config) {
    if (typeof config.alias === 'string') validateAlias(config.alias, ['alias']);
    optionalFingerprint(config, 'expected_previous_fingerprint_sha256');
    optionalFingerprint(config, 'receiver_key_fingerprint_sha256');
    if (typeof config.min_validity_days === 'number') {
      const days = config.min_validity_days;
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        throw new CpiError(
          'CPI_VALUE_INVALID',
          `min_validity_days ${days} is not a whole number from 1 to 3650; a certificate under the alias must stay valid for at least a day`,
          ['min_validity_days'],
        );
      }
    }
    // The text only (PEM, no private key, one certificate): reading the certificate and its rules belong to the
    // plan, which knows whether this certificate was checked before (see CheckedMark).
    if (typeof config.certificate_pem === 'string') await checkCertificateText(config.certificate_pem);
  },

  async plan({ prior, proposed, config, priorPrivate }, ctx) {
    const planned = { ...proposed };
    if (typeof config.certificate_pem !== 'string' || typeof planned.alias !== 'string') {
      return { planned: { ...planned, exchanged_at: UNKNOWN } };
    }
    const checked = checkedPriorFacts(prior, config.certificate_pem, planned.alias, priorPrivate);
    if (prior !== null && checked) return { planned: await planChecked(prior, planned, config, checked, ctx) };
    const info = await parseCertificateAttribute(config.certificate_pem);
    const renamed = prior !== null && prior.alias !== planned.alias;
    const creating = prior === null || renamed;
    const arriving = creating || prior.fingerprint_sha256 !== info.fingerprintSha256;
    await checkCertificate(config, ctx, arriving);
    checkMeantFor(config, info);
    Object.assign(planned, certificateFacts(info), { id: planned.alias, hexalias: toHexAlias(planned.alias) });
    if (renamed && abandons(prior)) {
      warnReleased(prior, ctx, `renaming the alias to "${planned.alias}"`);
    } else if (renamed) {
      await guardRemoval(
        prior,
        ctx,
        `renaming the alias replaces the entry, deleting "${String(prior.alias)}" before "${planned.alias}" is created`,
      );
    }
    const { tenant } = ctx.provider();
    if (creating) {
      // Create: an alias already taken by another certificate is refused now, not half-way through an apply.
      const existing = await tenant.keystoreEntry(planned.alias, ctx.signal);
      if (existing && existing.fingerprintSha256 !== info.fingerprintSha256) {
        throw new CpiError(
          'CPI_TENANT_ALIAS_EXISTS',
          `alias "${planned.alias}" already holds the certificate with SHA-256 fingerprint ${existing.fingerprintSha256}; import it (terraform import <address> ${planned.alias}) to manage or exchange it`,
          ['alias'],
        );
      }
      planned.owner = existing?.owner ?? (isUnknown(planned.owner) ? planned.owner : null);
    } else if (!arriving) {
      planned.owner = prior.owner ?? null;
    } else if (typeof prior.certificate_pem === 'string') {
      // Exchange: the receiver must be able to tell old and new key apart (docs/design/domain-rules.md).
      const { assertNoErrors, checkRenewal } = await pki();
      const old = await parseCertificateAttribute(prior.certificate_pem);
      const findings = checkRenewal(old, info, { now: ctx.now(), allowSameKey: planned.allow_same_key === true });
      assertNoErrors(findings, ['certificate_pem']);
      for (const w of findings) ctx.warn(`${w.code}: certificate_pem`, w.detail, ['certificate_pem']);
      planned.owner = prior.owner ?? null;
    }
    const exchanging = arriving && (await guardExchange(planned, info, ctx, false));
    planned.exchanged_at = exchanging || creating ? UNKNOWN : (prior.exchanged_at ?? null);
    return { planned, private: checkedMark(info) };
  },

  async planDestroy(prior, ctx) {
    if (abandons(prior)) return warnReleased(prior, ctx, 'destroying or removing the resource');
    await guardRemoval(prior, ctx, `destroying alias "${String(prior.alias)}"`);
  },

  async create(planned, ctx) {
    const alias = String(planned.alias);
    const pem = String(planned.certificate_pem);
    const info = await parseCertificateAttribute(pem);
    const { tenant } = ctx.provider();
    const client = await tenant.tenant();
    // After a crash between the tenant's answer and Terraform saving state, the entry is already there: adopt it.
    const existing = await client.getKeystoreEntry(alias, { signal: ctx.signal });
    let entry = existing;
    if (!existing || existing.fingerprintSha256 !== info.fingerprintSha256) {
      await guardExchange(planned, info, ctx, true);
      entry = await client.putCertificate(alias, pem, { update: false, fingerprintVerified: true, signal: ctx.signal });
    }
    tenant.forgetListing();
    return { ...stateFrom(alias, pem, entry, planned, info), exchanged_at: switchedAt(entry, ctx) };
  },

  async read(state, ctx) {
    const alias = String(state.alias);
    const { tenant } = ctx.provider();
    const entry = await tenant.keystoreEntry(alias, ctx.signal);
    if (!entry) return null;
    // States written before deletion_policy existed read as the default, so that they plan no change.
    state = { ...state, deletion_policy: state.deletion_policy ?? DEFAULT_DELETION_POLICY };
    if (entry.fingerprintSha256 === state.fingerprint_sha256 && typeof state.certificate_pem === 'string') {
      return { ...state, owner: entry.owner ?? state.owner ?? null };
    }
    // Drift: someone exchanged the certificate out of band; show what the tenant really holds.
    const full = await (await tenant.tenant()).getKeystoreEntry(alias, { withCertificate: true, signal: ctx.signal });
    if (!full?.certificatePem) return null;
    return stateFrom(alias, full.certificatePem, full, state, await parseCertificateAttribute(full.certificatePem));
  },

  async readPrivate(state, priorPrivate) {
    const fingerprint = state.fingerprint_sha256;
    if (typeof state.certificate_pem !== 'string' || typeof fingerprint !== 'string') return undefined;
    if (markedFingerprint(priorPrivate) === fingerprint) return undefined;
    const { checkEncryptionCertificateKey } = await pki();
    let info: CertificateInfo;
    try {
      info = await parseCertificateAttribute(state.certificate_pem);
    } catch {
      return undefined; // the plan reads it again and says what is wrong
    }
    return info.fingerprintSha256 === fingerprint && checkEncryptionCertificateKey(info).length === 0
      ? checkedMark(info)
      : undefined;
  },

  async update(prior, planned, ctx) {
    const alias = String(planned.alias);
    const pem = String(planned.certificate_pem);
    const info = await parseCertificateAttribute(pem);
    const { tenant } = ctx.provider();
    let entry: KeystoreEntry | undefined;
    let exchangedAt = prior.exchanged_at ?? null;
    if (prior.fingerprint_sha256 === info.fingerprintSha256) {
      entry = await tenant.keystoreEntry(alias, ctx.signal);
    } else {
      // Re-checked against the live alias and receiver: the plan may be minutes old.
      const exchanging = await guardExchange(planned, info, ctx, true);
      entry = exchanging
        ? await (
            await tenant.tenant()
          ).putCertificate(alias, pem, { update: true, fingerprintVerified: true, signal: ctx.signal })
        : await tenant.keystoreEntry(alias, ctx.signal);
      exchangedAt = switchedAt(entry, ctx);
    }
    tenant.forgetListing();
    return { ...stateFrom(alias, pem, entry, planned, info), exchanged_at: exchangedAt };
  },

  async delete(state, ctx) {
    // Released, not deleted: the tenant is not called at all.
    if (abandons(state)) return;
    await guardRemoval(state, ctx, `destroying alias "${String(state.alias)}"`, true);
    const { tenant } = ctx.provider();
    await (await tenant.tenant()).deleteKeystoreEntry(String(state.alias), { signal: ctx.signal });
    tenant.forgetListing();
  },

  async import(id, ctx) {
    const alias = id.trim();
    validateAlias(alias, []);
    // the entry from this walk's listing (the tenant allows ~10 Security Content requests/s), then its PEM
    const { tenant } = ctx.provider();
    const listed = await tenant.keystoreEntry(alias, ctx.signal);
    const certificatePem = listed && (await (await tenant.tenant()).getCertificatePem(alias, { signal: ctx.signal }));
    const entry = listed && certificatePem ? { ...listed, certificatePem } : undefined;
    if (!entry?.certificatePem) {
      throw new CpiError('CPI_TENANT_NOT_FOUND', `the tenant keystore has no certificate under alias "${alias}"`);
    }
    const info = await parseCertificateAttribute(entry.certificatePem);
    return stateFrom(
      alias,
      entry.certificatePem,
      entry,
      {
        allow_same_key: false,
        expiry_warning_days: DEFAULT_EXPIRY_WARNING_DAYS,
        min_validity_days: DEFAULT_MIN_VALIDITY_DAYS,
        expected_previous_fingerprint_sha256: null,
        receiver_key_fingerprint_sha256: null,
        receiver: null,
        deletion_policy: DEFAULT_DELETION_POLICY,
        // The tenant's own record of when the entry last changed: an alias released and imported again (or adopted
        // after a crash between the exchange and Terraform saving state) keeps the moment it switched, from which
        // retention counts, instead of losing it.
        exchanged_at: entry.lastModifiedTime?.toISOString() ?? null,
      },
      info,
    );
  },
};
