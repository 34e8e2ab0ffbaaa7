// The provider's own one-time TLS certificate for go-plugin's AutoMTLS. ECDSA P-256, built as DER by hand and
// signed with node:crypto: a few milliseconds, where an RSA key or a certificate library would cost a large share
// of the start-up budget (Terraform starts the provider 3-5 times per command).
// Terraform's client verifies it with ServerName "localhost" and trusts nothing else, so it must carry
// SAN DNS:localhost and EKU serverAuth.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const len = body.length;
  const header =
    len < 0x80
      ? Buffer.from([tag, len])
      : len < 0x100
        ? Buffer.from([tag, 0x81, len])
        : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([header, body]);
}

const seq = (...c: Buffer[]) => der(0x30, ...c);
const set = (...c: Buffer[]) => der(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]) => der(0xa0 + n, ...c);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const octets = (b: Buffer) => der(0x04, b);
const bits = (b: Buffer, unused = 0) => der(0x03, Buffer.from([unused]), b);
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));

// DER integers are minimal: no leading zero byte unless the next byte's high bit is set (OpenSSL refuses
// "illegal padding" otherwise), and a leading zero where the high bit would make the number negative.
function integer(b: Buffer): Buffer {
  let start = 0;
  while (start < b.length - 1 && b[start] === 0 && (b[start + 1]! & 0x80) === 0) start++;
  const minimal = b.subarray(start);
  return der(0x02, minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const text = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(text, 'ascii'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

export interface TlsIdentity {
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  readonly privateKeyPem: string;
}

export function createTlsIdentity(now = new Date()): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.10'), utf8('cpi-renewal'))), set(seq(oid('2.5.4.3'), utf8('localhost'))));
  const serial = randomBytes(16);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now.getTime() - 60_000)), utcTime(new Date(now.getTime() + 24 * 3600_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      seq(
        extension('2.5.29.19', true, seq(bool(true))),
        // digitalSignature, keyEncipherment, keyAgreement, keyCertSign (as go-plugin's own template)
        extension('2.5.29.15', true, bits(Buffer.from([0xac]), 2)),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
        extension('2.5.29.17', false, seq(der(0x82, Buffer.from('localhost')), der(0x87, Buffer.from([127, 0, 0, 1])))),
      ),
    ),
  );
  const certificateDer = seq(tbs, ecdsaWithSha256, bits(sign('sha256', tbs, privateKey)));
  const body = certificateDer.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    certificateDer,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
