// The probe behind the gate evidence "the receiver decrypts with the new key": a canary SOAP message is signed and
// encrypted for the given certificate exactly as the tenant would, and the receiver's ACTIVE keys must decrypt it.
// Signature: the canary is signed with a throwaway key pair and verified against that same certificate. The probe
// asks "does a key the receiver decrypts with belong to this certificate?"; who signs is not part of that
// question, and the tenant's signing key is not available here. The full verify path still runs, so a probe
// exercises the same code as a real message.
import { randomUUID } from 'node:crypto';
import { isCpiError } from '../errors';
import { parseCertificatePem } from '../pki/certificate-info';
import { generateKeyPairWithCertificate } from '../pki/key-pair';
import { signAndEncrypt, soapEnvelope, verifyAndDecrypt, type KeyringEntry } from '../wssecurity/index';
import type { ProbeResult } from './receiver-backend';

const SIGNER_LIFETIME_MS = 3_600_000;
let signer: { privateKeyPem: string; certificatePem: string; madeAt: number } | undefined;

/** A throwaway signing key pair, made once an hour (key generation costs ~150 ms). */
function throwawaySigner(now: Date): { privateKeyPem: string; certificatePem: string } {
  if (!signer || now.getTime() - signer.madeAt > SIGNER_LIFETIME_MS || now.getTime() < signer.madeAt) {
    const pair = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=cpi-renewal probe signer',
      validityDays: 2,
      now: new Date(now.getTime() - 60_000),
    });
    signer = { privateKeyPem: pair.privateKeyPem, certificatePem: pair.certificatePem, madeAt: now.getTime() };
  }
  return signer;
}

/**
 * Makes the throwaway signer now, off the request path: a receiver that starts serving probes calls it, so that
 * the first probe (the gate in front of resuming traffic, inside a single-key downtime window) does not wait for key
 * generation.
 */
export function prepareProbeSigner(now = new Date()): void {
  throwawaySigner(now);
}

/** One active key of the receiver, as the probe needs it. */
export interface ProbeKey {
  readonly name: string;
  readonly privateKeyPem: string;
  readonly certificatePem: string;
}

/**
 * Encrypts a canary for `certificatePem` and tries to decrypt it with `activeKeys`. A certificate that is not
 * valid now, or whose key the receiver does not hold as active, gives `decrypted: false` with the reason; a
 * certificate that cannot be read at all throws (the caller passed something that is not a certificate).
 */
export function probeWithKeys(certificatePem: string, activeKeys: readonly ProbeKey[], now = new Date()): ProbeResult {
  const certificate = parseCertificatePem(certificatePem).pem; // CPI_PKI_* codes say what is wrong with the input
  const canary = `<cpi:Canary xmlns:cpi="urn:cpi-renewal:probe">${randomUUID()}</cpi:Canary>`;
  const signing = throwawaySigner(now);
  let message: string;
  try {
    message = signAndEncrypt(soapEnvelope(canary), { encryptionCertificatePem: certificate, signing, now });
  } catch (error) {
    if (isCpiError(error) && error.code === 'CPI_WSS_CERTIFICATE_NOT_VALID') {
      return { decrypted: false, detail: `no canary could be encrypted: ${error.detail}` };
    }
    throw error;
  }
  if (activeKeys.length === 0) return { decrypted: false, detail: 'the receiver has no active key' };
  const keyring: KeyringEntry[] = activeKeys.map((k) => ({
    id: k.name,
    privateKeyPem: k.privateKeyPem,
    certificatePem: k.certificatePem,
  }));
  try {
    const result = verifyAndDecrypt(message, keyring, [signing.certificatePem], { now });
    if (!result.body.includes(canary.slice(canary.indexOf('>') + 1, canary.lastIndexOf('<')))) {
      return { decrypted: false, detail: 'the canary decrypted to something else' };
    }
    return {
      decrypted: true,
      keyFingerprintSha256: result.keyUsed,
      detail: `the canary encrypted for sha256=${result.keyUsed} was decrypted with the active key "${result.keyId}"`,
    };
  } catch (error) {
    if (isCpiError(error)) {
      const why =
        error.code === 'CPI_WSS_NO_MATCHING_KEY'
          ? 'no active key of the receiver belongs to this certificate'
          : error.detail;
      return { decrypted: false, detail: `${error.code}: ${why}` };
    }
    throw error;
  }
}
