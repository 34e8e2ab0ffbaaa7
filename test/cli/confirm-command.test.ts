// `cpi-renewal confirm`: writes the file the gate reads, at the path the gate looks in, and says what to commit;
// bad input, and a gate or party the renewal (its synthesized manifest) does not have, is refused before anything
// is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { App } from '../../constructs/cdktf';
import { EncryptionCertificateRenewal } from '../../constructs';
import { confirm, registerConfirmCommand } from '../../src/cli/confirm-command';
import { DEMO_RENEWAL_ID, demoRenewalProps } from '../../src/demo/renewal-demo';
import { confirmationsFor, readConfirmationFile } from '../../src/renewal/confirmation';
import { CpiError } from '../../src/errors';

const CLI = resolve(__dirname, '../../dist/cli.js');

const FP = 'AB:'.repeat(31) + 'AB';
const NOW = new Date('2026-03-01T10:00:00Z');

describe('cpi-renewal confirm', { timeout: 120_000 }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cpi-confirm-cli-'));
  // the project a party confirms in: the overlap renewal synthesized into cdktf.out, as `cdktf synth` leaves it
  before(() => {
    const app = new App({ outdir: join(cwd, 'cdktf.out') });
    new EncryptionCertificateRenewal(app, 'renewal', demoRenewalProps('overlap', cwd, 'http://127.0.0.1:9'));
    app.synth();
  });
  after(() => rmSync(cwd, { recursive: true, force: true }));
  const base = {
    renewal: DEMO_RENEWAL_ID,
    gate: 'exchange-certificate',
    party: 'receiver-admin',
    fingerprint: FP.replace(/:/g, '').toLowerCase(),
    person: 'Jane Roe',
  };

  test('writes a confirmation the gate counts, and prints the git command to commit it', () => {
    const result = confirm({ ...base, dir: join(cwd, 'renewals') }, NOW, cwd);
    assert.equal(result.path, join(cwd, 'renewals', DEMO_RENEWAL_ID, 'confirmations', 'exchange-certificate.json'));
    const verdict = confirmationsFor(readConfirmationFile(result.path), {
      renewalId: DEMO_RENEWAL_ID,
      gate: 'exchange-certificate',
      fingerprint: FP,
      now: NOW,
    });
    assert.equal(verdict.valid.length, 1);
    assert.equal(verdict.valid[0]!.person, 'Jane Roe');
    assert.equal(verdict.valid[0]!.fingerprintSha256, FP);
    assert.match(
      result.message,
      /Jane Roe \(receiver administrator\) confirms gate "exchange-certificate" of renewal "orders-2026"/,
    );
    assert.match(
      result.message,
      /git add renewals\/orders-2026\/confirmations\/exchange-certificate\.json && git commit/,
    );
  });

  test('--confirmations-dir writes exactly there', () => {
    const dir = join(cwd, 'custom');
    const result = confirm({ ...base, gate: 'retire-old-key', party: 'tenant-admin', confirmationsDir: dir }, NOW, cwd);
    assert.equal(result.path, join(dir, 'retire-old-key.json'));
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
      assert.equal(existsSync(root), false, 'nothing written');
    });
  }

  // A confirmation no gate of the renewal would ever count: refused, with what the renewal has instead.
  const notInRenewal: [string, object, string, RegExp][] = [
    [
      'a gate the renewal does not have',
      { gate: 'bogus-gate' },
      'CPI_CONFIRM_GATE_UNKNOWN',
      /--gate "bogus-gate" is not a gate of renewal "orders-2026"; its gates are exchange-certificate, retire-old-key, cleanup, rollback-/,
    ],
    [
      'a single-key gate in an overlap renewal',
      { gate: 'stop-sending', party: 'tenant-admin' },
      'CPI_CONFIRM_GATE_UNKNOWN',
      /--gate "stop-sending" is not a gate/,
    ],
    [
      'a party the gate takes no confirmation from',
      { party: 'tenant-admin' },
      'CPI_CONFIRM_PARTY_NOT_ASKED',
      /--party "tenant-admin": gate "exchange-certificate" of renewal "orders-2026" takes confirmations from receiver-admin only/,
    ],
    [
      'a gate that takes no confirmation at all',
      { gate: 'cleanup' },
      'CPI_CONFIRM_PARTY_NOT_ASKED',
      /gate "cleanup" of renewal "orders-2026" takes no confirmation \(it opens on not_before\)/,
    ],
    [
      'a renewal the output directory does not hold',
      { renewal: 'orders-2027' },
      'CPI_CONFIRM_RENEWAL_UNKNOWN',
      /--renewal "orders-2027": .*cdktf\.out holds no manifest renewal-orders-2027\.json; it holds "orders-2026"/,
    ],
  ];
  for (const [name, overrides, code, message] of notInRenewal) {
    test(`refuses ${name} with ${code} and writes nothing`, () => {
      const root = join(cwd, 'not-in-renewal');
      assert.throws(
        () => confirm({ ...base, ...overrides, dir: root }, NOW, cwd),
        (e: unknown) => e instanceof CpiError && e.code === code && message.test(e.message),
      );
      assert.equal(existsSync(root), false, 'nothing written');
    });
  }

  test('without a synthesized renewal it refuses, naming cdktf synth; --unchecked writes for a gate in plain HCL', () => {
    const bare = mkdtempSync(join(tmpdir(), 'cpi-confirm-bare-'));
    try {
      assert.throws(
        () => confirm(base, NOW, bare),
        (e: unknown) =>
          e instanceof CpiError &&
          e.code === 'CPI_CONFIRM_RENEWAL_UNKNOWN' &&
          /Run `cdktf synth` first/.test(e.message),
      );
      assert.deepEqual(readdirSync(bare), [], 'nothing written');
      const written = confirm({ ...base, unchecked: true, dir: join(bare, 'renewals') }, NOW, bare);
      assert.equal(written.confirmation.checked, false);
      assert.ok(existsSync(written.path), 'written without a manifest when asked to');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test('a rollback gate of the renewal is confirmed like a forward one', () => {
    const result = confirm(
      { ...base, gate: 'rollback-restore-certificate', party: 'receiver-admin', dir: join(cwd, 'renewals') },
      NOW,
      cwd,
    );
    assert.ok(existsSync(result.path), result.path);
  });

  test('the CLI: --json prints what was written; a bogus gate exits 1 with the code as JSON and writes nothing', () => {
    const args = ['confirm', '--renewal', DEMO_RENEWAL_ID, '--fingerprint', FP, '--person', 'Jane Roe'];
    const ok = spawnSync(
      process.execPath,
      [CLI, ...args, '--gate', 'retire-old-key', '--party', 'tenant-admin', '--dir', 'cli-json', '--json'],
      { cwd, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(ok.status, 0, ok.stderr);
    const printed = JSON.parse(ok.stdout) as { path: string; confirmation: Record<string, unknown>; commit: string };
    assert.equal(printed.path, join(cwd, 'cli-json', DEMO_RENEWAL_ID, 'confirmations', 'retire-old-key.json'));
    assert.deepEqual(printed.confirmation, {
      renewalId: DEMO_RENEWAL_ID,
      gate: 'retire-old-key',
      party: 'tenant-admin',
      person: 'Jane Roe',
      fingerprintSha256: FP,
      confirmedAt: printed.confirmation.confirmedAt,
      signed: false,
      checked: true,
    });
    assert.match(printed.commit, /^git add cli-json\/orders-2026\/confirmations\/retire-old-key\.json && git commit/);

    const refused = spawnSync(
      process.execPath,
      [CLI, ...args, '--gate', 'bogus-gate', '--party', 'tenant-admin', '--dir', 'cli-refused', '--json'],
      { cwd, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(refused.status, 1, refused.stdout);
    assert.equal(refused.stdout, '', 'nothing on stdout');
    const error = (JSON.parse(refused.stderr) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'CPI_CONFIRM_GATE_UNKNOWN');
    assert.equal(existsSync(join(cwd, 'cli-refused')), false, 'nothing written');
  });

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
          DEMO_RENEWAL_ID,
          '--gate',
          'retire-old-key',
          '--party',
          'tenant-admin',
          '--fingerprint',
          FP,
          '--person',
          'Max Muster',
          '--confirmations-dir',
          join(cwd, 'cli'),
          '--outdir',
          join(cwd, 'cdktf.out'),
        ],
        { from: 'user' },
      );
    } finally {
      process.stdout.write = write;
    }
    const file = readConfirmationFile(join(cwd, 'cli', 'retire-old-key.json'))!;
    assert.deepEqual(
      file.confirmations.map((c) => [c.party, c.person]),
      [['tenant-admin', 'Max Muster']],
    );
    assert.match(written.join(''), /git add .*retire-old-key\.json/);
  });
});
