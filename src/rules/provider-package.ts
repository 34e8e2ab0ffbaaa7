// The provider package as Terraform sees it: where a filesystem mirror holds it, the bytes of the package
// directory, and the h1: hash a `.terraform.lock.hcl` records for it. The installer writes these bytes, the
// constructs write the lock entry at synth, and docs/provider-package.md publishes the hash; all three read them
// from here so that they cannot disagree.
//
// The package directory holds ONE file, a launcher whose text is the same on every machine, for every install
// directory and every build: so the hash depends on the version only, and a lock file written anywhere verifies
// everywhere. The launcher finds the provider's code relative to its own (real) location, in RUNTIME_DIR at the
// root of the same mirror, where `cpi-renewal provider install` copies it (docs/provider-installation.md).
import { createHash } from 'node:crypto';

export const PROVIDER_NAMESPACE = 'cpi-renewal';
export const PROVIDER_TYPE = 'cpi';

/**
 * The registry hostnames a bare `cpi-renewal/cpi` source resolves to: Terraform's default and OpenTofu's. The
 * package is installed under both, so either CLI finds it in its implied local mirror.
 */
export const PROVIDER_HOSTNAMES = ['registry.terraform.io', 'registry.opentofu.org'] as const;
export type ProviderHostname = (typeof PROVIDER_HOSTNAMES)[number];

/**
 * The mirror-root directory holding the provider's code. Terraform's mirror scan ignores files at depth two, so
 * nothing here is ever mistaken for a provider package.
 */
export const RUNTIME_DIR = 'cpi-renewal-runtime';

/**
 * The runtime files of one version inside RUNTIME_DIR (versions sit side by side): the launcher and the bundle it
 * runs; the bundle's parts sit beside it under its own name (src/rules/bundle-parts.ts).
 */
export function runtimeFiles(version: string): { launcher: string; bundle: string } {
  return { launcher: `launcher-${version}.js`, bundle: `provider-${version}.js` };
}

/** `registry.terraform.io/cpi-renewal/cpi`, the address a lock file names. */
export function providerAddress(hostname: ProviderHostname = PROVIDER_HOSTNAMES[0]): string {
  return `${hostname}/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;
}

/** Terraform's name for the executable in a package directory. */
export function packageExecutableName(version: string): string {
  return `terraform-provider-${PROVIDER_TYPE}_v${version}`;
}

/**
 * The launcher, the package's only file. It derives the version from its directory (…/<version>/<os_arch>/) and
 * climbs to the mirror root, so it names no path of any machine. `#!/usr/bin/env node`: the node on Terraform's
 * PATH runs it, with no shell in between. Node resolves symlinks of the main module, and Terraform links
 * `.terraform/providers/…` to the mirror's directory, so __dirname is the package directory in the mirror.
 */
export const PACKAGE_LAUNCHER = [
  '#!/usr/bin/env node',
  '// cpi-renewal/cpi provider package. The same bytes on every machine: the code is the runtime that',
  '// `cpi-renewal provider install` puts into <mirror>/cpi-renewal-runtime/.',
  "'use strict';",
  "const path = require('path');",
  'const version = path.basename(path.dirname(__dirname));',
  `const launcher = path.join(__dirname, '..', '..', '..', '..', '..', '${RUNTIME_DIR}', 'launcher-' + version + '.js');`,
  "if (!require('fs').existsSync(launcher)) {",
  '  process.stderr.write(',
  "    'CPI_PROVIDER_RUNTIME_MISSING: the runtime of provider cpi-renewal/cpi ' + version + ' is missing (' + launcher +",
  "      '). Run `npx cpi-renewal provider install` with the same --dir as before.\\n',",
  '  );',
  '  process.exit(1);',
  '}',
  'require(launcher);',
  '',
].join('\n');

/**
 * Terraform's h1: hash of a package directory (dirhash "Hash1"): SHA-256 over the sorted lines
 * `<sha256 hex of the file>  <relative path>\n`, base64.
 */
export function packageHashH1(files: ReadonlyMap<string, Buffer | string>): string {
  const summary = [...files.keys()]
    .sort()
    .map((name) => `${createHash('sha256').update(files.get(name)!).digest('hex')}  ${name}\n`)
    .join('');
  return `h1:${createHash('sha256').update(summary).digest('base64')}`;
}

/** The package directory's files: name → bytes. */
export function packageFiles(version: string): Map<string, string> {
  return new Map([[packageExecutableName(version), PACKAGE_LAUNCHER]]);
}

/** The h1: hash of this provider's package of `version`, the same for every platform and install location. */
export function providerPackageHash(version: string): string {
  return packageHashH1(packageFiles(version));
}

/** The lock-file block Terraform writes for this provider at `version` under an exact version constraint. */
export function lockFileBlock(version: string, hostname: ProviderHostname = PROVIDER_HOSTNAMES[0]): string {
  return [
    `provider "${providerAddress(hostname)}" {`,
    `  version     = "${version}"`,
    `  constraints = "${version}"`,
    '  hashes = [',
    `    "${providerPackageHash(version)}",`,
    '  ]',
    '}',
    '',
  ].join('\n');
}

const LOCK_FILE_HEADER =
  '# This file is maintained automatically by "terraform init".\n# Manual edits may be lost in future updates.\n';

/**
 * `existing` lock-file text with this provider's block at `version`: unchanged when it already locks that
 * version (a committed lock is never rewritten, so its hashes are what `terraform init` verifies), the block
 * replaced when it locks another version, appended when there is none. Other providers' blocks stay as they are.
 */
export function withProviderLocked(existing: string | undefined, version: string): string {
  const block = lockFileBlock(version);
  if (existing === undefined || existing.trim() === '') return `${LOCK_FILE_HEADER}\n${block}`;
  const start = existing.indexOf(`provider "${providerAddress()}" {`);
  if (start < 0) return `${existing.replace(/\n*$/, '\n')}\n${block}`;
  const end = existing.indexOf('\n}', start);
  const current = existing.slice(start, end < 0 ? existing.length : end + 2);
  if (new RegExp(`^\\s*version\\s*=\\s*"${version.replace(/\./g, '\\.')}"`, 'm').test(current)) return existing;
  const rest = existing.slice(start + current.length).replace(/^\n/, '');
  return `${existing.slice(0, start)}${block}${rest}`;
}
