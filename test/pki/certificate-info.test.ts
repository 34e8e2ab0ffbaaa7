import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import forge from 'node-forge';
import { CpiError, type ErrorCode } from '../../src/errors';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { certificate, certificatePem, DAY, EC_P384_CERTIFICATE_PEM, NOW, rsaKey, runJavaTool } from './fixtures';
import { skipWithout } from '../support/reference-systems';

function refusal(input: string): CpiError {
  try {
    parseCertificatePem(input);
  } catch (error) {
    assert.ok(error instanceof CpiError, `expected a CpiError, got ${String(error)}`);
    return error;
  }
  assert.fail('the input was accepted');
}

function body(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

function block(label: string, der: string): string {
  return `-----BEGIN ${label}-----\n${der.match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;
}

describe('parseCertificatePem refuses what is not exactly one certificate', () => {
  const leaf = certificatePem();
  const other = certificatePem({ key: 'b', subject: 'CN=Example CA,O=Example' });
  const key = rsaKey('a');
  const pkcs1Key = createPrivateKey(key).export({ type: 'pkcs1', format: 'pem' }) as string;
  const csr = (() => {
    const forgeKey = forge.pki.privateKeyFromPem(key);
    const request = forge.pki.createCertificationRequest();
    request.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
    request.setSubject([{ name: 'commonName', value: 'receiver' }]);
    request.sign(forgeKey, forge.md.sha256.create());
    return forge.pki.certificationRequestToPem(request);
  })();
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
  const leafBody = body(leaf);

  const cases: { name: string; input: string; code: ErrorCode; detail?: RegExp }[] = [
    { name: 'empty text', input: '', code: 'CPI_PKI_NOT_PEM' },
    { name: 'prose', input: 'please find the certificate attached', code: 'CPI_PKI_NOT_PEM' },
    {
      name: 'base64 DER without BEGIN/END lines',
      input: leafBody,
      code: 'CPI_PKI_NOT_PEM',
      detail: /base64 DER without the BEGIN\/END lines/,
    },
    { name: 'a PKCS#8 private key', input: key, code: 'CPI_PKI_PRIVATE_KEY_PASTED', detail: /"PRIVATE KEY" block/ },
    { name: 'a PKCS#1 private key', input: pkcs1Key, code: 'CPI_PKI_PRIVATE_KEY_PASTED' },
    { name: 'the certificate followed by its key', input: leaf + key, code: 'CPI_PKI_PRIVATE_KEY_PASTED' },
    {
      name: 'a private key cut off before its END line',
      input: key.slice(0, 200),
      code: 'CPI_PKI_PRIVATE_KEY_PASTED',
    },
    {
      name: 'an encrypted private key',
      input: block('ENCRYPTED PRIVATE KEY', 'MIIBAA=='),
      code: 'CPI_PKI_PRIVATE_KEY_PASTED',
    },
    {
      name: 'a chain of two certificates',
      input: leaf + other,
      code: 'CPI_PKI_CERTIFICATE_CHAIN',
      detail: /found 2 certificates \(subject "CN=receiver,O=Example,C=DE"; subject "CN=Example CA,O=Example"\)/,
    },
    { name: 'a certificate request', input: csr, code: 'CPI_PKI_NOT_A_CERTIFICATE', detail: /CERTIFICATE REQUEST/ },
    { name: 'a public key', input: publicKey, code: 'CPI_PKI_NOT_A_CERTIFICATE', detail: /PUBLIC KEY/ },
    {
      name: 'a certificate with a public key beside it',
      input: leaf + publicKey,
      code: 'CPI_PKI_NOT_A_CERTIFICATE',
      detail: /beside the certificate/,
    },
    {
      name: 'a certificate cut off before its END line',
      input: leaf.slice(0, 300),
      code: 'CPI_PKI_NOT_PEM',
      detail: /no matching "-----END CERTIFICATE-----"/,
    },
    {
      name: 'a non-base64 character in the body',
      input: block('CERTIFICATE', `${leafBody.slice(0, 10)}!${leafBody.slice(11)}`),
      code: 'CPI_PKI_PEM_BASE64_INVALID',
      detail: /character "!" at position 10/,
    },
    {
      name: 'a base64 body with a character lost',
      input: block('CERTIFICATE', leafBody.slice(0, 100) + leafBody.slice(101)),
      code: 'CPI_PKI_PEM_BASE64_INVALID',
      detail: /not a multiple of 4|multiple of 4/,
    },
    {
      name: 'padding in the middle of the body',
      input: block('CERTIFICATE', `${leafBody.slice(0, 8)}==AA${leafBody.slice(12)}`),
      code: 'CPI_PKI_PEM_BASE64_INVALID',
    },
    {
      name: 'valid base64 that is not a certificate',
      input: block('CERTIFICATE', Buffer.from('this is not DER at all!!').toString('base64')),
      code: 'CPI_PKI_CERTIFICATE_UNREADABLE',
    },
    {
      name: 'a certificate with a 64-byte line missing',
      input: block('CERTIFICATE', leafBody.slice(0, 64) + leafBody.slice(128)),
      code: 'CPI_PKI_CERTIFICATE_UNREADABLE',
    },
    {
      name: 'a certificate with bytes appended inside the block',
      input: block(
        'CERTIFICATE',
        Buffer.concat([Buffer.from(leafBody, 'base64'), Buffer.from('extra!')]).toString('base64'),
      ),
      code: 'CPI_PKI_CERTIFICATE_UNREADABLE',
      detail: /6 bytes follow the end of the certificate/,
    },
  ];

  for (const c of cases) {
    test(`refuses ${c.name} with ${c.code}`, () => {
      const error = refusal(c.input);
      assert.equal(error.code, c.code, error.message);
      if (c.detail !== undefined) assert.match(error.detail, c.detail);
    });
  }

  test('never echoes any part of a pasted private key', () => {
    const keyLines = key.split('\n').filter((line) => line.length > 8 && !line.startsWith('-----'));
    for (const input of [key, leaf + key, key.slice(0, 200), pkcs1Key]) {
      const error = refusal(input);
      const said = `${error.message}\n${error.detail}\n${error.fix}\n${error.stack ?? ''}`;
      for (const line of keyLines) {
        assert.ok(!said.includes(line.slice(0, 16)), 'the error text contains key material');
      }
    }
  });
});

describe('parseCertificatePem reads the facts the renewal needs', () => {
  const pem = certificatePem({ serialNumber: '00ff', subject: 'CN=receiver,OU=Payments\\, EU,O=Example,C=DE' });
  const info = parseCertificatePem(pem);
  const node = new X509Certificate(pem);

  test('fingerprints are colon-separated upper-case hex equal to what OpenSSL computes', () => {
    assert.equal(info.fingerprintSha256, node.fingerprint256);
    assert.equal(info.fingerprintSha1, node.fingerprint);
    assert.match(info.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('the serial number is lower-case hex without leading zeros, and decimal for WS-Security', () => {
    assert.equal(info.serialNumber, 'ff');
    assert.equal(info.serialNumberDecimal, '255');
  });

  test('DNs are RFC 4514 (most specific first) and, separately, as the tenant shows them', () => {
    assert.equal(info.subjectDn, 'CN=receiver,OU=Payments\\, EU,O=Example,C=DE');
    assert.equal(info.issuerDn, info.subjectDn);
    assert.equal(info.sapSubjectDn, 'CN=receiver, OU="Payments, EU", O=Example, C=DE');
  });

  test('validity, key type and size, key usage and the CA flag', () => {
    assert.deepEqual(info.validFrom, new Date(NOW.getTime() - DAY));
    assert.deepEqual(info.validTo, new Date(NOW.getTime() + 365 * DAY));
    assert.equal(info.keyType, 'RSA');
    assert.equal(info.keySize, 2048);
    assert.deepEqual(info.keyUsage, ['digitalSignature', 'keyEncipherment']);
    assert.equal(info.extendedKeyUsage, undefined);
    assert.equal(info.isCa, false);
  });

  test('key usage is undefined (not empty) when the extension is absent', () => {
    assert.equal(certificate({ keyUsage: null }).keyUsage, undefined);
    assert.deepEqual(certificate({ keyUsage: ['digitalSignature'] }).keyUsage, ['digitalSignature']);
  });

  test('a missing SKI extension is computed as WSS4J does, equal to the SKI issued for the same key', () => {
    const withExtension = certificate({ key: 'a' });
    const without = certificate({ key: 'a', subjectKeyIdentifier: false });
    assert.equal(withExtension.subjectKeyIdentifierSource, 'extension');
    assert.equal(without.subjectKeyIdentifierSource, 'computed');
    assert.match(without.subjectKeyIdentifier, /^[0-9a-f]{40}$/);
    assert.equal(without.subjectKeyIdentifier, withExtension.subjectKeyIdentifier);
  });

  test('publicKeySpkiSha256 is equal for the same key and differs for another key', () => {
    const sameKey = certificate({ key: 'a', subject: 'CN=other' });
    const otherKey = certificate({ key: 'b' });
    assert.equal(sameKey.publicKeySpkiSha256, info.publicKeySpkiSha256);
    assert.notEqual(otherKey.publicKeySpkiSha256, info.publicKeySpkiSha256);
  });

  test('CRLF line ends and text around the block give the same normalised certificate', () => {
    const messy = `Subject: receiver\r\n\r\n  ${pem.replace(/\n/g, '\r\n')}\r\nsent by mail\r\n`;
    const again = parseCertificatePem(messy);
    assert.equal(again.pem, info.pem);
    assert.equal(again.fingerprintSha256, info.fingerprintSha256);
    assert.match(
      info.pem,
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
    );
    assert.deepEqual(again.der, Buffer.from(body(pem), 'base64'));
  });

  test('reads an EC certificate made by OpenSSL', () => {
    const ec = parseCertificatePem(EC_P384_CERTIFICATE_PEM);
    assert.equal(ec.keyType, 'EC');
    assert.equal(ec.keySize, 384);
    assert.equal(ec.ellipticCurve, 'secp384r1');
    assert.equal(ec.isCa, true);
    assert.deepEqual(ec.keyUsage, ['digitalSignature', 'keyAgreement']);
    assert.deepEqual(ec.extendedKeyUsage, ['clientAuth']);
    assert.equal(ec.subjectKeyIdentifier, '3d89f95f8c7423a5449ba5cffdf26dcd11902563');
    assert.equal(ec.serialNumber, '7d2767e6c60a5ab2785e81224e0f46ccf6fe221f');
    assert.equal(
      ec.subjectDn,
      '1.2.840.113549.1.9.1=#160f6f7073406578616d706c652e636f6d,CN=ec receiver,O=Example,C=DE',
    );
    assert.equal(ec.sapSubjectDn, 'EMAILADDRESS=ops@example.com, CN=ec receiver, O=Example, C=DE');
  });
});

describe('parseCertificatePem agrees with Java (what WSS4J and the tenant see)', { skip: skipWithout('java') }, () => {
  test('DNs in both forms and the decimal serial number equal Java X509Certificate values', () => {
    const subjects = [
      'CN=receiver,O=Example,C=DE',
      'CN=Zürich Empfänger,OU=a\\, b,O=Ex\\+ample,L=Walldorf,ST=BW,C=CH',
      'CN=#hash \\"quoted\\" <x>;y,DC=example,DC=com,UID=u1,EMAILADDRESS=ops@example.com',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'pki-java-'));
    const infos = subjects.map((subject, i) => {
      const text = certificatePem({ subject, serialNumber: i === 0 ? 'ffee' : undefined });
      writeFileSync(join(dir, `${i}.pem`), text);
      return parseCertificatePem(text);
    });
    infos.push(parseCertificatePem(EC_P384_CERTIFICATE_PEM));
    writeFileSync(join(dir, 'ec.pem'), EC_P384_CERTIFICATE_PEM);
    const source = join(dirname(fileURLToPath(import.meta.url)), 'java', 'PrintCertificate.java');
    const files = [...subjects.map((_, i) => join(dir, `${i}.pem`)), join(dir, 'ec.pem')];
    const run = runJavaTool('java', [source, ...files]);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, infos.length);
    lines.forEach((line, i) => {
      const info = infos[i];
      assert.ok(info !== undefined, 'info !== undefined');
      const [subjectName, issuerName, subjectString, serial] = line.split('\t');
      assert.equal(info.subjectDn, subjectName);
      assert.equal(info.issuerDn, issuerName);
      assert.equal(info.sapSubjectDn, subjectString);
      assert.equal(info.serialNumberDecimal, serial);
    });
  });
});
