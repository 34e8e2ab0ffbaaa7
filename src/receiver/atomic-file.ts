// Writes a file so that a crash leaves the old or the new content, never half of one: the new bytes go to a
// temporary file in the same directory, are flushed to disk, and are then renamed over the old file. The previous
// version is kept as `<file>.bak` (itself written the same way), so that one bad write can be undone by hand.
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Keep the previous content as `<file>.bak`. @default true */
  readonly backup?: boolean;
  /** File mode of a newly written file. @default 0o600 (keystores and key metadata are nobody else's business) */
  readonly mode?: number;
  /**
   * Test hook: called after the temporary file is written and flushed, before it replaces the file. Throwing here
   * is what a crash at the worst moment looks like to the file system.
   */
  readonly beforeRename?: (temporaryPath: string) => void;
}

function flushDirectory(dir: string): void {
  // Makes the rename itself durable; some file systems refuse to open a directory, which costs only durability.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

function writeFlushed(path: string, data: Buffer, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Replaces `path` with `data` atomically (temp file + fsync + rename), keeping the old content as `<path>.bak`. */
export function writeFileAtomic(path: string, data: Buffer | string, options: AtomicWriteOptions = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const mode = options.mode ?? 0o600;
  const temporary = temporaryPath(path);
  try {
    writeFlushed(temporary, bytes, mode);
    if ((options.backup ?? true) && existsSync(path)) {
      const backupTemporary = temporaryPath(`${path}.bak`);
      copyFileSync(path, backupTemporary);
      const fd = openSync(backupTemporary, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(backupTemporary, `${path}.bak`);
    }
    options.beforeRename?.(temporary);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  flushDirectory(dirname(path));
}
