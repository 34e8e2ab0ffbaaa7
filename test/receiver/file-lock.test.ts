import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../../src/receiver/file-lock';

describe('withFileLock', () => {
  test('takes over an empty lock file left by a writer killed between creating and filling it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpi-lock-'));
    try {
      const lock = join(dir, 'active.p12.lock');
      writeFileSync(lock, '');
      const old = new Date(Date.now() - 10_000);
      utimesSync(lock, old, old);
      assert.equal(await withFileLock(lock, () => 'ran', { timeoutMs: 500 }), 'ran');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('waits for, and then reports, a fresh empty lock file: its writer may be filling it right now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpi-lock-'));
    try {
      const lock = join(dir, 'active.p12.lock');
      writeFileSync(lock, '');
      await assert.rejects(
        withFileLock(lock, () => 'ran', { timeoutMs: 200 }),
        /CPI_RECEIVER_KEYSTORE_LOCKED|is held by/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
