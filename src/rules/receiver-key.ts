// The receiver key's rules: its name, and the closed sets of values (algorithms, states, backend kinds). The
// provider schema lists the sets as allowed values (so docs and bindings show them); constructs, backends and the
// emulator take them from here.
import { CpiError } from '../errors';

// Receiver key names are PKCS#12 aliases. Java lower-cases PKCS#12 aliases when it lists them, so a name with
// upper case would come back different from what Terraform stored; such names are refused instead.
const KEY_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** What a key name must be, for messages. */
export const KEY_NAME_RULE = '1-64 characters of a-z, 0-9, ".", "_", "-" starting with a letter or digit';

export function isKeyName(name: string): boolean {
  return typeof name === 'string' && KEY_NAME.test(name);
}

/** Throws CPI_RECEIVER_KEY_NAME_INVALID unless `name` is a valid receiver key name. */
export function validateKeyName(name: string, attribute: readonly (string | number)[] = ['key_name']): void {
  if (!isKeyName(name)) {
    throw new CpiError(
      'CPI_RECEIVER_KEY_NAME_INVALID',
      `key name ${JSON.stringify(name)} is not ${KEY_NAME_RULE}`,
      attribute,
    );
  }
}

export const RECEIVER_KEY_ALGORITHMS = ['RSA-2048', 'RSA-3072', 'RSA-4096'] as const;
export type ReceiverKeyAlgorithm = (typeof RECEIVER_KEY_ALGORITHMS)[number];
export const DEFAULT_RECEIVER_KEY_ALGORITHM: ReceiverKeyAlgorithm = 'RSA-2048';

/** RSA modulus length of each algorithm. */
export const RSA_BITS: Readonly<Record<ReceiverKeyAlgorithm, number>> = {
  'RSA-2048': 2048,
  'RSA-3072': 3072,
  'RSA-4096': 4096,
};

/** The algorithm whose modulus has this many bits, or undefined. */
export function algorithmForBits(bits: number): ReceiverKeyAlgorithm | undefined {
  return RECEIVER_KEY_ALGORITHMS.find((a) => RSA_BITS[a] === bits);
}

/** `active`: the receiver decrypts with the key; `retired`: kept for the retention period, not used. */
export const RECEIVER_KEY_STATES = ['active', 'retired'] as const;
export type ReceiverKeyState = (typeof RECEIVER_KEY_STATES)[number];

/**
 * The lifecycle of a managed key (cpi_receiver_key), forward only: `pending` (generated, not used to decrypt) ->
 * `active` -> `retired` -> `deleted` (gone from the receiver after its retention; kept in state as a tombstone).
 * A backend knows only whether a key decrypts: pending and retired are both `retired` there, and a deleted key is
 * not listed at all.
 */
export const RECEIVER_KEY_LIFECYCLE = ['pending', 'active', 'retired', 'deleted'] as const;
export type ReceiverKeyLifecycleState = (typeof RECEIVER_KEY_LIFECYCLE)[number];

/** Where a receiver keeps its keys: a PKCS#12 keystore pair, or the embedded receiver's admin API. */
export const RECEIVER_KINDS = ['pkcs12', 'embedded'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];
