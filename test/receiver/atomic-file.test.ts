import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/receiver/atomic-file';
import { withFileLock } from '../../src/receiver/file-lock';

describe('writeFileAtomic', () => {
  test('replaces the content, keeps the previous version as .bak, mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(dir, 'store.p12');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    assert.equal(readFileSync(file, 'utf8'), 'two');
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), 'one');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).sort(), ['store.p12', 'store.p12.bak']);
  });

  test('a failure before the rename leaves the old file intact and no temporary file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    const file = join(dir, 'store.p12');
    writeFileSync(file, 'old content');
    let temporary = '';
    assert.throws(
      () =>
        writeFileAtomic(file, 'new content', {
          beforeRename: (t) => {
            temporary = t;
            assert.equal(readFileSync(t, 'utf8'), 'new content', 'the new bytes were flushed to the temporary file');
            throw new Error('power cut');
          },
        }),
      /power cut/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'old content');
    assert.ok(temporary.startsWith(join(dir, '.store.p12.')), "temporary.startsWith(join(dir, '.store.p12.'))");
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), "!readdirSync(dir).some((n) => n.endsWith('.tmp'))");
  });
});

describe('withFileLock', () => {
  test('a second writer waits for the first and then runs', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'k.lock');
    const order: string[] = [];
    await Promise.all([
      withFileLock(lock, async () => {
        order.push('first:start');
        await new Promise((r) => setTimeout(r, 100));
        order.push('first:end');
      }),
      new Promise((r) => setTimeout(r, 10)).then(() => withFileLock(lock, () => order.push('second'))),
    ]);
    assert.deepEqual(order, ['first:start', 'first:end', 'second']);
  });

  test('gives up with CPI_RECEIVER_KEYSTORE_LOCKED naming the lock file while another live process holds it', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'k.lock');
    await withFileLock(lock, async () => {
      await assert.rejects(
        withFileLock(lock, () => 1, { timeoutMs: 100 }),
        (e: Error & { code?: string }) => e.code === 'CPI_RECEIVER_KEYSTORE_LOCKED' && e.message.includes(lock),
      );
    });
  });

  test('takes over a lock left by a process that no longer runs', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'k.lock');
    writeFileSync(lock, `${(await import('node:os')).hostname()} 2147483646\n`);
    assert.equal(await withFileLock(lock, () => 'ran', { timeoutMs: 200 }), 'ran');
  });
});
