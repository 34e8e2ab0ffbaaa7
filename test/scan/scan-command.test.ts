// `cpi-renewal scan` against the emulators: certificates seeded at 5, 40 and 400 days and one expired, each used by
// a deployed iFlow. The command is run as a user runs it (its own process, credentials in the environment).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startCommand, type CommandRun } from '../support/command';
import { mermaidBlocks, parseGantt } from './support/mermaid-gantt';
import { RECEIVER_ALIAS, RECEIVER_KEY, startScanWorld, type ScanWorld } from './support/scan-world';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
/** tsx by path: the command runs in the world's directory, outside this repository. */
const TSX = pathToFileURL(join(import.meta.dirname, '../../node_modules/tsx/dist/loader.mjs')).href;

interface ScanJson {
  renewBefore: string;
  tenants: Array<{
    tenant: string;
    error: { code: string; message: string } | null;
    certificates: Array<{
      alias: string;
      status: string;
      daysLeft: number;
      iflows: Array<{ iflowId: string; source: string }>;
      receiverKey: { receiver: string; key: string; state: string } | null;
    }>;
  }>;
  summary: { certificates: number; due: number; expired: number; failedTenants: number };
}

describe('cpi-renewal scan', { timeout: 240_000 }, () => {
  let world: ScanWorld;
  before(async () => {
    world = await startScanWorld();
  });
  after(() => world?.close());

  function scan(args: string[], env: NodeJS.ProcessEnv = world.env): Promise<CommandRun> {
    return startCommand(process.execPath, ['--import', TSX, MAIN, 'scan', ...args], {
      cwd: world.dir,
      env,
      timeoutMs: 90_000,
    });
  }

  function statuses(json: ScanJson): Record<string, string> {
    return Object.fromEntries(json.tenants.flatMap((t) => t.certificates.map((c) => [c.alias, c.status])));
  }

  test(
    '--renew-before 30d flags exactly the 5-day and the expired certificate, exit code 2',
    { timeout: 120_000 },
    async () => {
      const run = await scan(['--fleet', world.fleetFile, '--renew-before', '30d', '--json']);
      assert.equal(run.code, 2, run.output);
      const json = JSON.parse(run.stdout) as ScanJson;
      assert.equal(json.renewBefore, '30d');
      assert.deepEqual(statuses(json), {
        cert_expired: 'expired',
        cert_in_5: 'due',
        cert_in_40: 'ok',
        [RECEIVER_ALIAS]: 'ok',
        cert_in_400: 'ok',
      });
      assert.deepEqual(json.summary, { certificates: 5, due: 1, expired: 1, failedTenants: 0 });
      const certificates = json.tenants[0]!.certificates;
      // soonest first; the unused certificate (its iFlow is not deployed) is not listed
      assert.deepEqual(
        certificates.map((c) => c.alias),
        ['cert_expired', 'cert_in_5', 'cert_in_40', RECEIVER_ALIAS, 'cert_in_400'],
      );
      const byAlias = new Map(certificates.map((c) => [c.alias, c]));
      assert.equal(byAlias.get('cert_in_5')!.daysLeft, 5, 'days left, to the nearest day');
      assert.equal(byAlias.get('cert_expired')!.daysLeft, -2);
      assert.deepEqual(
        byAlias.get('cert_in_40')!.iflows.map((i) => [i.iflowId, i.source]),
        [
          ['Invoices40', 'configuration'],
          ['Orders40', 'bundle'],
        ],
        'both iFlows, also the one with the alias typed into its channel',
      );
      assert.deepEqual(byAlias.get(RECEIVER_ALIAS)!.receiverKey, {
        receiver: 'orders',
        key: RECEIVER_KEY,
        state: 'active',
        singleKey: false,
      });
      assert.equal(byAlias.get('cert_in_5')!.receiverKey, null, 'no receiver holds a key for a seeded certificate');
    },
  );

  test(
    'by default the last third of the validity: the 40-day certificate of 730 days is due too',
    { timeout: 120_000 },
    async () => {
      const markdownFile = join(world.dir, 'report.md');
      const run = await scan(['--fleet', world.fleetFile, '--markdown', markdownFile]);
      assert.equal(run.code, 2, run.output);
      const rows = run.stdout.split('\n');
      assert.match(rows[0]!, /^TENANT\s+ALIAS\s+STATUS\s+DAYS LEFT\s+NOT AFTER\s+IFLOWS\s+RECEIVER KEY$/);
      const statusOf = (alias: string): string | undefined =>
        rows.find((r) => r.split(/\s+/)[1] === alias)?.split(/\s+/)[2];
      assert.deepEqual(['cert_expired', 'cert_in_5', 'cert_in_40', RECEIVER_ALIAS, 'cert_in_400'].map(statusOf), [
        'EXPIRED',
        'DUE',
        'DUE',
        'ok',
        'ok',
      ]);
      assert.match(
        run.stdout,
        /5 certificate\(s\) in use, 2 due, 1 expired \(renew before: last third of the validity\)/,
      );

      const markdown = readFileSync(markdownFile, 'utf8');
      const blocks = mermaidBlocks(markdown);
      assert.equal(blocks.length, 1, 'one gantt per tenant');
      const tasks = await parseGantt(blocks[0]!);
      const sections = [...new Set(tasks.map((t) => t.section))];
      assert.deepEqual(sections, ['cert_expired', 'cert_in_5', 'cert_in_40', RECEIVER_ALIAS, 'cert_in_400']);
      const expiry = (alias: string) => tasks.find((t) => t.section === alias && t.milestone)!;
      assert.equal(expiry('cert_in_5').crit, true, 'a due certificate is drawn critical');
      assert.equal(expiry('cert_in_400').crit, false);
      assert.equal(expiry('cert_expired').task, 'expired');
      const notAfter400 = Date.now() + 400 * 86_400_000;
      assert.ok(
        Math.abs(expiry('cert_in_400').start.getTime() - notAfter400) < 2 * 86_400_000,
        'the milestone sits at the not-after',
      );
      assert.match(markdown, /\| cert_in_40 \| DUE \| 40 \| \d{4}-\d\d-\d\d \| Invoices40, Orders40 \| - \|/);
    },
  );

  test(
    'exit code 0 when nothing is due (0d flags only expired ones; a tenant without them)',
    { timeout: 120_000 },
    async () => {
      // only the 400-day certificate's tenant view: a renew-before of 0d and an "expired" one still present → 2
      const still = await scan(['--fleet', world.fleetFile, '--renew-before', '0d', '--json']);
      assert.equal(still.code, 2, still.output);
      assert.deepEqual((JSON.parse(still.stdout) as ScanJson).summary, {
        certificates: 5,
        due: 0,
        expired: 1,
        failedTenants: 0,
      });
      // undeploy the iFlow of the expired certificate, and nothing is due within 3 days
      const tenant = (await import('../../src/tenant/tenant-client')).TenantClient;
      const { ready } = world.emulators;
      const client = new tenant({
        tenantUrl: ready.tenantUrl,
        auth: { kind: 'basic', username: ready.username, password: ready.password },
      });
      await client.undeployIntegrationFlow('OrdersExpired');
      for (let i = 0; i < 50 && (await client.getRuntimeArtifact('OrdersExpired')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const clear = await scan(['--fleet', world.fleetFile, '--renew-before', '3d', '--json']);
      assert.equal(clear.code, 0, clear.output);
      const json = JSON.parse(clear.stdout) as ScanJson;
      assert.equal(statuses(json).cert_expired, undefined, 'no deployed iFlow uses the expired certificate any more');
      assert.deepEqual(json.summary, { certificates: 4, due: 0, expired: 0, failedTenants: 0 });
    },
  );

  test(
    'exit code 1 for errors: a bad window, a bad fleet file, an unreachable tenant (reported, others still scanned)',
    { timeout: 120_000 },
    async () => {
      const window = await scan(['--fleet', world.fleetFile, '--renew-before', '30 days']);
      assert.equal(window.code, 1);
      assert.match(window.stderr, /CPI_SCAN_RENEW_BEFORE_INVALID: .*"30 days" is not a number of days like "30d"/);

      const badFleet = join(world.dir, 'bad-fleet.json');
      writeFileSync(badFleet, JSON.stringify({ tenants: [{ name: 'x', env_prefix: 'NOPE_' }] }));
      const noTenant = await scan(['--fleet', badFleet]);
      assert.equal(noTenant.code, 1);
      assert.match(
        noTenant.stderr,
        /CPI_SCAN_FLEET_INVALID: .*\/tenants\/0 \(x\): no tenant URL: .*NOPE_CPI_TENANT_URL/,
      );
      assert.equal(noTenant.stdout, '', 'nothing scanned');

      const twoTenants = join(world.dir, 'two-tenants.json');
      const fleet = JSON.parse(readFileSync(world.fleetFile, 'utf8'));
      fleet.tenants.push({ name: 'gone', tenant_url: 'http://127.0.0.1:9', env_prefix: 'TENANT_A_' });
      writeFileSync(twoTenants, JSON.stringify(fleet));
      const partly = await scan(['--fleet', twoTenants, '--json'], { ...world.env, CPI_REQUEST_TIMEOUT_SECONDS: '2' });
      assert.equal(partly.code, 1, partly.output);
      const json = JSON.parse(partly.stdout) as ScanJson;
      assert.equal(json.tenants[0]!.error, null);
      assert.ok(json.tenants[0]!.certificates.length > 0, 'the reachable tenant is scanned');
      assert.equal(json.tenants[1]!.tenant, 'gone');
      assert.match(json.tenants[1]!.error!.message, /tenant "gone"/);
      assert.equal(json.summary.failedTenants, 1);
    },
  );
});
