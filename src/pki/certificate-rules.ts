// The certificate rules of a renewal (docs/design/domain-rules.md) as pure checks: certificate facts and the clock in,
// findings out. Each check is an ordered chain, like cert-manager's policy checks: findings come in a fixed
// order and the first error decides (see firstError / assertNoErrors); warnings never block.
import { CpiError, type ErrorCode } from '../errors';
import type { CertificateInfo } from './certificate-info';

/** One result of a rule check. */
export interface CertificateFinding {
  /** 'error' blocks the renewal; 'warning' is shown but does not. */
  readonly severity: 'error' | 'warning';
  /** Stable code from src/errors.ts. */
  readonly code: ErrorCode;
  /** What was found, naming the certificate and the values compared. */
  readonly detail: string;
}

/** Options of checkEncryptionCertificate. */
export interface EncryptionCertificateCheckOptions {
  /** The moment to check at (the planned exchange, or now). */
  readonly now: Date;
  /** Warn when the certificate expires within this many days. @default 30 */
  readonly expiryWarningDays?: number;
  /** Names the certificate in details, e.g. "the new certificate". @default 'the certificate' */
  readonly label?: string;
  /**
   * Refuse (CPI_PKI_CERT_VALIDITY_TOO_SHORT) a certificate with fewer days of validity left: for a certificate about
   * to be put under the alias, which would otherwise force the next renewal within days. @default - not checked
   */
  readonly minValidityDays?: number;
}

/** Options of checkRenewal. */
export interface RenewalCheckOptions {
  /** The moment of the exchange (or now). */
  readonly now: Date;
  /** Accept a new certificate for the old public key (a re-certification). @default false */
  readonly allowSameKey?: boolean;
}

/** Smallest RSA key accepted for encryption (bits). */
export const MIN_RSA_KEY_BITS = 2048;

const DAY_MS = 86_400_000;

/**
 * What the clock-dependent checks read: the validity, and what names the certificate in a finding. A caller that
 * recorded these facts of a certificate can re-check it against a new moment without its bytes.
 */
export type CertificateTimeFacts = Pick<
  CertificateInfo,
  'validFrom' | 'validTo' | 'subjectDn' | 'serialNumber' | 'fingerprintSha256'
>;

function describe(info: CertificateTimeFacts): string {
  return `subject "${info.subjectDn}", serial ${info.serialNumber}, SHA-256 fingerprint ${info.fingerprintSha256}`;
}

function validityFindings(info: CertificateTimeFacts, now: Date, label: string): CertificateFinding[] {
  if (now.getTime() < info.validFrom.getTime()) {
    return [
      {
        severity: 'error',
        code: 'CPI_PKI_CERT_NOT_YET_VALID',
        detail: `${label} (${describe(info)}) is valid from ${info.validFrom.toISOString()}, after ${now.toISOString()}`,
      },
    ];
  }
  if (now.getTime() > info.validTo.getTime()) {
    return [
      {
        severity: 'error',
        code: 'CPI_PKI_CERT_EXPIRED',
        detail: `${label} (${describe(info)}) expired at ${info.validTo.toISOString()}, before ${now.toISOString()}`,
      },
    ];
  }
  return [];
}

/**
 * Checks that a certificate can serve as the receiver's encryption certificate at `now`, in this order:
 * not yet valid, expired, key type other than RSA (the tenant's WS-Security channel encrypts the content key with
 * RSA key transport only, so an EC, DSA or EdDSA certificate leaves the iFlow unable to encrypt), RSA key below
 * 2048 bits, key usage present without keyEncipherment, less than `minValidityDays` left, expiring within
 * `expiryWarningDays` (warning). An absent key usage extension permits every use (RFC 5280), so it passes.
 */
export function checkEncryptionCertificate(
  info: CertificateInfo,
  options: EncryptionCertificateCheckOptions,
): CertificateFinding[] {
  const label = options.label ?? 'the certificate';
  return [
    ...validityFindings(info, options.now, label),
    ...checkEncryptionCertificateKey(info, label),
    ...remainingValidityFindings(info, options, label),
  ];
}

/**
 * checkEncryptionCertificate's findings that the certificate's bytes alone decide, in the same order: key type
 * other than RSA, RSA key too small, key usage without keyEncipherment. No clock can change them.
 */
export function checkEncryptionCertificateKey(info: CertificateInfo, label = 'the certificate'): CertificateFinding[] {
  const findings: CertificateFinding[] = [];
  if (info.keyType !== 'RSA') {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_KEY_TYPE_UNSUITABLE',
      detail: `${label} (${describe(info)}) has a ${info.keyType} key; WS-Security encryption needs an RSA key`,
    });
  }
  if (info.keyType === 'RSA' && info.keySize < MIN_RSA_KEY_BITS) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_RSA_KEY_TOO_SMALL',
      detail: `${label} (${describe(info)}) has a ${info.keySize}-bit RSA key; expected at least ${MIN_RSA_KEY_BITS} bits`,
    });
  }
  if (info.keyUsage !== undefined && !info.keyUsage.includes('keyEncipherment')) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_NO_KEY_ENCIPHERMENT',
      detail: `${label} (${describe(info)}) has key usage [${info.keyUsage.join(', ')}]; expected keyEncipherment among them`,
    });
  }
  return findings;
}

/**
 * checkEncryptionCertificate's findings that change with the clock alone, in the same order: not yet valid,
 * expired, too little validity left, expiring soon. For a certificate whose other findings (key type, size and
 * usage, fixed by its bytes) were empty when it was last checked.
 */
export function checkEncryptionCertificateTimes(
  facts: CertificateTimeFacts,
  options: EncryptionCertificateCheckOptions,
): CertificateFinding[] {
  const label = options.label ?? 'the certificate';
  return [...validityFindings(facts, options.now, label), ...remainingValidityFindings(facts, options, label)];
}

function remainingValidityFindings(
  info: CertificateTimeFacts,
  options: EncryptionCertificateCheckOptions,
  label: string,
): CertificateFinding[] {
  const findings: CertificateFinding[] = [];
  const warningDays = options.expiryWarningDays ?? 30;
  const remainingMs = info.validTo.getTime() - options.now.getTime();
  const minimumDays = options.minValidityDays;
  if (minimumDays !== undefined && remainingMs >= 0 && remainingMs < minimumDays * DAY_MS) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_CERT_VALIDITY_TOO_SHORT',
      detail: `${label} (${describe(info)}) expires at ${info.validTo.toISOString()}, in ${(remainingMs / DAY_MS).toFixed(1)} days; at least ${minimumDays} days are required`,
    });
  } else if (remainingMs >= 0 && remainingMs < warningDays * DAY_MS) {
    findings.push({
      severity: 'warning',
      code: 'CPI_PKI_CERT_EXPIRING_SOON',
      detail: `${label} (${describe(info)}) expires at ${info.validTo.toISOString()}, in ${(remainingMs / DAY_MS).toFixed(1)} days (less than ${warningDays})`,
    });
  }
  return findings;
}

/**
 * Checks that `newInfo` may replace `oldInfo` under the tenant alias, in this order: the same certificate
 * (thumbprint); the same public key (a re-certification, refused unless allowSameKey); the same issuer and
 * serial number; the same subject key identifier (only when the keys differ: with one key there is nothing to
 * tell apart); the new certificate not valid at `now`; the new certificate expiring no later than the old
 * (warning). Run checkEncryptionCertificate on the new certificate as well for its own suitability.
 */
export function checkRenewal(
  oldInfo: CertificateInfo,
  newInfo: CertificateInfo,
  options: RenewalCheckOptions,
): CertificateFinding[] {
  const findings: CertificateFinding[] = [];
  if (oldInfo.fingerprintSha256 === newInfo.fingerprintSha256) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_RENEWAL_SAME_CERTIFICATE',
      detail: `the new certificate is the old one (SHA-256 fingerprint ${newInfo.fingerprintSha256})`,
    });
  }
  const sameKey = oldInfo.publicKeySpkiSha256 === newInfo.publicKeySpkiSha256;
  if (sameKey && options.allowSameKey !== true) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_RENEWAL_SAME_KEY',
      detail: `the new certificate (${describe(newInfo)}) certifies the same public key as the old one (${describe(oldInfo)}); allowSameKey is not set`,
    });
  }
  if (oldInfo.issuerDn === newInfo.issuerDn && oldInfo.serialNumber === newInfo.serialNumber) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_RENEWAL_SAME_ISSUER_SERIAL',
      detail: `both certificates have issuer "${newInfo.issuerDn}" and serial number ${newInfo.serialNumber}`,
    });
  }
  if (!sameKey && oldInfo.subjectKeyIdentifier === newInfo.subjectKeyIdentifier) {
    findings.push({
      severity: 'error',
      code: 'CPI_PKI_RENEWAL_SAME_SKI',
      detail: `both certificates have subject key identifier ${newInfo.subjectKeyIdentifier} (old: ${oldInfo.subjectKeyIdentifierSource}, new: ${newInfo.subjectKeyIdentifierSource}) but different public keys`,
    });
  }
  findings.push(...validityFindings(newInfo, options.now, 'the new certificate'));
  if (newInfo.validTo.getTime() <= oldInfo.validTo.getTime()) {
    findings.push({
      severity: 'warning',
      code: 'CPI_PKI_RENEWAL_SHORTER_VALIDITY',
      detail: `the new certificate expires at ${newInfo.validTo.toISOString()}, not after the old one (${oldInfo.validTo.toISOString()})`,
    });
  }
  return findings;
}

/** The finding that decides: the first error, or undefined when there is none. */
export function firstError(findings: readonly CertificateFinding[]): CertificateFinding | undefined {
  return findings.find((f) => f.severity === 'error');
}

/** Throws the first error finding as a CpiError (attribute path optional); warnings pass. */
export function assertNoErrors(
  findings: readonly CertificateFinding[],
  attribute?: readonly (string | number)[],
): void {
  const error = firstError(findings);
  if (error !== undefined) throw new CpiError(error.code, error.detail, attribute);
}
