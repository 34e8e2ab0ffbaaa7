// `cpi-renewal provider install`: puts the provider into Terraform's implied local mirror (or --dir), where
// `terraform init` and `tofu init` find it with no CLI configuration.
import type { Command } from 'commander';
import { PROVIDER_VERSION } from '../provider/cpi-provider';
import {
  defaultBundlePath,
  impliedMirrorDir,
  installNotes,
  installProvider,
  terraformPlatform,
} from '../provider/install';

export function registerProviderCommands(program: Command): void {
  const provider = program.command('provider').description('Manage the Terraform provider installation.');
  provider
    .command('install')
    .description(
      "Install the provider into Terraform's implied local mirror (also found by OpenTofu); no CLI configuration needed.",
    )
    .option('--dir <dir>', 'mirror directory', impliedMirrorDir())
    .option(
      '--platform <os_arch>',
      'Terraform platform to install for (repeatable; the package is the same for each)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .action((options: { dir: string; platform?: string[] }) => {
      const installed = installProvider({
        dir: options.dir,
        bundle: defaultBundlePath(),
        version: PROVIDER_VERSION,
        platforms: options.platform ?? [terraformPlatform()],
      });
      process.stdout.write(
        [
          `Installed cpi-renewal/cpi ${PROVIDER_VERSION} into ${installed.mirrorDir}`,
          ...installed.packageDirs.map((dir) => `  package ${dir}`),
          `  runtime ${installed.runtimeDir}`,
          `Package hash (the same on every machine): ${installed.hash}`,
          '',
        ].join('\n'),
      );
      for (const note of installNotes(installed.mirrorDir)) process.stderr.write(`note: ${note}\n`);
    });
}
