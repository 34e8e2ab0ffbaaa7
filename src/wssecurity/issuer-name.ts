// When an ds:X509IssuerName names the issuer of one of our certificates: exactly when Apache WSS4J would say so.
// WSS4J 1.6's Merlin (without BouncyCastle on the class path, as on the SAP tenant's and Debian's WSS4J) reads the
// message's name with new X500Principal(name), writes it out with getName() and reads that back; it does the same
// with the certificate's issuer, and compares the two principals with X500Principal.equals, i.e. by their
// canonical form. Matching more loosely here (attribute order, RDN grouping, "E=" for the e-mail address) would let
// our canary probe pass where a WSS4J receiver finds no key.
import { CpiError } from '../errors';
import { canonicalRfc2253, DnSyntaxError, formatRfc2253, parseJavaDn } from '../pki/distinguished-name';

/**
 * The key two issuer names compare equal by in WSS4J. Throws CPI_WSS_MALFORMED_MESSAGE for a name Java cannot
 * read (WSS4J refuses the message then: "improperly specified input name").
 */
export function issuerNameKey(name: string): string {
  try {
    return canonicalRfc2253(parseJavaDn(formatRfc2253(parseJavaDn(name))));
  } catch (error) {
    if (!(error instanceof DnSyntaxError)) throw error;
    throw new CpiError(
      'CPI_WSS_MALFORMED_MESSAGE',
      `the issuer name "${name}" cannot be read as Java's X500Principal reads it (${error.message}); WSS4J refuses it too. Write it as X500Principal.getName() does (RFC 2253: e.g. the e-mail address as 1.2.840.113549.1.9.1=#16…, not E=…)`,
    );
  }
}
