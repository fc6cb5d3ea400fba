/**
 * Watches the SQLite shared-memory file (`<db>-shm`, the WAL index every connection maps with
 * `mmap`; https://sqlite.org/walformat.html §2) for becoming unwritable (issue 15 item 5). A write
 * through such a mapping after the file turned read-only or immutable, or was truncated, is not an
 * error SQLite can return: the kernel kills the process with SIGBUS, which no JavaScript handler can
 * catch, and the daemon dies without a word. So the file is checked every `intervalMs` (`access(2)`
 * with W_OK — it reports read-only mounts, permission changes and the immutable flag, also for
 * root), and the owner is told at once, while SQLite has not yet touched it: the composition root
 * logs a clear fatal line and exits (a supervisor restarts it; a start-up that cannot open the
 * database then fails with its own message).
 */
import { access, constants } from 'node:fs/promises';

export interface ShmWatch {
  stop(): void;
}

export function watchShm(dbPath: string, intervalMs: number, onUnwritable: (path: string, err: NodeJS.ErrnoException) => void): ShmWatch {
  const shm = `${dbPath}-shm`;
  let stopped = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    access(shm, constants.W_OK).then(
      () => {
        busy = false;
      },
      (err: NodeJS.ErrnoException) => {
        busy = false;
        // No -shm (yet, or after a clean close) is not a problem: SQLite creates it writable.
        if (stopped || err.code === 'ENOENT') return;
        stopped = true;
        clearInterval(timer);
        onUnwritable(shm, err);
      },
    );
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
