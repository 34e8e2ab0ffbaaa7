// L2: a certificate under an alias in the tenant keystore, e.g. the receiver's encryption certificate.
import { DataCpiKeystoreEntry } from './bindings/data-cpi-keystore-entry';
import { KeystoreCertificate } from './bindings/keystore-certificate';
import type { CpiProvider } from './bindings/provider';
import { Construct, type ITerraformDependable } from './cdktf';
import { receiverBlockFrom, type ReceiverBackendSettings } from './receiver-backend-settings';
import { requireAlias, requireInteger, requireOneOf, requirePem } from './validation';

const NAME = 'TenantKeystoreCertificate';
const DELETION_POLICIES = ['DELETE', 'ABANDON'] as const;

export interface TenantKeystoreCertificateProps {
  /** The keystore alias, e.g. the channel's "Public Key Alias for Encryption" (lower case). */
  readonly alias: string;
  /** The X.509 certificate in PEM form, or a token such as another stack's output. */
  readonly certificatePem: string;
  /**
   * Adopt the entry the tenant already holds under the alias (a Terraform `import` block, Terraform 1.5+), so
   * that applying exchanges its certificate in place instead of failing because the alias exists.
   * @default false
   */
  readonly adoptExisting?: boolean;
  /**
   * Accept a certificate for the same public key as the one it replaces (a re-certification, not a key renewal).
   * @default false
   */
  readonly allowSameKey?: boolean;
  /**
   * Warn at plan time when the certificate expires within this many days.
   * @default 30 (the provider's default)
   */
  readonly expiryWarningDays?: number;
  /**
   * Refuse a certificate about to be put under the alias with fewer days of validity left (at least 1).
   * @default 30 (the provider's default)
   */
  readonly minValidityDays?: number;
  /**
   * SHA-256 fingerprint of the certificate this exchange replaces: the exchange proceeds only while the alias
   * holds it or already the new certificate (compare-and-swap), else CPI_RENEWAL_ALIAS_CONFLICT at plan.
   * @default - no check
   */
  readonly expectedPreviousFingerprintSha256?: string;
  /**
   * SHA-256 fingerprint of the receiver key's certificate this alias is meant for; another certificate is refused.
   * @default - no check
   */
  readonly receiverKeyFingerprintSha256?: string;
  /**
   * The receiver whose keys decrypt for this certificate: given, the provider refuses an exchange that leaves
   * deployed iFlows encrypting for a certificate without an active receiver key.
   * @default - only the tenant side is checked
   */
  readonly receiver?: ReceiverBackendSettings;
  /**
   * What destroying this stack, removing the construct or renaming the alias does to the tenant entry: `DELETE`
   * deletes it (refused while a deployed iFlow uses the alias); `ABANDON` releases it from state and leaves the
   * alias and its certificate in the tenant. Use `ABANDON` for an alias you adopted rather than created.
   * @default 'DELETE'
   */
  readonly deletionPolicy?: string;
  /**
   * What must be applied first, e.g. the stage's gate.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The provider instance to use.
   * @default - the stack's default `cpi` provider
   */
  readonly provider?: CpiProvider;
}

/** A certificate entry in the tenant keystore, exchanged in place (keeping the alias) when the PEM changes. */
export class TenantKeystoreCertificate extends Construct {
  /** Reads an entry the tenant holds without managing it (the `cpi_keystore_entry` data source). */
  static fromAlias(scope: Construct, id: string, alias: string): DataCpiKeystoreEntry {
    return new DataCpiKeystoreEntry(scope, id, { alias: requireAlias(NAME, 'alias', alias) });
  }

  /** The L1 resource, for escape hatches. */
  readonly resource: KeystoreCertificate;
  readonly alias: string;

  constructor(scope: Construct, id: string, props: TenantKeystoreCertificateProps) {
    super(scope, id);
    this.alias = requireAlias(NAME, 'alias', props.alias);
    requirePem(NAME, 'certificatePem', props.certificatePem);
    if (props.expiryWarningDays !== undefined)
      requireInteger(NAME, 'expiryWarningDays', props.expiryWarningDays, 0, 3650);
    if (props.minValidityDays !== undefined) requireInteger(NAME, 'minValidityDays', props.minValidityDays, 1, 3650);
    this.resource = new KeystoreCertificate(this, 'certificate', {
      alias: this.alias,
      certificatePem: props.certificatePem,
      allowSameKey: props.allowSameKey,
      expiryWarningDays: props.expiryWarningDays,
      minValidityDays: props.minValidityDays,
      expectedPreviousFingerprintSha256: props.expectedPreviousFingerprintSha256,
      receiverKeyFingerprintSha256: props.receiverKeyFingerprintSha256,
      deletionPolicy:
        props.deletionPolicy === undefined
          ? undefined
          : requireOneOf(NAME, 'deletionPolicy', props.deletionPolicy, DELETION_POLICIES),
      receiver: props.receiver ? receiverBlockFrom(NAME, props.receiver) : undefined,
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
    if (props.adoptExisting) this.resource.importFrom(this.alias, props.provider);
  }

  /** When this resource last put a certificate under the alias, re-timed by every exchange (a token). */
  get exchangedAt(): string {
    return this.resource.exchangedAt;
  }

  /** SHA-256 fingerprint of the certificate the alias holds (a token). */
  get fingerprintSha256(): string {
    return this.resource.fingerprintSha256;
  }
}
