// `cpi-renewal emulator`: runs the embedded tenant (and receiver) in the foreground for pipelines, examples and the
// demo. Once both listen it prints ONE JSON line on stdout with everything a client needs (URLs, credentials), so a
// script can start it and read its first line; everything else goes to stderr. Ctrl-C / SIGTERM stop it cleanly.
import type { Command } from 'commander';
import { CpiError, isCpiError } from '../errors';
import { startEmulators, type ReceiverStarter, type RunningEmulators } from '../emulator/start-emulators';
import { startReceiverEmulator } from '../emulator/receiver-emulator';
import { prepareWorld } from '../demo/renewal-demo';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new CpiError('CPI_EMULATOR_CONFIG_INVALID', `the port "${value}" is not a number from 0 to 65535`);
  }
  return port;
}

/** Registers `cpi-renewal emulator`; `startReceiver` replaces the embedded receiver (null: none). */
export function registerEmulatorCommand(
  program: Command,
  startReceiver: ReceiverStarter | null = startReceiverEmulator,
): void {
  program
    .command('emulator')
    .description(
      'Run the embedded SAP Cloud Integration tenant emulator (and receiver) in the foreground; prints one JSON line with URLs and credentials once ready.',
    )
    .option('--data-dir <dir>', 'directory for the durable state', '.cpi-renewal/emulator')
    .option('--tenant-port <port>', 'tenant port (default: as last time for this data directory, else a free one)')
    .option('--receiver-port <port>', 'receiver port (default: as last time for this data directory, else a free one)')
    .option('--config <file>', 'emulator configuration file (JSON)')
    .option('--verbose', 'log every request to stderr')
    .option(
      '--renewal-world',
      'set up what a renewal starts from, as the demo and the README walkthrough do: the receiver holds key orders-2025 and the tenant alias receiver_encryption holds its certificate',
    )
    .action(
      async (flags: {
        dataDir: string;
        tenantPort?: string;
        receiverPort?: string;
        config?: string;
        verbose?: boolean;
        renewalWorld?: boolean;
      }) => {
        let running: RunningEmulators;
        try {
          running = await startEmulators(
            {
              dataDir: flags.dataDir,
              tenantPort: flags.tenantPort === undefined ? undefined : parsePort(flags.tenantPort),
              receiverPort: flags.receiverPort === undefined ? undefined : parsePort(flags.receiverPort),
              configFile: flags.config,
              log: flags.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
            },
            startReceiver,
          );
          if (flags.renewalWorld) await prepareWorld(running);
        } catch (error) {
          process.stderr.write(`${(error as Error).message}\n${isCpiError(error) ? `${error.fix}\n` : ''}`);
          process.exit(1);
        }
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`${signal}: stopping the emulator; its state stays in ${running.ready.dataDir}\n`);
          // a stuck connection must not keep a stopped emulator alive
          setTimeout(() => process.exit(1), 5000).unref();
          running.close().then(
            () => process.exit(0),
            (error: unknown) => {
              process.stderr.write(`stopping failed: ${(error as Error).message}\n`);
              process.exit(1);
            },
          );
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stdout.write(`${JSON.stringify(running.ready)}\n`);
        for (const warning of running.warnings) process.stderr.write(`warning: ${warning}\n`);
        if (!running.receiver) {
          process.stderr.write(
            'No embedded receiver runs: the iFlows send to the receiver URLs of their configuration.\n',
          );
        }
      },
    );
}
