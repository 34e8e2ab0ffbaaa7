// `cpi-renewal provider install`: puts the provider into a filesystem mirror so that `terraform init` works offline.
import type { Command } from 'commander';
import { PROVIDER_VERSION } from '../provider/cpi-provider';
import { defaultBundlePath, installProvider } from '../provider/install';

export function registerProviderCommands(program: Command): void {
  const provider = program.command('provider').description('Manage the Terraform provider installation.');
  provider
    .command('install')
    .description('Install the provider into a filesystem mirror and write a Terraform CLI configuration for it.')
    .option('--dir <dir>', 'installation directory', '.cpi-renewal/provider')
    .action((options: { dir: string }) => {
      const installed = installProvider({ dir: options.dir, bundle: defaultBundlePath(), version: PROVIDER_VERSION });
      process.stderr.write(`Installed cpi-renewal/cpi v${PROVIDER_VERSION} into ${installed.mirrorDir}\n`);
      process.stderr.write('Point Terraform at it (then `terraform init` works offline):\n');
      process.stdout.write(`export TF_CLI_CONFIG_FILE=${installed.cliConfigFile}\n`);
    });
}
