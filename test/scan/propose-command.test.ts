// `cpi-renewal propose` against the emulators: the app it writes carries every iFlow that uses the alias, the old
// key and the variant; a second run changes nothing; and the app synthesizes with cdktf and its stage 1 plans
// against the emulated receiver, importing the construct library by its package name.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { defaultBundlePath } from '../../src/provider/install';
import { renderProposal, type ProposalFacts } from '../../src/scan/proposal';
import { startCommand, type CommandRun } from '../support/command';
import { homeWithProvider, startTerraform, userEnv } from '../support/terraform';
import { RECEIVER_ALIAS, RECEIVER_KEY, startScanWorld, type ScanWorld } from './support/scan-world';

const ROOT = join(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CDKTF = join(ROOT, 'node_modules/.bin/cdktf');

describe('cpi-renewal propose', { timeout: 600_000 }, () => {
  let world: ScanWorld;
  before(async () => {
    world = await startScanWorld();
  });
  after(() => world?.close());

  function propose(args: string[]): Promise<CommandRun> {
    return startCommand(process.execPath, ['--import', TSX, MAIN, 'propose', '--fleet', world.fleetFile, ...args], {
      cwd: world.dir,
      env: world.env,
      timeoutMs: 90_000,
    });
  }

  function snapshot(dir: string): Record<string, string> {
    return Object.fromEntries(
      readdirSync(dir).map((name) => [
        name,
        `${statSync(join(dir, name)).mtimeMs} ${readFileSync(join(dir, name), 'utf8')}`,
      ]),
    );
  }

  test(
    'writes renewals/<id>/ with every iFlow using the alias, the old key and overlap; a second run changes nothing',
    { timeout: 180_000 },
    async () => {
      const run = await propose(['--alias', RECEIVER_ALIAS, '--json']);
      assert.equal(run.code, 0, run.output);
      const result = JSON.parse(run.stdout) as { outcome: string; dir: string; record: Record<string, unknown> };
      const id = `tenant-a-orders-encryption-${new Date(Date.now() + 365 * 86_400_000).getUTCFullYear()}`;
      assert.equal(result.outcome, 'written');
      assert.equal(result.dir, join('renewals', id));
      const dir = join(world.dir, result.dir);
      assert.deepEqual(readdirSync(dir).sort(), ['README.md', 'cdktf.json', 'main.ts', 'proposal.json']);
      assert.deepEqual(result.record.iflowIds, ['OrdersToReceiver', 'ReturnsToReceiver']);
      assert.equal(result.record.oldKeyName, RECEIVER_KEY);
      assert.equal(result.record.variant, 'overlap');
      const main = readFileSync(join(dir, 'main.ts'), 'utf8');
      assert.match(main, /^import \{ EncryptionCertificateRenewal \} from 'cdktf-cpi-renewal';$/m);
      assert.match(main, /"iflowIds": \[\n\s+"OrdersToReceiver",\n\s+"ReturnsToReceiver"\n\s+\]/);
      assert.match(main, new RegExp(`"oldKeyName": "${RECEIVER_KEY}"`));
      assert.match(main, /"variant": "overlap"/);
      assert.match(main, /"receiver": \{\n\s+"kind": "embedded",\n\s+"url": "http:\/\/127\.0\.0\.1:\d+"\n\s+\}/);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      assert.match(readme, /decrypts with several keys at once/);
      assert.match(
        readme,
        new RegExp(`## 1\\. Prepare the receiver — \`${id}-1-prepare-receiver\``),
        'the runbook names the stacks',
      );

      const before = snapshot(dir);
      const again = await propose(['--alias', RECEIVER_ALIAS]);
      assert.equal(again.code, 0, again.output);
      assert.match(
        again.stdout,
        new RegExp(
          `renewal ${id} of alias "${RECEIVER_ALIAS}" .* is already proposed in renewals/${id}/; nothing changed`,
        ),
      );
      assert.deepEqual(snapshot(dir), before, 'not one file rewritten');
      assert.deepEqual(readdirSync(join(world.dir, 'renewals')), [id], 'no second renewal');
    },
  );

  test(
    'refuses an alias no deployed iFlow uses, and one whose old key no listed receiver holds',
    { timeout: 120_000 },
    async () => {
      const unused = await propose(['--alias', 'cert_unused']);
      assert.equal(unused.code, 1);
      assert.match(
        unused.stderr,
        /CPI_PROPOSE_ALIAS_UNKNOWN: .*: no deployed iFlow of tenant "tenant-a" uses alias "cert_unused"/,
      );
      const noKey = await propose(['--alias', 'cert_in_5']);
      assert.equal(noKey.code, 1);
      assert.match(
        noKey.stderr,
        /CPI_PROPOSE_TARGET_INVALID: .*: no receiver listed for tenant "tenant-a" holds the key of the certificate under alias "cert_in_5"/,
      );
      assert.ok(
        !existsSync(join(world.dir, 'renewals', 'tenant-a-cert-in-5-' + new Date().getUTCFullYear())),
        'nothing written',
      );
    },
  );

  test(
    'the app synthesizes with cdktf and its stage 1 plans against the emulated receiver',
    { timeout: 480_000 },
    async () => {
      const renewals = join(world.dir, 'renewals');
      if (!existsSync(renewals)) assert.equal((await propose(['--alias', RECEIVER_ALIAS])).code, 0);
      const [id] = readdirSync(renewals);
      const dir = join(renewals, id!);
      // The package as an app resolves it by name: this repository's package.json (main/exports → lib/, built by
      // `npm run build`), with cdktf and constructs as the app's own; packing and installing the tarball is
      // test/package's part.
      assert.ok(existsSync(join(ROOT, 'lib/index.js')), 'lib/index.js exists: run `npm run build` first');
      mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
      symlinkSync(ROOT, join(dir, 'node_modules/cdktf-cpi-renewal'));
      for (const name of ['cdktf', 'constructs', 'tsx'])
        symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
      symlinkSync(join(ROOT, 'node_modules/.bin/tsx'), join(dir, 'node_modules/.bin/tsx'));
      // the provider as `cpi-renewal provider install` puts it: Terraform's implied local mirror in the user's home
      const home = join(world.dir, 'home');
      homeWithProvider(home, defaultBundlePath(), PROVIDER_VERSION);
      const env: NodeJS.ProcessEnv = {
        ...userEnv(home, { ...process.env, ...world.env }),
        CI: 'true',
        CHECKPOINT_DISABLE: '1',
        CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
        CDKTF_HOME: join(world.dir, '.cdktf-home'),
        CPI_TENANT_URL: world.env.TENANT_A_CPI_TENANT_URL,
        CPI_USERNAME: world.env.TENANT_A_CPI_USERNAME,
        CPI_PASSWORD: world.env.TENANT_A_CPI_PASSWORD,
      };
      const synth = await startCommand(CDKTF, ['synth'], { cwd: dir, env, timeoutMs: 240_000 });
      assert.equal(synth.code, 0, synth.output);
      const stack = `${id}-1-prepare-receiver`;
      const stackDir = join(dir, 'cdktf.out/stacks', stack);
      assert.ok(existsSync(join(stackDir, 'cdk.tf.json')), `${stack} synthesized`);
      const synthesized = readFileSync(join(dir, 'cdktf.out', `renewal-${id}.json`), 'utf8');
      assert.match(synthesized, /"OrdersToReceiver"/);
      assert.match(synthesized, /"ReturnsToReceiver"/);
      const init = await startTerraform(['init', '-input=false'], { cwd: stackDir, env });
      assert.equal(init.code, 0, init.output);
      const plan = await startTerraform(['plan', '-input=false', '-detailed-exitcode'], { cwd: stackDir, env });
      assert.equal(plan.code, 2, `stage 1 plans changes:\n${plan.output}`);
      assert.match(plan.output, /cpi_receiver_key\.[\w-]+ will be created/);
      assert.match(plan.output, new RegExp(`orders-encryption-\\d{4}`), 'the new key');
    },
  );
});

describe('renderProposal', { timeout: 10_000 }, () => {
  const facts = (singleKey: boolean): ProposalFacts => ({
    tenant: {
      name: 'prod',
      connection: { tenantUrl: 'https://t.example', auth: { kind: 'basic', username: 'u', password: 'p' } },
      receivers: [],
    },
    alias: 'billing_enc',
    subject: 'CN=billing',
    fingerprintSha256: 'AA:BB',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    iflowIds: ['Billing'],
    receiver: {
      name: 'billing',
      settings: { kind: 'pkcs12', keystorePath: '/a', archivePath: '/b', password: 'x' },
      block: { kind: 'pkcs12', keystore_path: '/a', archive_path: '/b', password_env: 'CPI_RECEIVER_BILLING' },
      singleKey,
    },
    oldKeyName: 'billing-2026',
  });

  test('a receiver that decrypts with one key gets single-key, and only with an agreed window', () => {
    assert.throws(
      () => renderProposal(facts(true)),
      /CPI_PROPOSE_TARGET_INVALID: .*--downtime-start and --downtime-end/,
    );
    const proposal = renderProposal(facts(true), { start: '2026-12-20T22:00:00Z', end: '2026-12-20T23:00:00Z' });
    assert.equal(proposal.record.variant, 'single-key');
    assert.match(proposal.files['main.ts']!, /"downtimeWindow": \{\n\s+"start": "2026-12-20T22:00:00Z"/);
    assert.match(proposal.files['main.ts']!, /"passwordEnv": "CPI_RECEIVER_BILLING"/);
    assert.doesNotMatch(proposal.files['main.ts']!, /"password"/, 'no secret in the app');
    assert.equal(renderProposal(facts(false)).record.variant, 'overlap');
  });

  test('same facts, same files', () => {
    assert.deepEqual(renderProposal(facts(false)), renderProposal(facts(false)));
  });
});
