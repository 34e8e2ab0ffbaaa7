// L2: one decryption key of the receiver, generated inside the receiver backend.
import type { CpiProvider } from './bindings/provider';
import { ReceiverKey, type ReceiverKeyReceiver } from './bindings/receiver-key';
import { Construct, type ITerraformDependable } from './cdktf';
import { receiverBlockFrom, type ReceiverBackendSettings } from './receiver-backend-settings';
import {
  RECEIVER_KEY_ALGORITHMS,
  RECEIVER_KEY_LIFECYCLE,
  type ReceiverKeyLifecycleState,
} from '../src/rules/receiver-key';
import {
  invalidProp,
  isLiteral,
  requireInteger,
  requireKeyName,
  requireNonEmpty,
  requireOneOf,
  requireTime,
} from './validation';

const NAME = 'ReceiverDecryptionKey';

export interface ReceiverDecryptionKeyProps {
  /** Which receiver backend holds the key. */
  readonly receiver: ReceiverBackendSettings;
  /** The key's name in the backend (lower case: letters, digits, `.`, `_`, `-`), e.g. `orders-2026`. */
  readonly keyName: string;
  /**
   * The key pair's algorithm: `RSA-2048`, `RSA-3072` or `RSA-4096`.
   * @default 'RSA-2048'
   */
  readonly algorithm?: string;
  /**
   * Subject DN of the key's self-signed certificate, e.g. `CN=orders-receiver-2026,O=Example`.
   * @default - `CN=<keyName>`
   */
  readonly subject?: string;
  /**
   * Validity of the certificate in days.
   * @default 730
   */
  readonly validityDays?: number;
  /**
   * `pending`: generated, not used; `active`: the receiver decrypts with it; `retired`: kept for the retention
   * period, not used; `deleted`: deleted from the receiver once its retention is over, kept in state as a tombstone
   * (only for a key the receiver holds). Forward only: a state behind the key's current one plans no change unless
   * `rollbackReason`; nothing comes back from `deleted`.
   * @default 'active'
   */
  readonly state?: string;
  /**
   * The tenant keystore alias this key's certificate is (or will be) under. Given, the provider refuses to retire
   * the key while the alias holds its certificate and a deployed iFlow uses the alias, and to delete it within 90
   * days after the alias last held it.
   * @default - no alias checks
   */
  readonly encryptionAlias?: string;
  /**
   * Why the key goes back in its lifecycle; set by a gated rollback stage. Without it a declared state behind the
   * key's current one plans no change.
   * @default - forward only
   */
  readonly rollbackReason?: string;
  /**
   * The key may not be deleted before this moment (RFC 3339).
   * @default - 90 days after the key is retired (the provider's default)
   */
  readonly retainUntil?: string;
  /**
   * Why the key may be deleted before `retainUntil` (e.g. it was compromised); recorded by the backend.
   * @default - none: deletion before retainUntil is refused
   */
  readonly earlyDestructionReason?: string;
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

/** The props of a key the receiver already holds: only what a stage changes about it. */
export interface ExistingReceiverDecryptionKeyProps {
  /** Which receiver backend holds the key. */
  readonly receiver: ReceiverBackendSettings;
  /** The key's name in the backend. */
  readonly keyName: string;
  /**
   * The state this stage puts the key into: `active`, `retired`, or `deleted` (deletes it once its retention is
   * over; a cleanup stage).
   * @default 'active'
   */
  readonly state?: string;
  /**
   * The tenant keystore alias this key's certificate is (or will be) under. Given, the provider refuses to retire
   * the key while the alias holds its certificate and a deployed iFlow uses the alias, and to delete it within 90
   * days after the alias last held it.
   * @default - no alias checks
   */
  readonly encryptionAlias?: string;
  /**
   * Why the key goes back in its lifecycle; set by a gated rollback stage. Without it a declared state behind the
   * key's current one plans no change.
   * @default - forward only
   */
  readonly rollbackReason?: string;
  /**
   * The key may not be deleted before this moment (RFC 3339).
   * @default - 90 days after the key is retired (the provider's default)
   */
  readonly retainUntil?: string;
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

/**
 * The import ID of a receiver key: JSON naming the key and the backend that holds it, e.g.
 * `{"key_name":"orders-2025","receiver":{"kind":"embedded","url":"http://127.0.0.1:8081"}}`. Terraform hands an
 * import only this string, and the provider cannot read a key without knowing its backend. The one place that
 * knows the form.
 * @internal
 */
export function receiverKeyImportId(keyName: string, receiver: ReceiverKeyReceiver): string {
  const block = {
    kind: receiver.kind,
    url: receiver.url,
    admin_token_env: receiver.adminTokenEnv,
    keystore_path: receiver.keystorePath,
    archive_path: receiver.archivePath,
    password_env: receiver.passwordEnv,
  };
  return JSON.stringify({ key_name: keyName, receiver: block });
}

/**
 * A decryption key of the receiver. Its private key stays in the receiver backend; Terraform state holds only its
 * certificate and facts. Deleting it is refused before `retainUntil`.
 */
export class ReceiverDecryptionKey extends Construct {
  /**
   * Adopts a key the receiver already holds (a Terraform `import` block) so that a stage can change its state.
   * The key's algorithm, subject and validity are taken from the backend (ignored in the configuration), and
   * Terraform refuses to replace it, so that adopting can never generate a new key pair by accident.
   */
  static fromExistingKey(
    scope: Construct,
    id: string,
    props: ExistingReceiverDecryptionKeyProps,
  ): ReceiverDecryptionKey {
    return new ReceiverDecryptionKey(scope, id, { ...props }, true);
  }

  readonly resource: ReceiverKey;
  readonly keyName: string;

  constructor(scope: Construct, id: string, props: ReceiverDecryptionKeyProps);
  /** @internal */
  constructor(scope: Construct, id: string, props: ReceiverDecryptionKeyProps, adopt: boolean);
  constructor(scope: Construct, id: string, props: ReceiverDecryptionKeyProps, adopt = false) {
    super(scope, id);
    this.keyName = requireKeyName(NAME, 'keyName', props.keyName);
    const receiver = receiverBlockFrom(NAME, props.receiver);
    const algorithm =
      props.algorithm === undefined
        ? undefined
        : requireOneOf(NAME, 'algorithm', props.algorithm, RECEIVER_KEY_ALGORITHMS);
    if (props.validityDays !== undefined) requireInteger(NAME, 'validityDays', props.validityDays, 1, 36_500);
    const state: ReceiverKeyLifecycleState =
      props.state === undefined ? 'active' : requireOneOf(NAME, 'state', props.state, RECEIVER_KEY_LIFECYCLE);
    if (props.rollbackReason !== undefined) requireNonEmpty(NAME, 'rollbackReason', props.rollbackReason);
    if (props.retainUntil !== undefined) requireTime(NAME, 'retainUntil', props.retainUntil);
    if (props.earlyDestructionReason !== undefined)
      requireNonEmpty(NAME, 'earlyDestructionReason', props.earlyDestructionReason);
    const subject = props.subject ?? `CN=${this.keyName}`;
    if (isLiteral(subject) && !/^[A-Za-z][\w.]*=/.test(subject))
      invalidProp(NAME, 'subject', subject, 'a distinguished name such as "CN=orders-receiver-2026,O=Example"');
    this.resource = new ReceiverKey(this, 'key', {
      receiver,
      keyName: this.keyName,
      algorithm,
      subject,
      validityDays: props.validityDays,
      state,
      retainUntil: props.retainUntil,
      earlyDestructionReason: props.earlyDestructionReason,
      encryptionAlias: props.encryptionAlias,
      rollbackReason: props.rollbackReason,
      dependsOn: props.dependsOn,
      provider: props.provider,
      // Adopted: what the backend reports wins, and a replacement (a new key pair under the old name) is refused.
      ...(adopt
        ? { lifecycle: { ignoreChanges: ['algorithm', 'subject', 'validity_days'], preventDestroy: true } }
        : {}),
    });
    if (adopt) this.resource.importFrom(receiverKeyImportId(this.keyName, receiver), props.provider);
  }

  /** The key's certificate (PEM), to hand to the tenant (a token). */
  get certificatePem(): string {
    return this.resource.certificatePem;
  }

  /** SHA-256 fingerprint of the key's certificate (a token). */
  get fingerprintSha256(): string {
    return this.resource.fingerprintSha256;
  }
}
