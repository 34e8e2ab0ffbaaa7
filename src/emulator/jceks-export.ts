// The public content of a keystore as `GET /KeystoreResources('{KeystoreName}')` exports it: a JCEKS keystore
// (SAP's definition: "Retrieved keystore in JCEKS format"; its example starts with JCEKS's magic number) holding one
// trusted-certificate entry per keystore entry, a key pair exported as its certificate. The format is the one Java's
// own JCEKS provider writes (version 2): trusted-certificate entries, then a SHA-1 integrity digest over the password,
// the text "Mighty Aphrodite" and the content. The export carries no password (`Password: null` in SAP's example),
// so the digest is taken over an empty one; Java reads the file with any password or none (UNCONFIRMED which one a
// tenant uses, docs/emulator.md). Aliases are written in lower case, as Java's JCEKS keeps them (it finds an entry by
// the lower-cased alias, so a mixed-case one could not be read back); an alias that then clashes gets underscores
// appended, the rule SAP's definition gives for the aliases of exported chains.
import { createHash, X509Certificate } from 'node:crypto';

const JCEKS_MAGIC = 0xcececece;
const VERSION = 2;
const TRUSTED_CERTIFICATE = 2;

/** One certificate of the export. */
export interface ExportedCertificate {
  readonly alias: string;
  readonly certificatePem: string;
  /** When the entry was last changed (ms since the epoch), the entry's date in the keystore. */
  readonly modified: number;
}

/** Java's DataOutput.writeUTF: a two-byte length and modified UTF-8 (NUL as two bytes, each UTF-16 unit alone). */
function javaUtf(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x01 && unit <= 0x7f) bytes.push(unit);
    else if (unit <= 0x7ff) bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    else bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
  }
  if (bytes.length > 0xffff) throw new Error(`alias "${text.slice(0, 40)}…" is too long for a keystore`);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, Buffer.from(bytes)]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}

function int64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(Math.trunc(value)));
  return buffer;
}

/** The JCEKS keystore of the certificates, in their order, its integrity digest taken over `password`. */
export function jceksKeystore(certificates: readonly ExportedCertificate[], password = ''): Buffer {
  const parts: Buffer[] = [int32(JCEKS_MAGIC), int32(VERSION), int32(certificates.length)];
  const taken = new Set<string>();
  for (const certificate of certificates) {
    const der = new X509Certificate(certificate.certificatePem).raw;
    let alias = certificate.alias.toLowerCase();
    while (taken.has(alias)) alias += '_';
    taken.add(alias);
    parts.push(
      int32(TRUSTED_CERTIFICATE),
      javaUtf(alias),
      int64(certificate.modified),
      javaUtf('X.509'),
      int32(der.length),
      der,
    );
  }
  const content = Buffer.concat(parts);
  const digest = createHash('sha1')
    .update(Buffer.from(password, 'utf16le').swap16())
    .update('Mighty Aphrodite', 'utf8')
    .update(content)
    .digest();
  return Buffer.concat([content, digest]);
}
