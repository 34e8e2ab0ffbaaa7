// Reads the PKCS#12 file of a key pair import (POST KeyPairResources): the private key and the certificate that
// belongs to it, plus the rest of the chain. node-forge reads the file (RSA keys only, like everything forge does);
// this stays apart from src/pki so that the emulator remains an independent check of the product's own reader.
import { createPublicKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { ODataError } from './odata';

export interface UploadedKeyPair {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** The other certificates of the file (issuers), leaf first. */
  readonly chain: readonly X509Certificate[];
}

/** The key pair in a base64 PKCS#12 file; 415 when it is not one, 400 for a wrong password or no key. */
export function readKeyPairUpload(resource: string, password: string): UploadedKeyPair {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.decode64(resource));
  } catch {
    throw new ODataError(415, 'Unsupported media type: Resource does not contain a PKCS#12 file (base64-encoded)');
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (error) {
    const why = (error as Error).message;
    if (/password|MAC/i.test(why)) throw new ODataError(400, 'The password of the PKCS#12 file is not correct');
    throw new ODataError(415, `Unsupported media type: Resource is not a readable PKCS#12 file (${why})`);
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const key = keyBags.find((bag) => bag.key)?.key;
  if (keyBags.length !== 1 || !key) {
    throw new ODataError(
      400,
      `The PKCS#12 file must hold exactly one private key (RSA in the emulator); it holds ${keyBags.length} key entries${keyBags.length === 1 ? ' the emulator cannot read' : ''}`,
    );
  }
  const privateKeyPem = forge.pki.privateKeyToPem(key);
  const publicKeyDer = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  const certificates = (p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [])
    .filter((bag) => bag.cert)
    .map((bag) => new X509Certificate(forge.pki.certificateToPem(bag.cert!)));
  const leaf = certificates.find((c) => c.publicKey.export({ type: 'spki', format: 'der' }).equals(publicKeyDer));
  if (!leaf) throw new ODataError(400, 'The PKCS#12 file holds no certificate for its private key');
  return {
    certificatePem: leaf.toString(),
    privateKeyPem,
    chain: certificates.filter((c) => c !== leaf),
  };
}
