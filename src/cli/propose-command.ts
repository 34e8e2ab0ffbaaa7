// `cpi-renewal propose`: writes a renewal app for one alias into renewals/<id>/, ready to commit and review. The
// reading and writing is src/scan/proposal.ts; this file picks the tenant and prints what happened.
import { relative } from 'node:path';
import type { Command } from 'commander';
import { CpiError } from '../errors';
import { discoverProposal, renderProposal, writeProposal, type ProposalOutcome } from '../scan/proposal';
import { fleetFor } from './scan-command';

export interface ProposeCommandOptions {
  readonly alias: string;
  readonly tenant?: string;
  readonly fleet?: string;
  readonly receiver?: string;
  readonly dir: string;
  readonly downtimeStart?: string;
  readonly downtimeEnd?: string;
}

export async function runPropose(
  options: ProposeCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProposalOutcome> {
  const fleet = await fleetFor(options.fleet, env);
  const tenant =
    options.tenant !== undefined
      ? fleet.tenants.find((t) => t.name === options.tenant)
      : fleet.tenants.length === 1
        ? fleet.tenants[0]
        : undefined;
  if (!tenant) {
    throw new CpiError(
      'CPI_PROPOSE_TARGET_INVALID',
      options.tenant !== undefined
        ? `--tenant "${options.tenant}" is not in the fleet file (tenants: ${fleet.tenants.map((t) => t.name).join(', ')})`
        : `the fleet file lists ${fleet.tenants.length} tenants; name one with --tenant (${fleet.tenants.map((t) => t.name).join(', ')})`,
    );
  }
  if ((options.downtimeStart === undefined) !== (options.downtimeEnd === undefined)) {
    throw new CpiError('CPI_PROPOSE_TARGET_INVALID', 'give both --downtime-start and --downtime-end, or neither');
  }
  const facts = await discoverProposal(tenant, options.alias, {
    ...(options.receiver !== undefined ? { receiver: options.receiver } : {}),
  });
  const window =
    options.downtimeStart !== undefined ? { start: options.downtimeStart, end: options.downtimeEnd! } : undefined;
  return writeProposal(options.dir, renderProposal(facts, window));
}

export function registerProposeCommand(program: Command): void {
  program
    .command('propose')
    .description(
      'Write a renewal app for the certificate under an alias into <dir>/<renewal id>/ (main.ts using the cdktf-cpi-renewal package, cdktf.json, README with the runbook), with every deployed iFlow that uses the alias, the old key and the variant the receiver supports. A renewal already proposed for the same certificate is reported, not written again.',
    )
    .requiredOption('--alias <alias>', 'the tenant keystore alias whose certificate to renew')
    .option('--tenant <name>', 'the tenant of the fleet file (needed when it lists several)')
    .option('--fleet <file>', 'fleet file (JSON) listing tenants and receivers (docs/scan.md)')
    .option('--receiver <name>', "the tenant's receiver that holds the old key (default: the one that does)")
    .option('--dir <dir>', 'where renewals live', 'renewals')
    .option('--downtime-start <time>', 'single-key only: start of the agreed downtime window (RFC 3339)')
    .option('--downtime-end <time>', 'single-key only: end of the agreed downtime window (RFC 3339)')
    .option('--json', 'print {outcome, dir, record} as JSON')
    .action(async (options: ProposeCommandOptions & { json?: boolean }) => {
      const result = await runPropose(options);
      const dir = relative(process.cwd(), result.dir) || '.';
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ...result, dir }, null, 2)}\n`);
        return;
      }
      const { record } = result;
      process.stdout.write(
        result.outcome === 'written'
          ? `wrote ${dir}/ (main.ts, cdktf.json, README.md, proposal.json): ${record.variant} renewal of alias "${record.alias}" on tenant "${record.tenant}", iFlows ${record.iflowIds.join(', ')}, old key ${record.oldKeyName}\n`
          : `renewal ${record.renewalId} of alias "${record.alias}" on tenant "${record.tenant}" is already proposed in ${dir}/; nothing changed\n`,
      );
    });
}
