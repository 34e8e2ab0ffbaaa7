// Bad input, table-driven: every case ends in its stable error code, at plan time wherever the input is known then,
// and leaves the tenant, the receiver and Terraform state as they were. Inputs that enter through Terraform
// (certificates, aliases, iFlow ids, provider configuration, gate confirmations, receiver key specs) go through the
// real terraform binary: plan must fail with the code, apply must fail with it too and change nothing. SOAP messages
// go to the embedded receiver's /soap and to src/wssecurity directly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPrivateKey, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { startReceiverEmulator, type ReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { isCpiError, type ErrorCode } from '../../src/errors';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { createSelfSignedCertificate } from '../../src/pki/self-signed-certificate';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { Pkcs12Backend } from '../../src/receiver/pkcs12-backend';
import { formatConfirmationFile, type Confirmation } from '../../src/renewal/confirmation';
import { signAndEncrypt, soapEnvelope, verifyAndDecrypt } from '../../src/wssecurity/index';
import { EC_P384_CERTIFICATE_PEM } from '../pki/fixtures';
import { makeKeyPair, SAMPLE_BODY } from '../wssecurity/fixtures';
import { createWorkdir, startTerraform, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const DAY = 86_400_000;
const ADMIN_TOKEN = 'bad-input-admin-token';
const P12_PASSWORD = 'bad-input-p12-password';
const RENEWAL = 'acme-2026';
const oneLine = (text: string) => text.replace(/[\s│╷╵]+/g, ' ');

// --- certificates -----------------------------------------------------------------------------------------------
const now = new Date();
const rsaKey = (bits = 2048) =>
  generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const key2048 = rsaKey();
const cert = (options: Partial<Parameters<typeof createSelfSignedCertificate>[0]> = {}) =>
  createSelfSignedCertificate({
    privateKeyPem: key2048,
    subject: 'CN=receiver-2026,O=Receiver',
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 365 * DAY),
    ...options,
  });
const goodCert = cert();
const goodFingerprint = parseCertificatePem(goodCert).fingerprintSha256;
const otherCert = generateKeyPairWithCertificate({
  algorithm: 'RSA-2048',
  subject: 'CN=other',
  validityDays: 365,
  now,
}).certificatePem;
const otherFingerprint = parseCertificatePem(otherCert).fingerprintSha256;
/**
 * An Ed25519 certificate, made once with `openssl req -x509 -newkey ed25519 -days 36500` (neither node-forge nor
 * node:crypto issue one; openssl is not needed to run the tests). Valid until 2126.
 */
const ED25519_CERTIFICATE = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBTDCB/6ADAgECAhQ22pE/57XFqBRfRkO1vNUNyCdOhDAFBgMrZXAwGzEZMBcG',
  'A1UEAwwQZWQyNTUxOSByZWNlaXZlcjAgFw0yNjEyMDMyMzAxNDBaGA8yMTI2MTEw',
  'OTIzMDE0MFowGzEZMBcGA1UEAwwQZWQyNTUxOSByZWNlaXZlcjAqMAUGAytlcAMh',
  'AAm6479B0DiB3e+kOg2JRb0R4Vw4/q2ejesI0UpnQTvKo1MwUTAdBgNVHQ4EFgQU',
  'Hj67xADzGW/p+IbWUbdH0xZl6bUwHwYDVR0jBBgwFoAUHj67xADzGW/p+IbWUbdH',
  '0xZl6bUwDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQD4nbi7dzvSSHp3I1PlAmZt',
  'hrZoGMfl4beexAixZuwe/9ktJzWH4KDfTUKYFBV+DSNBTuZ47Okc3WVKD5/7VaEF',
  '-----END CERTIFICATE-----',
].join('\n');
const pemBody = (pem: string) =>
  pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('\n');

/** A case whose input enters through Terraform. */
interface TerraformCase {
  readonly area: string;
  readonly name: string;
  readonly code: ErrorCode;
  /** Also required in the error text (after whitespace is folded). */
  readonly detail?: RegExp;
  readonly resources?: Record<string, Record<string, object>>;
  readonly data?: Record<string, Record<string, object>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Writes files the case needs into its directory (e.g. a confirmation). */
  readonly files?: (dir: string) => void;
}

const certCase = (name: string, pem: string, code: ErrorCode, detail?: RegExp): TerraformCase => ({
  area: 'certificate',
  name,
  code,
  ...(detail ? { detail } : {}),
  resources: { cpi_keystore_certificate: { bad: { alias: 'bad_input', certificate_pem: pem } } },
});
const aliasCase = (name: string, alias: string, code: ErrorCode): TerraformCase => ({
  area: 'alias',
  name,
  code,
  resources: { cpi_keystore_certificate: { bad: { alias, certificate_pem: goodCert } } },
});
const iflowCase = (name: string, attrs: object, detail: RegExp): TerraformCase => ({
  area: 'iflow',
  name,
  code: 'CPI_IFLOW_NOT_FOUND',
  detail,
  resources: { cpi_iflow_deployment: { bad: attrs } },
});
// Provider cases plan a certificate that needs the tenant (alias lookup) so that the connection is really used.
const providerCase = (name: string, env: NodeJS.ProcessEnv, code: ErrorCode, detail?: RegExp): TerraformCase => ({
  area: 'provider config',
  name,
  code,
  ...(detail ? { detail } : {}),
  env,
  resources: { cpi_keystore_certificate: { bad: { alias: 'bad_input', certificate_pem: goodCert } } },
});

const confirmation = (overrides: Partial<Confirmation> = {}): Confirmation => ({
  renewalId: RENEWAL,
  gate: 'exchange-certificate',
  fingerprintSha256: goodFingerprint,
  party: 'receiver-admin',
  person: 'Jane Roe',
  confirmedAt: new Date(Date.now() - 60_000),
  ...overrides,
});
/** A public key only (no signature is ever made with it here): what a renewal lists as a party's signer. */
const FIXTURE_SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO/0qtaycB+H3iMq7rYhTMS2MQWe7LNjzTQYxPPoGLcN fixture';
const RECEIVER_ADMIN_SIGNERS = { party: 'receiver-admin', allowed_signers: `"Jane *" ${FIXTURE_SSH_KEY}\n` };
const gate = (extra: object = {}) => ({
  renewal_id: RENEWAL,
  gate: 'exchange-certificate',
  waits_for: ['receiver-admin'],
  confirmations_dir: 'confirmations',
  new_certificate_pem: goodCert,
  requirement: [{ kind: 'confirmation', party: 'receiver-admin' }],
  ...extra,
});
const confirmationCase = (
  name: string,
  code: ErrorCode,
  detail: RegExp,
  file: string | Confirmation[],
  gateExtra: object = {},
): TerraformCase => ({
  area: 'gate confirmation',
  name,
  code,
  detail,
  resources: { cpi_renewal_gate: { bad: gate(gateExtra) } },
  files: (dir) => {
    mkdirSync(join(dir, 'confirmations'), { recursive: true });
    writeFileSync(
      join(dir, 'confirmations', 'exchange-certificate.json'),
      typeof file === 'string' ? file : formatConfirmationFile({ confirmations: file }),
    );
  },
});

let receiverUrl = '';
let p12Dir = '';
const embedded = () => ({ kind: 'embedded', url: receiverUrl });
const pkcs12 = () => ({
  kind: 'pkcs12',
  keystore_path: join(p12Dir, 'active.p12'),
  archive_path: join(p12Dir, 'archive.p12'),
});
const keyCase = (
  name: string,
  attrs: object,
  code: ErrorCode,
  detail?: RegExp,
  env?: NodeJS.ProcessEnv,
  receiver: () => object = embedded,
): TerraformCase => ({
  area: 'receiver key',
  name,
  code,
  ...(detail ? { detail } : {}),
  ...(env ? { env } : {}),
  get resources() {
    return {
      cpi_receiver_key: {
        bad: { key_name: 'orders-2026', subject: 'CN=orders-2026,O=Receiver', receiver: receiver(), ...attrs },
      },
    };
  },
});
const soon = new Date(Date.now() + 30 * DAY).toISOString().replace(/\.\d+Z$/, 'Z');

const TERRAFORM_CASES: TerraformCase[] = [
  certCase('not PEM', 'hello, I am a certificate', 'CPI_PKI_NOT_PEM'),
  certCase('DER bytes as base64 without PEM armour', pemBody(goodCert).replace(/\n/g, ''), 'CPI_PKI_NOT_PEM'),
  certCase('a private key pasted', key2048, 'CPI_PKI_PRIVATE_KEY_PASTED'),
  certCase('a certificate with its private key pasted after it', goodCert + key2048, 'CPI_PKI_PRIVATE_KEY_PASTED'),
  certCase(
    'expired',
    cert({ notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() - DAY) }),
    'CPI_PKI_CERT_EXPIRED',
  ),
  certCase(
    'not yet valid',
    cert({ notBefore: new Date(now.getTime() + 10 * DAY), notAfter: new Date(now.getTime() + 400 * DAY) }),
    'CPI_PKI_CERT_NOT_YET_VALID',
  ),
  certCase('weak key (RSA 1024)', cert({ privateKeyPem: rsaKey(1024) }), 'CPI_PKI_RSA_KEY_TOO_SMALL', /1024/),
  certCase('Ed25519 key (no key transport)', ED25519_CERTIFICATE, 'CPI_PKI_KEY_TYPE_UNSUITABLE', /Ed25519 key/),
  certCase(
    'EC key (the tenant encrypts with RSA key transport only)',
    EC_P384_CERTIFICATE_PEM,
    'CPI_PKI_KEY_TYPE_UNSUITABLE',
    /EC key/,
  ),
  certCase(
    'key usage without keyEncipherment',
    cert({ keyUsage: ['digitalSignature'] }),
    'CPI_PKI_NO_KEY_ENCIPHERMENT',
  ),
  certCase('a chain instead of the leaf', goodCert + otherCert, 'CPI_PKI_CERTIFICATE_CHAIN'),
  certCase(
    'a public key instead of a certificate',
    generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'CPI_PKI_NOT_A_CERTIFICATE',
  ),
  certCase('damaged base64', goodCert.replace(/\n([A-Za-z0-9+/]{10})/, '\n$1%%%'), 'CPI_PKI_PEM_BASE64_INVALID'),
  certCase(
    'valid base64 that is not X.509',
    `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a certificate at all').toString('base64')}\n-----END CERTIFICATE-----\n`,
    'CPI_PKI_CERTIFICATE_UNREADABLE',
  ),

  aliasCase('reserved alias hcicertificate', 'hcicertificate', 'CPI_TENANT_ALIAS_RESERVED'),
  aliasCase('SAP-owned alias (sap_ prefix)', 'sap_cloudintegrationcertificate', 'CPI_TENANT_ALIAS_RESERVED'),
  aliasCase('alias too long', 'a'.repeat(251), 'CPI_ALIAS_INVALID'),
  aliasCase('alias with a slash', 'receiver/enc', 'CPI_ALIAS_INVALID'),
  aliasCase('alias with a backslash', 'receiver\\enc', 'CPI_ALIAS_INVALID'),
  aliasCase('alias with a control character', 'receiver\tenc', 'CPI_ALIAS_INVALID'),
  aliasCase('alias with a trailing space', 'receiver_enc ', 'CPI_ALIAS_INVALID'),
  aliasCase('alias in upper case', 'Receiver_Enc', 'CPI_ALIAS_INVALID'),
  aliasCase('empty alias', '', 'CPI_ALIAS_INVALID'),
  aliasCase('alias taken by another certificate', 'receiver_enc', 'CPI_TENANT_ALIAS_EXISTS'),

  iflowCase('unknown iFlow id', { iflow_id: 'NoSuchFlow' }, /no integration flow with artifact ID "NoSuchFlow"/),
  iflowCase(
    'a version the iFlow does not have',
    { iflow_id: 'OrderToReceiver', version: '9.9.9' },
    /"OrderToReceiver" in version "9.9.9"/,
  ),

  providerCase(
    'tenant_url that is not a URL',
    { CPI_TENANT_URL: 'my-tenant.example.com' },
    'CPI_PROVIDER_INVALID_CONFIG',
    /not an http\(s\) URL/,
  ),
  providerCase('wrong password', { CPI_PASSWORD: 'wrong-password' }, 'CPI_TENANT_UNAUTHORIZED'),
  providerCase('user without password', { CPI_PASSWORD: '' }, 'CPI_PROVIDER_INVALID_CONFIG', /password/),
  providerCase('service key that is not JSON', { CPI_SERVICE_KEY: 'clientid=abc' }, 'CPI_TENANT_SERVICE_KEY_INVALID'),
  providerCase(
    'service key without clientsecret',
    { CPI_SERVICE_KEY: '__SERVICE_KEY_NO_SECRET__' },
    'CPI_TENANT_SERVICE_KEY_INVALID',
    /clientsecret/,
  ),
  providerCase(
    'service key with a wrong client secret',
    { CPI_SERVICE_KEY: '__SERVICE_KEY_WRONG_SECRET__' },
    'CPI_TENANT_UNAUTHORIZED',
  ),
  providerCase('tenant that does not listen', { CPI_TENANT_URL: 'http://127.0.0.1:1' }, 'CPI_TENANT_UNREACHABLE'),

  confirmationCase(
    'confirmation for another certificate',
    'CPI_GATE_CLOSED',
    /confirmed the certificate [0-9A-F:]+, not/,
    [confirmation({ fingerprintSha256: otherFingerprint })],
  ),
  confirmationCase(
    'confirmation for another renewal',
    'CPI_GATE_CLOSED',
    /confirmed renewal "acme-2025", not "acme-2026"/,
    [confirmation({ renewalId: 'acme-2025' })],
  ),
  confirmationCase(
    'confirmation for another gate',
    'CPI_GATE_CLOSED',
    /confirmed gate "retire-old-key", not "exchange-certificate"/,
    [confirmation({ gate: 'retire-old-key' })],
  ),
  confirmationCase('confirmation by another party', 'CPI_GATE_CLOSED', /Evidence found so far: none/, [
    confirmation({ party: 'tenant-admin' }),
  ]),
  confirmationCase('future-dated confirmation', 'CPI_GATE_CLOSED', /in the future/, [
    confirmation({ confirmedAt: new Date(Date.now() + DAY) }),
  ]),
  confirmationCase(
    'confirmation file that is not JSON',
    'CPI_GATE_CONFIRMATION_MALFORMED',
    /not valid JSON/,
    '{"confirmations": [',
  ),
  confirmationCase(
    'confirmation entry missing fields',
    'CPI_GATE_CONFIRMATION_MALFORMED',
    /renewal_id is missing/,
    '{"confirmations": [{"party": "receiver-admin"}]}',
  ),
  confirmationCase(
    'confirmation with a malformed fingerprint',
    'CPI_GATE_CONFIRMATION_MALFORMED',
    /is not a SHA-256 fingerprint/,
    formatConfirmationFile({ confirmations: [confirmation()] }).replace(goodFingerprint, 'AB:CD'),
  ),
  confirmationCase(
    'confirmation with a time that is not RFC 3339',
    'CPI_GATE_CONFIRMATION_MALFORMED',
    /is not an RFC 3339 time/,
    formatConfirmationFile({ confirmations: [confirmation()] }).replace(
      /"confirmed_at": "[^"]+"/,
      '"confirmed_at": "yesterday"',
    ),
  ),
  // signed confirmations: the renewal lists the receiver administrator's SSH key (docs/signed-confirmations.md)
  confirmationCase(
    'unsigned confirmation where the renewal asks for signatures',
    'CPI_GATE_CLOSED',
    /it is not signed, and this renewal accepts only confirmations signed with receiver-admin's SSH keys/,
    [confirmation()],
    { confirmation_signers: [RECEIVER_ADMIN_SIGNERS] },
  ),
  confirmationCase(
    'confirmation whose signature is not an SSH signature',
    'CPI_GATE_CLOSED',
    /not an armored SSH signature/,
    [confirmation({ signature: 'signed, Jane' })],
    { confirmation_signers: [RECEIVER_ADMIN_SIGNERS] },
  ),
  confirmationCase(
    'confirmation whose signature is not a string',
    'CPI_GATE_CONFIRMATION_MALFORMED',
    /signature is not an armored SSH signature/,
    formatConfirmationFile({ confirmations: [confirmation()] }).replace('"person"', '"signature": 42, "person"'),
    { confirmation_signers: [RECEIVER_ADMIN_SIGNERS] },
  ),
  confirmationCase(
    'confirmation signers that are not an allowed_signers text',
    'CPI_GATE_SIGNERS_INVALID',
    /line 1: expected "principals \[options\] key-type base64-key"/,
    [confirmation()],
    { confirmation_signers: [{ party: 'receiver-admin', allowed_signers: 'jane@example.com' }] },
  ),
  confirmationCase(
    'confirmation signers with a cert-authority line',
    'CPI_GATE_SIGNERS_INVALID',
    /cert-authority is not supported/,
    [confirmation()],
    {
      confirmation_signers: [{ party: 'receiver-admin', allowed_signers: `* cert-authority ${FIXTURE_SSH_KEY}` }],
    },
  ),
  confirmationCase(
    'confirmation signers that leave out the confirming party',
    'CPI_GATE_SIGNERS_INVALID',
    /confirmation_signers lists no key for receiver-admin/,
    [confirmation()],
    { confirmation_signers: [{ ...RECEIVER_ADMIN_SIGNERS, party: 'tenant-admin' }] },
  ),
  confirmationCase(
    'gate naming a malformed old fingerprint',
    'CPI_VALUE_INVALID',
    /old_fingerprint_sha256 "not-a-fingerprint" is not a SHA-256 fingerprint/,
    [confirmation()],
    { old_fingerprint_sha256: 'not-a-fingerprint' },
  ),
  confirmationCase(
    'gate waiting for an unknown party',
    'CPI_VALUE_INVALID',
    /"auditor" is not one of/,
    [confirmation()],
    { waits_for: ['auditor'] },
  ),
  confirmationCase('gate without evidence', 'CPI_GATE_NO_EVIDENCE', /could never be checked/, [confirmation()], {
    requirement: [],
  }),
  confirmationCase(
    'gate window_start that is not RFC 3339',
    'CPI_VALUE_INVALID',
    /window_start "next monday"/,
    [confirmation()],
    { window_start: 'next monday' },
  ),

  keyCase(
    'retired key with a retention shorter than 90 days',
    { state: 'retired', retain_until: soon },
    'CPI_RECEIVER_RETENTION_TOO_SHORT',
  ),
  keyCase('unsupported algorithm RSA-1024', { algorithm: 'RSA-1024' }, 'CPI_VALUE_INVALID', /algorithm "RSA-1024"/),
  keyCase('unsupported algorithm EC-P256', { algorithm: 'EC-P256' }, 'CPI_VALUE_INVALID', /algorithm "EC-P256"/),
  keyCase('key name in upper case', { key_name: 'Orders-2026' }, 'CPI_RECEIVER_KEY_NAME_INVALID'),
  keyCase('key name reused', { key_name: 'orders-2025' }, 'CPI_RECEIVER_KEY_EXISTS'),
  keyCase('subject that is not a DN', { subject: 'orders receiver' }, 'CPI_PKI_SUBJECT_INVALID'),
  keyCase('validity of 0 days', { validity_days: 0 }, 'CPI_VALUE_INVALID', /validity_days 0/),
  keyCase(
    'retain_until that is not RFC 3339',
    { state: 'retired', retain_until: 'in 90 days' },
    'CPI_VALUE_INVALID',
    /retain_until "in 90 days"/,
  ),
  keyCase(
    'retain_until on an active key',
    { retain_until: '2099-01-01T00:00:00Z' },
    'CPI_VALUE_INVALID',
    /applies to a retired key/,
  ),
  keyCase(
    'unknown receiver kind',
    {},
    'CPI_VALUE_INVALID',
    /receiver.kind "ldap" is not one of pkcs12, embedded/,
    undefined,
    () => ({
      kind: 'ldap',
    }),
  ),
  keyCase('wrong receiver admin token', {}, 'CPI_RECEIVER_UNAUTHORIZED', undefined, {
    CPI_RECEIVER_ADMIN_TOKEN: 'wrong-token',
  }),
  keyCase(
    'PKCS#12 keystore without a password',
    {},
    'CPI_VALUE_INVALID',
    /CPI_RECEIVER_KEYSTORE_PASSWORD/,
    { CPI_RECEIVER_KEYSTORE_PASSWORD: '' },
    pkcs12,
  ),
  keyCase(
    'PKCS#12 keystore with a wrong password',
    {},
    'CPI_PKI_PKCS12_PASSWORD',
    undefined,
    { CPI_RECEIVER_KEYSTORE_PASSWORD: 'wrong-password' },
    pkcs12,
  ),
];

// --- SOAP messages ----------------------------------------------------------------------------------------------
const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const tenantSigner = makeKeyPair('tenant-signer');
type Doc = ReturnType<DOMParser['parseFromString']>;
const edit = (message: string, change: (doc: Doc) => void): string => {
  const doc = new DOMParser().parseFromString(message, 'text/xml');
  change(doc);
  return new XMLSerializer().serializeToString(doc);
};
const first = (doc: Doc, ns: string, name: string) => doc.getElementsByTagNameNS(ns, name)[0]!;

interface SoapCase {
  readonly name: string;
  readonly code: ErrorCode;
  readonly message: (receiverKey: { certificatePem: string; privateKeyPem: string }) => string;
}

const secure = (certificatePem: string, options: Partial<Parameters<typeof signAndEncrypt>[1]> = {}) =>
  signAndEncrypt(soapEnvelope(SAMPLE_BODY), {
    encryptionCertificatePem: certificatePem,
    signing: tenantSigner,
    ...options,
  });

const SOAP_CASES: SoapCase[] = [
  { name: 'not XML', code: 'CPI_WSS_MALFORMED_MESSAGE', message: () => '<a><b></a>' },
  {
    name: 'XML that is not a SOAP envelope',
    code: 'CPI_WSS_MALFORMED_MESSAGE',
    message: () => '<x:Envelope xmlns:x="urn:x"/>',
  },
  {
    name: 'DOCTYPE with an external entity (XXE)',
    code: 'CPI_WSS_DOCTYPE_FORBIDDEN',
    message: (k) => `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${secure(k.certificatePem)}`,
  },
  {
    name: 'RSA PKCS#1 v1.5 key transport',
    code: 'CPI_WSS_INSECURE_KEY_TRANSPORT',
    message: (k) =>
      edit(secure(k.certificatePem, { algorithmSuite: 'Basic128' }), (doc) => {
        const ek = first(doc, XENC, 'EncryptedKey');
        const method = first(doc, XENC, 'EncryptionMethod');
        const value = ek.getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
        const cek = privateDecrypt(
          { key: createPrivateKey(k.privateKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
          Buffer.from(value.textContent!, 'base64'),
        );
        value.textContent = publicEncrypt(
          { key: k.certificatePem, padding: constants.RSA_PKCS1_PADDING },
          cek,
        ).toString('base64');
        method.setAttribute('Algorithm', 'http://www.w3.org/2001/04/xmlenc#rsa-1_5');
        while (method.firstChild) method.removeChild(method.firstChild);
      }),
  },
  {
    name: 'duplicate IDs',
    code: 'CPI_WSS_DUPLICATE_ID',
    message: (k) =>
      edit(secure(k.certificatePem), (doc) => {
        const copy = doc.createElementNS('urn:x', 'x:Copy');
        copy.setAttribute('Id', first(doc, WSU, 'Timestamp').getAttributeNS(WSU, 'Id')!);
        first(doc, SOAP, 'Header').appendChild(copy);
      }),
  },
  {
    name: 'signature wrapping (signed Body moved into the header, a new Body in its place)',
    code: 'CPI_WSS_BODY_NOT_SIGNED',
    message: (k) => {
      const { envelope } = verifyAndDecrypt(
        secure(k.certificatePem),
        [{ id: 'k', ...k }],
        [tenantSigner.certificatePem],
      );
      return edit(envelope, (doc) => {
        const ek = first(doc, XENC, 'EncryptedKey');
        ek.parentNode!.removeChild(ek);
        const body = first(doc, SOAP, 'Body');
        const wrapper = doc.createElementNS('urn:attacker', 'a:Wrapper');
        first(doc, SOAP, 'Header').appendChild(wrapper);
        const evil = doc.createElementNS(SOAP, 'soapenv:Body');
        evil.appendChild(doc.createElementNS('urn:example:orders', 'm:TransferAllFunds'));
        body.parentNode!.replaceChild(evil, body);
        wrapper.appendChild(body);
      });
    },
  },
  {
    name: 'truncated ciphertext',
    code: 'CPI_WSS_DECRYPTION_FAILED',
    message: (k) =>
      edit(secure(k.certificatePem), (doc) => {
        const value = first(doc, XENC, 'EncryptedData').getElementsByTagNameNS(XENC, 'CipherValue')[0]!;
        value.textContent = Buffer.from(value.textContent!, 'base64').subarray(0, 20).toString('base64');
      }),
  },
  {
    name: 'unsigned message',
    code: 'CPI_WSS_SIGNATURE_MISSING',
    message: (k) => secure(k.certificatePem, { signing: undefined }),
  },
  {
    name: 'signed by a signer that is not pinned',
    code: 'CPI_WSS_SIGNER_NOT_TRUSTED',
    message: (k) => secure(k.certificatePem, { signing: makeKeyPair('someone else') }),
  },
  {
    name: 'encrypted for a certificate the receiver has no key for',
    code: 'CPI_WSS_NO_MATCHING_KEY',
    message: () => secure(otherCert),
  },
  {
    name: 'two Security headers',
    code: 'CPI_WSS_SECURITY_HEADER',
    message: (k) =>
      edit(
        secure(k.certificatePem),
        (doc) => void first(doc, SOAP, 'Header').appendChild(doc.createElementNS(WSSE, 'wsse:Security')),
      ),
  },
  {
    name: 'timestamp from the future (beyond the clock skew)',
    code: 'CPI_WSS_TIMESTAMP_INVALID',
    message: (k) => secure(k.certificatePem, { now: new Date(Date.now() + 3_600_000) }),
  },
];

describe('bad input', () => {
  let tenant: TenantEmulator;
  let receiver: ReceiverEmulator;
  let template: TerraformWorkdir;
  let dir: string;
  let serviceKeyNoSecret = '';
  let serviceKeyWrongSecret = '';

  const snapshot = () =>
    JSON.stringify({
      keystore: tenant.state.keystoreEntries(),
      runtime: tenant.state.runtimeArtifacts(),
      receiverKeys: receiver.state.keys(),
      p12: ['active.p12', 'archive.p12'].map((f) =>
        existsSync(join(p12Dir, f)) ? readFileSync(join(p12Dir, f)).toString('base64') : null,
      ),
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpi-bad-input-'));
    tenant = await startTenantEmulator({
      dataDir: join(dir, 'tenant'),
      // dozens of provider processes plan at once; the tenant's rate limit is another test's subject
      config: {
        rateLimits: false,
        iflows: [{ id: 'OrderToReceiver', version: '1.0.3', deployed: true }],
        certificates: [{ alias: 'receiver_enc', pem: otherCert }],
      },
    });
    receiver = await startReceiverEmulator({
      dataDir: join(dir, 'receiver'),
      adminToken: ADMIN_TOKEN,
      trustedSignerCertificatePem: tenantSigner.certificatePem,
    });
    receiverUrl = receiver.url;
    await new EmbeddedBackend({ url: receiver.url, adminToken: ADMIN_TOKEN }).generateKey({
      name: 'orders-2025',
      algorithm: 'RSA-2048',
      subject: 'CN=orders-2025',
      validityDays: 365,
    });
    p12Dir = join(dir, 'p12');
    await new Pkcs12Backend({
      keystorePath: join(p12Dir, 'active.p12'),
      archivePath: join(p12Dir, 'archive.p12'),
      password: P12_PASSWORD,
    }).generateKey({
      name: 'orders-2025',
      algorithm: 'RSA-2048',
      subject: 'CN=orders-2025',
      validityDays: 365,
    });
    const { clientId, clientSecret, tokenUrl } = tenant.credentials;
    serviceKeyNoSecret = JSON.stringify({ oauth: { url: tenant.url, tokenurl: tokenUrl, clientid: clientId } });
    serviceKeyWrongSecret = JSON.stringify({
      oauth: { url: tenant.url, tokenurl: tokenUrl, clientid: clientId, clientsecret: `${clientSecret}-wrong` },
    });
    template = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: 'cpi-tf-bad-input-' });
    template.writeConfig(configOf({}));
    await template.ok(['init']);
  });
  after(async () => {
    template?.remove();
    await receiver?.close();
    await tenant?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const configOf = (c: Pick<TerraformCase, 'resources' | 'data'>) => ({
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
    provider: { cpi: {} },
    ...(c.resources ? { resource: c.resources } : {}),
    ...(c.data ? { data: c.data } : {}),
  });

  /** terraform in the case's own directory, sharing the template's initialized providers. */
  const terraform = (cwd: string, args: string[], env: NodeJS.ProcessEnv) =>
    startTerraform(args, {
      cwd,
      env: {
        ...template.env,
        TF_DATA_DIR: join(template.dir, '.terraform'),
        CPI_TENANT_URL: tenant.url,
        CPI_USERNAME: tenant.credentials.username,
        CPI_PASSWORD: tenant.credentials.password,
        CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN,
        CPI_RECEIVER_KEYSTORE_PASSWORD: P12_PASSWORD,
        ...env,
      },
    });

  describe('through terraform: refused at plan time with the code, nothing changed', { concurrency: 8 }, () => {
    TERRAFORM_CASES.forEach((c, index) => {
      test(`${c.area}: ${c.name} → ${c.code}`, async () => {
        const caseDir = join(template.dir, `case-${index}`);
        mkdirSync(caseDir, { recursive: true });
        writeFileSync(join(caseDir, 'main.tf.json'), JSON.stringify(configOf(c), null, 2));
        copyFileSync(join(template.dir, '.terraform.lock.hcl'), join(caseDir, '.terraform.lock.hcl'));
        c.files?.(caseDir);
        const env = Object.fromEntries(
          Object.entries(c.env ?? {}).map(([k, v]) => [
            k,
            v === '__SERVICE_KEY_NO_SECRET__'
              ? serviceKeyNoSecret
              : v === '__SERVICE_KEY_WRONG_SECRET__'
                ? serviceKeyWrongSecret
                : v,
          ]),
        );
        const before = snapshot();
        // `apply` plans first, exactly as `plan` does; a failure there shows no plan and starts no action, which
        // is what "refused at plan time" means. (A separate `plan` per case would double this file's run time.)
        const apply = await terraform(caseDir, ['apply', '-input=false', '-auto-approve'], env);
        assert.equal(apply.code, 1, apply.output);
        const text = oneLine(apply.output);
        assert.ok(text.includes(`Error: ${c.code}`), `apply should fail with ${c.code}:\n${apply.output}`);
        if (c.detail) assert.match(text, c.detail);
        assert.doesNotMatch(
          apply.output,
          /Terraform will perform the following actions|: (Creating|Modifying|Destroying)\.\.\.|complete after/,
          'failed while planning, before any action',
        );
        assert.equal(snapshot(), before, 'the tenant, the receiver and the keystore files are unchanged');
        const state = join(caseDir, 'terraform.tfstate');
        if (existsSync(state))
          assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')).resources, [], 'nothing in state');
      });
    });
  });

  describe('SOAP messages to the embedded receiver and to src/wssecurity', () => {
    let receiverKey: { certificatePem: string; privateKeyPem: string };
    const refusedCount = (code: ErrorCode) =>
      Object.values(receiver.state.counters()).reduce((sum, c) => sum + (c.refused[code] ?? 0), 0);
    const decryptedCount = () => Object.values(receiver.state.counters()).reduce((sum, c) => sum + c.decrypted, 0);

    before(() => {
      // the receiver's own key, read from its data directory as its administrator could
      const stored = JSON.parse(readFileSync(join(dir, 'receiver', 'receiver-state.json'), 'utf8')) as {
        keys: { name: string; certificatePem: string; privateKeyPem: string }[];
      };
      const k = stored.keys.find((x) => x.name === 'orders-2025')!;
      receiverKey = { certificatePem: k.certificatePem, privateKeyPem: k.privateKeyPem };
    });

    test('a well-formed message is decrypted (the cases below differ from it in one way each)', async () => {
      const response = await fetch(`${receiver.url}/soap`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: secure(receiverKey.certificatePem),
      });
      assert.equal(response.status, 200, await response.text());
      assert.equal(decryptedCount(), 1);
    });

    for (const c of SOAP_CASES) {
      test(`SOAP: ${c.name} → ${c.code}`, async () => {
        const message = c.message(receiverKey);
        assert.throws(
          () =>
            verifyAndDecrypt(message, [{ id: 'orders-2025', ...receiverKey }], [tenantSigner.certificatePem], {
              requireSignature: true,
            }),
          (e: unknown) => isCpiError(e) && e.code === c.code,
        );
        const before = snapshot();
        const refused = refusedCount(c.code);
        const decrypted = decryptedCount();
        const response = await fetch(`${receiver.url}/soap`, {
          method: 'POST',
          headers: { 'content-type': 'text/xml' },
          body: message,
        });
        const text = await response.text();
        assert.equal(response.status, 500, text);
        assert.match(text, /Fault/);
        assert.doesNotMatch(text, new RegExp(c.code), 'the fault names no error detail');
        assert.equal(refusedCount(c.code), refused + 1, `the receiver counts the refusal under ${c.code}`);
        assert.equal(decryptedCount(), decrypted);
        assert.equal(snapshot(), before);
      });
    }
  });

  test('reports the number of bad inputs', (t) => {
    const total = TERRAFORM_CASES.length + SOAP_CASES.length;
    assert.ok(total >= 40, `${total} cases`);
    const areas = new Set(TERRAFORM_CASES.map((c) => c.area));
    assert.deepEqual([...areas].sort(), [
      'alias',
      'certificate',
      'gate confirmation',
      'iflow',
      'provider config',
      'receiver key',
    ]);
    t.diagnostic(
      `bad inputs: ${total} (${TERRAFORM_CASES.length} through terraform, ${SOAP_CASES.length} SOAP messages)`,
    );
  });
});
