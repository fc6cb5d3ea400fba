/**
 * Journal operations shared by the SIP API handlers (`sip-messaging.md` §5.3–§5.5) and the WebSocket
 * requests (§7, `sylkrtc-websocket.md` §5.4–§5.6), so both paths remove and mark exactly the same
 * things: appending markers, marking a conversation read, removing a conversation, removing a message
 * and its recipient copy. Each resolves after its writes committed and then emits its `sync` events.
 * Outgoing notices differ between the two paths and stay with the callers.
 */
import { randomUUID } from 'node:crypto';
import { serializeEntry, type ClientEntry } from '../journal/serialize.js';
import { CONTENT_TYPES, type Direction, type JournalEntry, type NewJournalEntry } from '../journal/types.js';
import { formatTimestamp } from '../payload/datetime.js';
import type { MessagingContext } from './context.js';
import { removeTransferFiles } from './files.js';
import { pyJson } from './json.js';

/**
 * Emit `journal-appended` for an entry that was inserted (serialized only when someone listens).
 * Returns the client form when it was computed (null: not serializable), undefined when not: the
 * caller reuses it for the `message` event, so an entry is serialized at most once.
 */
export function announceEntry(ctx: MessagingContext, entry: NewJournalEntry): ClientEntry | null | undefined {
  if (ctx.events.listenerCount('journal-appended') === 0) return undefined;
  const json = serializeEntry(entry);
  if (json) ctx.events.emit('journal-appended', { account: entry.account, entry: json });
  return json;
}

/** A marker entry (§2.1 of journal-storage.md): fresh UUID, empty disposition, null state. */
export function markerEntry(
  account: string,
  contact: string,
  direction: Direction,
  contentType: string,
  content: string,
  timestamp: Date,
): NewJournalEntry {
  return { account, contact, direction, contentType, content, messageId: randomUUID(), disposition: [], state: null, msgTimestamp: timestamp };
}

/** Delete the files of a removed file-transfer entry, in the background (logged on failure). */
export function removeFilesOf(ctx: MessagingContext, entry: JournalEntry): void {
  if (entry.contentType !== CONTENT_TYPES.fileTransfer || !ctx.fileTransferDir) return;
  removeTransferFiles(ctx.fileTransferDir, entry.account, entry.contact, entry.messageId).catch((err: unknown) =>
    ctx.log.warn({ err, account: entry.account, id: entry.messageId }, 'could not remove file-transfer files'),
  );
}

/** Mark read: clear dispositions (+ older read markers), append the read marker, emit the sync. */
export async function readConversation(ctx: MessagingContext, account: string, contact: string, origin?: string): Promise<void> {
  const marker = markerEntry(account, contact, '', CONTENT_TYPES.conversationRead, contact, ctx.now());
  // Issued in the same turn: one group-commit transaction.
  const [, inserted] = await Promise.all([ctx.store.markConversationRead(account, contact), ctx.store.add(marker)]);
  if (inserted) announceEntry(ctx, marker);
  ctx.events.emit('sync-conversation-read', { account, content: { contact }, ...(origin !== undefined ? { origin } : {}) });
}

/** Remove a conversation: delete its entries, append the remove marker (timestamp T), emit the sync. */
export async function removeConversation(
  ctx: MessagingContext,
  account: string,
  contact: string,
  at: Date,
  origin?: string,
): Promise<{ removed: number; timestamp: string }> {
  const marker = markerEntry(account, contact, '', CONTENT_TYPES.conversationRemove, contact, at);
  const [removed, inserted] = await Promise.all([ctx.store.removeConversation(account, contact), ctx.store.add(marker)]);
  if (inserted) announceEntry(ctx, marker);
  const timestamp = formatTimestamp(at, 0);
  ctx.events.emit('sync-conversation-remove', { account, content: { contact, timestamp }, ...(origin !== undefined ? { origin } : {}) });
  return { removed, timestamp };
}

export interface RemoveMessageOutcome {
  /** The entry removed from the requester's journal, or null. */
  removed: JournalEntry | null;
  /** Whether the marker and events were written (false: SIP path and nothing to remove). */
  proceeded: boolean;
  remoteRemoved: boolean;
}

/**
 * Remove `messageId` from `account`'s journal; append the `outgoing` marker and emit the sync (always
 * on the WS path, only if something was removed on the SIP path, §5.3 step 2); then remove the
 * contact's `incoming` copy — only if that copy came from `account` (its contact is the requester:
 * only the sender of a message may remove the recipient's copy, quirk 9 fixed) — with its own marker
 * and a sync event to the contact.
 */
export async function removeMessage(
  ctx: MessagingContext,
  args: { account: string; contact: string; messageId: string; origin?: string; requireExisting: boolean },
): Promise<RemoveMessageOutcome> {
  const { account, contact, messageId } = args;
  const removed = await ctx.store.removeMessage(account, messageId);
  if (removed) removeFilesOf(ctx, removed);
  if (!removed && args.requireExisting) return { removed: null, proceeded: false, remoteRemoved: false };
  const content = { contact, message_id: messageId, direction: 'outgoing' as const };
  const marker = markerEntry(account, contact, 'outgoing', CONTENT_TYPES.messageRemove, pyJson(content), ctx.now());
  if (await ctx.store.add(marker)) announceEntry(ctx, marker);
  ctx.events.emit('sync-message-remove', { account, content, ...(args.origin !== undefined ? { origin: args.origin } : {}) });

  let remoteRemoved = false;
  if (contact !== account) {
    const copy = await ctx.store.getEntry(contact, messageId);
    if (copy && copy.direction === 'incoming' && copy.contact === account) {
      const gone = await ctx.store.removeMessage(contact, messageId);
      if (gone) {
        removeFilesOf(ctx, gone);
        const remoteContent = { contact: account, message_id: messageId, direction: 'incoming' as const };
        const remoteMarker = markerEntry(contact, account, 'incoming', CONTENT_TYPES.messageRemove, pyJson(remoteContent), ctx.now());
        if (await ctx.store.add(remoteMarker)) announceEntry(ctx, remoteMarker);
        ctx.events.emit('sync-message-remove', { account: contact, content: remoteContent });
        remoteRemoved = true;
      }
    }
  }
  return { removed, proceeded: true, remoteRemoved };
}
