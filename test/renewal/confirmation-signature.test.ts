// Signed confirmations against the reference signer and verifier, OpenSSH's ssh-keygen: confirmations signed by
// `cpi-renewal confirm --sign-with` count only when signed by one of the party's allowed keys for this person over
// exactly these fields; every other signature, key, party or altered field is refused with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confirm } from '../../src/cli/confirm-command';
import { CpiError } from '../../src/errors';
import {
  confirmationsFor,
  formatConfirmationFile,
  readConfirmationFile,
  type Confirmation,
} from '../../src/renewal/confirmation';
import {
  checkConfirmationSignature,
  parseAllowedSigners,
  SIGNATURE_NAMESPACE,
  signedPayload,
  type ConfirmationSigners,
} from '../../src/renewal/confirmation-signature';
import { closedGateMessage } from '../../src/renewal/gate-report';
import { decideGate } from '../../src/renewal/gate-decision';
import type { GateSpec } from '../../src/renewal/gate';
import { skipWithout } from '../support/reference-systems';

const FP = 'AB:'.repeat(31) + 'AB';
const OTHER_FP = 'CD:'.repeat(31) + 'CD';
const RENEWAL = 'acme-2026';
const GATE = 'exchange-certificate';
const AT = new Date('2026-12-04T05:00:00.000Z');
const LATER = new Date('2026-12-04T06:00:00.000Z');

describe(
  'signed confirmations (ssh-keygen as reference signer)',
  { skip: skipWithout('ssh-keygen'), timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpi-signed-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const key = (name: string, ...type: string[]) => {
      const file = join(dir, name);
      execFileSync('ssh-keygen', ['-q', ...type, '-N', '', '-C', name, '-f', file]);
      return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() };
    };
    const fingerprintOf = (k: { file: string }) =>
      execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${k.file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    let ada: ReturnType<typeof key>;
    let adaRsa: ReturnType<typeof key>;
    let adaEcdsa: ReturnType<typeof key>;
    let bob: ReturnType<typeof key>;
    let mallory: ReturnType<typeof key>;
    let signers: ConfirmationSigners;
    before(() => {
      ada = key('ada', '-t', 'ed25519');
      adaRsa = key('ada-rsa', '-t', 'rsa', '-b', '2048');
      adaEcdsa = key('ada-ecdsa', '-t', 'ecdsa', '-b', '256');
      bob = key('bob', '-t', 'ed25519');
      mallory = key('mallory', '-t', 'ed25519');
      signers = {
        'receiver-admin': parseAllowedSigners(
          [
            '# receiver administrators',
            `"Ada *" namespaces="${SIGNATURE_NAMESPACE}" ${ada.pub}`,
            `"Ada *" ${adaRsa.pub}`,
            `"Ada *" ${adaEcdsa.pub}`,
          ].join('\n'),
          'receiver-admin signers',
        ),
        'tenant-admin': parseAllowedSigners(`* ${bob.pub}`, 'tenant-admin signers'),
      };
    });

    let n = 0;
    /** Writes a confirmation through `cpi-renewal confirm` (signed with `signWith` when given) and reads it back. */
    function confirmed(options: { signWith?: string; party?: 'receiver-admin' | 'tenant-admin'; person?: string }) {
      const confirmationsDir = join(dir, `c${n++}`);
      confirm(
        {
          renewal: RENEWAL,
          gate: GATE,
          party: options.party ?? 'receiver-admin',
          fingerprint: FP,
          person: options.person ?? 'Ada Lovelace',
          confirmationsDir,
          // a gate on its own, as in plain HCL: no renewal manifest to check gate and party against
          unchecked: true,
          ...(options.signWith ? { signWith: options.signWith } : {}),
        },
        AT,
        dir,
      );
      return readConfirmationFile(join(confirmationsDir, `${GATE}.json`))!.confirmations[0]!;
    }
    const judge = (c: Confirmation, required = true, expected: Partial<{ gate: string; fingerprint: string }> = {}) =>
      confirmationsFor(
        { confirmations: [c] },
        {
          renewalId: RENEWAL,
          gate: expected.gate ?? GATE,
          fingerprint: expected.fingerprint ?? FP,
          now: LATER,
          ...(required ? { signers } : {}),
        },
      );
    const refusedFor = (c: Confirmation, pattern: RegExp, expected = {}) => {
      const verdict = judge(c, true, expected);
      assert.equal(verdict.valid.length, 0, 'the confirmation must not count');
      assert.match(verdict.rejected[0]!.reason, pattern);
    };

    test('THE signed bytes: the version line and one line per field, in order', () => {
      assert.equal(
        signedPayload({
          renewalId: RENEWAL,
          gate: GATE,
          fingerprintSha256: 'ab'.repeat(32),
          party: 'receiver-admin',
          person: ' Ada Lovelace ',
          confirmedAt: AT,
        }),
        'cpi-renewal-confirmation v1\nrenewal_id: acme-2026\ngate: exchange-certificate\n' +
          `fingerprint_sha256: ${FP}\nparty: receiver-admin\nperson: Ada Lovelace\nconfirmed_at: 2026-12-04T05:00:00.000Z\n`,
      );
    });

    for (const [name, pick] of [
      ['ed25519', () => ada],
      ['RSA (rsa-sha2-512)', () => adaRsa],
      ['ECDSA P-256', () => adaEcdsa],
    ] as const) {
      test(`valid: signed with the party's ${name} key, it counts and names the key`, () => {
        const c = confirmed({ signWith: pick().file });
        assert.match(c.signature ?? '', /^-----BEGIN SSH SIGNATURE-----/);
        const verdict = judge(c);
        assert.deepEqual(verdict.rejected, []);
        assert.equal(verdict.valid[0]!.signedBy, fingerprintOf(pick()));
      });
    }

    test('the signature verifies with ssh-keygen -Y verify over signedPayload (the reference verifier)', () => {
      const c = confirmed({ signWith: ada.file });
      writeFileSync(join(dir, 'allowed'), `"Ada *" ${ada.pub}\n`);
      writeFileSync(join(dir, 'confirmation.sig'), `${c.signature}\n`);
      const out = execFileSync(
        'ssh-keygen',
        [
          '-Y',
          'verify',
          '-f',
          join(dir, 'allowed'),
          '-I',
          'Ada Lovelace',
          '-n',
          SIGNATURE_NAMESPACE,
          '-s',
          join(dir, 'confirmation.sig'),
        ],
        { input: signedPayload(c), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], cwd: dir, env: process.env },
      );
      assert.match(out, /Good "cpi-renewal-confirmation" signature for Ada Lovelace/);
    });

    test('invalid signature: one bit of the signature flipped is refused', () => {
      const c = confirmed({ signWith: ada.file });
      const lines = c.signature!.split('\n');
      const row = lines.length - 2; // the last base64 row holds the signature bytes
      const flipped = lines[row]!.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'));
      lines[row] = flipped;
      refusedFor({ ...c, signature: lines.join('\n') }, /does not verify|truncated|malformed/);
    });

    test("signed by another party's key: the tenant administrator's key cannot confirm for the receiver administrator", () => {
      refusedFor(
        confirmed({ signWith: bob.file }),
        /signed by the key SHA256:\S+, which is not among receiver-admin's/,
      );
    });

    test('wrong key: a key no party lists is refused', () => {
      refusedFor(
        confirmed({ signWith: mallory.file }),
        new RegExp(`${fingerprintOf(mallory).replace(/[+/]/g, '\\$&')}`),
      );
    });

    test("the party's key signing for another person (principals) is refused", () => {
      refusedFor(confirmed({ signWith: ada.file, person: 'Eve Intruder' }), /not allowed to sign for "Eve Intruder"/);
    });

    test('signed payload altered: another fingerprint, gate, time, person or party in the file is refused', () => {
      const c = confirmed({ signWith: ada.file });
      refusedFor({ ...c, fingerprintSha256: OTHER_FP }, /does not verify/, { fingerprint: OTHER_FP });
      refusedFor({ ...c, gate: 'stop-sending' }, /does not verify/, { gate: 'stop-sending' });
      refusedFor({ ...c, confirmedAt: new Date(AT.getTime() + 1000) }, /does not verify/);
      refusedFor({ ...c, person: 'Ada Byron' }, /does not verify/);
      const signedByBob = confirmed({ signWith: bob.file, party: 'tenant-admin', person: 'Bob' });
      refusedFor({ ...signedByBob, party: 'receiver-admin' }, /not among receiver-admin's/);
    });

    test('a signature made for another namespace (e.g. a Git commit) is refused', () => {
      const c = confirmed({});
      const signature = execFileSync('ssh-keygen', ['-Y', 'sign', '-n', 'git', '-f', ada.file], {
        input: signedPayload(c),
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      refusedFor({ ...c, signature }, /namespace "git"/);
    });

    test('unsigned where signatures are required is refused; unsigned where not required counts', () => {
      const c = confirmed({});
      assert.equal(c.signature, undefined);
      refusedFor(c, /not signed/);
      assert.equal(judge(c, false).valid.length, 1);
    });

    test('a party the renewal lists no key for cannot confirm once signatures are required', () => {
      const c = confirmed({ signWith: bob.file, party: 'tenant-admin', person: 'Bob' });
      assert.equal(judge(c).valid.length, 1);
      const verdict = confirmationsFor(
        { confirmations: [{ ...c, party: 'integration-developer' }] },
        { renewalId: RENEWAL, gate: GATE, fingerprint: FP, now: LATER, signers },
      );
      assert.match(verdict.rejected[0]!.reason, /lists no SSH key allowed to confirm for integration-developer/);
    });

    test('valid-after / valid-before bound the confirmation time', () => {
      const c = confirmed({ signWith: ada.file });
      const bounded = (option: string) => ({
        'receiver-admin': parseAllowedSigners(`"Ada *" ${option} ${ada.pub}`, 'x'),
      });
      assert.ok(
        checkConfirmationSignature(c, c.signature, bounded('valid-before="20261205Z"')['receiver-admin']).signedBy,
        "checkConfirmationSignature(c, c.signature, bounded('valid-before=\"20261205Z\"')['receiver-admin']).signedBy",
      );
      assert.match(
        checkConfirmationSignature(c, c.signature, bounded('valid-before="20261204Z"')['receiver-admin']).refused ?? '',
        /not allowed/,
      );
      assert.match(
        checkConfirmationSignature(c, c.signature, bounded('valid-after="20261204060000Z"')['receiver-admin'])
          .refused ?? '',
        /not allowed/,
      );
    });

    test('a namespaces= option must allow cpi-renewal-confirmation (patterns, ! negates)', () => {
      const c = confirmed({ signWith: ada.file });
      const check = (option: string) =>
        checkConfirmationSignature(c, c.signature, parseAllowedSigners(`"Ada *" ${option} ${ada.pub}`, 'x'));
      assert.ok(check('namespaces="cpi-*"').signedBy, 'check(\'namespaces="cpi-*"\').signedBy');
      assert.match(check('namespaces="git,file"').refused ?? '', /not allowed/);
      assert.match(check('namespaces="*,!cpi-renewal-*"').refused ?? '', /not allowed/);
    });

    test('the file keeps the signature: written, read back and formatted again unchanged', () => {
      const c = confirmed({ signWith: ada.file });
      const text = formatConfirmationFile({ confirmations: [c] });
      assert.match(text, /"signature": "-----BEGIN SSH SIGNATURE-----\\n/);
    });

    test('allowed_signers that cannot be read are refused with CPI_GATE_SIGNERS_INVALID and the line', () => {
      const refused = (text: string, pattern: RegExp) =>
        assert.throws(
          () => parseAllowedSigners(text, 'signers'),
          (e: unknown) => e instanceof CpiError && e.code === 'CPI_GATE_SIGNERS_INVALID' && pattern.test(e.message),
        );
      const [type, data] = ada.pub.split(' ');
      refused(`ada cert-authority ${type} ${data}`, /line 1: cert-authority is not supported/);
      refused(`# none\n\n`, /lists no key/);
      refused(`ada ssh-dss AAAAB3NzaC1kc3MAAACBAP`, /ssh-dss" is not supported/);
      refused(`ada ${type} AAAAnotakey`, /cannot be read|is not a ssh-ed25519 key/);
      refused(`ada valid-after="20260101" ${type} ${data}`, /YYYYMMDD\[HHMM\[SS\]\]Z/);
      refused(`ada unknown-option ${type} ${data}`, /unknown option/);
      const small = key('small-rsa', '-t', 'rsa', '-b', '1024');
      refused(`ada ${small.pub}`, /1024 bits/);
    });

    test("--sign signs with Git's user.signingkey, as `git commit -S` would", () => {
      const repo = join(dir, 'repo');
      // only the repository's own config counts here, whatever this machine's user has set globally
      process.env.GIT_CONFIG_GLOBAL = '/dev/null';
      process.env.GIT_CONFIG_NOSYSTEM = '1';
      execFileSync('git', ['init', '-q', repo]);
      const options = {
        renewal: RENEWAL,
        gate: GATE,
        party: 'receiver-admin',
        fingerprint: FP,
        person: 'Ada Lovelace',
        confirmationsDir: join(repo, 'confirmations'),
        sign: true,
        unchecked: true,
      };
      assert.throws(
        () => confirm(options, AT, repo),
        (e: unknown) =>
          e instanceof CpiError && e.code === 'CPI_GATE_SIGNING_FAILED' && /user\.signingkey/.test(e.message),
      );
      execFileSync('git', ['-C', repo, 'config', 'user.signingkey', adaRsa.file]);
      confirm(options, AT, repo);
      const c = readConfirmationFile(join(repo, 'confirmations', `${GATE}.json`))!.confirmations[0]!;
      assert.equal(judge(c).valid[0]?.signedBy, fingerprintOf(adaRsa));
    });

    test('--sign-with a key that does not exist fails with CPI_GATE_SIGNING_FAILED and writes nothing', () => {
      const confirmationsDir = join(dir, 'not-written');
      assert.throws(
        () =>
          confirm(
            {
              renewal: RENEWAL,
              gate: GATE,
              party: 'receiver-admin',
              fingerprint: FP,
              person: 'Ada Lovelace',
              confirmationsDir,
              unchecked: true,
              signWith: join(dir, 'no-such-key'),
            },
            AT,
            dir,
          ),
        (e: unknown) =>
          e instanceof CpiError && e.code === 'CPI_GATE_SIGNING_FAILED' && /nothing was written/.test(e.message),
      );
      assert.equal(existsSync(confirmationsDir), false);
    });

    test('the gate names the signing key in its evidence, and a closed gate shows the signing command', () => {
      const gate: GateSpec = {
        name: GATE,
        waitsFor: ['receiver-admin'],
        mode: 'all',
        requirements: [{ kind: 'confirmation', party: 'receiver-admin' }],
      };
      const facts = {
        renewalId: RENEWAL,
        confirmationsDir: join(dir, 'gate'),
        newCertificate: { fingerprintSha256: FP },
        confirmationSigners: signers,
      };
      const c = confirmed({ signWith: ada.file });
      const open = decideGate(gate, facts, { confirmations: judge(c) }, LATER);
      assert.equal(open.open, true);
      assert.match(
        open.results[0]!.message,
        new RegExp(`signed with the SSH key ${fingerprintOf(ada).replace(/[+/]/g, '\\$&')}`),
      );
      const closed = decideGate(gate, facts, { confirmations: judge(confirmed({})) }, LATER);
      assert.equal(closed.open, false);
      const message = closedGateMessage(
        gate,
        facts,
        { ...closed, now: LATER, confirmationFile: 'f.json' },
        {
          root: dir,
          dir: 'renewals/acme-2026/confirmations',
        },
      );
      assert.match(message, /not signed/);
      assert.match(message, /cpi-renewal confirm .* --sign-with "<your SSH key file/);
      assert.match(message, /ssh-keygen -Y sign -n cpi-renewal-confirmation/);
    });
  },
);
