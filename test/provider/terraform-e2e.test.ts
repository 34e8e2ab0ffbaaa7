// The plugin runtime driven by the real terraform binary, with the test-only provider (dist/test-provider.js):
// init offline, plan, apply, a no-op re-plan, update, replace, drift, import, diagnostics, write-only values
// kept out of state, destroy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { installProvider, impliedMirrorDir } from '../../src/provider/install';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/test-provider.js');

function config(store: string, item: Record<string, unknown>, extra: object = {}) {
  return {
    terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: '0.0.1' } } },
    provider: { cpi: { store_dir: store } },
    resource: { cpi_test_item: { a: { name: 'a', ...item } } },
    output: { revision: { value: '${cpi_test_item.a.revision}' }, big: { value: '${cpi_test_item.a.big}' } },
    ...extra,
  };
}

describe('provider runtime through terraform', () => {
  let tf: TerraformWorkdir;
  let store: string;
  const stored = () => JSON.parse(readFileSync(join(store, 'a.json'), 'utf8')) as Record<string, unknown>;

  before(() => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build`);
    tf = createWorkdir({ bundle: BUNDLE, version: '0.0.1' });
    store = join(tf.dir, 'store');
  });
  after(() => tf?.remove());

  test('init installs the provider from the filesystem mirror with no network', async () => {
    tf.writeConfig(config(store, { content: 'one' }));
    const init = await tf.ok(['init']);
    assert.match(init.stdout, /Installed cpi-renewal\/cpi v0\.0\.1 \(unauthenticated\)/);
  });

  test('a command asks one launch for the schema and the later launches reuse it', async () => {
    const plan = await tf.run(['plan', '-no-color'], { TF_LOG: 'trace' });
    assert.equal(plan.code, 0, plan.stderr);
    const log = plan.stdout + plan.stderr;
    assert.ok((log.match(/starting plugin: path=/g) ?? []).length >= 2, 'a plan launches the provider more than once');
    assert.match(log, /GRPCProvider\.v6: returning cached schema/);
  });

  test('apply creates the object with defaults, unknowns resolved, and values of every type', async () => {
    tf.writeConfig(
      config(store, {
        content: 'one',
        big: '123456789012345678901234567890.5',
        enabled: true,
        tags: ['x', 'y'],
        labels: { team: 'integration' },
        secret: 'p4ssw0rd-never-in-state',
        rule: [{ port: 443, note: 'tls' }, { port: 80 }],
      }),
    );
    const apply = await tf.ok(['apply', '-auto-approve']);
    assert.match(apply.stdout, /1 added, 0 changed, 0 destroyed/);
    const item = stored();
    assert.equal(item.size, 1, 'the default applies');
    assert.equal(item.secret_length, 23, 'the write-only value reached the provider');
    assert.equal(String(item.big), '123456789012345678901234567890.5', 'numbers beyond float64 keep every digit');
    assert.deepEqual(item.tags, ['x', 'y']);
    assert.deepEqual(item.rule, [
      { port: 443, note: 'tls' },
      { port: 80, note: null },
    ]);
    const output = await tf.ok(['output', '-json']);
    assert.equal(JSON.parse(output.stdout).revision.value, 1);
  });

  test('a second plan is a no-op', async () => {
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('write-only and sensitive values never reach the state or the plan', async () => {
    const state = readFileSync(join(tf.dir, 'terraform.tfstate'), 'utf8');
    assert.doesNotMatch(state, /p4ssw0rd-never-in-state/);
    const show = await tf.ok(['show', '-json']);
    assert.doesNotMatch(show.stdout, /p4ssw0rd-never-in-state/);
  });

  test('a changed attribute is updated in place', async () => {
    tf.writeConfig(config(store, { content: 'two', rule: [{ port: 80 }] }));
    const apply = await tf.ok(['apply', '-auto-approve']);
    assert.match(apply.stdout, /0 added, 1 changed, 0 destroyed/);
    assert.equal(stored().content, 'two');
    assert.equal(stored().revision, 2);
  });

  test('an object changed out of band shows as drift and is put back', async () => {
    const item = stored();
    writeFileSync(join(store, 'a.json'), JSON.stringify({ ...item, content: 'tampered' }));
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 2);
    assert.match(plan.stdout, /~ content\s+= "tampered" -> "two"/);
    await tf.ok(['apply', '-auto-approve']);
    assert.equal(stored().content, 'two');
  });

  test('an object deleted out of band is planned for creation again', async () => {
    rmSync(join(store, 'a.json'));
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 2);
    assert.match(plan.stdout, /has been deleted/);
    assert.match(plan.stdout, /1 to add, 0 to change, 0 to destroy/);
    await tf.ok(['apply', '-auto-approve']);
  });

  test('import adopts an existing object, after which plan is a no-op', async () => {
    await tf.ok(['state', 'rm', 'cpi_test_item.a']);
    await tf.ok(['import', 'cpi_test_item.a', 'a']);
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });

  test('import of an object that does not exist fails with its error code', async () => {
    await tf.ok(['state', 'rm', 'cpi_test_item.a']);
    const result = await tf.run(['import', '-no-color', 'cpi_test_item.a', 'nope']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /CPI_TEST_OBJECT_NOT_FOUND/);
    await tf.ok(['import', 'cpi_test_item.a', 'a']);
  });

  test('a changed requiresReplace attribute replaces the object', async () => {
    const cfg = config(store, { content: 'two', rule: [{ port: 80 }] });
    (cfg.resource.cpi_test_item.a as Record<string, unknown>).name = 'b';
    tf.writeConfig(cfg);
    const apply = await tf.ok(['apply', '-auto-approve']);
    assert.match(apply.stdout, /must be replaced/);
    assert.match(apply.stdout, /1 added, 0 changed, 1 destroyed/);
    assert.ok(existsSync(join(store, 'b.json')), "existsSync(join(store, 'b.json'))");
    assert.ok(!existsSync(join(store, 'a.json')), "!existsSync(join(store, 'a.json'))");
  });

  test('a validation error is a diagnostic with its code, pointing at the attribute', async () => {
    tf.writeConfig(config(store, { name: 'b', content: 'invalid' }));
    const plan = await tf.run(['plan', '-no-color']);
    assert.equal(plan.code, 1);
    assert.match(plan.stderr, /CPI_VALUE_INVALID/);
    assert.match(plan.stderr, /content must not be "invalid"/);
    assert.match(plan.stderr, /with cpi_test_item\.a,/);
    assert.match(plan.stderr, /main\.tf\.json line \d+/);
  });

  test('a data source reads live values', async () => {
    tf.writeConfig(
      config(
        store,
        { name: 'b', content: 'two' },
        {
          data: { cpi_test_items: { all: { prefix: '' } } },
          output: { names: { value: '${data.cpi_test_items.all.names}' } },
        },
      ),
    );
    await tf.ok(['apply', '-auto-approve']);
    const output = JSON.parse((await tf.ok(['output', '-json'])).stdout);
    assert.deepEqual(output.names.value, ['b']);
  });

  test('re-installing the provider, even a rebuilt bundle, keeps the lock file valid', async () => {
    const lock = readFileSync(join(tf.dir, '.terraform.lock.hcl'), 'utf8');
    const rebuilt = join(tf.dir, 'rebuilt-provider.js');
    writeFileSync(rebuilt, `${readFileSync(BUNDLE, 'utf8')}\n// rebuilt\n`);
    copyFileSync(join(dirname(BUNDLE), 'provider-launcher.js'), join(tf.dir, 'provider-launcher.js'));
    installProvider({ dir: impliedMirrorDir(join(tf.dir, '.home')), bundle: rebuilt, version: '0.0.1' });
    const plan = await tf.run(['plan', '-detailed-exitcode', '-no-color']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    await tf.ok(['init']);
    assert.equal(readFileSync(join(tf.dir, '.terraform.lock.hcl'), 'utf8'), lock);
  });

  test('destroy removes the object', async () => {
    const destroy = await tf.ok(['destroy', '-auto-approve']);
    assert.match(destroy.stdout, /1 destroyed/);
    assert.ok(!existsSync(join(store, 'b.json')), "!existsSync(join(store, 'b.json'))");
  });
  test("Ctrl-C during an apply stops the provider's work through StopProvider, with the interrupted code", async () => {
    tf.writeConfig(config(store, { name: 'slow-one', content: 'slow' }));
    const apply = tf.start(['apply', '-auto-approve']);
    // Wait for the create to reach the provider: a Ctrl-C between terraform's "Creating..." and its RPC makes
    // terraform halt by itself ("execution halted"), which is not what this test is about.
    const creating = join(store, 'slow-one.creating');
    while (!existsSync(creating)) {
      assert.equal(apply.child.exitCode, null, 'terraform exited before the create reached the provider');
      await setTimeout(20);
    }
    const started = Date.now();
    apply.child.kill('SIGINT'); // terraform only: it stops its providers itself
    const { code, output } = await apply;
    assert.notEqual(code, 0);
    assert.ok(Date.now() - started < 15_000, 'terraform stopped promptly');
    assert.match(output, /CPI_PROVIDER_INTERRUPTED/, output);
    assert.ok(!existsSync(join(store, 'slow-one.json')), 'the interrupted create did not complete');
  });
});
