// The npm package as a user gets it: `npm pack`, then the README's walkthrough (the ```ts and ```sh blocks between
// the `package-walkthrough` markers) run as written in an empty directory against the embedded tenant and receiver:
// (started as `cpi-renewal emulator --renewal-world` starts them): install the tarball with cdktf, `cdktf synth`, `cpi-renewal status`, a stage's `cdktf diff` and `cdktf deploy`.
// The only change to the README's lines: `cdktf-cpi-renewal` in the npm install line becomes the packed tarball
// (the package is not published from here). A line with a `<placeholder>` is skipped; a line whose comment says
// `fails with CODE` must fail naming CODE. Nothing of the repository is visible to the app but the cdktf CLI (which
// the README asks the user to install globally): its own HOME (Terraform's plugin mirror), a PATH of node, npm, npx,
// terraform and cdktf only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareWorld } from '../../src/demo/renewal-demo';
import { startEmulators, type RunningEmulators } from '../../src/emulator/start-emulators';
import { runCommand, type CommandRun } from '../support/command';

const ROOT = resolve(__dirname, '../..');
const MAX_TARBALL_BYTES = 2 * 1024 * 1024;
const MARKER = /<!-- package-walkthrough[^>]*-->([\s\S]*?)<!-- \/package-walkthrough -->/;

/** The walkthrough's app source and its shell lines (continuations joined), from README.md. */
function readmeWalkthrough(readme: string): { app: string; lines: string[] } {
  const section = MARKER.exec(readme)?.[1];
  assert.ok(section, 'README.md has a package-walkthrough section');
  const app = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const shell = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(app && shell, 'the walkthrough has a ts block and a sh block');
  const lines = shell
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.trim() !== '');
  return { app, lines };
}

/** What the README says a line does: its command without the comment, and the error code it must fail with. */
function expectation(line: string): { command: string; failsWith?: string } {
  const comment = line.indexOf(' #');
  const command = (comment < 0 ? line : line.slice(0, comment)).trim();
  const failsWith = /fails with ([A-Z][A-Z0-9_]+)/.exec(comment < 0 ? '' : line.slice(comment))?.[1];
  return failsWith ? { command, failsWith } : { command };
}

function tool(name: string): string {
  return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
}

describe('the npm package, installed from its tarball into an empty app', { timeout: 1_200_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-renewal-package-'));
  const home = join(dir, 'home');
  const bin = join(dir, 'bin');
  let tarball = '';
  let packedFiles: string[] = [];
  let emulators: RunningEmulators | undefined;
  let env: NodeJS.ProcessEnv = {};
  const { app, lines } = readmeWalkthrough(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const runs = new Map<string, CommandRun>();
  let appDir = '';

  before(async () => {
    assert.ok(existsSync(join(ROOT, 'lib/index.js')), 'lib/index.js is built (npm run build)');
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const [pack] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, pack!.filename);
    // npm's own list of what it put in the tarball (no `tar` needed: a fresh machine's PATH may lack it)
    packedFiles = pack!.files.map((f) => f.path);
    mkdirSync(home);
    mkdirSync(bin);
    // the user's tools; cdktf-cli is the README's global install (the repository's copy stands in for it)
    for (const name of ['node', 'npm', 'npx', 'terraform']) symlinkSync(tool(name), join(bin, name));
    symlinkSync(join(ROOT, 'node_modules/.bin/cdktf'), join(bin, 'cdktf'));
    emulators = await startEmulators({ dataDir: join(dir, 'emulator') });
    await prepareWorld(emulators); // what `cpi-renewal emulator --renewal-world` sets up, as the README says
    const { ready } = emulators;
    env = {
      HOME: home,
      PATH: `${bin}:/usr/bin:/bin`,
      LANG: 'C.UTF-8',
      CI: 'true',
      CHECKPOINT_DISABLE: '1',
      // the machine's npm cache (the packages still come from the registry the user's npm is set up for)
      npm_config_cache: execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim(),
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...(process.env.npm_config_registry ? { npm_config_registry: process.env.npm_config_registry } : {}),
      CPI_TENANT_URL: ready.tenantUrl,
      CPI_USERNAME: ready.username,
      CPI_PASSWORD: ready.password,
      CPI_RECEIVER_URL: ready.receiverUrl ?? undefined,
      CPI_RECEIVER_ADMIN_TOKEN: ready.adminToken,
    };
  });

  after(async () => {
    await emulators?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the tarball is under 2 MB and holds what a user runs: no source, source maps or test provider', () => {
    const size = statSync(tarball).size;
    assert.ok(size < MAX_TARBALL_BYTES, `tarball is ${size} bytes`);
    const stray = packedFiles.filter((f) => /\.map$|test-provider|^(src|test|constructs|scripts)\//.test(f));
    assert.deepEqual(stray, []);
    for (const needed of [
      'lib/index.js',
      'lib/constructs/index.d.ts',
      '.jsii',
      'dist/cli.js',
      'dist/provider.js',
      'dist/provider.deps.js',
      'dist/provider.lazy.js',
    ])
      assert.ok(packedFiles.includes(needed), `the tarball holds ${needed}`);
  });

  test("the README's walkthrough runs as written", async () => {
    let cwd = dir;
    for (const line of lines) {
      const { command, failsWith } = expectation(line);
      if (command === '' || /<[^>]+>/.test(command)) continue; // a comment line, or a value the user fills in
      const enter = /^mkdir (\S+) && cd \1$/.exec(command);
      const shellLine = /^npm install /.test(command)
        ? command.replace(/(^|\s)cdktf-cpi-renewal(?=\s|$)/, `$1${tarball}`)
        : command;
      const run = await runCommand('sh', ['-c', shellLine], { cwd, env, timeoutMs: 600_000 });
      runs.set(command, run);
      if (failsWith) {
        assert.notEqual(run.code, 0, `\`${command}\` must fail:\n${run.output}`);
        assert.match(run.output, new RegExp(failsWith), `\`${command}\` names ${failsWith}`);
      } else {
        assert.equal(run.code, 0, `\`${command}\` exited ${run.code}:\n${run.output}`);
      }
      if (enter) {
        cwd = join(cwd, enter[1]!);
        appDir = cwd;
        writeFileSync(join(cwd, 'main.ts'), app);
      }
    }
    assert.ok(appDir, 'the walkthrough starts in a new directory');
    assert.ok(
      lines.some((l) => /^cdktf synth/.test(l)) && lines.some((l) => /^cdktf deploy \S+/.test(l)),
      'the walkthrough synthesizes and deploys a stage',
    );
  });

  test('the deployed stage generated the new key in the receiver', async () => {
    const ready = emulators!.ready;
    const response = await fetch(`${ready.receiverUrl}/admin/keys`, {
      headers: { authorization: `Bearer ${ready.adminToken}` },
    });
    const { keys } = (await response.json()) as { keys: { name: string; state: string }[] };
    assert.deepEqual(
      keys.map((k) => `${k.name}:${k.state}`).sort(),
      ['orders-2025:active', 'orders-2026:active'],
      'overlap stage 1: old and new key decrypt',
    );
  });

  test('installs nothing for the library but its peers, and its declarations type-check the app', () => {
    assert.ok(appDir, 'the walkthrough ran');
    const lock = JSON.parse(readFileSync(join(appDir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dependencies?: object; peerDependencies?: Record<string, string> }>;
    };
    const entry = lock.packages['node_modules/cdktf-cpi-renewal'];
    assert.ok(entry, 'the library is installed');
    assert.equal(entry.dependencies, undefined, 'the library has no dependencies of its own');
    assert.deepEqual(Object.keys(entry.peerDependencies ?? {}).sort(), ['cdktf', 'constructs']);
    const nested = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/cdktf-cpi-renewal/'));
    assert.deepEqual(nested, []);
    for (const buildOnly of ['jsii', 'jsii-pacmak', 'typescript', '@grpc/grpc-js', 'fastify', 'node-forge'])
      assert.equal(lock.packages[`node_modules/${buildOnly}`], undefined, `${buildOnly} is not installed`);
    // the app's types come from the package's declarations alone (no skipLibCheck)
    const tsc = runTsc(appDir);
    assert.equal(tsc.status, 0, tsc.output);
  });
});

function runTsc(appDir: string): { status: number; output: string } {
  const args = [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    'false',
    '--target',
    'ES2022',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--typeRoots',
    join(ROOT, 'node_modules/@types'),
    '--types',
    'node',
    join(appDir, 'main.ts'),
  ];
  try {
    const output = execFileSync(process.execPath, args, { cwd: appDir, encoding: 'utf8' });
    return { status: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  }
}
