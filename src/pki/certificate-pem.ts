// The PEM text of one certificate, read without parsing the certificate: the checks a configuration value gets on
// every plan (one CERTIFICATE block, no private key, no chain, strict base64), kept apart from certificate-info.ts so
// that they do not load its ASN.1 library (node-forge: ≈ 50 ms of each provider process that only validates).
import { X509Certificate } from 'node:crypto';
import { CpiError } from '../errors';

interface PemBlock {
  readonly label: string;
  readonly body: string;
}

function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const begin = /-----BEGIN ([^-\r\n]*)-----/g;
  let match: RegExpExecArray | null;
  while ((match = begin.exec(text)) !== null) {
    const label = match[1] as string;
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, begin.lastIndex);
    if (end < 0) {
      throw new CpiError(
        'CPI_PKI_NOT_PEM',
        `the block "BEGIN ${label}" has no matching "${endMarker}" line (the text looks cut off)`,
      );
    }
    blocks.push({ label, body: text.slice(begin.lastIndex, end) });
    begin.lastIndex = end + endMarker.length;
  }
  return blocks;
}

function decodeBase64Strict(body: string): Buffer {
  const compact = body.replace(/\s+/g, '');
  const bad = /[^A-Za-z0-9+/=]/.exec(compact);
  if (bad !== null) {
    throw new CpiError(
      'CPI_PKI_PEM_BASE64_INVALID',
      `character ${JSON.stringify(bad[0])} at position ${bad.index} of the certificate's base64 text is not a base64 character`,
    );
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw new CpiError('CPI_PKI_PEM_BASE64_INVALID', "'=' padding appears inside the base64 text, not only at its end");
  }
  if (compact.length === 0 || compact.length % 4 !== 0) {
    throw new CpiError(
      'CPI_PKI_PEM_BASE64_INVALID',
      `the base64 text has ${compact.length} characters; expected a non-zero multiple of 4 (characters were lost or added)`,
    );
  }
  return Buffer.from(compact, 'base64');
}

/** Wraps DER as normalised PEM (64-character lines, '\n' line ends, trailing newline). */
export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The DER bytes of the one CERTIFICATE block of a PEM text, refusing what parseCertificatePem refuses for the text
 * itself (not PEM, a private key, a chain, another block, bad base64) without reading the certificate: cheap
 * enough for a configuration check that runs on every plan.
 */
export function readCertificateBlock(pem: string): Buffer {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN ')) {
    const hint =
      typeof pem === 'string' && /^\s*MII[A-Za-z0-9+/]/.test(pem)
        ? ' (it looks like base64 DER without the BEGIN/END lines)'
        : '';
    throw new CpiError('CPI_PKI_NOT_PEM', `no "-----BEGIN CERTIFICATE-----" line found${hint}`);
  }
  // Checked on the labels alone, before anything else, so that no later message can quote key material.
  const keyLabels = [...pem.matchAll(/-----BEGIN ([^-\r\n]*PRIVATE KEY[^-\r\n]*)-----/g)].map((m) => m[1]);
  if (keyLabels.length > 0) {
    throw new CpiError(
      'CPI_PKI_PRIVATE_KEY_PASTED',
      `the text contains a "${keyLabels[0]}" block; only the certificate belongs here (the key was not stored or echoed)`,
    );
  }
  const blocks = splitPem(pem);
  const certificates = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certificates.length > 1) {
    throw new CpiError(
      'CPI_PKI_CERTIFICATE_CHAIN',
      `found ${certificates.length} certificates (${describeChain(certificates)}); expected exactly one, the receiver's own (leaf) certificate`,
    );
  }
  const [block] = certificates;
  if (block === undefined) {
    const labels = blocks.map((b) => b.label).join('", "');
    throw new CpiError('CPI_PKI_NOT_A_CERTIFICATE', `found a "${labels}" block; expected a "CERTIFICATE" block`);
  }
  const others = blocks.filter((b) => b.label !== 'CERTIFICATE');
  if (others.length > 0) {
    throw new CpiError(
      'CPI_PKI_NOT_A_CERTIFICATE',
      `found a "${others.map((b) => b.label).join('", "')}" block beside the certificate; expected the certificate alone`,
    );
  }
  return decodeBase64Strict(block.body);
}

function describeChain(blocks: readonly PemBlock[]): string {
  return blocks
    .map((b) => {
      try {
        return `subject "${new X509Certificate(Buffer.from(b.body.replace(/\s+/g, ''), 'base64')).subject.split('\n').reverse().join(',')}"`;
      } catch {
        return 'an unreadable certificate';
      }
    })
    .join('; ');
}
