// Public API of src/wssecurity: the tenant's "Sign and Encrypt" and a receiver's "verify and decrypt".
export { signAndEncrypt, soapEnvelope, type AlgorithmSuite, type SignAndEncryptOptions } from './sign-and-encrypt';
export { verifyAndDecrypt, type VerifiedMessage, type VerifyAndDecryptOptions } from './verify-and-decrypt';
export {
  decryptEncryptedData,
  type DecryptEncryptedDataOptions,
  type DecryptedDocument,
} from './decrypt-encrypted-data';
export { loadKeyring, type KeyringEntry, type LoadedKeyring } from './keyring';
export { KEY_IDENTIFIER_FORMS, type KeyIdentifierForm, type MatchedBy } from './key-identifier';
export type { ContentEncryptionName } from './content-encryption';
export type { KeyTransportName } from './key-transport';
export { readCertificate, type WssCertificate } from './wss-certificate';
export { GENERIC_FAULT_TEXT, genericSoapFault } from './soap-fault';
