// `cpi-renewal provider install` writes a package whose bytes do not depend on the machine: the same files, the
// same h1: hash, wherever it is installed and whichever bundle it starts; and the lock entry the constructs write
// at synth is the one Terraform would write.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { impliedMirrorDir, installNotes, installProvider, terraformPlatform } from '../../src/provider/install';
import {
  PROVIDER_HOSTNAMES,
  lockFileBlock,
  packageHashH1,
  providerPackageHash,
  withProviderLocked,
} from '../../src/rules/provider-package';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const VERSION = '0.1.0';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'cpi-install-'));
}

/** name → bytes of every file under `dir`, as Terraform's h1: hash reads a package directory. */
function filesOf(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
}

describe('provider package', { timeout: 60_000 }, () => {
  test('two installs at different paths write byte-identical packages naming no path of either', () => {
    const a = scratch();
    const b = scratch();
    try {
      const first = installProvider({ dir: join(a, 'mirror'), bundle: BUNDLE, version: VERSION });
      const second = installProvider({ dir: join(b, 'deeper', 'mirror'), bundle: BUNDLE, version: VERSION });
      assert.equal(first.packageDirs.length, PROVIDER_HOSTNAMES.length, 'one package per hostname');
      for (const [i, dir] of first.packageDirs.entries()) {
        const files = filesOf(dir);
        assert.deepEqual(files, filesOf(second.packageDirs[i]!), 'same files, same bytes');
        for (const [name, bytes] of files) {
          const text = bytes.toString('utf8');
          for (const path of [a, b, process.execPath, resolve(__dirname, '../..')])
            assert.ok(!text.includes(path), `${name} names ${path}`);
          assert.ok(statSync(join(dir, name)).mode & 0o111, `${name} is executable`);
        }
        assert.equal(packageHashH1(files), providerPackageHash(VERSION), 'the published hash is the package hash');
      }
      assert.equal(first.hash, second.hash);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  test('the package sits in the implied mirror under both registry hostnames, the runtime beside them', () => {
    const home = scratch();
    try {
      const installed = installProvider({ dir: impliedMirrorDir(home), bundle: BUNDLE, version: VERSION });
      const platform = terraformPlatform();
      assert.deepEqual(installed.packageDirs, [
        join(home, '.terraform.d/plugins/registry.terraform.io/cpi-renewal/cpi', VERSION, platform),
        join(home, '.terraform.d/plugins/registry.opentofu.org/cpi-renewal/cpi', VERSION, platform),
      ]);
      assert.deepEqual(readdirSync(installed.runtimeDir).sort(), [
        `launcher-${VERSION}.js`,
        `provider-${VERSION}.deps.js`,
        `provider-${VERSION}.deps.js.map`,
        `provider-${VERSION}.js`,
        `provider-${VERSION}.js.map`,
        `provider-${VERSION}.lazy.js`,
        `provider-${VERSION}.lazy.js.map`,
      ]);
      assert.equal(installed.runtimeDir, join(home, '.terraform.d/plugins/cpi-renewal-runtime'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('re-installing a rebuilt bundle leaves the package bytes, and so the hash, as they were', () => {
    const dir = scratch();
    try {
      const first = installProvider({ dir, bundle: BUNDLE, version: VERSION });
      const before = filesOf(first.packageDirs[0]!);
      // a stray file in a package directory would change its hash: the installer removes it
      writeFileSync(join(first.packageDirs[0]!, 'stray.cache'), 'x');
      const build = mkdtempSync(join(dir, 'build-'));
      const rebuilt = join(build, 'provider.js');
      writeFileSync(rebuilt, `${readFileSync(BUNDLE, 'utf8')}\n// rebuilt\n`);
      writeFileSync(join(build, 'provider-launcher.js'), readFileSync(join(BUNDLE, '../provider-launcher.js')));
      const second = installProvider({ dir, bundle: rebuilt, version: VERSION });
      assert.deepEqual(filesOf(second.packageDirs[0]!), before);
      assert.match(readFileSync(join(second.runtimeDir, `provider-${VERSION}.js`), 'utf8'), /\/\/ rebuilt\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the installed launcher runs the bundle and, when asked for them, its parts, each through a code cache', () => {
    const dir = scratch();
    try {
      // A stand-in build wired the way scripts/build.mjs wires dist/: the bundle takes a module from its lazy part,
      // which takes a library from the deps part.
      const build = mkdtempSync(join(dir, 'build-'));
      writeFileSync(
        join(build, 'provider.js'),
        "const lazy = require(__filename.replace(/\\.js$/, '.lazy.js'));\nprocess.stdout.write('bundle ran; ' + lazy.greeting + '\\n');\n",
      );
      writeFileSync(
        join(build, 'provider.lazy.js'),
        "exports.greeting = 'lazy part with ' + require(__filename.replace(/(\\.lazy)?\\.js$/, '.deps.js')).greeting;\n",
      );
      writeFileSync(join(build, 'provider.deps.js'), "exports.greeting = 'deps loaded';\n");
      writeFileSync(join(build, 'provider-launcher.js'), readFileSync(join(BUNDLE, '../provider-launcher.js')));
      const installed = installProvider({ dir, bundle: join(build, 'provider.js'), version: VERSION });
      const runtime = (name: string) => join(installed.runtimeDir, name);
      for (const run of [1, 2]) {
        const started = spawnSync(installed.executable, [], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(started.status, 0, started.stderr);
        assert.equal(started.stdout, 'bundle ran; lazy part with deps loaded\n', `launch ${run}`);
      }
      for (const file of ['js', 'lazy.js', 'deps.js'])
        assert.ok(
          existsSync(runtime(`provider-${VERSION}.${file}.cache`)),
          `provider-${VERSION}.${file} has a code cache`,
        );

      // Re-installing a build without parts leaves none (and no cache of one) behind.
      rmSync(join(build, 'provider.deps.js'));
      rmSync(join(build, 'provider.lazy.js'));
      writeFileSync(join(build, 'provider.js'), "process.stdout.write('no parts\\n');\n");
      installProvider({ dir, bundle: join(build, 'provider.js'), version: VERSION });
      assert.deepEqual(readdirSync(installed.runtimeDir).sort(), [`launcher-${VERSION}.js`, `provider-${VERSION}.js`]);
      assert.equal(spawnSync(installed.executable, [], { encoding: 'utf8', timeout: 20_000 }).stdout, 'no parts\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a package whose runtime is gone says so with its code and the command to run', () => {
    const dir = scratch();
    try {
      const installed = installProvider({ dir, bundle: BUNDLE, version: VERSION });
      rmSync(installed.runtimeDir, { recursive: true });
      const run = spawnSync(installed.executable, [], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 1);
      assert.match(run.stderr, /CPI_PROVIDER_RUNTIME_MISSING/);
      assert.match(run.stderr, /cpi-renewal-runtime\/launcher-0\.1\.0\.js/);
      assert.match(run.stderr, /npx cpi-renewal provider install/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--platform installs the same package for each platform named', () => {
    const dir = scratch();
    try {
      const installed = installProvider({
        dir,
        bundle: BUNDLE,
        version: VERSION,
        platforms: ['linux_amd64', 'darwin_arm64'],
      });
      assert.equal(installed.packageDirs.length, 4);
      for (const packageDir of installed.packageDirs)
        assert.equal(packageHashH1(filesOf(packageDir)), installed.hash, packageDir);
      assert.ok(existsSync(join(dir, 'registry.opentofu.org/cpi-renewal/cpi/0.1.0/darwin_arm64')), 'tofu darwin_arm64');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what install tells the user', { timeout: 10_000 }, () => {
  test('nothing for the implied mirror; how to point Terraform at another directory or past a CLI config', () => {
    const home = scratch();
    try {
      const env = { HOME: home };
      assert.deepEqual(installNotes(impliedMirrorDir(home), env, home), []);
      const other = installNotes(join(home, 'mirror'), env, home);
      assert.equal(other.length, 1);
      assert.match(other[0]!, /only when a CLI configuration names it.*filesystem_mirror/);

      // the user's own CLI configuration with a provider_installation block turns the implied search off
      writeFileSync(join(home, '.terraformrc'), 'provider_installation {\n  direct {}\n}\n');
      const own = installNotes(impliedMirrorDir(home), env, home);
      assert.equal(own.length, 1);
      assert.match(own[0]!, /\.terraformrc has a provider_installation block.*filesystem_mirror/);
      writeFileSync(join(home, 'other.tfrc'), 'plugin_cache_dir = "/tmp"\n');
      assert.deepEqual(
        installNotes(impliedMirrorDir(home), { TF_CLI_CONFIG_FILE: join(home, 'other.tfrc') }, home),
        [],
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('lock entry written at synth', { timeout: 10_000 }, () => {
  const other = [
    'provider "registry.terraform.io/hashicorp/random" {',
    '  version = "3.6.0"',
    '  hashes = [',
    '    "h1:abc=",',
    '  ]',
    '}',
    '',
  ].join('\n');

  test('a new lock file holds exactly the block terraform init writes', () => {
    const text = withProviderLocked(undefined, VERSION);
    assert.ok(text.endsWith(lockFileBlock(VERSION)), text);
    assert.match(text, /constraints = "0\.1\.0"/);
    assert.match(text, new RegExp(`"${providerPackageHash(VERSION).replace(/[+/]/g, '\\$&')}"`));
  });

  test('other providers are kept; a block of another version is replaced; the same version is never rewritten', () => {
    const appended = withProviderLocked(other, VERSION);
    assert.ok(appended.startsWith(other), 'random kept as it was');
    assert.ok(appended.endsWith(lockFileBlock(VERSION)), 'cpi appended');

    const older = withProviderLocked(other, '0.0.9');
    const upgraded = withProviderLocked(older, VERSION);
    assert.equal(upgraded, appended, 'the 0.0.9 block is replaced by the 0.1.0 one');

    const committed = appended.replace(providerPackageHash(VERSION), 'h1:committed=');
    assert.equal(withProviderLocked(committed, VERSION), committed, 'a committed lock of the same version stays');
  });
});
