/**
 * `account-sync-conversations` (`sylkrtc-websocket.md` §5.3, §7.3): the journal since a message id or
 * an instant, sent after the ack as one size-bounded `sync-conversations` event.
 */
import { z } from 'zod';
import type { JournalEntryJson } from '../../messaging/index.js';
import { Errors, RequestError } from '../errors.js';
import { SYNC_BATCH_BYTES, SYNC_DEFAULT_LIMIT, SYNC_MAX_LIMIT } from '../protocol.js';
import { cutBatch } from '../sync-batch.js';
import { aor, authenticated, optionalString, parseIsoInstant } from './fields.js';
import { base, defineRequest } from './types.js';

/** Entries read from the journal per service call while filling one `sync-conversations` batch. */
const SYNC_PAGE = 500;

export const accountSyncConversations = defineRequest({
  name: 'account-sync-conversations',
  className: 'AccountSyncConversationsRequest',
  schema: z.object({
    ...base('account-sync-conversations'),
    account: aor,
    message_id: optionalString,
    since: optionalString,
    limit: z.number().int().nullish(),
  }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    if (req.since != null && parseIsoInstant(req.since) === null) throw new RequestError(Errors.invalidSince(req.since));
    if (req.limit != null && req.limit < 1) throw new RequestError(`Invalid value for 'limit' property: ${req.limit}`);
    const limit = Math.min(req.limit ?? SYNC_DEFAULT_LIMIT, SYNC_MAX_LIMIT);
    // Read in pages and stop once the frame budget is reached, so a large `limit` does not make us load
    // and serialize thousands of entries that the size cap would cut off anyway (§7.3).
    const messages: JournalEntryJson[] = [];
    let bytes = 0;
    let cursor = req.message_id ?? null;
    let since = req.since ?? null;
    for (;;) {
      const page = Math.min(SYNC_PAGE, limit - messages.length);
      const result = await ctx.service.syncConversations({ account: b.aor, message_id: cursor, since, limit: page });
      for (const e of result.messages) bytes += e.content.length + 200;
      messages.push(...result.messages);
      if (!result.more || result.messages.length === 0 || messages.length >= limit || bytes > SYNC_BATCH_BYTES) break;
      cursor = result.messages.at(-1)!.message_id;
      since = null;
    }
    const { json } = cutBatch(messages);
    const frame = `{"sylkrtc":"account-event","account":${JSON.stringify(b.aor)},"event":"sync-conversations","messages":${json}}`;
    return () => conn.sendRaw(frame);
  },
});
