// `npm start` is the product's first impression: it must complete a whole renewal of each variant on a fresh
// machine, with no message lost. Runs the real command and asserts its summary.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '../support/command';
import { userEnv } from '../support/terraform';

const root = resolve(__dirname, '../..');

async function npmStart(variant: string) {
  const dir = mkdtempSync(join(tmpdir(), `cpi-npm-start-${variant}-`));
  const run = await runCommand('npm', ['start', '--', '--variant', variant, '--dir', dir], {
    cwd: root,
    timeoutMs: 240_000,
    processGroup: true, // a timeout stops npm, the demo and the terraform it runs
    // a home of its own: the demo installs the provider where a user's would go, ~/.terraform.d/plugins
    // and a CLI configuration that does not exist, as some machines preset (Terraform then warns on stderr)
    env: {
      ...userEnv(join(dir, 'home'), { ...process.env, CI: 'true' }),
      TF_CLI_CONFIG_FILE: join(dir, 'missing.tfrc'),
    },
  });
  return { dir, run, output: run.stdout + run.stderr };
}

describe('npm start', { timeout: 600_000 }, () => {
  test('runs a whole overlap renewal: every stage applied, the cleanup held by retention, no message lost', async () => {
    const { dir, run, output } = await npmStart('overlap');
    try {
      assert.equal(run.code, 0, output);
      assert.match(output, /Renewal overlap: no message lost/);
      for (const stage of ['1 prepare-receiver', '2 exchange-certificate', '3 retire-old-key']) {
        assert.match(output, new RegExp(`${stage}\\s+\\S.*\\s+applied\\s`), stage);
      }
      assert.match(output, /4 cleanup\s+.*\s+blocked\s/);
      const total = /^total\s+([\d.]+) s\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(output);
      assert.ok(total, output);
      const [, , sent, decrypted, refused] = total.map(Number);
      assert.ok(sent! > 20, `traffic flowed (${sent} sent)`);
      assert.equal(refused, 0);
      assert.equal(decrypted, sent, 'every message sent during an overlap renewal is decrypted');
      assert.ok(
        existsSync(join(dir, 'cdktf.out', 'RUNBOOK-orders-2026.md')),
        "existsSync(join(dir, 'cdktf.out', 'RUNBOOK-orders-2026.md'))",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runs a whole single-key renewal: iFlows stopped and resumed, the window measured, no message lost', async () => {
    const { dir, run, output } = await npmStart('single-key');
    try {
      assert.equal(run.code, 0, output);
      assert.match(output, /Renewal single-key: no message lost/);
      for (const stage of [
        '1 prepare-receiver',
        '2 stop-sending',
        '3 exchange-certificate',
        '4 switch-receiver-key',
        '5 resume-sending',
      ]) {
        assert.match(output, new RegExp(`${stage}\\s+\\S.*\\s+applied\\s`), stage);
      }
      assert.match(output, /6 cleanup\s+.*\s+blocked\s/);
      const window = /downtime window[^:]*: ([\d.]+) s/.exec(output);
      assert.ok(window, 'the downtime window is measured');
      assert.ok(Number(window[1]) > 0, 'Number(window[1]) > 0');
      const ratio = /downtime window[^:]*: [\d.]+ s = ([\d.]+)× the emulator's own undeploy \+ deploy \(1\.5 s\)/.exec(
        output,
      );
      assert.ok(ratio, 'the window is printed beside its floor, the emulator undeploy + deploy time');
      assert.ok(Number(ratio[1]) >= 1, `no window is shorter than undeploy + deploy (${ratio[1]}×)`);
      assert.match(output, /waits for the receiver administrator: the demo confirms in their name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
