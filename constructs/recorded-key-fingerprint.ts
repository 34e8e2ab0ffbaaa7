// The certificate fingerprint of a receiver key as it was when a stage was first applied, kept from then on.
import { DataCpiReceiverKeyring } from './bindings/data-cpi-receiver-keyring';
import type { CpiProvider } from './bindings/provider';
import { Construct, DataResource, type ITerraformDependable } from './cdktf';
import { receiverBlockFrom, type ReceiverBackendSettings } from './receiver-backend-settings';
import { requireKeyName } from './validation';

const NAME = 'RecordedKeyFingerprint';

export interface RecordedKeyFingerprintProps {
  /** Which receiver backend holds the key. */
  readonly receiver: ReceiverBackendSettings;
  /** The key's name in the backend. */
  readonly keyName: string;
  /**
   * What must be applied first.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The provider instance to use.
   * @default - the stack's default `cpi` provider
   */
  readonly provider?: CpiProvider;
}

/**
 * Reads the receiver's keys (the `cpi_receiver_keyring` data source, receiver access only) and records the named
 * key's certificate fingerprint in a `terraform_data` whose input changes are ignored: the value of the first apply
 * is kept for good. A renewal needs the certificate it started from long after that key is gone (the cleanup deletes
 * it), and re-planning the recording stage then must stay a no-op, so the record never follows the live keyring.
 * The first apply fails (a postcondition) when the receiver holds no key of that name.
 */
export class RecordedKeyFingerprint extends Construct {
  /** The `terraform_data` holding the record, for `dependsOn`. */
  readonly record: DataResource;
  /** The recorded SHA-256 fingerprint (a token). */
  readonly fingerprintSha256: string;

  constructor(scope: Construct, id: string, props: RecordedKeyFingerprintProps) {
    super(scope, id);
    const keyName = requireKeyName(NAME, 'keyName', props.keyName);
    const keyring = new DataCpiReceiverKeyring(this, 'keyring', {
      receiver: receiverBlockFrom(NAME, props.receiver),
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
    // `""` when the key is missing: terraform_data cannot hold a null input apart from "no input".
    const live = `\${concat([for k in ${keyring.fqn}.keys : k.fingerprint_sha256 if k.name == ${JSON.stringify(keyName)}], [""])[0]}`;
    this.record = new DataResource(this, 'record', {
      input: { fingerprint_sha256: live },
      lifecycle: {
        ignoreChanges: ['input'],
        postcondition: [
          {
            condition: '${self.output.fingerprint_sha256 != ""}',
            errorMessage: `The receiver holds no key named "${keyName}" whose certificate the renewal starts from; check the key name (oldKeyName).`,
          },
        ],
      },
    });
    this.fingerprintSha256 = this.record.getStringAttribute('output.fingerprint_sha256');
  }
}
