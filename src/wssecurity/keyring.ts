// The receiver's decryption keys: several key pairs at once, because during a renewal (variant A) the receiver
// decrypts with the old and the new key until the tenant has switched.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CpiError } from '../errors';
import { readCertificate, type WssCertificate } from './wss-certificate';
import { describeHeld, matchReference, type KeyReference, type MatchedBy } from './key-identifier';

/** One decryption key of the receiver. */
export interface KeyringEntry {
  /** PKCS#8 or PKCS#1 PEM (encrypted PEM needs `passphrase`). */
  readonly privateKeyPem: string;
  /** The certificate the sender encrypts for. */
  readonly certificatePem: string;
  /** A name for logs and results. @default - the certificate's SHA-256 fingerprint */
  readonly id?: string;
  /** Passphrase of an encrypted private key PEM. @default - none */
  readonly passphrase?: string;
}

/** A keyring entry with its key parsed and its certificate facts computed. */
export interface LoadedKey {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly facts: WssCertificate;
}

/** A parsed keyring; build it once with {@link loadKeyring} and reuse it for many messages. */
export interface LoadedKeyring {
  readonly keys: readonly LoadedKey[];
}

/** Parses the entries and checks that each private key belongs to its certificate. */
export function loadKeyring(entries: readonly KeyringEntry[] | LoadedKeyring): LoadedKeyring {
  if (!Array.isArray(entries)) return entries as LoadedKeyring;
  const keys = (entries as readonly KeyringEntry[]).map((entry, index) => {
    const facts = readCertificate(entry.certificatePem);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(
        entry.passphrase === undefined
          ? entry.privateKeyPem
          : { key: entry.privateKeyPem, passphrase: entry.passphrase, format: 'pem' },
      );
    } catch (error) {
      throw new CpiError(
        'CPI_WSS_INVALID_OPTION',
        `keyring entry ${index}: the private key does not load: ${(error as Error).message}`,
      );
    }
    const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
    if (!spki(createPublicKey(privateKey)).equals(spki(facts.publicKey))) {
      throw new CpiError(
        'CPI_WSS_INVALID_OPTION',
        `keyring entry ${entry.id ?? index}: the private key does not belong to the certificate sha256=${facts.fingerprintSha256}`,
      );
    }
    return { id: entry.id ?? facts.fingerprintSha256, privateKey, facts };
  });
  return { keys };
}

/** The first key whose certificate the reference names, with how it matched. */
export function findKey(
  keyring: LoadedKeyring,
  ref: KeyReference,
): { key: LoadedKey; matchedBy: MatchedBy } | undefined {
  for (const key of keyring.keys) {
    const matchedBy = matchReference(ref, key.facts);
    if (matchedBy) return { key, matchedBy };
  }
  return undefined;
}

/** Lists the held keys for an error detail (never the keys themselves). */
export function describeKeyring(keyring: LoadedKeyring): string {
  if (keyring.keys.length === 0) return 'the keyring is empty';
  return `the keyring holds ${keyring.keys.length} key(s): ${keyring.keys.map((k) => describeHeld(k.facts, k.id)).join('; ')}`;
}
