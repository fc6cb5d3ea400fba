/**
 * Size-bounded `sync-conversations` batches (`sylkrtc-websocket.md` §1.7, §7.3): Node clients close
 * with 1009 on a frame above 1 MiB, so a batch is cut on an entry boundary once its serialized size
 * would pass {@link SYNC_BATCH_BYTES}. The client pages on from the last id it got, so a cut is
 * transparent. Where possible the cut does not split a group of chunked-message pieces (ids `ID`,
 * `ID-1`, `ID-2`, ..., §13.4), because sylkrtc.js reassembles chunks only within one batch.
 */
import type { JournalEntryJson } from '../messaging/index.js';
import { SYNC_BATCH_BYTES } from './protocol.js';

/** Chunk group id of a message id (`ID-3` → `ID`), for entries whose content is chunked text. */
function chunkBase(e: JournalEntryJson): string | null {
  if (e.content_type !== 'text/plain' && e.content_type !== 'text/html') return null;
  // Chunked pieces start with the zero-width marker (U+2060 ... U+2061).
  if (!e.content.startsWith('\u2060')) return null;
  const m = /^(.*)-\d+$/.exec(e.message_id);
  return m ? m[1]! : e.message_id;
}

/**
 * A `sync-conversations` batch filled entry by entry: each entry is serialized once, its exact UTF-8
 * size counted, and `add` refuses the first entry that would take the array past `maxBytes` (never
 * the first one, so paging always progresses). The reader can therefore stop reading as soon as the
 * batch is full instead of reading and serializing entries that would be cut off.
 */
export class BatchBuilder {
  private readonly parts: string[] = [];
  private readonly entries: JournalEntryJson[] = [];
  private bytes = 2;
  /** The entry `add` refused (the batch is full), kept for the chunk-group rule. */
  private refused: JournalEntryJson | null = null;

  constructor(private readonly maxBytes = SYNC_BATCH_BYTES) {}

  get count(): number {
    return this.parts.length;
  }

  /** Bytes left before the budget. */
  get room(): number {
    return this.maxBytes - this.bytes;
  }

  get full(): boolean {
    return this.refused !== null;
  }

  /** Serialized bytes per entry so far (0 when empty). */
  get averageBytes(): number {
    return this.parts.length === 0 ? 0 : (this.bytes - 2) / this.parts.length;
  }

  /** Append `e` if it fits; false (and the batch is full) if it does not. */
  add(e: JournalEntryJson): boolean {
    if (this.refused) return false;
    const s = JSON.stringify(e);
    const size = Buffer.byteLength(s, 'utf8') + (this.parts.length > 0 ? 1 : 0);
    if (this.parts.length > 0 && this.bytes + size > this.maxBytes) {
      this.refused = e;
      return false;
    }
    this.parts.push(s);
    this.entries.push(e);
    this.bytes += size;
    return true;
  }

  /**
   * The batch as a JSON array. When the batch was cut inside a chunk group, it ends before that
   * group (if entries remain before it).
   */
  finish(): { count: number; json: string } {
    let count = this.parts.length;
    const base = this.refused && count > 1 ? chunkBase(this.refused) : null;
    if (base !== null) {
      let k = count;
      while (k > 0 && chunkBase(this.entries[k - 1]!) === base) k--;
      if (k > 0 && k < count) count = k;
    }
    const parts = count === this.parts.length ? this.parts : this.parts.slice(0, count);
    return { count, json: `[${parts.join(',')}]` };
  }
}

/**
 * The longest prefix of `entries` whose JSON array stays within `maxBytes` (at least one entry, so
 * paging always progresses), pulled back to a chunk-group boundary when that leaves entries in the
 * batch. Returns the prefix length and the serialized array.
 */
export function cutBatch(entries: readonly JournalEntryJson[], maxBytes = SYNC_BATCH_BYTES): { count: number; json: string } {
  const batch = new BatchBuilder(maxBytes);
  for (const e of entries) if (!batch.add(e)) break;
  return batch.finish();
}
