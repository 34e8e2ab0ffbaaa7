// The cpi-renewal command line.
import { Command } from 'commander';
import { CpiError } from '../errors';
import { PROVIDER_VERSION } from '../provider/cpi-provider';
import { registerEmulatorCommand } from './emulator-command';
import { registerConfirmCommand } from './confirm-command';
import { registerProviderCommands } from './provider-command';
import { registerRunbookCommand } from './runbook-command';
import { registerDemoCommand } from './demo-command';
import { registerStatusCommand } from './status-command';
import { registerScanCommand } from './scan-command';
import { registerProposeCommand } from './propose-command';

const program = new Command('cpi-renewal')
  .description('Renew WS-Security encryption certificates between an SAP Cloud Integration tenant and its receivers.')
  // the package, its CLI and its provider share one version
  .version(PROVIDER_VERSION, '-V, --version', 'print the version and exit')
  .showHelpAfterError();

registerProviderCommands(program);
registerConfirmCommand(program);
registerEmulatorCommand(program);
registerRunbookCommand(program);
registerDemoCommand(program);
registerStatusCommand(program);
registerScanCommand(program);
registerProposeCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  // With --json the failure is JSON too, so that a script reads the error code without parsing prose.
  if (process.argv.includes('--json')) {
    const code = error instanceof CpiError ? error.code : null; // null: not one of ours (a bug or the system)
    process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  } else {
    process.stderr.write(`${message}\n`);
  }
  process.exit(1);
});
