// Messages an outsider can build with nothing but the receiver's public certificate, each meant to make the
// receiver spend CPU before it knows who sent them (issue 13). Shared by test/reliability/security.test.ts, which
// asserts the refusal and its time bound, and bench/receiver-dos.ts, which reports the figures.
import { signAndEncrypt, soapEnvelope } from '../../src/wssecurity/index';

export interface AttackMessage {
  readonly name: string;
  readonly message: string;
}

const BODY = '<ord:Order xmlns:ord="urn:example:orders"><ord:Id>1</ord:Id></ord:Order>';

/** The DoS inputs, each around a real "Sign and Encrypt" message for `receiverCertificatePem`. */
export function dosMessages(
  receiverCertificatePem: string,
  signing: { privateKeyPem: string; certificatePem: string },
): AttackMessage[] {
  const base = signAndEncrypt(soapEnvelope(BODY), { encryptionCertificatePem: receiverCertificatePem, signing });
  const ek = /<xenc:EncryptedKey\b[\s\S]*?<\/xenc:EncryptedKey>/.exec(base)![0];
  const inHeader = (extra: string) => base.replace('</wsse:Security>', `${extra}</wsse:Security>`);
  const inBody = (extra: string) => base.replace(/<\/soapenv:Body>/, `${extra}</soapenv:Body>`);
  return [
    {
      name: '400 EncryptedKeys with 1.2 MB of filler (one RSA operation each)',
      message: inHeader(
        Array.from({ length: 400 }, (_, i) => ek.replace(/Id="[^"]*"/, `Id="EK-x${i}"`)).join('') +
          `<f>${'A'.repeat(1_200_000)}</f>`,
      ),
    },
    { name: 'a flat 11 MB message', message: inBody(`<f>${'A'.repeat(11 * 1024 * 1024)}</f>`) },
    {
      name: '20,000 nested elements, each declaring a namespace',
      message: inBody(
        Array.from({ length: 20_000 }, (_, i) => `<n${i % 10} xmlns:p${i}="urn:p${i}">`).join('') +
          Array.from({ length: 20_000 }, (_, i) => `</n${(19_999 - i) % 10}>`).join(''),
      ),
    },
    {
      name: '20,000 namespace declarations on one element',
      message: inBody(`<n ${Array.from({ length: 20_000 }, (_, i) => `xmlns:p${i}="urn:p${i}"`).join(' ')}/>`),
    },
    { name: '200,000 sibling elements', message: inBody('<e/>'.repeat(200_000)) },
  ];
}
