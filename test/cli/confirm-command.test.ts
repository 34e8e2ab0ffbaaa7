// `cpi-renewal confirm`: writes the file the gate reads, at the path the gate looks in, and says what to commit;
// bad input is refused before anything is written.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { confirm, registerConfirmCommand } from '../../src/cli/confirm-command';
import { confirmationsFor, readConfirmationFile } from '../../src/renewal/confirmation';

const FP = 'AB:'.repeat(31) + 'AB';
const NOW = new Date('2026-03-01T10:00:00Z');

describe('cpi-renewal confirm', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cpi-confirm-cli-'));
  after(() => rmSync(cwd, { recursive: true, force: true }));
  const base = {
    renewal: 'acme-2026',
    gate: 'exchange-certificate',
    party: 'receiver-admin',
    fingerprint: FP.replace(/:/g, '').toLowerCase(),
    person: 'Jane Roe',
  };

  test('writes a confirmation the gate counts, and prints the git command to commit it', () => {
    const result = confirm({ ...base, dir: join(cwd, 'renewals') }, NOW, cwd);
    assert.equal(result.path, join(cwd, 'renewals', 'acme-2026', 'confirmations', 'exchange-certificate.json'));
    const verdict = confirmationsFor(readConfirmationFile(result.path), {
      renewalId: 'acme-2026',
      gate: 'exchange-certificate',
      fingerprint: FP,
      now: NOW,
    });
    assert.equal(verdict.valid.length, 1);
    assert.equal(verdict.valid[0]!.person, 'Jane Roe');
    assert.equal(verdict.valid[0]!.fingerprintSha256, FP);
    assert.match(
      result.message,
      /Jane Roe \(receiver administrator\) confirms gate "exchange-certificate" of renewal "acme-2026"/,
    );
    assert.match(
      result.message,
      /git add renewals\/acme-2026\/confirmations\/exchange-certificate\.json && git commit/,
    );
  });

  test('--confirmations-dir writes exactly there', () => {
    const dir = join(cwd, 'custom');
    const result = confirm({ ...base, party: 'tenant-admin', confirmationsDir: dir }, NOW, cwd);
    assert.equal(result.path, join(dir, 'exchange-certificate.json'));
  });

  const bad: [string, object, RegExp][] = [
    ['an unknown party', { party: 'auditor' }, /--party "auditor" is not one of/],
    ['a short fingerprint', { fingerprint: 'ABCD' }, /--fingerprint "ABCD" is not a SHA-256 fingerprint/],
    ['a gate name with a slash', { gate: '../x' }, /--gate "..\/x"/],
    ['a renewal id with a space', { renewal: 'acme 2026' }, /--renewal "acme 2026"/],
    ['an empty person', { person: '  ' }, /--person is empty/],
  ];
  for (const [name, overrides, message] of bad) {
    test(`refuses ${name} with CPI_VALUE_INVALID and writes nothing`, () => {
      const root = join(cwd, 'refused');
      assert.throws(
        () => confirm({ ...base, ...overrides, dir: root }, NOW, cwd),
        (e: Error) => /CPI_VALUE_INVALID/.test(e.message) && message.test(e.message),
      );
      assert.equal(existsSync(root), false);
    });
  }

  test('is wired into the command line with its options', async () => {
    const program = new Command('cpi-renewal').exitOverride();
    registerConfirmCommand(program);
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(
        [
          'confirm',
          '--renewal',
          'acme-2026',
          '--gate',
          'stop-sending',
          '--party',
          'integration-developer',
          '--fingerprint',
          FP,
          '--person',
          'Max Muster',
          '--confirmations-dir',
          join(cwd, 'cli'),
        ],
        { from: 'user' },
      );
    } finally {
      process.stdout.write = write;
    }
    const file = readConfirmationFile(join(cwd, 'cli', 'stop-sending.json'))!;
    assert.deepEqual(
      file.confirmations.map((c) => [c.party, c.person]),
      [['integration-developer', 'Max Muster']],
    );
    assert.match(written.join(''), /git add .*stop-sending\.json/);
  });
});
