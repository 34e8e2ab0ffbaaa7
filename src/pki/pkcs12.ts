// PKCS#12 keystores holding the receiver's decryption keys, in the form a Java receiver on WSS4J/CXF loads with
// KeyStore.getInstance("PKCS12"): one PrivateKeyEntry per alias (friendlyName = alias, key and certificate
// paired by localKeyId). Protection, as JDK 17's own keytool writes it where node-forge allows:
// - private keys: PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC (node-forge's aes256 + prfAlgorithm sha256);
// - integrity: HMAC-SHA256 MAC with the PKCS#12 key derivation (written by pkcs12-keystore.ts);
// - certificates: not encrypted in a new file (they are public anyway); a file that had them encrypted keeps that.
// node-forge builds each entry's bags; pkcs12-keystore.ts joins bags into a file and rewrites existing files.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CpiError } from '../errors';
import { parseCertificatePem } from './certificate-info';
import { derToPem } from './certificate-pem';
import {
  emptyKeystore,
  readPkcs12Keystore,
  refuseJavaKeystore,
  withBags,
  writePkcs12Keystore,
  type KeystoreBag,
} from './pkcs12-keystore';

const asn1 = forge.asn1;

/** One keystore entry: a private key with its certificate under an alias. */
export interface Pkcs12Entry {
  /**
   * The alias (PKCS#12 friendlyName). Java's PKCS12 KeyStore compares aliases case-insensitively and lists
   * them in lower case, so aliases must differ in more than case.
   */
  readonly alias: string;
  /** The RSA private key as unencrypted PEM (PKCS#8 when read back). */
  readonly privateKeyPem: string;
  /** The entry's certificate (the leaf) as PEM. */
  readonly certificatePem: string;
}

/** Options of writePkcs12. */
export interface WritePkcs12Options {
  readonly entries: readonly Pkcs12Entry[];
  /** Keystore password, protecting both the keys and the MAC (printable ASCII, as Java tools expect). */
  readonly password: string;
  /** PBKDF2 and MAC iteration count. @default 10000 (JDK 17's default) */
  readonly iterations?: number;
}

const DEFAULT_ITERATIONS = 10_000;

function checkPassword(password: string): void {
  if (typeof password !== 'string' || !/^[\x20-\x7e]+$/.test(password)) {
    throw new CpiError(
      'CPI_VALUE_INVALID',
      'the PKCS#12 password must be non-empty printable ASCII (other characters are encoded differently by Java and other tools)',
      ['password'],
    );
  }
}

function readEntryKey(entry: Pkcs12Entry, index: number): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: entry.privateKeyPem, format: 'pem' });
  } catch (error) {
    // OpenSSL's reason never contains key material.
    throw new CpiError(
      'CPI_PKI_PRIVATE_KEY_INVALID',
      `the private key of entry "${entry.alias}" cannot be read (${(error as Error).message})`,
      ['entries', index, 'privateKeyPem'],
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CpiError(
      'CPI_PKI_PRIVATE_KEY_INVALID',
      `the private key of entry "${entry.alias}" is of type ${key.asymmetricKeyType}; expected an RSA key`,
      ['entries', index, 'privateKeyPem'],
    );
  }
  return key;
}

/** Checks one entry and makes its SafeBags: the shrouded key and the certificate, paired by localKeyId. */
export function entryBags(
  entry: Pkcs12Entry,
  options: {
    readonly password: string;
    readonly iterations?: number;
    readonly index?: number;
    /** How to encrypt the key: as the keystore it goes into encrypts its keys. @default 'aes256' (PBES2) */
    readonly algorithm?: 'aes256' | '3des';
  },
): KeystoreBag[] {
  const index = options.index ?? 0;
  checkPassword(options.password);
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (typeof entry.alias !== 'string' || entry.alias.trim() === '') {
    throw new CpiError('CPI_PKI_PKCS12_ENTRY_INVALID', `entry ${index} has an empty alias`, [
      'entries',
      index,
      'alias',
    ]);
  }
  const info = parseCertificatePem(entry.certificatePem);
  const key = readEntryKey(entry, index);
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const certSpki = createPublicKey(info.pem).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(certSpki)) {
    throw new CpiError(
      'CPI_PKI_KEY_CERTIFICATE_MISMATCH',
      `the private key of entry "${entry.alias}" does not belong to its certificate (subject "${info.subjectDn}", SHA-256 fingerprint ${info.fingerprintSha256})`,
      ['entries', index],
    );
  }
  const forgeKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }) as string);
  const forgeCert = forge.pki.certificateFromPem(info.pem);
  const pfx = forge.pkcs12.toPkcs12Asn1(forgeKey, forgeCert, options.password, {
    algorithm: options.algorithm ?? 'aes256',
    count: iterations,
    saltSize: 16,
    useMac: false,
    friendlyName: entry.alias,
    generateLocalKeyId: true, // SHA-1 of the certificate: pairs the key bag with its cert bag
    // passed through to pki.encryptPrivateKeyInfo; missing from @types/node-forge
    prfAlgorithm: 'sha256',
  } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  const der = Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
  return readPkcs12Keystore(der, options.password).groups.flatMap((g) => g.bags);
}

/**
 * Writes a PKCS#12 keystore with one PrivateKeyEntry per entry. Refuses an empty or duplicate alias
 * (case-insensitively), a key that does not belong to its certificate, and anything parseCertificatePem refuses.
 */
export function writePkcs12(options: WritePkcs12Options): Buffer {
  checkPassword(options.password);
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) {
    throw new CpiError('CPI_VALUE_INVALID', `iterations ${iterations} is not a whole number from 1 to 10000000`, [
      'iterations',
    ]);
  }
  const seen = new Map<string, string>();
  const bags = options.entries.flatMap((entry, index) => {
    const folded = typeof entry.alias === 'string' ? entry.alias.toLowerCase() : '';
    const clash = seen.get(folded);
    if (clash !== undefined) {
      throw new CpiError(
        'CPI_PKI_PKCS12_ENTRY_INVALID',
        `alias "${entry.alias}" of entry ${index} equals alias "${clash}" of an earlier entry (Java ignores case in aliases)`,
        ['entries', index, 'alias'],
      );
    }
    seen.set(folded, entry.alias);
    return entryBags(entry, { password: options.password, iterations, index });
  });
  return writePkcs12Keystore(withBags(emptyKeystore(iterations), bags), options.password);
}

type Bag = forge.pkcs12.Bag & { attributes: Record<string, unknown[] | undefined>; asn1?: forge.asn1.Asn1 };

function attribute(bag: Bag, name: string): string | undefined {
  const value = bag.attributes[name]?.[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Reads the key entries of a PKCS#12 keystore: each private key with the certificate that shares its
 * localKeyId (or, in a keystore with one key and one certificate, that certificate), under its friendlyName.
 * Certificates without a key of their own (CA chain, trusted certificates) are not returned. Keys of any type
 * Node reads (RSA, EC, DSA) are returned; callers that need RSA check the key type.
 * A wrong password gives CPI_PKI_PKCS12_PASSWORD; anything unreadable CPI_PKI_PKCS12_INVALID.
 */
export function readPkcs12(buffer: Buffer, password: string, path?: string): Pkcs12Entry[] {
  refuseJavaKeystore(buffer, path);
  let p12: forge.pkcs12.Pkcs12Pfx;
  let parsed: forge.asn1.Asn1;
  try {
    parsed = asn1.fromDer(forge.util.createBuffer(buffer.toString('binary')));
  } catch (error) {
    throw new CpiError(
      'CPI_PKI_PKCS12_INVALID',
      `the ${buffer.length} bytes are not DER (${(error as Error).message}); expected a binary .p12/.pfx file, not base64 or PEM`,
    );
  }
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(parsed, true, password);
  } catch (error) {
    const message = (error as Error).message;
    if (/MAC could not be verified|Invalid password/i.test(message)) {
      throw new CpiError(
        'CPI_PKI_PKCS12_PASSWORD',
        'the MAC over the keystore does not verify with the given password',
        ['password'],
      );
    }
    // Without a MAC, a wrong password surfaces as undecryptable key bags.
    if (/decrypt|padding|Cannot read (encrypted )?private key/i.test(message)) {
      throw new CpiError('CPI_PKI_PKCS12_PASSWORD', 'the private keys do not decrypt with the given password', [
        'password',
      ]);
    }
    throw new CpiError('CPI_PKI_PKCS12_INVALID', `the keystore cannot be read (${message})`);
  }

  const bagsOf = (type: string): Bag[] => (p12.getBags({ bagType: type })[type] ?? []) as Bag[];
  const keyBags = [
    ...bagsOf(forge.pki.oids['pkcs8ShroudedKeyBag'] as string),
    ...bagsOf(forge.pki.oids['keyBag'] as string),
  ];
  const certBags = bagsOf(forge.pki.oids['certBag'] as string);
  return keyBags.map((keyBag, index) => {
    // forge decodes RSA keys only; it hands other keys (EC, DSA) over as their PrivateKeyInfo, which Node reads.
    const keyDer =
      keyBag.key === undefined || keyBag.key === null
        ? keyBag.asn1 && Buffer.from(asn1.toDer(keyBag.asn1).getBytes(), 'binary')
        : undefined;
    if ((keyBag.key === undefined || keyBag.key === null) && keyDer === undefined) {
      throw new CpiError('CPI_PKI_PKCS12_INVALID', `key entry ${index} could not be decoded`);
    }
    const localKeyId = attribute(keyBag, 'localKeyId');
    const certBag =
      certBags.find((c) => localKeyId !== undefined && attribute(c, 'localKeyId') === localKeyId) ??
      (keyBags.length === 1 && certBags.length === 1 ? certBags[0] : undefined);
    const alias = attribute(keyBag, 'friendlyName') ?? (certBag ? attribute(certBag, 'friendlyName') : undefined);
    // forge parses RSA certificates only; for others it keeps the certificate's ASN.1 in bag.asn1.
    const certAsn1 = certBag?.cert ? forge.pki.certificateToAsn1(certBag.cert) : certBag?.asn1;
    if (certAsn1 === undefined) {
      throw new CpiError('CPI_PKI_PKCS12_INVALID', `key entry "${alias ?? index}" has no certificate of its own`);
    }
    if (alias === undefined) {
      throw new CpiError('CPI_PKI_PKCS12_INVALID', `key entry ${index} has no alias (friendlyName)`);
    }
    const privateKeyPem = (
      keyDer !== undefined
        ? createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' })
        : createPrivateKey(forge.pki.privateKeyToPem(keyBag.key!))
    ).export({ type: 'pkcs8', format: 'pem' }) as string;
    const certDer = Buffer.from(asn1.toDer(certAsn1).getBytes(), 'binary');
    return { alias, privateKeyPem, certificatePem: derToPem(certDer) };
  });
}
