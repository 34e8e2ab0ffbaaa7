// cpi_keystore_certificate: a certificate entry in the tenant keystore (alias → X.509). Changing the certificate
// exchanges it in place under the same alias, as SAP's renewal procedure requires; the certificate is checked at
// plan time so that a bad one never reaches the tenant.
import { CpiError } from '../../errors';
import type { CertificateInfo } from '../../pki/certificate-info';
import { toHexAlias } from '../../tenant/hex-alias';
import type { KeystoreEntry } from '../../tenant/keystore';
import { isUnknown, type ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import type { CallContext, ResourceType } from '../resource';
import { validateAlias } from '../../rules/alias';

const DEFAULT_EXPIRY_WARNING_DAYS = 30;

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

async function checkCertificate(
  config: ObjectValue,
  ctx: CallContext<ProviderClients>,
): Promise<CertificateInfo | undefined> {
  if (typeof config.certificate_pem !== 'string') return undefined;
  const { assertNoErrors, checkEncryptionCertificate } = await pki();
  const info = await parseCertificateAttribute(config.certificate_pem);
  const findings = checkEncryptionCertificate(info, {
    now: ctx.now(),
    expiryWarningDays:
      typeof config.expiry_warning_days === 'number' ? config.expiry_warning_days : DEFAULT_EXPIRY_WARNING_DAYS,
    label: 'certificate_pem',
  });
  assertNoErrors(findings, ['certificate_pem']);
  for (const w of findings) ctx.warn(`${w.code}: certificate_pem`, w.detail, ['certificate_pem']);
  return info;
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
      'certificate in place, keeping the alias. Import with the alias as ID.',
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
        id: { type: 'string', computed: true, description: 'The alias.' },
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
    },
  },

  async validate(config, ctx) {
    if (typeof config.alias === 'string') validateAlias(config.alias, ['alias']);
    await checkCertificate(config, ctx);
  },

  async plan({ prior, proposed, config }, ctx) {
    const planned = { ...proposed };
    const info = await checkCertificate(config, ctx);
    if (!info || typeof planned.alias !== 'string') return { planned };
    Object.assign(planned, certificateFacts(info), { id: planned.alias, hexalias: toHexAlias(planned.alias) });
    const { tenant } = ctx.provider();
    if (prior === null || prior.alias !== planned.alias) {
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
    } else if (prior.fingerprint_sha256 !== info.fingerprintSha256 && typeof prior.certificate_pem === 'string') {
      // Exchange: the receiver must be able to tell old and new key apart (DESIGN.md §3.5).
      const { assertNoErrors, checkRenewal } = await pki();
      const old = await parseCertificateAttribute(prior.certificate_pem);
      const findings = checkRenewal(old, info, { now: ctx.now(), allowSameKey: planned.allow_same_key === true });
      assertNoErrors(findings, ['certificate_pem']);
      for (const w of findings) ctx.warn(`${w.code}: certificate_pem`, w.detail, ['certificate_pem']);
      planned.owner = prior.owner ?? null;
    }
    return { planned };
  },

  async create(planned, ctx) {
    const alias = String(planned.alias);
    const pem = String(planned.certificate_pem);
    const info = await parseCertificateAttribute(pem);
    const { tenant } = ctx.provider();
    const client = await tenant.tenant();
    // After a crash between the tenant's answer and Terraform saving state, the entry is already there: adopt it.
    const existing = await client.getKeystoreEntry(alias, { signal: ctx.signal });
    const entry =
      existing && existing.fingerprintSha256 === info.fingerprintSha256
        ? existing
        : await client.putCertificate(alias, pem, { update: false, fingerprintVerified: true, signal: ctx.signal });
    tenant.forgetListing();
    return stateFrom(alias, pem, entry, planned, info);
  },

  async read(state, ctx) {
    const alias = String(state.alias);
    const { tenant } = ctx.provider();
    const entry = await tenant.keystoreEntry(alias, ctx.signal);
    if (!entry) return null;
    if (entry.fingerprintSha256 === state.fingerprint_sha256 && typeof state.certificate_pem === 'string') {
      return { ...state, owner: entry.owner ?? state.owner ?? null };
    }
    // Drift: someone exchanged the certificate out of band; show what the tenant really holds.
    const full = await (await tenant.tenant()).getKeystoreEntry(alias, { withCertificate: true, signal: ctx.signal });
    if (!full?.certificatePem) return null;
    return stateFrom(alias, full.certificatePem, full, state, await parseCertificateAttribute(full.certificatePem));
  },

  async update(prior, planned, ctx) {
    const alias = String(planned.alias);
    const pem = String(planned.certificate_pem);
    const info = await parseCertificateAttribute(pem);
    const { tenant } = ctx.provider();
    const entry =
      prior.fingerprint_sha256 === info.fingerprintSha256
        ? await tenant.keystoreEntry(alias, ctx.signal)
        : await (
            await tenant.tenant()
          ).putCertificate(alias, pem, { update: true, fingerprintVerified: true, signal: ctx.signal });
    tenant.forgetListing();
    return stateFrom(alias, pem, entry, planned, info);
  },

  async delete(state, ctx) {
    const { tenant } = ctx.provider();
    await (await tenant.tenant()).deleteKeystoreEntry(String(state.alias), { signal: ctx.signal });
    tenant.forgetListing();
  },

  async import(id, ctx) {
    const alias = id.trim();
    validateAlias(alias, []);
    const entry = await (
      await ctx.provider().tenant.tenant()
    ).getKeystoreEntry(alias, { withCertificate: true, signal: ctx.signal });
    if (!entry?.certificatePem) {
      throw new CpiError('CPI_TENANT_NOT_FOUND', `the tenant keystore has no certificate under alias "${alias}"`);
    }
    const info = await parseCertificateAttribute(entry.certificatePem);
    return stateFrom(
      alias,
      entry.certificatePem,
      entry,
      { allow_same_key: false, expiry_warning_days: DEFAULT_EXPIRY_WARNING_DAYS },
      info,
    );
  },
};
