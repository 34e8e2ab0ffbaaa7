// Where a receiver keeps the private keys it decrypts with. Keys are generated inside the backend: the private key
// never leaves it, so it never reaches Terraform. Two backends implement this: a PKCS#12 keystore pair as a Java
// receiver on WSS4J/CXF reads it, and the HTTP admin API of the embedded receiver.

import type { ReceiverKeyAlgorithm, ReceiverKeyState } from '../rules/receiver-key';

export type { ReceiverKeyAlgorithm, ReceiverKeyState };

export interface ReceiverKey {
  /** The key's name in the backend (the PKCS#12 alias; lower case). */
  readonly name: string;
  readonly state: ReceiverKeyState;
  readonly algorithm: ReceiverKeyAlgorithm;
  /** The public certificate (PEM) handed to the tenant. */
  readonly certificatePem: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex. */
  readonly fingerprintSha256: string;
  readonly createdAt: Date;
  /** When the key was last retired; undefined while active and never retired. */
  readonly retiredAt?: Date;
  /** The key may not be deleted before this moment (undefined: no retention recorded). */
  readonly retainUntil?: Date;
}

export interface NewReceiverKey {
  readonly name: string;
  readonly algorithm: ReceiverKeyAlgorithm;
  /** Subject DN of the self-signed certificate, e.g. `CN=orders-receiver-2026,O=Example`. */
  readonly subject: string;
  readonly validityDays: number;
  /** The key's first state. @default 'active' */
  readonly state?: ReceiverKeyState;
}

export interface ProbeResult {
  /** True when the receiver decrypted the canary with one of its active keys. */
  readonly decrypted: boolean;
  /** Fingerprint of the certificate of the key that decrypted it. */
  readonly keyFingerprintSha256?: string;
  /** What happened, for the gate's evidence and error messages (never a secret). */
  readonly detail: string;
}

export interface ReceiverBackend {
  /** Every key, active and retired. */
  listKeys(signal?: AbortSignal): Promise<ReceiverKey[]>;
  /** Generates a key pair and self-signed certificate inside the backend; refuses a name that exists. */
  generateKey(spec: NewReceiverKey, signal?: AbortSignal): Promise<ReceiverKey>;
  /** Activates or retires a key; retiring records retiredAt and retainUntil. */
  setKeyState(
    name: string,
    state: ReceiverKeyState,
    options: { retainUntil?: Date },
    signal?: AbortSignal,
  ): Promise<ReceiverKey>;
  /**
   * Deletes a key. Refused before its retainUntil unless `earlyDestructionReason` is given (a compromised key),
   * which the backend records.
   */
  deleteKey(name: string, options: { now: Date; earlyDestructionReason?: string }, signal?: AbortSignal): Promise<void>;
  /** Does the receiver decrypt a canary WS-Security message encrypted for this certificate? */
  probe(certificatePem: string, signal?: AbortSignal): Promise<ProbeResult>;
}

/** How to reach a receiver's key store; secrets are resolved from the environment, never from Terraform state. */
export type ReceiverSettings =
  | { readonly kind: 'embedded'; readonly url: string; readonly adminToken?: string }
  | { readonly kind: 'pkcs12'; readonly keystorePath: string; readonly archivePath: string; readonly password: string };
