// Installs the provider where a plain, offline `terraform init` finds it: a filesystem mirror holding a thin
// wrapper, plus a Terraform CLI configuration that points at the mirror. The package directory holds only the
// wrapper, whose text depends on nothing but the install directory, so re-installing (even a rebuilt bundle)
// keeps the h1: hash in existing lock files valid.
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PROVIDER_NAMESPACE = 'cpi-renewal';
export const PROVIDER_TYPE = 'cpi';
export const PROVIDER_SOURCE = `registry.terraform.io/${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`;

export interface InstallOptions {
  /** Where the mirror, the runtime bundle and the CLI configuration go. */
  readonly dir: string;
  /** The bundled provider (dist/provider.js). */
  readonly bundle: string;
  readonly version: string;
  /** The node executable the wrapper runs. Defaults to the one running this install. */
  readonly node?: string;
}

export interface Installation {
  readonly cliConfigFile: string;
  readonly mirrorDir: string;
  readonly executable: string;
}

export function terraformPlatform(platform = process.platform, arch = process.arch): string {
  const archName = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  return `${platform}_${archName}`;
}

function writeAtomically(file: string, content: string, mode = 0o644): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, file);
}

function copyAtomically(from: string, to: string): void {
  copyFileSync(from, `${to}.${process.pid}.tmp`);
  renameSync(`${to}.${process.pid}.tmp`, to);
}

export function installProvider(options: InstallOptions): Installation {
  const dir = resolve(options.dir);
  const mirrorDir = join(dir, 'mirror');
  const packageDir = join(mirrorDir, PROVIDER_SOURCE, options.version, terraformPlatform());
  const runtimeDir = join(dir, 'runtime');
  mkdirSync(packageDir, { recursive: true });
  mkdirSync(runtimeDir, { recursive: true });

  // The code lives outside the package directory (see the header comment), started through the code-cache
  // launcher that the build puts beside the bundle.
  const runtime = join(runtimeDir, 'provider.js');
  const launcher = join(runtimeDir, 'provider-launcher.js');
  copyAtomically(resolve(options.bundle), runtime);
  // V8 checks a code cache against the source length only, so a cache of an older bundle must go.
  rmSync(`${runtime}.cache`, { force: true });
  copyAtomically(join(dirname(resolve(options.bundle)), 'provider-launcher.js'), launcher);
  const map = `${resolve(options.bundle)}.map`;
  if (existsSync(map)) copyAtomically(map, `${runtime}.map`);

  const executable = join(packageDir, `terraform-provider-${PROVIDER_TYPE}_v${options.version}`);
  const node = options.node ?? process.execPath;
  // exec: Terraform manages (and kills) this very pid, so no node process is left behind.
  writeAtomically(executable, `#!/bin/sh\nexec "${node}" "${launcher}" "$@"\n`, 0o755);

  const cliConfigFile = join(dir, 'terraform.rc');
  writeAtomically(
    cliConfigFile,
    [
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirrorDir)}`,
      `    include = ["registry.terraform.io/${PROVIDER_NAMESPACE}/*"]`,
      '  }',
      '  direct {',
      `    exclude = ["registry.terraform.io/${PROVIDER_NAMESPACE}/*"]`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return { cliConfigFile, mirrorDir, executable };
}

/**
 * The environment Terraform needs to use this installation unattended: the CLI configuration that points at the
 * mirror, no prompts, no call to HashiCorp's checkpoint service (there is no network to reach it).
 */
export function terraformEnv(cliConfigFile: string): NodeJS.ProcessEnv {
  return { TF_CLI_CONFIG_FILE: cliConfigFile, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
}

/** The required_providers entry a configuration uses for this provider. */
export function requiredProvider(version: string): { source: string; version: string } {
  return { source: `${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}`, version };
}

export function defaultBundlePath(): string {
  // dist/cli.js and dist/provider.js sit side by side; from sources (tsx) fall back to the repo's dist/.
  const beside = join(__dirname, 'provider.js');
  return existsSync(beside) ? beside : resolve(__dirname, '../../dist/provider.js');
}
