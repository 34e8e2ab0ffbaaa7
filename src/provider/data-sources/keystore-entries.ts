// cpi_keystore_entry and cpi_keystore_entries: what the tenant keystore holds, for lookups and expiry monitoring.
import { CpiError } from '../../errors';
import type { KeystoreEntry } from '../../tenant/keystore';
import type { CtyType, ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import type { AttributeSpec } from '../schema';
import type { DataSourceType } from '../resource';

const DAY_MS = 86_400_000;

const entryAttributes: Record<string, AttributeSpec & { type: CtyType }> = {
  hexalias: { type: 'string', computed: true, description: 'The alias as upper-case hex.' },
  type: { type: 'string', computed: true, description: '`Certificate` or `Key Pair`.' },
  owner: { type: 'string', computed: true, description: '`Tenant Administrator` or `SAP`.' },
  fingerprint_sha256: { type: 'string', computed: true, description: 'SHA-256 fingerprint, colon-separated hex.' },
  serial_number: { type: 'string', computed: true, description: 'Serial number as the tenant shows it.' },
  issuer_dn: { type: 'string', computed: true, description: 'Issuer DN as the tenant shows it.' },
  subject_dn: { type: 'string', computed: true, description: 'Subject DN as the tenant shows it.' },
  valid_not_before: { type: 'string', computed: true, description: 'Start of validity (RFC 3339).' },
  valid_not_after: { type: 'string', computed: true, description: 'End of validity (RFC 3339).' },
  key_type: { type: 'string', computed: true, description: 'Key type, e.g. `RSA`.' },
  key_size: { type: 'number', computed: true, description: 'Key size in bits.' },
};

function entryValue(e: KeystoreEntry): ObjectValue {
  return {
    alias: e.alias,
    hexalias: e.hexAlias,
    type: e.type ?? null,
    owner: e.owner ?? null,
    fingerprint_sha256: e.fingerprintSha256 ?? null,
    serial_number: e.serialNumber ?? null,
    issuer_dn: e.issuerDn ?? null,
    subject_dn: e.subjectDn ?? null,
    valid_not_before: e.validNotBefore?.toISOString() ?? null,
    valid_not_after: e.validNotAfter?.toISOString() ?? null,
    key_type: e.keyType ?? null,
    key_size: e.keySize ?? null,
  };
}

export const keystoreEntry: DataSourceType<ProviderClients> = {
  name: 'cpi_keystore_entry',
  schema: {
    version: 0,
    description: 'One entry of the tenant keystore, by alias. Fails when the alias is absent.',
    block: {
      attributes: { alias: { type: 'string', required: true, description: 'The keystore alias.' }, ...entryAttributes },
    },
  },
  async read(config, ctx) {
    const alias = String(config.alias);
    const entry = await ctx.provider().tenant.keystoreEntry(alias, ctx.signal);
    if (!entry)
      throw new CpiError('CPI_TENANT_NOT_FOUND', `the tenant keystore has no entry under alias "${alias}"`, ['alias']);
    return entryValue(entry);
  },
};

const entryObjectType: CtyType = [
  'object',
  { alias: 'string', ...Object.fromEntries(Object.entries(entryAttributes).map(([k, a]) => [k, a.type])) },
];

export const keystoreEntries: DataSourceType<ProviderClients> = {
  name: 'cpi_keystore_entries',
  schema: {
    version: 0,
    description:
      'The entries of the tenant keystore, optionally only those whose alias starts with a prefix and those that expire soon: for expiry monitoring.',
    block: {
      attributes: {
        alias_prefix: {
          type: 'string',
          optional: true,
          description: 'Only aliases that start with this. Defaults to all aliases.',
        },
        expiring_within_days: {
          type: 'number',
          optional: true,
          description:
            'Only entries that expire within this many days from now (expired ones included). Defaults to no expiry filter.',
        },
        entries: {
          type: ['list', entryObjectType],
          computed: true,
          description: 'The matching entries, sorted by alias.',
        },
      },
    },
  },
  async read(config, ctx) {
    const client = await ctx.provider().tenant.tenant();
    const prefix = typeof config.alias_prefix === 'string' ? config.alias_prefix : '';
    const within = typeof config.expiring_within_days === 'number' ? config.expiring_within_days : undefined;
    const horizon = within === undefined ? undefined : ctx.now().getTime() + within * DAY_MS;
    const entries = (await client.listKeystoreEntries({ signal: ctx.signal }))
      .filter((e) => e.alias.startsWith(prefix))
      .filter((e) => horizon === undefined || (e.validNotAfter !== undefined && e.validNotAfter.getTime() <= horizon))
      .sort((a, b) => a.alias.localeCompare(b.alias));
    return {
      alias_prefix: config.alias_prefix ?? null,
      expiring_within_days: config.expiring_within_days ?? null,
      entries: entries.map(entryValue),
    };
  },
};
