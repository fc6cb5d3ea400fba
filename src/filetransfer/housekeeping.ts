/**
 * Expiry of transferred files (`sip-messaging.md` §9.2, `configuration.md` `filetransfer_expire_days`):
 * at start-up and every hour, files of at least 50 MiB whose modification time is older than
 * `filetransfer_expire_days` are deleted, any other file older than twice that; a deleted file takes
 * its `meta-` file with it; directories left empty are removed. Temporary files of uploads that never
 * finished (`.incoming`, e.g. the process died) are deleted after a day. Safe to run on several
 * instances sharing the directory at once (a file already gone is fine).
 */
import type { Dirent } from 'node:fs';
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { INCOMING_DIR, META_PREFIX } from './layout.js';

export const LARGE_FILE_BYTES = 50 * 1024 * 1024;
const DAY_MS = 86_400_000;
const INCOMING_MAX_AGE_MS = DAY_MS;

export interface SweepResult {
  files: number;
  bytes: number;
  dirs: number;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Sweep `dir`; returns whether it is empty afterwards. */
async function sweepDir(dir: string, now: number, expireMs: number, out: SweepResult, incoming: boolean): Promise<boolean> {
  for (const e of await entries(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const empty = await sweepDir(path, now, expireMs, out, incoming || e.name === INCOMING_DIR);
      if (empty && e.name !== INCOMING_DIR) {
        try {
          await rmdir(path);
          out.dirs++;
        } catch {
          // a new upload arrived meanwhile, or another instance removed it first
        }
      }
      continue;
    }
    if (!e.isFile()) continue;
    if (e.name.startsWith(META_PREFIX) && !incoming) continue; // goes with its file
    let st;
    try {
      st = await stat(path);
    } catch {
      continue;
    }
    const age = now - st.mtimeMs;
    const limit = incoming ? INCOMING_MAX_AGE_MS : st.size >= LARGE_FILE_BYTES ? expireMs : 2 * expireMs;
    if (age > limit) {
      await rm(path, { force: true });
      if (!incoming) await rm(join(dir, `${META_PREFIX}${e.name}`), { force: true });
      out.files++;
      out.bytes += st.size;
    }
  }
  // A metadata file whose file is gone (deleted above, or by its message's removal) goes too.
  const remaining = await entries(dir);
  const orphans = remaining.filter((e) => e.isFile() && e.name.startsWith(META_PREFIX) && !remaining.some((f) => f.name === e.name.slice(META_PREFIX.length)));
  for (const o of orphans) await rm(join(dir, o.name), { force: true });
  return remaining.length === orphans.length;
}

/** One pass over `root`. */
export async function sweep(root: string, expireDays: number, now = Date.now()): Promise<SweepResult> {
  const out: SweepResult = { files: 0, bytes: 0, dirs: 0 };
  await sweepDir(root, now, expireDays * DAY_MS, out, false);
  return out;
}

/** Run `sweep` now and every `intervalMs` (default 1 h) until stopped. */
export function startHousekeeping(root: string, expireDays: number, log: Logger, intervalMs = 3_600_000): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    running = running.then(async () => {
      try {
        const r = await sweep(root, expireDays);
        if (r.files > 0 || r.dirs > 0) log.info({ ...r }, 'expired file transfers removed');
      } catch (err) {
        log.warn({ err, root }, 'file-transfer housekeeping failed');
      }
    });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
