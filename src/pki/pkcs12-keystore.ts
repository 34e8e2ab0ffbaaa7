// A PKCS#12 keystore as a list of SafeBags that can be rewritten without losing what the rewriter does not own.
// A receiver's keystore is shared: keytool puts trusted certificates (trustedCertEntry) and other key entries
// with their CA chains into it, and a WSS4J receiver may keep its signature trust anchors there. So a change
// copies every SafeBag it does not touch byte for byte (attributes included: friendlyName, localKeyId, Java's
// trusted-usage marker), moves an entry as its own bags (the shrouded key is not re-encrypted: both files of a
// pair share the password), and writes the file back with the protection it had: each encrypted group with the
// same algorithm, iterations and key size (fresh salt and IV), the MAC with the same digest and iterations.
// What Java's keytool writes is covered: JDK 17 defaults (PBES2/PBKDF2-HMAC-SHA256/AES-256, HMAC-SHA256 MAC)
// and the legacy format (RC2-40 certificates, 3DES keys, HMAC-SHA1 MAC).
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import forge from 'node-forge';
import { CpiError } from '../errors';
import {
  derAt,
  derBytes,
  derChildren,
  derContents,
  derEncode,
  derEncodeInteger,
  derEncodeOid,
  derInteger,
  derOid,
  type DerElement,
} from './der';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  javaTrustedUsage: '2.16.840.1.113894.746875.1.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbeSha1Rc2_40: '1.2.840.113549.1.12.1.6',
} as const;

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
const CONTEXT_0 = 0xa0;

const HASH_BY_DIGEST_OID: Readonly<Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const DIGEST_OID_BY_HASH: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(HASH_BY_DIGEST_OID).map(([oid, hash]) => [hash, oid]),
);
const HASH_BY_PRF_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHER_BY_OID: Readonly<Record<string, { name: string; keyLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** One SafeBag, kept as its bytes, with what the keystore logic needs to know about it. */
export interface KeystoreBag {
  readonly der: Buffer;
  readonly kind: 'key' | 'certificate' | 'other';
  readonly friendlyName: string | undefined;
  /** localKeyId as hex: pairs a key with its certificate. */
  readonly localKeyId: string | undefined;
  /** Java's trustedCertEntry marker (a certificate bag that is an entry of its own). */
  readonly trusted: boolean;
  /** DER of the certificate of a certificate bag. */
  readonly certificateDer: Buffer | undefined;
}

/** The bags of one ContentInfo of the AuthenticatedSafe; `encryption` is its AlgorithmIdentifier when encrypted. */
export interface KeystoreBagGroup {
  readonly encryption: Buffer | undefined;
  readonly bags: readonly KeystoreBag[];
}

export interface Pkcs12Keystore {
  readonly groups: readonly KeystoreBagGroup[];
  /** The MAC as the file had it (undefined: the file had none). */
  readonly mac: { readonly hash: string; readonly iterations: number; readonly saltLength: number } | undefined;
}

/** A keystore without entries, protected as JDK 17's keytool protects a new one. */
export function emptyKeystore(iterations: number): Pkcs12Keystore {
  return { groups: [], mac: { hash: 'sha256', iterations, saltLength: 20 } };
}

function invalid(detail: string): CpiError {
  return new CpiError('CPI_PKI_PKCS12_INVALID', detail);
}

function wrongPassword(detail: string): CpiError {
  return new CpiError('CPI_PKI_PKCS12_PASSWORD', detail, ['password']);
}

function child(der: Buffer, parent: DerElement, index: number, what: string): DerElement {
  const found = derChildren(der, parent)[index];
  if (found === undefined) throw invalid(`${what} is missing`);
  return found;
}

/** The bytes of an OCTET STRING, also when BER split it into a constructed one. */
function octets(der: Buffer, element: DerElement): Buffer {
  if (element.tag === OCTET_STRING || element.tag === 0x80) return derContents(der, element);
  return Buffer.concat(derChildren(der, element).map((c) => octets(der, c)));
}

/** PKCS#12 key derivation (RFC 7292 appendix B) with forge's implementation; id 1 key, 2 IV, 3 MAC key. */
function pkcs12Kdf(password: string, salt: Buffer, id: number, iterations: number, length: number, hash: string) {
  const md = (forge.md as unknown as Record<string, { create(): forge.md.MessageDigest }>)[hash];
  if (md === undefined) throw invalid(`the MAC digest ${hash} is not supported`);
  const kdf = forge.pkcs12 as unknown as {
    generateKey(
      password: string,
      salt: forge.util.ByteStringBuffer,
      id: number,
      iter: number,
      n: number,
      md: forge.md.MessageDigest,
    ): forge.util.ByteStringBuffer;
  };
  const key = kdf.generateKey(
    password,
    forge.util.createBuffer(salt.toString('binary')),
    id,
    iterations,
    length,
    md.create(),
  );
  return Buffer.from(key.getBytes(), 'binary');
}

function macOver(data: Buffer, password: string, salt: Buffer, iterations: number, hash: string): Buffer {
  const length = createHmac(hash, 'k').digest().length;
  return createHmac(hash, pkcs12Kdf(password, salt, 3, iterations, length, hash))
    .update(data)
    .digest();
}

/**
 * Refuses a Java JKS or JCEKS keystore (recognised by its magic number) with the keytool command that converts
 * it: the receiver backend reads and writes PKCS#12 only.
 */
export function refuseJavaKeystore(buffer: Buffer, path = 'the keystore'): void {
  const magic = buffer.subarray(0, 4).toString('hex');
  if (magic !== 'feedfeed' && magic !== 'cececece') return;
  const type = magic === 'feedfeed' ? 'JKS' : 'JCEKS';
  throw invalid(
    `${path} is a Java ${type} keystore, which this backend does not write; convert it once with: keytool -importkeystore -srckeystore ${path} -srcstoretype ${type} -destkeystore ${path}.p12 -deststoretype PKCS12, then point the receiver (and this backend) at the .p12 file`,
  );
}

/**
 * Reads a PKCS#12 keystore into its bag groups, verifying the MAC and decrypting the encrypted groups.
 * Refuses a JKS or JCEKS file with the keytool command that converts it.
 */
export function readPkcs12Keystore(buffer: Buffer, password: string, path = 'the keystore'): Pkcs12Keystore {
  refuseJavaKeystore(buffer, path);
  try {
    const pfx = derAt(buffer, 0);
    const [, authSafe, macData] = derChildren(buffer, pfx);
    if (authSafe === undefined) throw invalid('the PFX has no AuthenticatedSafe');
    const authOid = derOid(derContents(buffer, child(buffer, authSafe, 0, 'the AuthenticatedSafe type')));
    if (authOid !== OID.data)
      throw invalid(`the AuthenticatedSafe is of type ${authOid} (public-key integrity mode is not supported)`);
    const authenticated = octets(
      buffer,
      child(buffer, child(buffer, authSafe, 1, 'the AuthenticatedSafe content'), 0, 'its OCTET STRING'),
    );
    let mac: Pkcs12Keystore['mac'];
    if (macData !== undefined) {
      const [digestInfo, salt, iterationsEl] = derChildren(buffer, macData);
      const algorithm = child(buffer, digestInfo!, 0, 'the MAC algorithm');
      const digestOid = derOid(derContents(buffer, child(buffer, algorithm, 0, 'the MAC digest')));
      const hash = HASH_BY_DIGEST_OID[digestOid];
      if (hash === undefined) throw invalid(`the MAC digest ${digestOid} is not supported`);
      const iterations = iterationsEl === undefined ? 1 : derInteger(derContents(buffer, iterationsEl));
      const saltBytes = derContents(buffer, salt!);
      const expected = derContents(buffer, child(buffer, digestInfo!, 1, 'the MAC value'));
      const actual = macOver(authenticated, password, saltBytes, iterations, hash);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
        throw wrongPassword('the MAC over the keystore does not verify with the given password');
      }
      mac = { hash, iterations, saltLength: saltBytes.length };
    }
    const authList = derAt(authenticated, 0);
    const groups = derChildren(authenticated, authList).map((contentInfo) =>
      readGroup(authenticated, contentInfo, password),
    );
    return { groups, mac };
  } catch (error) {
    if (error instanceof CpiError) throw error;
    throw invalid(`${path} cannot be read as PKCS#12 (${(error as Error).message})`);
  }
}

function readGroup(der: Buffer, contentInfo: DerElement, password: string): KeystoreBagGroup {
  const type = derOid(derContents(der, child(der, contentInfo, 0, 'the ContentInfo type')));
  const content = child(der, contentInfo, 1, 'the ContentInfo content');
  if (type === OID.data) {
    return { encryption: undefined, bags: readBags(octets(der, child(der, content, 0, 'the SafeContents'))) };
  }
  if (type !== OID.encryptedData) throw invalid(`a ContentInfo of type ${type} is not supported`);
  const encryptedContentInfo = child(der, child(der, content, 0, 'the EncryptedData'), 1, 'the EncryptedContentInfo');
  const [, algorithm, encrypted] = derChildren(der, encryptedContentInfo);
  if (algorithm === undefined || encrypted === undefined) throw invalid('an EncryptedContentInfo is incomplete');
  const algorithmDer = Buffer.from(derBytes(der, algorithm));
  const node = forge.asn1.fromDer(forge.util.createBuffer(algorithmDer.toString('binary')));
  const [oidNode, params] = node.value as forge.asn1.Asn1[];
  const oid = forge.asn1.derToOid(oidNode!.value as string);
  let cipher: forge.cipher.BlockCipher;
  try {
    cipher = (
      forge.pki as unknown as {
        pbe: {
          getCipher(oid: string, params: forge.asn1.Asn1 | undefined, password: string): forge.cipher.BlockCipher;
        };
      }
    ).pbe.getCipher(oid, params, password);
  } catch (error) {
    throw invalid(`the certificates are encrypted with ${oid}, which is not supported (${(error as Error).message})`);
  }
  cipher.update(forge.util.createBuffer(octets(der, encrypted).toString('binary')));
  if (!cipher.finish()) throw wrongPassword('the encrypted certificates do not decrypt with the given password');
  return { encryption: algorithmDer, bags: readBags(Buffer.from(cipher.output.getBytes(), 'binary')) };
}

function readBags(safeContents: Buffer): KeystoreBag[] {
  const list = derAt(safeContents, 0);
  return derChildren(safeContents, list).map((bag) => parseSafeBag(Buffer.from(derBytes(safeContents, bag))));
}

/** Reads one SafeBag's type and attributes (its value stays as bytes). */
export function parseSafeBag(der: Buffer): KeystoreBag {
  const bag = derAt(der, 0);
  const [typeEl, valueEl, attributesEl] = derChildren(der, bag);
  const type = derOid(derContents(der, typeEl!));
  let friendlyName: string | undefined;
  let localKeyId: string | undefined;
  let trusted = false;
  for (const attribute of attributesEl ? derChildren(der, attributesEl) : []) {
    const [attrType, values] = derChildren(der, attribute);
    const attrOid = derOid(derContents(der, attrType!));
    const first = values ? derChildren(der, values)[0] : undefined;
    if (first === undefined) continue;
    if (attrOid === OID.friendlyName) friendlyName = Buffer.from(derContents(der, first)).swap16().toString('utf16le');
    else if (attrOid === OID.localKeyId) localKeyId = derContents(der, first).toString('hex');
    else if (attrOid === OID.javaTrustedUsage) trusted = true;
  }
  let certificateDer: Buffer | undefined;
  if (type === OID.certBag && valueEl !== undefined) {
    const certBag = child(der, valueEl, 0, 'the CertBag');
    const certType = derOid(derContents(der, child(der, certBag, 0, 'the CertBag type')));
    if (certType === OID.x509Certificate) {
      certificateDer = Buffer.from(
        octets(der, child(der, child(der, certBag, 1, 'the certificate'), 0, 'its OCTET STRING')),
      );
    }
  }
  const kind =
    type === OID.keyBag || type === OID.shroudedKeyBag ? 'key' : type === OID.certBag ? 'certificate' : 'other';
  return { der, kind, friendlyName, localKeyId, trusted, certificateDer };
}

/** Writes the keystore back with the protection it was read with (fresh salts and IVs). */
export function writePkcs12Keystore(keystore: Pkcs12Keystore, password: string): Buffer {
  const contentInfos = keystore.groups
    .filter((group) => group.bags.length > 0)
    .map((group) => {
      const safeContents = derEncode(SEQUENCE, ...group.bags.map((b) => b.der));
      if (group.encryption === undefined) {
        return derEncode(SEQUENCE, derEncodeOid(OID.data), derEncode(CONTEXT_0, derEncode(OCTET_STRING, safeContents)));
      }
      const { algorithm, ciphertext } = encrypt(group.encryption, safeContents, password);
      const encryptedData = derEncode(
        SEQUENCE,
        derEncodeInteger(0),
        derEncode(SEQUENCE, derEncodeOid(OID.data), algorithm, derEncode(0x80, ciphertext)),
      );
      return derEncode(SEQUENCE, derEncodeOid(OID.encryptedData), derEncode(CONTEXT_0, encryptedData));
    });
  const authenticated = derEncode(SEQUENCE, ...contentInfos);
  const parts = [
    derEncodeInteger(3),
    derEncode(SEQUENCE, derEncodeOid(OID.data), derEncode(CONTEXT_0, derEncode(OCTET_STRING, authenticated))),
  ];
  if (keystore.mac !== undefined) {
    const { hash, iterations, saltLength } = keystore.mac;
    const salt = randomBytes(saltLength);
    parts.push(
      derEncode(
        SEQUENCE,
        derEncode(
          SEQUENCE,
          derEncode(SEQUENCE, derEncodeOid(DIGEST_OID_BY_HASH[hash] as string), Buffer.from([0x05, 0x00])),
          derEncode(OCTET_STRING, macOver(authenticated, password, salt, iterations, hash)),
        ),
        derEncode(OCTET_STRING, salt),
        derEncodeInteger(iterations),
      ),
    );
  }
  return derEncode(SEQUENCE, ...parts);
}

/** Encrypts a group again with the algorithm it had: same parameters, fresh salt and IV. */
function encrypt(algorithmDer: Buffer, plaintext: Buffer, password: string): { algorithm: Buffer; ciphertext: Buffer } {
  const algorithm = derAt(algorithmDer, 0);
  const [oidEl, paramsEl] = derChildren(algorithmDer, algorithm);
  const oid = derOid(derContents(algorithmDer, oidEl!));
  const params = paramsEl!;
  if (oid === OID.pbes2) {
    const [kdf, scheme] = derChildren(algorithmDer, params);
    const kdfParams = child(algorithmDer, kdf!, 1, 'the PBKDF2 parameters');
    const [saltEl, iterEl, ...rest] = derChildren(algorithmDer, kdfParams);
    const iterations = derInteger(derContents(algorithmDer, iterEl!));
    const prf = rest.find((e) => e.tag === SEQUENCE);
    const hash = prf
      ? HASH_BY_PRF_OID[derOid(derContents(algorithmDer, child(algorithmDer, prf, 0, 'the PRF')))]
      : 'sha1';
    const cipherOid = derOid(derContents(algorithmDer, child(algorithmDer, scheme!, 0, 'the cipher')));
    const cipher = CIPHER_BY_OID[cipherOid];
    const ivLength = derContents(algorithmDer, child(algorithmDer, scheme!, 1, 'the IV')).length;
    if (hash === undefined || cipher === undefined)
      throw invalid(`PBES2 with cipher ${cipherOid} cannot be written back`);
    const salt = randomBytes(derContents(algorithmDer, saltEl!).length);
    const iv = randomBytes(ivLength);
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, hash);
    const c = createCipheriv(cipher.name, key, iv);
    const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
    const newKdfParams = derEncode(
      SEQUENCE,
      derEncode(OCTET_STRING, salt),
      ...[iterEl!, ...rest].map((e) => derBytes(algorithmDer, e)),
    );
    const newAlgorithm = derEncode(
      SEQUENCE,
      derEncodeOid(OID.pbes2),
      derEncode(
        SEQUENCE,
        derEncode(SEQUENCE, derBytes(algorithmDer, child(algorithmDer, kdf!, 0, 'the KDF')), newKdfParams),
        derEncode(
          SEQUENCE,
          derBytes(algorithmDer, child(algorithmDer, scheme!, 0, 'the cipher')),
          derEncode(OCTET_STRING, iv),
        ),
      ),
    );
    return { algorithm: newAlgorithm, ciphertext };
  }
  if (oid === OID.pbeSha1TripleDes || oid === OID.pbeSha1Rc2_40) {
    const [saltEl, iterEl] = derChildren(algorithmDer, params);
    const iterations = derInteger(derContents(algorithmDer, iterEl!));
    const salt = randomBytes(derContents(algorithmDer, saltEl!).length);
    const tripleDes = oid === OID.pbeSha1TripleDes;
    const key = pkcs12Kdf(password, salt, 1, iterations, tripleDes ? 24 : 5, 'sha1');
    const iv = pkcs12Kdf(password, salt, 2, iterations, 8, 'sha1');
    let ciphertext: Buffer;
    if (tripleDes) {
      const c = createCipheriv('des-ede3-cbc', key, iv);
      ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
    } else {
      // RC2 is not in OpenSSL 3's default provider; forge has it.
      const c = forge.rc2.createEncryptionCipher(forge.util.createBuffer(key.toString('binary')), 40);
      c.start(forge.util.createBuffer(iv.toString('binary')));
      c.update(forge.util.createBuffer(plaintext.toString('binary')));
      c.finish();
      ciphertext = Buffer.from(c.output.getBytes(), 'binary');
    }
    const newAlgorithm = derEncode(
      SEQUENCE,
      derBytes(algorithmDer, oidEl!),
      derEncode(SEQUENCE, derEncode(OCTET_STRING, salt), derBytes(algorithmDer, iterEl!)),
    );
    return { algorithm: newAlgorithm, ciphertext };
  }
  throw invalid(
    `certificates encrypted with ${oid} cannot be written back; convert the keystore with keytool -importkeystore`,
  );
}

const sameAlias = (bag: KeystoreBag, alias: string) =>
  bag.friendlyName !== undefined && bag.friendlyName.toLowerCase() === alias.toLowerCase();

function allBags(keystore: Pkcs12Keystore): KeystoreBag[] {
  return keystore.groups.flatMap((g) => g.bags);
}

/** Issuer and subject Name bytes of a certificate. */
function names(certificateDer: Buffer): { issuer: Buffer; subject: Buffer } {
  const tbs = derChildren(certificateDer, derAt(certificateDer, 0))[0]!;
  const fields = derChildren(certificateDer, tbs);
  const offset = fields[0]?.tag === CONTEXT_0 ? 1 : 0;
  return {
    issuer: derBytes(certificateDer, fields[offset + 2]!),
    subject: derBytes(certificateDer, fields[offset + 4]!),
  };
}

/** The aliases Java lists for the keystore: key entries and trusted certificate entries. */
export function entryAliases(keystore: Pkcs12Keystore): string[] {
  return allBags(keystore)
    .filter((b) => (b.kind === 'key' || b.trusted) && b.friendlyName !== undefined)
    .map((b) => b.friendlyName as string);
}

/** How the file's existing private keys are encrypted, so that a key added to it is encrypted the same way. */
export interface KeyProtection {
  readonly algorithm: 'aes256' | '3des';
  readonly iterations: number;
}

/** The protection of the first shrouded key bag, when it is one a new key can follow (else undefined). */
export function keyProtectionOf(keystore: Pkcs12Keystore): KeyProtection | undefined {
  for (const bag of allBags(keystore)) {
    const der = bag.der;
    const [typeEl, valueEl] = derChildren(der, derAt(der, 0));
    if (derOid(derContents(der, typeEl!)) !== OID.shroudedKeyBag || valueEl === undefined) continue;
    const algorithm = child(der, child(der, valueEl, 0, 'the EncryptedPrivateKeyInfo'), 0, 'its algorithm');
    const [oidEl, params] = derChildren(der, algorithm);
    const oid = derOid(derContents(der, oidEl!));
    if (oid === OID.pbeSha1TripleDes && params !== undefined) {
      return { algorithm: '3des', iterations: derInteger(derContents(der, child(der, params, 1, 'the iterations'))) };
    }
    if (oid === OID.pbes2 && params !== undefined) {
      const [kdf, scheme] = derChildren(der, params);
      const cipherOid = derOid(derContents(der, child(der, scheme!, 0, 'the cipher')));
      const iterations = derInteger(
        derContents(der, child(der, child(der, kdf!, 1, 'the PBKDF2 parameters'), 1, 'the iterations')),
      );
      if (cipherOid === '2.16.840.1.101.3.4.1.42') return { algorithm: 'aes256', iterations };
    }
    return undefined;
  }
  return undefined;
}

/** A certificate bag without attributes: a CA certificate of a chain, not an entry of its own. */
function plainCertificateBag(certificateDer: Buffer): KeystoreBag {
  const certBag = derEncode(
    SEQUENCE,
    derEncodeOid(OID.x509Certificate),
    derEncode(CONTEXT_0, derEncode(OCTET_STRING, certificateDer)),
  );
  return parseSafeBag(derEncode(SEQUENCE, derEncodeOid(OID.certBag), derEncode(CONTEXT_0, certBag)));
}

/** The bags of one key entry: its key, its certificate and the CA certificates of its chain, leaf first. */
export function keyEntryBags(keystore: Pkcs12Keystore, alias: string): KeystoreBag[] | undefined {
  const bags = allBags(keystore);
  const key = bags.find((b) => b.kind === 'key' && sameAlias(b, alias));
  if (key === undefined) return undefined;
  const leaf = bags.find(
    (b) => b.kind === 'certificate' && key.localKeyId !== undefined && b.localKeyId === key.localKeyId,
  );
  if (leaf?.certificateDer === undefined) return [key];
  const chain: KeystoreBag[] = [leaf];
  for (let current = leaf; ;) {
    const { issuer, subject } = names(current.certificateDer!);
    if (issuer.equals(subject)) break;
    const issuers = bags.filter(
      (b) => b.certificateDer !== undefined && !chain.includes(b) && names(b.certificateDer).subject.equals(issuer),
    );
    // A trusted entry that happens to be the issuer stays an entry of this file; the chain gets a plain copy.
    const plain = issuers.find((b) => !b.trusted);
    const next = plain ?? (issuers[0] ? plainCertificateBag(issuers[0].certificateDer!) : undefined);
    if (next === undefined) break;
    chain.push(next);
    current = next;
  }
  return [key, ...chain];
}

/**
 * The keystore without one key entry: its key bag and certificate go; a CA certificate of its chain goes too
 * unless it is an entry of its own (Java's trusted marker) or in the chain of another key entry.
 */
export function withoutKeyEntry(keystore: Pkcs12Keystore, alias: string): Pkcs12Keystore {
  const entry = keyEntryBags(keystore, alias);
  if (entry === undefined) return keystore;
  const [key, leaf, ...chain] = entry;
  const otherAliases = allBags(keystore)
    .filter((b) => b.kind === 'key' && b !== key && b.friendlyName !== undefined)
    .map((b) => b.friendlyName as string);
  const stillNeeded = new Set(otherAliases.flatMap((a) => keyEntryBags(keystore, a) ?? []));
  const drop = new Set<KeystoreBag>([key!, ...(leaf ? [leaf] : [])]);
  for (const ca of chain) if (!ca.trusted && !stillNeeded.has(ca)) drop.add(ca);
  return { ...keystore, groups: keystore.groups.map((g) => ({ ...g, bags: g.bags.filter((b) => !drop.has(b)) })) };
}

/**
 * The keystore with these bags added: keys where the file keeps its keys, certificates where it keeps its
 * certificates; a CA certificate the file already holds is not added twice.
 */
export function withBags(keystore: Pkcs12Keystore, bags: readonly KeystoreBag[]): Pkcs12Keystore {
  const groups = keystore.groups.map((g) => ({ ...g, bags: [...g.bags] }));
  const held = allBags(keystore);
  const home = (kind: KeystoreBag['kind']) => {
    let group =
      groups.find((g) => g.bags.some((b) => b.kind === kind)) ?? groups.find((g) => g.encryption === undefined);
    if (group === undefined) {
      group = { encryption: undefined, bags: [] };
      groups.push(group);
    }
    return group;
  };
  for (const bag of bags) {
    const duplicateCa =
      bag.kind === 'certificate' &&
      bag.localKeyId === undefined &&
      held.some((h) => h.certificateDer !== undefined && h.certificateDer.equals(bag.certificateDer!));
    if (!duplicateCa) home(bag.kind).bags.push(bag);
  }
  return { ...keystore, groups };
}
