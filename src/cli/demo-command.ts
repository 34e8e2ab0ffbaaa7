// `cpi-renewal demo` (what `npm start` runs): a whole renewal on the embedded default, with live traffic.
import type { Command } from 'commander';
import { join } from 'node:path';
import { runRenewalDemo } from '../demo/renewal-demo';
import { renderSummary } from '../demo/summary';
import type { RenewalVariant } from '../renewal/stages';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run a whole renewal against the embedded tenant and receiver, with live traffic, and print a summary.',
    )
    .option('--variant <variant>', 'overlap (no downtime) or single-key (agreed downtime)', 'overlap')
    .option('--dir <dir>', 'working directory (default: a fresh one under .demo/)')
    .option('--rate <n>', 'messages per second through the iFlow', '20')
    .action(async (options: { variant: string; dir?: string; rate: string }) => {
      if (options.variant !== 'overlap' && options.variant !== 'single-key') {
        throw new Error(`--variant is "${options.variant}"; expected overlap or single-key`);
      }
      const controller = new AbortController();
      const stop = () => {
        process.stderr.write('\ninterrupted: stopping terraform, traffic and emulators…\n');
        controller.abort();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const dir = options.dir ?? join('.demo', `${options.variant}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const result = await runRenewalDemo({
        variant: options.variant as RenewalVariant,
        dir,
        rate: Number(options.rate),
        print: (line) => process.stdout.write(`${line}\n`),
        signal: controller.signal,
      });
      process.stdout.write(`${renderSummary(result, controller.signal.aborted)}\n`);
      const failed = result.stages.some((s) => s.result === 'failed');
      if (controller.signal.aborted) process.exitCode = 130;
      else if (failed || result.lost > 0) process.exitCode = 1;
    });
}
