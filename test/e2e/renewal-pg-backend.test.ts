// End to end, an overlap renewal whose stages keep their state in PostgreSQL (`RenewalStateBackend.pg()`, Terraform's
// pg backend, a schema per stage), run the way a pipeline runs it with the cdktf CLI (`cdktf diff`, then
// `cdktf deploy`) against the tenant emulator and the embedded receiver while traffic flows. Asserted: each stage's
// state is in its own schema and nowhere on disk, the later stages read stage 1's outputs from its schema (cdktf's
// cross-stack references), and `cpi-renewal status` reads every stage from PostgreSQL through terraform, from the
// project and from a fresh checkout that has only the synthesized stacks, with its exit code saying what is next.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pgSchemaName } from '../../constructs/renewal-state-backend';
import { DEMO_RENEWAL_ID } from '../../src/demo/renewal-demo';
import type { RenewalStatus } from '../../src/renewal/renewal-status';
import { startTestPostgres, type TestPostgres } from '../reliability/support/pg-stage';
import { skipWithout } from '../support/reference-systems';
import { NEW_KEY, OLD_KEY, RenewalHarness, reportAndClose } from '../support/renewal-harness';
import { cdktfRunner, type StageRunner } from '../support/stage-runners';
import { assertOverlapTraffic } from './support/renewal-assertions';

const STAGES = ['prepare-receiver', 'exchange-certificate', 'retire-old-key'] as const;

describe(
  'overlap renewal with its state in PostgreSQL, through cdktf diff / cdktf deploy',
  { skip: skipWithout('postgresql'), timeout: 900_000 },
  () => {
    let pg: TestPostgres;
    let world: RenewalHarness;
    let runner: StageRunner;
    let synthesized = false;
    let newFingerprint: string;
    let oldFingerprint: string;
    // short, and of its own: schema names are <prefix><stack name>, at most 63 characters, and the CI cluster is shared
    const prefix = `e${Date.now().toString(36)}_`;
    const schemaOf = (stage: string) => pgSchemaName(prefix, world.stackName(stage));

    before(async () => {
      pg = startTestPostgres();
      world = await RenewalHarness.start({
        variant: 'overlap',
        emulatorConfig: { deployDelayMs: 300, undeployDelayMs: 300 },
        backend: { kind: 'pg', schemaPrefix: prefix },
        env: { PG_CONN_STR: pg.connStr },
      });
      oldFingerprint = (await world.snapshot()).aliasFingerprint!;
      runner = cdktfRunner(world, { skipSynth: () => synthesized });
      world.traffic.start();
    });

    after(async () => {
      await reportAndClose(world);
      if (pg) {
        const schemas = pg.sql(`SELECT nspname FROM pg_namespace WHERE nspname LIKE '${prefix}%'`);
        for (const schema of schemas.split('\n').filter(Boolean)) pg.sql(`DROP SCHEMA "${schema}" CASCADE`);
        pg.stop();
      }
    });

    /** `cpi-renewal status --init --json` as a pipeline step runs it: the exit code and the status. */
    async function status(outdir = world.outdir): Promise<{ code: number; status: RenewalStatus; output: string }> {
      const run = await world.cpiRenewal(
        ['status', '--init', '--json', '--renewal', DEMO_RENEWAL_ID, '--outdir', outdir],
        world.dir,
      );
      assert.ok(run.stdout.trim().startsWith('{'), `status printed JSON:\n${run.output}`);
      return { code: run.code, status: JSON.parse(run.stdout) as RenewalStatus, output: run.output };
    }
    const conditions = (s: RenewalStatus) => s.stages.map((stage) => `${stage.name}:${stage.condition}`);
    /** How many states the pg backend holds in a schema (0 when the schema does not exist). */
    const statesIn = (schema: string) =>
      Number(
        pg.sql(
          `SELECT CASE WHEN to_regclass('"${schema}".states') IS NULL THEN 0 ELSE (SELECT count(*) FROM "${schema}".states) END`,
        ),
      );

    test('prepare-receiver through cdktf: its state is in its own schema, not on disk', async () => {
      await runner.planAndApply('prepare-receiver');
      synthesized = true;
      newFingerprint = await world.output('prepare-receiver', 'new_fingerprint_sha256');
      assert.equal(statesIn(schemaOf('prepare-receiver')), 1, 'the stage state is in PostgreSQL');
      assert.equal(existsSync(join(world.dir, 'state')), false, 'no local state directory');
      assert.deepEqual(
        readdirSync(world.stackDir('prepare-receiver')).filter((f) => f.endsWith('.tfstate')),
        [],
        'no state file beside the stack',
      );
      // the connection string (with its password) is in the environment only, never in the synthesized stacks
      const password = decodeURIComponent(new URL(pg.connStr).password);
      assert.ok(password.length > 0, 'the test cluster has a password');
      const leaking = readdirSync(world.outdir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.json') && readFileSync(join(world.outdir, f), 'utf8').includes(password));
      assert.deepEqual(leaking, [], 'no synthesized file holds the database password');
    });

    test('status reads stage 1 from PostgreSQL: applied with its fingerprint, the exchange ready; exit 0', async () => {
      const { code, status: s, output } = await status();
      assert.equal(code, 0, output);
      assert.deepEqual(conditions(s), [
        'prepare-receiver:applied',
        'exchange-certificate:ready',
        'retire-old-key:pending',
        'cleanup:pending',
      ]);
      assert.equal(s.stages[0]!.outputs.new_fingerprint_sha256, newFingerprint);
    });

    test('exchange-certificate and retire-old-key through cdktf read stage 1 from its schema and keep their own', async () => {
      for (const stage of STAGES.slice(1)) await runner.planAndApply(stage);
      const snapshot = await world.snapshot();
      assert.equal(snapshot.aliasFingerprint, newFingerprint, 'the alias holds the new certificate');
      assert.deepEqual(
        snapshot.keys.map((k) => [k.name, k.state]),
        [
          [OLD_KEY, 'retired'],
          [NEW_KEY, 'active'],
        ],
      );
      for (const stage of STAGES) assert.equal(statesIn(schemaOf(stage)), 1, `${stage}: its state in its schema`);
      assert.equal(existsSync(join(world.dir, 'state')), false, 'still no local state');
      await world.traffic.stop();
      await assertOverlapTraffic(world, [oldFingerprint, newFingerprint]);
    });

    test('status from a fresh checkout (synthesized stacks only, no .terraform): every stage from PostgreSQL, the cleanup blocked; exit 2', async () => {
      const fresh = join(world.dir, 'fresh-checkout.out');
      const synth = await world.cdktf(['synth', '--output', fresh]);
      assert.equal(synth.code, 0, synth.output);
      assert.equal(existsSync(join(fresh, 'stacks', world.stackName('retire-old-key'), '.terraform')), false);

      const { code, status: s, output } = await status(fresh);
      assert.equal(code, 2, `exit 2: the next stage is blocked\n${output}`);
      assert.deepEqual(conditions(s), [
        'prepare-receiver:applied',
        'exchange-certificate:applied',
        'retire-old-key:applied',
        'cleanup:blocked',
      ]);
      assert.equal(s.condition, 'in-progress');
      assert.deepEqual(s.next, { index: 4, name: 'cleanup', condition: 'blocked' });
      assert.match(s.stages[3]!.summary, /^blocked until \S+ \(retention ends\)$/);
      assert.ok(s.stages[1]!.openedAt, 'the exchange gate opening, read from its state in PostgreSQL');

      const table = await world.cpiRenewal(['status', '--outdir', fresh], world.dir);
      assert.equal(table.code, 2, table.output);
      assert.match(table.stdout, /^Next: stage 4 cleanup is blocked\.$/m);
    });
  },
);
