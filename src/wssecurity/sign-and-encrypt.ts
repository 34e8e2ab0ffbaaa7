// What the tenant's SOAP receiver channel does with "Sign and Encrypt": sign Body and Timestamp with the tenant
// key pair (RSA-SHA256, exclusive c14n, the signing certificate as BinarySecurityToken), then encrypt the Body
// content for the receiver certificate under the channel's alias. Header layout as WSS4J writes it:
//   [BST of the receiver certificate] EncryptedKey, BST of the signing certificate, Signature, Timestamp
import { createPrivateKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { Document, Element } from '@xmldom/xmldom';
import { CpiError } from '../errors';
import { readCertificate } from './wss-certificate';
import {
  contentAlgorithmUri,
  contentKeyLength,
  encryptContent,
  type ContentEncryptionName,
} from './content-encryption';
import { createBinarySecurityToken, createSecurityTokenReference, type KeyIdentifierForm } from './key-identifier';
import { createKeyTransportMethod, keyTransportFor, wrapKey, type KeyTransportName } from './key-transport';
import { ALG, NS, WSS } from './namespaces';
import { envelopeParts, securityHeaders } from './soap-envelope';
import { parseStrict, serialize } from './xml-dom';
import { createSignature } from './xml-signature';

/** WS-SecurityPolicy algorithm suites as CPI offers them; each implies AES-CBC and rsa-oaep-mgf1p. */
export type AlgorithmSuite = 'Basic256' | 'Basic128' | 'Basic256Sha256';

const SUITES: Readonly<Record<AlgorithmSuite, { content: ContentEncryptionName; keyTransport: KeyTransportName }>> = {
  Basic256: { content: 'aes256-cbc', keyTransport: 'rsa-oaep-mgf1p' },
  Basic128: { content: 'aes128-cbc', keyTransport: 'rsa-oaep-mgf1p' },
  Basic256Sha256: { content: 'aes256-cbc', keyTransport: 'rsa-oaep-mgf1p' },
};

/** Options of {@link signAndEncrypt}. */
export interface SignAndEncryptOptions {
  /** The receiver certificate to encrypt for (the certificate under the channel's "Public Key Alias for Encryption"). */
  readonly encryptionCertificatePem: string;
  /** How the EncryptedKey names the receiver certificate. @default 'IssuerSerial' */
  readonly keyIdentifier?: KeyIdentifierForm;
  /** The tenant key pair that signs Body and Timestamp. @default - no signature (encrypt only) */
  readonly signing?: { readonly privateKeyPem: string; readonly certificatePem: string };
  /** Algorithm suite; sets contentEncryption and keyTransport unless those are given. @default - aes256-gcm with rsa-oaep-mgf1p */
  readonly algorithmSuite?: AlgorithmSuite;
  /** Content encryption of the Body. @default 'aes256-gcm' (or the suite's) */
  readonly contentEncryption?: ContentEncryptionName;
  /** Key transport: rsa-oaep-mgf1p (SHA-1) or XML Encryption 1.1 rsa-oaep (SHA-256, MGF1-SHA-256). @default 'rsa-oaep-mgf1p' */
  readonly keyTransport?: KeyTransportName;
  /**
   * Lifetime of the signed wsu:Timestamp (Expires = Created + this), in seconds. @default 300
   *
   * A longer lifetime does not make a message acceptable for longer to a WSS4J receiver (the SAP tenant runtime,
   * CXF): WSS4J refuses a wsu:Created older than its own timeStampTTL (300 s unless the receiver configures it,
   * e.g. CXF's ws-security.timestamp.timeToLive) or more than its timeStampFutureTTL (60 s) ahead, whatever
   * Expires says. Sender and receiver clocks must agree within those limits; raising this does not help.
   */
  readonly timestampTtlSeconds?: number;
  /** The clock: timestamp and the receiver certificate's validity. @default - the current time */
  readonly now?: Date;
}

/** Wraps Body content in a SOAP 1.1 envelope, for callers that only have the payload. */
export function soapEnvelope(bodyContentXml: string): string {
  return `<soapenv:Envelope xmlns:soapenv="${NS.soap11}"><soapenv:Header/><soapenv:Body>${bodyContentXml}</soapenv:Body></soapenv:Envelope>`;
}

/**
 * Signs (when `options.signing` is given) and encrypts a SOAP envelope; returns the secured envelope.
 * Refuses a receiver certificate that is not valid at `options.now` (CPI itself does not check this).
 */
export function signAndEncrypt(envelopeXml: string, options: SignAndEncryptOptions): string {
  const now = options.now ?? new Date();
  const receiver = readCertificate(options.encryptionCertificatePem);
  const { validFrom, validTo } = receiver;
  if (now < validFrom || now > validTo) {
    throw new CpiError(
      'CPI_WSS_CERTIFICATE_NOT_VALID',
      `the receiver certificate ${receiver.subjectDn} (sha256=${receiver.fingerprintSha256}) is valid from ${validFrom.toISOString()} to ${validTo.toISOString()}; now is ${now.toISOString()}`,
    );
  }
  const suite = options.algorithmSuite === undefined ? undefined : SUITES[options.algorithmSuite];
  if (options.algorithmSuite !== undefined && !suite) {
    throw new CpiError(
      'CPI_WSS_INVALID_OPTION',
      `algorithmSuite is "${options.algorithmSuite}"; expected Basic256, Basic128 or Basic256Sha256`,
    );
  }
  const contentUri = contentAlgorithmUri(options.contentEncryption ?? suite?.content ?? 'aes256-gcm');
  const keyTransport = keyTransportFor(options.keyTransport ?? suite?.keyTransport ?? 'rsa-oaep-mgf1p');
  const form = options.keyIdentifier ?? 'IssuerSerial';

  const doc = parseStrict(envelopeXml);
  prepareSecurityHeader(doc);
  if (options.signing) sign(doc, options.signing, now, options.timestampTtlSeconds ?? 300);

  const { body } = envelopeParts(doc);
  const security = securityHeaders(envelopeParts(doc))[0]!;
  let plaintext = '';
  for (let n = body.firstChild; n; n = n.nextSibling) plaintext += serialize(n);

  const cek = randomBytes(contentKeyLength(contentUri));
  const edId = `ED-${randomUUID()}`;
  const ekId = `EK-${randomUUID()}`;
  const ed = doc.createElementNS(NS.xenc, 'xenc:EncryptedData');
  ed.setAttribute('Id', edId);
  ed.setAttribute('Type', ALG.typeContent);
  const edMethod = doc.createElementNS(NS.xenc, 'xenc:EncryptionMethod');
  edMethod.setAttribute('Algorithm', contentUri);
  ed.appendChild(edMethod);
  const edKeyInfo = doc.createElementNS(NS.ds, 'ds:KeyInfo');
  const edStr = doc.createElementNS(NS.wsse, 'wsse:SecurityTokenReference');
  edStr.setAttributeNS(NS.wsse11, 'wsse11:TokenType', WSS.encryptedKeyTokenType);
  const edRef = doc.createElementNS(NS.wsse, 'wsse:Reference');
  edRef.setAttribute('URI', `#${ekId}`);
  edStr.appendChild(edRef);
  edKeyInfo.appendChild(edStr);
  ed.appendChild(edKeyInfo);
  ed.appendChild(cipherData(doc, encryptContent(contentUri, cek, Buffer.from(plaintext, 'utf8'))));
  while (body.firstChild) body.removeChild(body.firstChild);
  body.appendChild(ed);

  const ek = doc.createElementNS(NS.xenc, 'xenc:EncryptedKey');
  ek.setAttribute('Id', ekId);
  ek.appendChild(createKeyTransportMethod(doc, keyTransport));
  const ekKeyInfo = doc.createElementNS(NS.ds, 'ds:KeyInfo');
  const bstId = `X509-${randomUUID()}`;
  ekKeyInfo.appendChild(createSecurityTokenReference(doc, form, receiver, bstId));
  ek.appendChild(ekKeyInfo);
  ek.appendChild(cipherData(doc, wrapKey(receiver.publicKey, keyTransport, cek)));
  const list = doc.createElementNS(NS.xenc, 'xenc:ReferenceList');
  const dataRef = doc.createElementNS(NS.xenc, 'xenc:DataReference');
  dataRef.setAttribute('URI', `#${edId}`);
  list.appendChild(dataRef);
  ek.appendChild(list);

  // A token must precede whatever refers to it.
  security.insertBefore(ek, security.firstChild);
  if (form === 'BinarySecurityToken') security.insertBefore(createBinarySecurityToken(doc, receiver, bstId), ek);
  return serialize(doc);
}

function cipherData(doc: Document, octets: Buffer): Element {
  const data = doc.createElementNS(NS.xenc, 'xenc:CipherData');
  const value = doc.createElementNS(NS.xenc, 'xenc:CipherValue');
  value.appendChild(doc.createTextNode(octets.toString('base64')));
  data.appendChild(value);
  return data;
}

/** Adds Header and an empty wsse:Security (mustUnderstand) to the envelope; refuses an existing one. */
function prepareSecurityHeader(doc: Document): void {
  const parts = envelopeParts(doc);
  if (securityHeaders(parts).length > 0) {
    throw new CpiError(
      'CPI_WSS_INVALID_OPTION',
      'the envelope to secure already has a wsse:Security header; expected none',
    );
  }
  const prefix = parts.envelope.prefix ?? 'soapenv';
  let header = parts.header;
  if (!header) {
    header = doc.createElementNS(parts.soapNs, `${prefix}:Header`);
    parts.envelope.insertBefore(header, parts.body);
  }
  const security = doc.createElementNS(NS.wsse, 'wsse:Security');
  security.setAttributeNS(NS.xmlns, 'xmlns:wsse', NS.wsse);
  security.setAttributeNS(NS.xmlns, 'xmlns:wsu', NS.wsu);
  security.setAttributeNS(parts.soapNs, `${prefix}:mustUnderstand`, parts.soapNs === NS.soap12 ? 'true' : '1');
  header.appendChild(security);
}

/** Adds Timestamp and the signing BST, then signs Body and Timestamp by their wsu:Id. */
function sign(
  doc: Document,
  signing: { readonly privateKeyPem: string; readonly certificatePem: string },
  now: Date,
  ttlSeconds: number,
): void {
  const signer = readCertificate(signing.certificatePem);
  const privateKey = signingKey(signing.privateKeyPem);
  const parts = envelopeParts(doc);
  const security = securityHeaders(parts)[0]!;
  const bstId = `X509-${randomUUID()}`;
  security.appendChild(createBinarySecurityToken(doc, signer, bstId));

  const tsId = `TS-${randomUUID()}`;
  const ts = doc.createElementNS(NS.wsu, 'wsu:Timestamp');
  ts.setAttributeNS(NS.wsu, 'wsu:Id', tsId);
  const created = doc.createElementNS(NS.wsu, 'wsu:Created');
  created.appendChild(doc.createTextNode(now.toISOString()));
  const expires = doc.createElementNS(NS.wsu, 'wsu:Expires');
  expires.appendChild(doc.createTextNode(new Date(now.getTime() + ttlSeconds * 1000).toISOString()));
  ts.appendChild(created);
  ts.appendChild(expires);
  security.appendChild(ts);

  let bodyId = parts.body.getAttributeNS(NS.wsu, 'Id');
  if (!bodyId) {
    bodyId = `id-${randomUUID()}`;
    parts.body.setAttributeNS(NS.xmlns, 'xmlns:wsu', NS.wsu);
    parts.body.setAttributeNS(NS.wsu, 'wsu:Id', bodyId);
  }

  const str = doc.createElementNS(NS.wsse, 'wsse:SecurityTokenReference');
  const ref = doc.createElementNS(NS.wsse, 'wsse:Reference');
  ref.setAttribute('URI', `#${bstId}`);
  ref.setAttribute('ValueType', WSS.x509v3);
  str.appendChild(ref);
  const signature = createSignature(doc, {
    references: [
      { element: parts.body, id: bodyId },
      { element: ts, id: tsId },
    ],
    privateKey,
    keyInfo: str,
  });
  security.insertBefore(signature, ts);
}

const signingKeys = new Map<string, KeyObject>();
const SIGNING_KEY_CACHE_LIMIT = 16;

/** The tenant key as a KeyObject; cached, because parsing a PEM costs more than the RSA signature itself. */
function signingKey(pem: string): KeyObject {
  const hit = signingKeys.get(pem);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new CpiError('CPI_WSS_INVALID_OPTION', `signing.privateKeyPem does not load: ${(error as Error).message}`);
  }
  if (signingKeys.size >= SIGNING_KEY_CACHE_LIMIT) signingKeys.delete(signingKeys.keys().next().value!);
  signingKeys.set(pem, key);
  return key;
}
