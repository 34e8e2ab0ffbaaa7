// The cpi-renewal command line.
import { Command } from 'commander';
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
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
