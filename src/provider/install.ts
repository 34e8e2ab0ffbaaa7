// Installs the provider where Terraform and OpenTofu look on their own: the implied local mirror
// (~/.terraform.d/plugins), or another mirror directory. No CLI configuration is written or needed.
//
// Layout under the mirror root (the package's bytes and the reasons are in src/rules/provider-package.ts):
//   <host>/cpi-renewal/cpi/<version>/<os_arch>/terraform-provider-cpi_v<version>   the launcher (the package)
//   cpi-renewal-runtime/launcher-<version>.js, provider-<version>.js              the code it starts
//   cpi-renewal-runtime/provider-<version>.lazy.js, provider-<version>.deps.js     code some RPCs need
// for <host> = registry.terraform.io and registry.opentofu.org. Only the launcher is inside a package directory,
// so its h1: hash never depends on the machine, the install path or the build; the code cache the runtime
// launcher writes stays in cpi-renewal-runtime/ for the same reason.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  PROVIDER_HOSTNAMES,
  PROVIDER_NAMESPACE,
  PROVIDER_TYPE,
  RUNTIME_DIR,
  packageFiles,
  providerPackageHash,
  runtimeFiles,
} from '../rules/provider-package';
import { bundlePartsOf } from '../rules/bundle-parts';

export { PROVIDER_NAMESPACE, PROVIDER_TYPE };

export interface InstallOptions {
  /** The mirror directory. Defaults to Terraform's implied local mirror, ~/.terraform.d/plugins. */
  readonly dir?: string;
  /**
   * The bundled provider (dist/provider.js); the runtime launcher (dist/provider-launcher.js) and the bundle's parts
   * (dist/provider.lazy.js, dist/provider.deps.js) sit beside it.
   */
  readonly bundle: string;
  readonly version: string;
  /** Terraform platforms (`linux_amd64`) to install for. Defaults to this machine's. */
  readonly platforms?: readonly string[];
}

export interface Installation {
  readonly mirrorDir: string;
  /** The package directories written, one per hostname and platform. */
  readonly packageDirs: readonly string[];
  /** The launcher of the first package directory (what Terraform runs on this machine). */
  readonly executable: string;
  readonly runtimeDir: string;
  /** The h1: hash every package directory has (docs/provider-package.md publishes it). */
  readonly hash: string;
}

export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const archName = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  return `${platform}_${archName}`;
}

/** Terraform's implied local mirror on Linux and macOS (and OpenTofu's: it kept the directory). */
export function impliedMirrorDir(home: string = homedir()): string {
  return join(home, '.terraform.d', 'plugins');
}

function writeAtomically(file: string, content: string | Buffer, mode = 0o644): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, file); // Terraform may be starting the provider from here right now
}

function copyAtomically(from: string, to: string): void {
  copyFileSync(from, `${to}.${process.pid}.tmp`);
  renameSync(`${to}.${process.pid}.tmp`, to);
}

/** Writes a package directory holding exactly the package's files: anything else there would change its hash. */
function writePackage(dir: string, files: ReadonlyMap<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(dir)) if (!files.has(entry)) rmSync(join(dir, entry), { recursive: true });
  for (const [name, content] of files) writeAtomically(join(dir, name), content, 0o755);
}

export function installProvider(options: InstallOptions): Installation {
  const mirrorDir = resolve(options.dir ?? impliedMirrorDir());
  const runtimeDir = join(mirrorDir, RUNTIME_DIR);
  mkdirSync(runtimeDir, { recursive: true });

  // The code first: a package directory must never point at a runtime that is not there yet.
  const bundle = resolve(options.bundle);
  const runtime = runtimeFiles(options.version);
  const runtimeBundle = join(runtimeDir, runtime.bundle);
  // The parts first (a new bundle may need modules an old part lacks), then the bundle, each under the name the
  // bundle looks for. A bundle built without parts (the test provider) needs none, and a part left from an earlier
  // install would only mislead.
  const targets = [...bundlePartsOf(runtimeBundle), runtimeBundle];
  for (const [i, from] of [...bundlePartsOf(bundle), bundle].entries()) {
    const to = targets[i]!;
    if (existsSync(from)) copyAtomically(from, to);
    else rmSync(to, { force: true });
    // V8 checks a code cache against the source length only, so a cache of an older file must go.
    rmSync(`${to}.cache`, { force: true });
    if (existsSync(`${from}.map`)) copyAtomically(`${from}.map`, `${to}.map`);
    else rmSync(`${to}.map`, { force: true });
  }
  copyAtomically(join(dirname(bundle), 'provider-launcher.js'), join(runtimeDir, runtime.launcher));

  const files = packageFiles(options.version);
  const packageDirs: string[] = [];
  for (const hostname of PROVIDER_HOSTNAMES) {
    for (const platform of options.platforms ?? [terraformPlatform()]) {
      const dir = join(mirrorDir, hostname, PROVIDER_NAMESPACE, PROVIDER_TYPE, options.version, platform);
      writePackage(dir, files);
      packageDirs.push(dir);
    }
  }
  return {
    mirrorDir,
    packageDirs,
    executable: join(packageDirs[0]!, [...files.keys()][0]!),
    runtimeDir,
    hash: providerPackageHash(options.version),
  };
}

/**
 * What a user must know for Terraform to find this installation: nothing when it went into the implied local
 * mirror and no CLI configuration overrides the implied search; else one line each on what to do.
 */
export function installNotes(
  mirrorDir: string,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string[] {
  const notes: string[] = [];
  const implied = resolve(mirrorDir) === impliedMirrorDir(home);
  if (!implied)
    notes.push(
      `Terraform searches ${mirrorDir} only when a CLI configuration names it (provider_installation { filesystem_mirror { path = "${mirrorDir}" } }) or it is terraform.d/plugins in the working directory.`,
    );
  const config = env.TF_CLI_CONFIG_FILE || join(home, '.terraformrc');
  if (existsSync(config) && /^\s*provider_installation\s*\{/m.test(readFileSync(config, 'utf8')))
    notes.push(
      `${config} has a provider_installation block, so Terraform searches only the places it lists: add a filesystem_mirror for ${mirrorDir} with include = ["registry.terraform.io/${PROVIDER_NAMESPACE}/*"] (docs/provider-installation.md).`,
    );
  return notes;
}

/**
 * The environment in which Terraform runs unattended: no prompts, no call to HashiCorp's checkpoint service.
 * Nothing about where the provider is: Terraform finds it in its implied local mirror.
 */
export function automationEnv(): NodeJS.ProcessEnv {
  return { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
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
