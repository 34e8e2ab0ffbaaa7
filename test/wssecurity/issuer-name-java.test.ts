// Issuer names against the JDK itself (test/pki/java/IssuerNames.java, one JVM for the whole table): for every
// DN of test/pki/dn-table.ts, the name we write equals X500Principal.getName(), our canonical form equals
// getName(CANONICAL), and for each spelling another toolkit might write, our receiver takes it for the issuer
// exactly when WSS4J's Merlin would (same principal after its getName() round trip), and refuses it as
// unreadable exactly when Java cannot read it.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { canonicalRfc2253, formatRfc2253, readDnSequence } from '../../src/pki/distinguished-name';
import { issuerNameKey } from '../../src/wssecurity/issuer-name';
import { isCpiError } from '../../src/errors';
import { DN_TABLE, certificateWithIssuer, nameAsn1 } from '../pki/dn-table';
import { runJavaTool } from '../pki/fixtures';
import { skipWithout } from '../support/reference-systems';

const toAscii = (s: string) =>
  [...s]
    .flatMap((c) => (c.length === 1 ? [c] : c.split('')))
    .map((u) => (u >= ' ' && u < '\x7f' && u !== '~' ? u : `~u${u.charCodeAt(0).toString(16).padStart(4, '0')}`))
    .join('');
const fromAscii = (s: string) => s.replace(/~u([0-9a-f]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** Spellings of one issuer name that other toolkits write, labelled. */
function spellings(exact: string, sap: string, dn: ReturnType<typeof readDnSequence>): [string, string][] {
  const rdnText = (rdn: (typeof dn)[number]) => formatRfc2253([rdn]);
  const hexEscaped = exact.replace(/[^ -~]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `\\${b.toString(16)}`).join(''),
  );
  return [
    ['getName() itself', exact],
    ['Java toString() (the tenant shows it)', sap],
    ['lower case', exact.toLowerCase()],
    ['", " between RDNs', [...dn].reverse().map(rdnText).join(', ')],
    ['RDNs in certificate order', [...dn].map(rdnText).join(',')],
    [
      'every attribute its own RDN',
      [...dn]
        .reverse()
        .flatMap((rdn) => rdn.map((a) => rdnText([a])))
        .join(','),
    ],
    ['e-mail address as E=', sap.replace(/EMAILADDRESS=/g, 'E=')],
    ['non-ASCII as escaped UTF-8 hex pairs', hexEscaped],
    ['another issuer', 'CN=Other CA,O=Example,C=DE'],
  ];
}

describe(
  'issuer names agree with the JDK (X500Principal) and WSS4J Merlin issuer matching',
  { timeout: 60_000, skip: skipWithout('java') },
  () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const cases = DN_TABLE.map((entry) => {
      const info = parseCertificatePem(certificateWithIssuer(entry, key));
      const dn = readDnSequence(nameAsn1(entry.rdns));
      return { entry, info, dn, candidates: spellings(info.issuerDn, info.sapIssuerDn, dn) };
    });
    const java: { name: string; canonical: string; string: string; match: string[] }[] = [];

    before(() => {
      const dir = mkdtempSync(path.join(tmpdir(), 'issuer-names-'));
      const files = cases.map((c, i) => {
        const file = path.join(dir, `${i}.pem`);
        writeFileSync(file, c.info.pem);
        writeFileSync(`${file}.names`, `${c.candidates.map(([, s]) => toAscii(s)).join('\n')}\n`);
        return file;
      });
      const run = runJavaTool('java', [path.join(__dirname, '..', 'pki', 'java', 'IssuerNames.java'), ...files]);
      assert.equal(run.status, 0, run.stderr);
      let current: (typeof java)[number] | undefined;
      for (const line of run.stdout.split('\n')) {
        if (line.startsWith('NAME '))
          java.push((current = { name: fromAscii(line.slice(5)), canonical: '', string: '', match: [] }));
        else if (line.startsWith('CANONICAL ')) current!.canonical = fromAscii(line.slice(10));
        else if (line.startsWith('STRING ')) current!.string = fromAscii(line.slice(7));
        else if (line.startsWith('MATCH ')) current!.match.push(line.split(' ')[2]!);
      }
      assert.equal(java.length, cases.length, run.stdout);
    });

    cases.forEach((c, i) => {
      test(`${c.entry.name}: getName(), the canonical form and toString()`, () => {
        assert.equal(c.info.issuerDn, java[i]!.name);
        assert.equal(formatRfc2253(c.dn), java[i]!.name);
        assert.equal(canonicalRfc2253(c.dn), java[i]!.canonical);
        assert.equal(c.info.sapIssuerDn, java[i]!.string);
      });

      test(`${c.entry.name}: our receiver matches each spelling as WSS4J does`, () => {
        const held = issuerNameKey(c.info.issuerDn);
        const ours = c.candidates.map(([, s]) => {
          try {
            return issuerNameKey(s) === held ? 'yes' : 'no';
          } catch (error) {
            if (isCpiError(error) && error.code === 'CPI_WSS_MALFORMED_MESSAGE') return 'error';
            throw error;
          }
        });
        const label = (verdicts: string[]) => c.candidates.map(([what, s], k) => `${verdicts[k]}  ${what}: ${s}`);
        assert.deepEqual(label(ours), label(java[i]!.match));
      });
    });
  },
);
