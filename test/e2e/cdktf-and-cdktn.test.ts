// One build of the library, two frameworks: the same app (the harness's renewal, bundled with the construct library
// and its generated bindings, 'cdktf' and 'constructs' left to the app's node_modules as a package would) is
// synthesized, diffed and deployed by cdktf 0.21's CLI on this Node, and by cdktn 0.24's CLI on Node 22 from the
// npm registry with the package name `cdktf` mapped to cdktn (docs/cdktf-and-cdktn.md).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { runCommand, type CommandRun } from '../support/command';
import { RenewalHarness } from '../support/renewal-harness';
import { DEMO_WORLD } from '../../src/demo/renewal-demo';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/cdktn-app');

/** node_modules with cdktn as `cdktf`, cdktn's CLI and Node 22, installed from the npm registry once per spec. */
async function cdktnToolchain(): Promise<string> {
  const spec = readFileSync(join(FIXTURE, 'package.json'));
  const dir = join(tmpdir(), `cpi-renewal-cdktn-${createHash('sha256').update(spec).digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, 'ready'))) return dir;
  const staging = mkdtempSync(`${dir}-`);
  cpSync(join(FIXTURE, 'package.json'), join(staging, 'package.json'));
  const run = await runCommand('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: staging,
    timeoutMs: 420_000,
  });
  assert.equal(run.code, 0, `npm install of the cdktn app's dependencies:\n${run.output}`);
  writeFileSync(join(staging, 'ready'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

interface Framework {
  readonly name: string;
  /** The node_modules the app resolves 'cdktf' and 'constructs' from. */
  readonly nodeModules: string;
  /** The CLI: the node that runs it, its entry script. */
  readonly node: string;
  readonly cli: string;
  readonly version: string;
}

const cdktf: Framework = {
  name: 'cdktf 0.21',
  nodeModules: join(ROOT, 'node_modules'),
  node: process.execPath,
  cli: join(ROOT, 'node_modules/cdktf-cli/bundle/bin/cdktf'),
  version: '0.21.0',
};

async function cdktn(): Promise<Framework> {
  const toolchain = await cdktnToolchain();
  return {
    name: 'cdktn 0.24',
    nodeModules: join(toolchain, 'node_modules'),
    node: join(toolchain, 'node_modules/node/bin/node'),
    cli: join(toolchain, 'node_modules/cdktn-cli/bin/cdktn'),
    version: '0.24.0',
  };
}

/** The harness's renewal app as one file: library, bindings and app, with cdktf/constructs left to node_modules. */
async function writeApp(dir: string, framework: Framework): Promise<void> {
  await build({
    stdin: {
      contents: [
        "import { SETTINGS_ENV, synthesizeRenewal } from './test/support/renewal-app';",
        'synthesizeRenewal(JSON.parse(process.env[SETTINGS_ENV] ?? "{}"));',
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['cdktf', 'constructs'],
    outfile: join(dir, 'app.js'),
    logLevel: 'warning',
  });
  symlinkSync(framework.nodeModules, join(dir, 'node_modules'));
  const config = JSON.parse(readFileSync(join(dir, 'cdktf.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ ...config, app: 'node app.js' }));
}

describe('the library on cdktf 0.21 and on cdktn 0.24', { timeout: 1_500_000 }, () => {
  const harnesses: RenewalHarness[] = [];
  after(async () => {
    for (const harness of harnesses) await harness.close();
  });

  const frameworks: [string, () => Promise<Framework>][] = [
    [cdktf.name, () => Promise.resolve(cdktf)],
    ['cdktn 0.24', cdktn],
  ];
  for (const [name, framework] of frameworks) {
    test(`${name}: synth (JSON and HCL), diff and deploy the first stage against the emulators`, async (t) => {
      const fw = await framework();
      t.diagnostic(`${fw.name}: ${fw.cli} on ${fw.node}`);
      const harness = await RenewalHarness.start({ variant: 'overlap' });
      harnesses.push(harness);
      await writeApp(harness.dir, fw);
      // The app command `node` and the CLI run on the framework's Node (cdktn's CLI needs Node >= 22.19).
      const env = { ...harness.env, PATH: `${dirname(fw.node)}:${process.env.PATH ?? ''}` };
      const cli = (args: string[]): Promise<CommandRun> =>
        runCommand(fw.node, [fw.cli, ...args], { cwd: harness.dir, env, timeoutMs: 600_000 });
      const stack = harness.stackName('prepare-receiver');

      const version = await cli(['--version']);
      assert.equal(version.stdout.trim(), fw.version, version.output);

      const synth = await cli(['synth']);
      assert.equal(synth.code, 0, synth.output);
      const manifest = JSON.parse(readFileSync(join(harness.outdir, 'manifest.json'), 'utf8')) as {
        version: string;
        stacks: Record<string, unknown>;
      };
      assert.equal(manifest.version, fw.version, 'the app ran on the framework the CLI belongs to');
      assert.ok(stack in manifest.stacks, `${stack} in ${Object.keys(manifest.stacks).join(', ')}`);

      const hclOut = join(harness.dir, 'hcl.out');
      const hcl = await cli(['synth', '--hcl', '--output', hclOut]);
      assert.equal(hcl.code, 0, hcl.output);
      const tf = readFileSync(join(hclOut, 'stacks', stack, 'cdk.tf'), 'utf8');
      assert.match(tf, new RegExp(`key_name\\s*= "${DEMO_WORLD.newKeyName}"`), tf);
      assert.match(tf, /receiver \{\s*kind\s*= "embedded"/, tf);

      const diff = await cli(['diff', stack]);
      assert.equal(diff.code, 0, diff.output);
      assert.match(diff.output, /cpi_receiver_key\.new-key\S*( \([^)]*\))? will be created/, diff.output);
      assert.match(diff.output, new RegExp(`key_name\\s*= "${DEMO_WORLD.newKeyName}"`), diff.output);

      const deploy = await cli(['deploy', stack, '--auto-approve']);
      assert.equal(deploy.code, 0, deploy.output);
      const keys = (await harness.snapshot()).keys.map((k) => k.name).sort();
      assert.deepEqual(keys, [DEMO_WORLD.newKeyName, DEMO_WORLD.oldKeyName].sort(), 'the receiver holds the new key');
      assert.ok(readdirSync(join(harness.dir, 'state')).length > 0, 'state written by the deploy');
    });
  }
});
