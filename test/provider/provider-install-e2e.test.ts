// `cpi-renewal provider install` as a user runs it, then the real terraform with a HOME of its own and NO CLI
// configuration: init finds the provider in the implied local mirror, next to a provider from another local
// source; a lock file written in one place verifies in another directory with another install path; re-installing
// keeps it valid; the OpenTofu hostname's package is installable too (OpenTofu itself is not on this machine).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { terraformPlatform } from '../../src/provider/install';
import { packageExecutableName, providerPackageHash } from '../../src/rules/provider-package';
import { runCommand, type CommandRun } from '../support/command';
import { userEnv } from '../support/terraform';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist', 'cli.js');
const HASH = providerPackageHash(PROVIDER_VERSION);

const config = (extra: Record<string, object> = {}) => ({
  terraform: {
    required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION }, ...extra },
  },
});

describe('provider install, then terraform with no CLI configuration', { timeout: 300_000 }, () => {
  let root: string;
  const homeA = () => join(root, 'a', 'home');
  const homeB = () => join(root, 'b', 'elsewhere', 'home');

  const install = (home: string, args: string[] = []) =>
    runCommand(process.execPath, [CLI, 'provider', 'install', ...args], { env: userEnv(home), timeoutMs: 30_000 });

  async function terraform(home: string, cwd: string, args: string[]): Promise<CommandRun> {
    return runCommand('terraform', [...args, '-no-color'], { cwd, env: userEnv(home), timeoutMs: 120_000 });
  }

  function workdir(name: string, content: object): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(content, null, 2));
    return dir;
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'cpi-provider-install-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('install puts the package into ~/.terraform.d/plugins and init + validate use it', async () => {
    const installed = await install(homeA());
    assert.equal(installed.code, 0, installed.output);
    assert.match(installed.stdout, new RegExp(`into ${homeA()}/\\.terraform\\.d/plugins`));
    assert.ok(installed.stdout.includes(HASH), installed.stdout);

    const dir = workdir('w1', config());
    const init = await terraform(homeA(), dir, ['init', '-input=false']);
    assert.equal(init.code, 0, init.output);
    assert.match(init.stdout, /Installed cpi-renewal\/cpi v0\.1\.0 \(unauthenticated\)/);
    assert.doesNotMatch(init.output, /CLI configuration/);
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
    assert.ok(lock.includes(`"${HASH}"`), `the lock records the published hash\n${lock}`);
    // validate starts the provider: the launcher finds its runtime through .terraform/providers' link
    const validate = await terraform(homeA(), dir, ['validate']);
    assert.equal(validate.code, 0, validate.output);
  });

  test('a lock file from there verifies in another directory against an install at another path', async () => {
    const installed = await install(homeB());
    assert.equal(installed.code, 0, installed.output);
    const committed = readFileSync(join(root, 'w1', '.terraform.lock.hcl'), 'utf8');
    const dir = workdir('clone/w1', config());
    writeFileSync(join(dir, '.terraform.lock.hcl'), committed);

    const init = await terraform(homeB(), dir, ['init', '-input=false']);
    assert.equal(init.code, 0, init.output);
    assert.match(init.stdout, /Reusing previous version of cpi-renewal\/cpi from the dependency lock file/);
    assert.equal(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8'), committed, 'the lock is unchanged');
    const validate = await terraform(homeB(), dir, ['validate']);
    assert.equal(validate.code, 0, validate.output);

    // the lock does verify: a changed package at the same version is refused
    const tampered = join(root, 'tampered', 'home');
    assert.equal((await install(tampered)).code, 0);
    const executable = join(
      tampered,
      '.terraform.d/plugins/registry.terraform.io/cpi-renewal/cpi',
      PROVIDER_VERSION,
      terraformPlatform(),
      packageExecutableName(PROVIDER_VERSION),
    );
    appendFileSync(executable, '// changed\n');
    const other = workdir('clone/w2', config());
    writeFileSync(join(other, '.terraform.lock.hcl'), committed);
    const refused = await terraform(tampered, other, ['init', '-input=false']);
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(refused.output, /doesn't match any of the\s+checksums previously recorded/);
  });

  test('init takes another provider from another local source alongside it', async () => {
    // A second provider in the working directory's terraform.d/plugins (another implied mirror): the test-only
    // provider under its own address, started by a fixture launcher.
    const dir = workdir('w3', config({ acme: { source: 'example.test/acme/acme', version: '1.0.0' } }));
    const acme = join(dir, 'terraform.d/plugins/example.test/acme/acme/1.0.0', terraformPlatform());
    mkdirSync(acme, { recursive: true });
    writeFileSync(
      join(acme, 'terraform-provider-acme_v1.0.0'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist', 'test-provider.js')}" "$@"\n`,
      { mode: 0o755 },
    );
    const init = await terraform(homeA(), dir, ['init', '-input=false']);
    assert.equal(init.code, 0, init.output);
    assert.match(init.stdout, /Installed cpi-renewal\/cpi v0\.1\.0/);
    assert.match(init.stdout, /Installed example\.test\/acme\/acme v1\.0\.0/);
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
    assert.match(lock, /provider "registry\.terraform\.io\/cpi-renewal\/cpi"/);
    assert.match(lock, /provider "example\.test\/acme\/acme"/);
    const validate = await terraform(homeA(), dir, ['validate']);
    assert.equal(validate.code, 0, validate.output);
  });

  test('a refined unknown value from Terraform reaches the installed provider, which reads it', async () => {
    // "flow-${…id}" is unknown until apply but known to start with "flow-": Terraform sends it with refinements
    // (msgpack ext 12), which the provider's codec decodes.
    const dir = workdir('w6', {
      ...config(),
      resource: { terraform_data: { source: { input: 'x' } } },
      data: { cpi_iflow_runtime: { flow: { iflow_id: '${"flow-${terraform_data.source.id}"}' } } },
    });
    copyFileSync(join(root, 'w1', '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
    assert.equal((await terraform(homeA(), dir, ['init', '-input=false'])).code, 0);
    const validate = await terraform(homeA(), dir, ['validate']);
    assert.equal(validate.code, 0, validate.output);
    assert.match(validate.stdout, /The configuration is valid/);
  });

  test('a part of the runtime missing, or from another build, is refused with its code and what to do', async () => {
    // The PEM check is among the modules the provider loads on first use, from provider-<v>.lazy.js.
    const dir = workdir('w7', {
      ...config(),
      resource: {
        cpi_keystore_certificate: { cut: { alias: 'partner', certificate_pem: '-----BEGIN CERTIFICATE-----\nMIIB\n' } },
      },
    });
    copyFileSync(join(root, 'w1', '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
    assert.equal((await terraform(homeA(), dir, ['init', '-input=false'])).code, 0);
    const validate = () => terraform(homeA(), dir, ['validate']);
    const checked = await validate();
    assert.equal(checked.code, 1, checked.output);
    assert.match(checked.output, /CPI_PKI_NOT_PEM/);

    const part = join(homeA(), '.terraform.d/plugins/cpi-renewal-runtime', `provider-${PROVIDER_VERSION}.lazy.js`);
    const built = readFileSync(part, 'latin1');
    // A part of another build, as a re-install under a running provider would leave it.
    writeFileSync(part, built.replace(/exports\.build="[0-9a-f]+"/, 'exports.build="0123456789abcdef"'));
    rmSync(`${part}.cache`); // as an install does: V8 would take the cache of the same length for this file
    const mismatched = await validate();
    assert.equal(mismatched.code, 1, mismatched.output);
    assert.match(mismatched.output, /CPI_PROVIDER_RUNTIME_MISMATCH/);
    assert.match(mismatched.output, /npx cpi-renewal provider install/);
    assert.doesNotMatch(mismatched.output, /CPI_PKI_NOT_PEM/);

    rmSync(part);
    const missing = await validate();
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /CPI_PROVIDER_RUNTIME_MISSING/);

    assert.equal((await install(homeA())).code, 0);
    assert.match((await validate()).output, /CPI_PKI_NOT_PEM/);
  });

  test('re-installing keeps the lock valid', async () => {
    const dir = join(root, 'w1');
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
    const again = await install(homeA());
    assert.equal(again.code, 0, again.output);
    const init = await terraform(homeA(), dir, ['init', '-input=false']);
    assert.equal(init.code, 0, init.output);
    assert.equal(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8'), lock);
    const validate = await terraform(homeA(), dir, ['validate']);
    assert.equal(validate.code, 0, validate.output);
  });

  test("OpenTofu's hostname: registry.opentofu.org/cpi-renewal/cpi installs from the same mirror, same hash", async () => {
    // What `tofu init` resolves `cpi-renewal/cpi` to; terraform stands in for tofu (not installable here).
    const dir = workdir('w4', {
      terraform: {
        required_providers: { cpi: { source: 'registry.opentofu.org/cpi-renewal/cpi', version: PROVIDER_VERSION } },
      },
    });
    const init = await terraform(homeA(), dir, ['init', '-input=false']);
    assert.equal(init.code, 0, init.output);
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
    assert.match(lock, /provider "registry\.opentofu\.org\/cpi-renewal\/cpi"/);
    assert.ok(lock.includes(`"${HASH}"`), lock);
    const validate = await terraform(homeA(), dir, ['validate']);
    assert.equal(validate.code, 0, validate.output);
  });

  test('--dir installs into another mirror directory, which a CLI configuration can name', async () => {
    const mirror = join(root, 'shared-mirror');
    const installed = await install(join(root, 'c', 'home'), ['--dir', mirror]);
    assert.equal(installed.code, 0, installed.output);
    const rc = join(root, 'mirror.tfrc');
    writeFileSync(rc, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`);
    const dir = workdir('w5', config());
    copyFileSync(join(root, 'w1', '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
    const init = await runCommand('terraform', ['init', '-input=false', '-no-color'], {
      cwd: dir,
      env: { ...userEnv(join(root, 'c', 'home')), TF_CLI_CONFIG_FILE: rc },
      timeoutMs: 120_000,
    });
    assert.equal(init.code, 0, init.output);
  });
});
