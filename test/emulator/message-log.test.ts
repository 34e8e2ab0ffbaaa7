import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCpiError } from '../../src/errors';
import { MESSAGE_LOG_FILE, MessageLog, type MessageOutcome, type MessageRecord } from '../../src/emulator/message-log';

function record(iflowId: string, outcome: MessageOutcome): Omit<MessageRecord, 'seq'> {
  return {
    time: '2026-03-01T10:00:00.000Z',
    iflowId,
    outcome,
    certificateFingerprint: outcome === 'not-sent' ? null : 'AB:CD',
    publicKeyAlias: 'receiver_encryption',
    receiverUrl: 'http://127.0.0.1:1/soap',
    receiverStatus: outcome === 'delivered' ? 200 : null,
    senderStatus: outcome === 'delivered' ? 200 : 503,
    detail: null,
    durationMs: 3,
  };
}

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'cpi-message-log-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fileLines(dir: string): number {
  return readFileSync(join(dir, MESSAGE_LOG_FILE), 'utf8').split('\n').filter(Boolean).length;
}

describe('message log', () => {
  test('survives a restart and continues the sequence', () =>
    withDir((dir) => {
      const first = new MessageLog(dir);
      first.append(record('A', 'delivered'));
      first.append(record('B', 'not-sent'));
      const second = new MessageLog(dir);
      assert.deepEqual(
        second.list().map((r) => [r.seq, r.iflowId, r.outcome]),
        [
          [1, 'A', 'delivered'],
          [2, 'B', 'not-sent'],
        ],
      );
      assert.equal(second.append(record('A', 'refused')).seq, 3);
      assert.deepEqual(second.counts(), { delivered: 1, refused: 1, 'not-sent': 1, 'receiver-unreachable': 0 });
      assert.deepEqual(
        second.list({ iflowId: 'A', after: 1 }).map((r) => r.seq),
        [3],
      );
    }));

  test('keeps only the newest records, in memory and on disk, and leaves no temporary file', () =>
    withDir((dir) => {
      const log = new MessageLog(dir, 3);
      for (let i = 0; i < 20; i++) {
        log.append(record(`F${i}`, 'delivered'));
        assert.ok(fileLines(dir) < 6, `the file stays below twice the limit (after ${i + 1} appends)`);
      }
      assert.deepEqual(
        log.list().map((r) => r.seq),
        [18, 19, 20],
      );
      assert.deepEqual(
        new MessageLog(dir, 3).list().map((r) => r.seq),
        [18, 19, 20],
      );
      assert.deepEqual(readdirSync(dir), [MESSAGE_LOG_FILE]);
    }));

  test('a last line cut short by a crash loses only that record, and the next append is readable', () =>
    withDir((dir) => {
      const log = new MessageLog(dir);
      log.append(record('A', 'delivered'));
      appendFileSync(join(dir, MESSAGE_LOG_FILE), '{"seq":2,"time":"2026-03');
      const reopened = new MessageLog(dir);
      assert.deepEqual(
        reopened.list().map((r) => r.seq),
        [1],
      );
      reopened.append(record('B', 'delivered'));
      assert.deepEqual(
        new MessageLog(dir).list().map((r) => [r.seq, r.iflowId]),
        [
          [1, 'A'],
          [2, 'B'],
        ],
      );
    }));

  test('refuses a limit below 1', () =>
    withDir((dir) => {
      assert.throws(
        () => new MessageLog(dir, 0),
        (error: unknown) => isCpiError(error) && error.code === 'CPI_EMULATOR_CONFIG_INVALID' && /0/.test(error.detail),
      );
    }));
});
