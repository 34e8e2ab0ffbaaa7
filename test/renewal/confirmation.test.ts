// Confirmation files: parsing with errors that name the file and the field, which confirmations count for a gate
// (and why the others do not), and writing that replaces one party's entry atomically.
import { after, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { shellWord } from '../../src/shell-word';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpiError } from '../../src/errors';
import {
  confirmationsFor,
  parseConfirmationFile,
  readConfirmationFile,
  writeConfirmation,
  type Confirmation,
} from '../../src/renewal/confirmation';

const FP = 'ab'.repeat(32);
const FP_COLON = 'AB:'.repeat(31) + 'AB';
const OTHER = 'CD:'.repeat(31) + 'CD';
const NOW = new Date('2026-03-01T10:00:00Z');

const entry = (overrides: Record<string, unknown> = {}) => ({
  renewal_id: 'acme-2026',
  gate: 'exchange-certificate',
  fingerprint_sha256: FP_COLON,
  party: 'receiver-admin',
  person: 'Jane Roe',
  confirmed_at: '2026-03-01T09:00:00Z',
  ...overrides,
});
const file = (...entries: object[]) => JSON.stringify({ confirmations: entries });

function malformed(text: string, detail: RegExp) {
  assert.throws(
    () => parseConfirmationFile(text, 'renewals/acme-2026/confirmations/exchange-certificate.json'),
    (e: unknown) =>
      e instanceof CpiError &&
      e.code === 'CPI_GATE_CONFIRMATION_MALFORMED' &&
      /exchange-certificate\.json/.test(e.detail) &&
      detail.test(e.detail),
  );
}

describe('parseConfirmationFile', () => {
  test('reads every field, normalizing the fingerprint', () => {
    const parsed = parseConfirmationFile(file(entry({ fingerprint_sha256: FP })), 'f.json');
    assert.deepEqual(parsed.confirmations, [
      {
        renewalId: 'acme-2026',
        gate: 'exchange-certificate',
        fingerprintSha256: FP_COLON,
        party: 'receiver-admin',
        person: 'Jane Roe',
        confirmedAt: new Date('2026-03-01T09:00:00Z'),
      },
    ]);
  });

  const bad: [string, string, RegExp][] = [
    ['malformed JSON', '{"confirmations": [', /not valid JSON/],
    ['no confirmations array', '{"confirmation": []}', /"confirmations" array/],
    ['an entry that is not an object', file('x' as unknown as object), /confirmations\[0\] is not an object/],
    ['a missing renewal_id', file(entry({ renewal_id: undefined })), /confirmations\[0\]\.renewal_id is missing/],
    ['an empty person', file(entry({ person: ' ' })), /person is missing/],
    ['a missing confirmed_at', file(entry({ confirmed_at: undefined })), /confirmed_at is missing/],
    [
      'a date that is not RFC 3339',
      file(entry({ confirmed_at: '01.03.2026 10:00' })),
      /confirmed_at "01.03.2026 10:00" is not an RFC 3339 time/,
    ],
    ['a date without offset', file(entry({ confirmed_at: '2026-03-01T10:00:00' })), /not an RFC 3339 time/],
    ['an impossible date', file(entry({ confirmed_at: '2026-13-45T10:00:00Z' })), /not an RFC 3339 time/],
    [
      'an unknown party',
      file(entry({ party: 'auditor' })),
      /party "auditor" is not one of receiver-admin, tenant-admin, integration-developer/,
    ],
    [
      'a short fingerprint',
      file(entry({ fingerprint_sha256: 'AB:CD' })),
      /fingerprint_sha256 "AB:CD" is not a SHA-256 fingerprint/,
    ],
    ['the second entry broken', file(entry(), entry({ gate: 42 })), /confirmations\[1\]\.gate/],
  ];
  for (const [name, text, detail] of bad)
    test(`refuses ${name} with CPI_GATE_CONFIRMATION_MALFORMED`, () => malformed(text, detail));
});

describe('confirmationsFor', () => {
  const expected = { renewalId: 'acme-2026', gate: 'exchange-certificate', fingerprint: FP, now: NOW };
  const verdictOf = (...entries: object[]) =>
    confirmationsFor(parseConfirmationFile(file(...entries), 'f.json'), expected);

  test('counts a confirmation for this renewal, gate and certificate', () => {
    const verdict = verdictOf(entry());
    assert.equal(verdict.valid.length, 1);
    assert.deepEqual(verdict.rejected, []);
  });

  test('counts a confirmation dated exactly now', () => {
    assert.equal(verdictOf(entry({ confirmed_at: NOW.toISOString() })).valid.length, 1);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['another renewal', { renewal_id: 'acme-2025' }, /confirmed renewal "acme-2025", not "acme-2026"/],
    ['another gate', { gate: 'retire-old-key' }, /confirmed gate "retire-old-key", not "exchange-certificate"/],
    ['another certificate', { fingerprint_sha256: OTHER }, /confirmed the certificate CD:CD.*, not AB:AB/],
    ['a date in the future', { confirmed_at: '2026-03-01T10:00:00.001Z' }, /in the future/],
  ];
  for (const [name, overrides, reason] of refused) {
    test(`does not count a confirmation for ${name}, and says why`, () => {
      const verdict = verdictOf(entry(overrides));
      assert.deepEqual(verdict.valid, []);
      assert.equal(verdict.rejected.length, 1);
      assert.match(verdict.rejected[0]!.reason, /receiver-admin \(Jane Roe\)/);
      assert.match(verdict.rejected[0]!.reason, reason);
    });
  }

  test('no file means no confirmation', () => {
    assert.deepEqual(confirmationsFor(undefined, expected), { valid: [], rejected: [] });
  });
});

describe('writeConfirmation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-confirm-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const confirmation = (party: Confirmation['party'], person: string, fingerprint = FP): Confirmation => ({
    renewalId: 'acme-2026',
    gate: 'stop-sending',
    fingerprintSha256: fingerprint,
    party,
    person,
    confirmedAt: new Date('2026-03-01T09:00:00Z'),
  });

  test('creates the directory and the file, which reads back as written', () => {
    const confirmations = join(dir, 'renewals', 'acme-2026', 'confirmations');
    const path = writeConfirmation(confirmations, confirmation('receiver-admin', 'Jane Roe'));
    assert.equal(path, join(confirmations, 'stop-sending.json'));
    const read = readConfirmationFile(path)!;
    assert.deepEqual(read.confirmations, [
      { ...confirmation('receiver-admin', 'Jane Roe'), fingerprintSha256: FP_COLON },
    ]);
    assert.match(readFileSync(path, 'utf8'), /"confirmed_at": "2026-03-01T09:00:00.000Z"/);
  });

  test("keeps other parties and replaces the same party's entry, leaving no temporary file", () => {
    writeConfirmation(dir, confirmation('receiver-admin', 'Jane Roe'));
    writeConfirmation(dir, confirmation('tenant-admin', 'Max Muster'));
    writeConfirmation(dir, confirmation('receiver-admin', 'John Doe', OTHER));
    const read = readConfirmationFile(join(dir, 'stop-sending.json'))!;
    assert.deepEqual(
      read.confirmations.map((c) => [c.party, c.person, c.fingerprintSha256]),
      [
        ['tenant-admin', 'Max Muster', FP_COLON],
        ['receiver-admin', 'John Doe', OTHER],
      ],
    );
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  test('refuses to overwrite a malformed file', () => {
    writeFileSync(join(dir, 'broken.json'), '{');
    assert.throws(
      () => writeConfirmation(dir, { ...confirmation('receiver-admin', 'Jane Roe'), gate: 'broken' }),
      /CPI_GATE_CONFIRMATION_MALFORMED/,
    );
    assert.equal(readFileSync(join(dir, 'broken.json'), 'utf8'), '{');
  });

  test('refuses a gate name that would leave the directory', () => {
    assert.throws(
      () => writeConfirmation(dir, { ...confirmation('receiver-admin', 'Jane Roe'), gate: '../x' }),
      /CPI_VALUE_INVALID/,
    );
  });

  test('a missing file reads as undefined', () => {
    assert.equal(readConfirmationFile(join(dir, 'none.json')), undefined);
  });
});

describe('confirmation edge cases an attacker would try (issue 13)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'confirmation-attack-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a person with a newline or an ANSI escape is refused, so it never reaches state or a terminal', () => {
    malformed(file(entry({ person: 'Jane\nRoe' })), /person is not a printable name/);
    malformed(file(entry({ person: 'Jane \u001b[31mRoe' })), /person is not a printable name/);
    malformed(file(entry({ person: 'J'.repeat(201) })), /person is not a printable name/);
    assert.equal(
      parseConfirmationFile(file(entry({ person: 'Zoë Ünal-Smith' })), 'x').confirmations[0]!.person,
      'Zoë Ünal-Smith',
    );
  });

  test('a symbolic link is refused without showing the first bytes of its target', () => {
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'root-password-123 not json');
    const link = join(dir, 'exchange-certificate.json');
    symlinkSync(secret, link);
    assert.throws(
      () => readConfirmationFile(link),
      (e: unknown) =>
        e instanceof CpiError &&
        e.code === 'CPI_GATE_CONFIRMATION_MALFORMED' &&
        /symbolic link/.test(e.detail) &&
        !e.message.includes('root-password'),
    );
  });

  test('a file that is not JSON is named by position, its text is not quoted', () => {
    assert.throws(
      () => parseConfirmationFile('root-password-123 not json', 'c.json'),
      (e: unknown) => e instanceof CpiError && /not valid JSON/.test(e.detail) && !e.message.includes('root-password'),
    );
  });

  test('a confirmation dated before the renewal began (1970) does not count', () => {
    const parsed = parseConfirmationFile(file(entry({ confirmed_at: '1970-01-01T00:00:00Z' })), 'x');
    const verdict = confirmationsFor(parsed, {
      renewalId: 'acme-2026',
      gate: 'exchange-certificate',
      fingerprint: FP,
      now: NOW,
      notBefore: new Date('2026-02-28T00:00:00Z'),
    });
    assert.equal(verdict.valid.length, 0);
    assert.match(verdict.rejected[0]!.reason, /before the renewal's certificate existed/);
  });
});

describe('suggested command lines', () => {
  test('a path or name with shell syntax is printed quoted: the shell reads back exactly the word', () => {
    for (const word of ['renewals/acme-2026/x.json', "dir with space/$(touch pwned)/`id`;rm -rf ~/it's.json"]) {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellWord(word)}`], { encoding: 'utf8' });
      assert.equal(echoed, word);
    }
    assert.equal(shellWord('renewals/acme-2026/x.json'), 'renewals/acme-2026/x.json', 'plain words stay as they are');
  });
});
