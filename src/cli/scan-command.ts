// `cpi-renewal scan`: which encryption certificates in use expire when, over one tenant or a fleet. The scan is
// src/scan/expiry-scan.ts; this file reads the options, prints, and sets the documented exit code.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CpiError } from '../errors';
import { scanExitCode, scanFleet, type ScanResult } from '../scan/expiry-scan';
import { loadFleet, tenantFromEnvironment, type Fleet } from '../scan/fleet';
import { LAST_THIRD, parseRenewBefore } from '../scan/renew-window';
import { formatScanMarkdown, formatScanTable } from '../scan/scan-report';

export interface ScanCommandOptions {
  readonly fleet?: string;
  readonly renewBefore?: string;
  readonly json?: boolean;
  readonly markdown?: string;
  readonly concurrency?: string;
}

/** The fleet to scan: the file, or the one tenant of the CPI_* environment. */
export async function fleetFor(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Fleet> {
  return file ? loadFleet(file, env) : { tenants: [await tenantFromEnvironment(env)] };
}

export async function runScan(options: ScanCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<ScanResult> {
  const renewBefore = options.renewBefore !== undefined ? parseRenewBefore(options.renewBefore) : LAST_THIRD;
  const concurrency = options.concurrency !== undefined ? Number(options.concurrency) : undefined;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new CpiError(
      'CPI_SCAN_FLEET_INVALID',
      `--concurrency "${options.concurrency}" is not a whole number of tenants above 0`,
    );
  }
  const fleet = await fleetFor(options.fleet, env);
  return scanFleet(fleet, { renewBefore, ...(concurrency ? { concurrency } : {}) });
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description(
      'List every encryption certificate that deployed iFlows use, with its iFlows, receiver key, not-after and days left; flag those due for renewal and those expired. Exit code 0: nothing due; 2: something due or expired; 1: error (a tenant could not be scanned).',
    )
    .option(
      '--fleet <file>',
      'fleet file (JSON) listing tenants and receivers (default: the one tenant of CPI_TENANT_URL …)',
    )
    .option(
      '--renew-before <days>',
      'due this many days before expiry, e.g. 30d (default: the last third of the validity)',
    )
    .option('--json', 'print the scan as JSON instead of the table')
    .option('--markdown <file>', 'also write a Markdown report with a Mermaid gantt per tenant to this file')
    .option('--concurrency <n>', 'tenants scanned at once (each within its own rate limit)', '8')
    .action(async (options: ScanCommandOptions) => {
      const result = await runScan(options);
      if (options.markdown) writeFileSync(options.markdown, formatScanMarkdown(result));
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatScanTable(result));
      process.exitCode = scanExitCode(result);
    });
}
