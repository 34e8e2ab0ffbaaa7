// Python, Java, Go and C# sources generated from the jsii assembly with jsii-pacmak, offline (`--code-only`): each
// language's package must hold the renewal construct and its props. Building or running them needs each language's
// jsii runtime and the cdktf/constructs packages from PyPI, Maven Central, the Go module proxy and NuGet, which this
// project's machines cannot reach (README: "Other languages").
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '../support/command';

const ROOT = resolve(__dirname, '../..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

describe('jsii-pacmak', { timeout: 900_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'cpi-renewal-pacmak-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  test('generates Python, Java, Go and C# packages holding the renewal construct', async () => {
    assert.ok(existsSync(join(ROOT, '.jsii')), '.jsii is built (npm run build)');
    const run = await runCommand(
      process.execPath,
      [
        join(ROOT, 'node_modules/jsii-pacmak/bin/jsii-pacmak'),
        '--code-only',
        '--no-npmignore',
        '--pack-command',
        'npm pack --ignore-scripts',
        '--targets',
        'python',
        'java',
        'go',
        'dotnet',
        '--outdir',
        out,
      ],
      { cwd: ROOT, env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' }, timeoutMs: 840_000 },
    );
    assert.equal(run.code, 0, run.output);
    const files = filesUnder(out);
    const python = files.find((f) => f.endsWith(join('cdktf_cpi_renewal', '__init__.py')));
    assert.ok(python, `a Python module cdktf_cpi_renewal in ${out}`);
    assert.match(readFileSync(python, 'utf8'), /class EncryptionCertificateRenewal\(/);
    assert.match(readFileSync(python, 'utf8'), /class GateRequirement:/);
    for (const [language, file] of [
      ['Java', 'EncryptionCertificateRenewal.java'],
      ['Go', 'EncryptionCertificateRenewal.go'],
      ['C#', 'EncryptionCertificateRenewal.cs'],
      ['Java props', 'EncryptionCertificateRenewalProps.java'],
    ] as const)
      assert.ok(
        files.some((f) => f.endsWith(`/${file}`)),
        `${language}: ${file} generated`,
      );
  });
});
