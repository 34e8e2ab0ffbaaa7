// Pipelines that share one stage's state in PostgreSQL (Terraform's `pg` backend), as two CI jobs of one
// repository do: each a separate checkout of examples/pg-backend with its own `terraform init`, both pointing at
// the same database and schema. Also what the tests need to look inside: the stored state and the lock holder.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TenantEmulator } from '../../../src/emulator/tenant-emulator';
import { PROVIDER_VERSION } from '../../../src/provider/cpi-provider';
import { createWorkdir, type TerraformWorkdir } from '../../support/terraform';

const ROOT = resolve(import.meta.dirname, '../../..');
const BUNDLE = join(ROOT, 'dist/provider.js');
const EXAMPLE = join(ROOT, 'examples/pg-backend/main.tf');
const START_SCRIPT = join(ROOT, 'scripts/start-postgres.sh');
const STOP_SCRIPT = join(ROOT, 'scripts/stop-postgres.sh');

/** The database the pipelines keep their state in. */
export interface TestPostgres {
  readonly connStr: string;
  /** Runs one statement with psql and returns its rows, one per line, columns separated by `|`. */
  sql(statement: string): string;
  /** Stops the cluster when this process started it; a cluster from CPI_TEST_PG_CONN_STR is left alone. */
  stop(): void;
}

/**
 * The PostgreSQL named by CPI_TEST_PG_CONN_STR (what .ci/run starts), or else a throwaway cluster started with
 * scripts/start-postgres.sh, so the tests also run on a developer machine. Throws, so that the tests fail rather
 * than skip, when neither is possible.
 */
export function startTestPostgres(): TestPostgres {
  let connStr = process.env.CPI_TEST_PG_CONN_STR;
  let ownDir: string | undefined;
  if (!connStr) {
    ownDir = mkdtempSync(join(tmpdir(), 'cpi-test-pg-'));
    try {
      const line = execFileSync(START_SCRIPT, [ownDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      connStr = /^PG_CONN_STR=(.+)$/m.exec(line)?.[1];
      if (!connStr) throw new Error(`no PG_CONN_STR line in its output: ${line}`);
    } catch (error) {
      rmSync(ownDir, { recursive: true, force: true });
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(
        'CPI_TEST_PG_CONN_STR is not set and scripts/start-postgres.sh could not start a throwaway cluster: ' +
          `${stderr || (error as Error).message}\nSet CPI_TEST_PG_CONN_STR=postgres://user:pass@host:port/db?sslmode=disable, ` +
          'or install PostgreSQL (Debian: postgresql-15 postgresql-client-15, as .ci/run does).',
        { cause: error },
      );
    }
  }
  const conn = connStr;
  return {
    connStr: conn,
    sql: (statement) =>
      execFileSync('psql', [conn, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', statement], {
        encoding: 'utf8',
        env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
      }).trim(),
    stop: () => {
      if (ownDir) execFileSync(STOP_SCRIPT, [ownDir]);
    },
  };
}

/** A schema name of its own per test, so that tests sharing the CI cluster never share a state or a lock. */
export function uniqueSchema(label: string): string {
  return `cpi_${label}_${process.pid}_${Date.now().toString(36)}`;
}

/** One pipeline's checkout of examples/pg-backend, initialised against the shared backend. */
export interface Pipeline {
  readonly tf: TerraformWorkdir;
  /** Writes the certificate file the stage reads (what a reviewed commit changes). */
  useCertificate(pem: string): void;
  /** Starts `terraform <args>` in its own process group, so that the test can kill or freeze it with the provider. */
  spawn(args: string[]): BackgroundRun;
}

export interface BackgroundRun {
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal to terraform and every process it started (its providers). */
  signal(signal: NodeJS.Signals): void;
  readonly exited: Promise<void>;
}

export async function createPipeline(options: {
  emulator: TenantEmulator;
  connStr: string;
  schema: string;
  name: string;
}): Promise<Pipeline> {
  const tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION, prefix: `cpi-tf-${options.name}-` });
  copyFileSync(EXAMPLE, join(tf.dir, 'main.tf'));
  Object.assign(tf.env, {
    CPI_TENANT_URL: options.emulator.url,
    CPI_USERNAME: options.emulator.credentials.username,
    CPI_PASSWORD: options.emulator.credentials.password,
    PG_CONN_STR: options.connStr,
    PG_SCHEMA_NAME: options.schema,
  });
  try {
    await tf.ok(['init']);
  } catch (error) {
    tf.remove();
    throw error;
  }
  return {
    tf,
    useCertificate: (pem) => writeFileSync(join(tf.dir, 'orders-receiver-2026.pem'), pem),
    spawn(args) {
      const run = tf.start(args);
      return { child: run.child, output: run.output, signal: run.signal, exited: run.then(() => undefined) };
    },
  };
}

/** Requests that change the tenant (keystore writes, deploys, undeploys), from the emulator's request log. */
export function tenantWrites(log: readonly string[]): string[] {
  return log.filter((line) => /^(PUT|POST|DELETE|PATCH) \/api\/v1\//.test(line));
}

/** Each resource instance in the state stored under `schema`, as `type.name`, once per instance. */
export function storedResources(pg: TestPostgres, schema: string): string[] {
  return storedState(pg, schema).resources.flatMap((r) => r.instances.map(() => `${r.type}.${r.name}`));
}

export interface StoredState {
  readonly serial: number;
  readonly resources: { type: string; name: string; instances: { attributes: Record<string, unknown> }[] }[];
}

/** The state document Terraform keeps in `<schema>.states` for the default workspace. */
export function storedState(pg: TestPostgres, schema: string): StoredState {
  return JSON.parse(pg.sql(`SELECT data FROM "${schema}".states WHERE name = 'default'`)) as StoredState;
}

/**
 * Server process IDs of the sessions holding the state lock: the pg backend takes a session-level advisory lock
 * keyed by the state row's id (a bigint key: classid = high 32 bits, objid = low 32 bits, objsubid = 1).
 */
export function lockHolders(pg: TestPostgres, schema: string): number[] {
  const rows = pg.sql(
    `SELECT l.pid FROM pg_locks l JOIN "${schema}".states s ON l.locktype = 'advisory' AND l.objsubid = 1 ` +
      `AND l.classid = (s.id >> 32)::oid AND l.objid = (s.id & 4294967295)::oid ` +
      `WHERE s.name = 'default' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows === '' ? [] : rows.split('\n').map(Number);
}

/** Polls `check` every 50 ms until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
