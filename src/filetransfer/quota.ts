/**
 * The per-account quota of live files (`[General] filetransfer_quota`, issue 13 "limits"): the bytes
 * of every file in the account's layout directory (`layout.ts`; metadata files not counted) plus the
 * uploads to it in progress on this instance. Counted from the filesystem at each upload, not kept in
 * memory, so instances sharing `file_transfer_dir` see each other's files and expired or removed files
 * stop counting at once. Uploads running at the same moment on two instances can each pass the check
 * (the overshoot is bounded by `filetransfer_max_size` per concurrent upload).
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { META_PREFIX } from './layout.js';

/** Bytes of the files under `dir` (recursively), metadata files excepted; a missing dir is 0. */
export async function usedBytes(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await usedBytes(path);
    else if (e.isFile() && !e.name.startsWith(META_PREFIX)) {
      try {
        total += (await stat(path)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  return total;
}

export interface QuotaVerdict {
  ok: boolean;
  used: number;
}

/** Reservations of uploads in progress on this instance, per owner account. */
export class Quota {
  private readonly reserved = new Map<string, number>();

  /** `limit` 0 = no quota. */
  constructor(private readonly limit: number) {}

  get bytes(): number {
    return this.limit;
  }

  /** Would `size` more bytes fit? If so they are reserved until `release`. */
  async reserve(owner: string, dir: string, size: number): Promise<QuotaVerdict> {
    if (this.limit === 0) {
      this.reserved.set(owner, (this.reserved.get(owner) ?? 0) + size);
      return { ok: true, used: 0 };
    }
    const used = (await usedBytes(dir)) + (this.reserved.get(owner) ?? 0);
    if (used + size > this.limit) return { ok: false, used };
    this.reserved.set(owner, (this.reserved.get(owner) ?? 0) + size);
    return { ok: true, used };
  }

  release(owner: string, size: number): void {
    const left = (this.reserved.get(owner) ?? 0) - size;
    if (left > 0) this.reserved.set(owner, left);
    else this.reserved.delete(owner);
  }
}
