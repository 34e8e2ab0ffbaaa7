// Certificates for the pki tests, generated at test time (nothing secret or expiring is committed). Keys are
// memoised per name because RSA key generation dominates test time.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parseCertificatePem, type CertificateInfo } from '../../src/pki/certificate-info';
import { createSelfSignedCertificate, type SelfSignedCertificateOptions } from '../../src/pki/self-signed-certificate';

/** The fixed clock of the pki tests. */
export const NOW = new Date('2030-06-01T12:00:00Z');
export const DAY = 86_400_000;

const keys = new Map<string, string>();

/** An RSA private key (PKCS#8 PEM), the same for the same name and size within one test process. */
export function rsaKey(name: string, bits = 2048): string {
  const id = `${name}/${bits}`;
  let pem = keys.get(id);
  if (pem === undefined) {
    pem = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    keys.set(id, pem);
  }
  return pem;
}

export interface FixtureOptions extends Partial<Omit<SelfSignedCertificateOptions, 'privateKeyPem'>> {
  /** Name of the memoised key to certify. @default 'a' */
  readonly key?: string;
  readonly bits?: number;
}

/** A self-signed certificate as PEM: valid from NOW - 1 day to NOW + 365 days unless told otherwise. */
export function certificatePem(options: FixtureOptions = {}): string {
  const { key = 'a', bits = 2048, ...rest } = options;
  return createSelfSignedCertificate({
    privateKeyPem: rsaKey(key, bits),
    subject: 'CN=receiver,O=Example,C=DE',
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 365 * DAY),
    ...rest,
  });
}

/** As certificatePem, parsed. */
export function certificate(options: FixtureOptions = {}): CertificateInfo {
  return parseCertificatePem(certificatePem(options));
}

/**
 * An EC P-384 certificate made once with `openssl req -x509` (CA:TRUE, key usage digitalSignature +
 * keyAgreement, extended key usage clientAuth, an emailAddress in the subject). Only its facts matter.
 */
export const EC_P384_CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----
MIICYTCCAeegAwIBAgIUfSdn5sYKWrJ4XoEiTg9GzPb+Ih8wCgYIKoZIzj0EAwIw
VTELMAkGA1UEBhMCREUxEDAOBgNVBAoMB0V4YW1wbGUxFDASBgNVBAMMC2VjIHJl
Y2VpdmVyMR4wHAYJKoZIhvcNAQkBFg9vcHNAZXhhbXBsZS5jb20wHhcNMjYxMTI2
MDkxOTU2WhcNMzYxMTIzMDkxOTU2WjBVMQswCQYDVQQGEwJERTEQMA4GA1UECgwH
RXhhbXBsZTEUMBIGA1UEAwwLZWMgcmVjZWl2ZXIxHjAcBgkqhkiG9w0BCQEWD29w
c0BleGFtcGxlLmNvbTB2MBAGByqGSM49AgEGBSuBBAAiA2IABMJZ+eoCZ0Iy6s+1
5ny99nL4Y5jGzPSj+KHsqXN9uQslZoPdsk/CZ4QIV8FoABWauvQlc6HvkzbuNwOu
ZPZ4tLLjRTuTyMIvfBmr+ofK8VL761p2q9MjTIWZsdaB1SrORqN4MHYwHQYDVR0O
BBYEFD2J+V+MdCOlRJulz/3ybc0RkCVjMB8GA1UdIwQYMBaAFD2J+V+MdCOlRJul
z/3ybc0RkCVjMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgOIMBMGA1Ud
JQQMMAoGCCsGAQUFBwMCMAoGCCqGSM49BAMCA2gAMGUCMQDREiru/i0tBnk1jQSx
g4DvqMrWG9IJ7CGUpipWEsYBMITOsZX2O+sXJRB6hZeSSrwCMCFMqfvq2BfLeTAx
ZrpRPDqw+dD+EpmtIZGG6tQQBegINULKGLpeoMlyio771XkaWw==
-----END CERTIFICATE-----
`;

/** Runs a Java tool (keytool, java) and fails with an actionable message when no JDK is on PATH. */
export function runJavaTool(
  program: string,
  args: readonly string[],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(program, args, { encoding: 'utf8', timeout: 15_000 });
  if (result.error !== undefined) {
    throw new Error(
      `${program} could not run (${result.error.message}); these interoperability checks need a JDK 17 on PATH, e.g. apt-get install openjdk-17-jdk-headless`,
    );
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
