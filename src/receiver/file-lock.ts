// A lock file against two writers of the same keystore (two terraform runs, or terraform and an operator's
// script): created with O_EXCL, holding the owner's pid. A lock whose process is gone is taken over.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { CpiError } from '../errors';

export interface FileLockOptions {
  /** How long to wait for another holder. @default 10000 */
  readonly timeoutMs?: number;
  /** Poll interval while waiting. @default 50 */
  readonly pollMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An empty lock file older than this lost its writer between creating and filling it (killed in between). */
const EMPTY_LOCK_GRACE_MS = 2000;

/** True when the lock file names a process on this host that no longer runs, or stayed empty too long. */
function stale(lockPath: string): boolean {
  try {
    const text = readFileSync(lockPath, 'utf8').trim();
    if (text === '') return Date.now() - statSync(lockPath).mtimeMs > EMPTY_LOCK_GRACE_MS;
    const [host, pid] = text.split(' ');
    return host === hostname() && Number.isInteger(Number(pid)) && !alive(Number(pid));
  } catch {
    return false; // vanished or being written: not ours to judge
  }
}

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    try {
      writeSync(fd, `${hostname()} ${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Runs `body` while holding `lockPath`; waits up to timeoutMs for another holder, then fails with a clear code. */
export async function withFileLock<T>(
  lockPath: string,
  body: () => Promise<T> | T,
  options: FileLockOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (!tryCreate(lockPath)) {
    if (stale(lockPath)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      let holder = 'unknown';
      try {
        holder = readFileSync(lockPath, 'utf8').trim();
      } catch {
        /* released meanwhile */
      }
      throw new CpiError('CPI_RECEIVER_KEYSTORE_LOCKED', `the lock file ${lockPath} is held by ${holder} (host pid)`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
  }
  try {
    return await body();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
