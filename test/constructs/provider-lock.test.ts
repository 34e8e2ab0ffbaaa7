// Synth locks the provider in every stage stack (forward and way back), so `cdktf diff/deploy` skip
// `terraform providers lock`, which would ask a registry that does not have this provider.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../constructs/cdktf';
import { EncryptionCertificateRenewal } from '../../constructs/encryption-certificate-renewal';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { lockFileBlock, providerPackageHash } from '../../src/rules/provider-package';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function synth(outdir: string): string[] {
  const app = new App({ outdir });
  new EncryptionCertificateRenewal(app, 'renewal', {
    renewalId: 'orders-2026',
    variant: 'overlap',
    alias: 'orders-receiver',
    iflowIds: ['OrdersOut'],
    receiver: { kind: 'embedded', url: 'http://127.0.0.1:8081' },
    newKey: { name: 'orders-2026', subject: 'CN=orders-2026,O=Example' },
    oldKeyName: 'orders-2025',
  });
  app.synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { workingDirectory: string }>;
  };
  return Object.values(manifest.stacks).map((s) => join(outdir, s.workingDirectory, '.terraform.lock.hcl'));
}

describe('provider lock at synth', { timeout: 60_000 }, () => {
  test('every stack, the way back included, gets the lock block with the published hash', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cpi-lock-'));
    dirs.push(outdir);
    const locks = synth(outdir);
    assert.ok(
      locks.some((file) => file.includes('-rollback-')),
      'the way back has stacks',
    );
    for (const file of locks) {
      const text = readFileSync(file, 'utf8');
      assert.ok(text.endsWith(lockFileBlock(PROVIDER_VERSION)), file);
      assert.ok(text.includes(providerPackageHash(PROVIDER_VERSION)), file);
    }
  });

  test('a committed lock file is left as it is on the next synth', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cpi-lock-'));
    dirs.push(outdir);
    const [first] = synth(outdir);
    const committed = `${readFileSync(first!, 'utf8')}\nprovider "registry.terraform.io/hashicorp/random" {\n  version = "3.6.0"\n}\n`;
    writeFileSync(first!, committed);
    synth(outdir);
    assert.equal(readFileSync(first!, 'utf8'), committed);
  });
});
