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
 * The longest prefix of `entries` whose JSON array stays within `maxBytes` (at least one entry, so
 * paging always progresses), pulled back to a chunk-group boundary when that leaves entries in the
 * batch. Returns the prefix length and the serialized array.
 */
export function cutBatch(entries: readonly JournalEntryJson[], maxBytes = SYNC_BATCH_BYTES): { count: number; json: string } {
  const parts: string[] = [];
  let bytes = 2;
  let count = 0;
  for (const e of entries) {
    const s = JSON.stringify(e);
    const size = Buffer.byteLength(s, 'utf8') + (count > 0 ? 1 : 0);
    if (count > 0 && bytes + size > maxBytes) break;
    parts.push(s);
    bytes += size;
    count++;
  }
  if (count < entries.length && count > 1) {
    const base = chunkBase(entries[count]!);
    if (base !== null) {
      let k = count;
      while (k > 0 && chunkBase(entries[k - 1]!) === base) k--;
      if (k > 0 && k < count) {
        parts.length = k;
        count = k;
      }
    }
  }
  return { count, json: `[${parts.join(',')}]` };
}
