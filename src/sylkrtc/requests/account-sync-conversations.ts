/**
 * `account-sync-conversations` (`sylkrtc-websocket.md` §5.3, §7.3): the journal since a message id or
 * an instant, sent after the ack as one size-bounded `sync-conversations` event.
 */
import { z } from 'zod';
import { Errors, RequestError } from '../errors.js';
import { SYNC_DEFAULT_LIMIT, SYNC_MAX_LIMIT } from '../protocol.js';
import { BatchBuilder } from '../sync-batch.js';
import { aor, authenticated, messageId, optionalString, parseIsoInstant } from './fields.js';
import { base, defineRequest } from './types.js';

/** Most entries read from the journal per service call while filling one `sync-conversations` batch. */
const SYNC_PAGE = 1000;

export const accountSyncConversations = defineRequest({
  name: 'account-sync-conversations',
  className: 'AccountSyncConversationsRequest',
  schema: z.object({
    ...base('account-sync-conversations'),
    account: aor,
    message_id: messageId.nullish(),
    since: optionalString,
    limit: z.number().int().nullish(),
  }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    if (req.since != null && parseIsoInstant(req.since) === null) throw new RequestError(Errors.invalidSince(req.since));
    if (req.limit != null && req.limit < 1) throw new RequestError(`Invalid value for 'limit' property: ${req.limit}`);
    const limit = Math.min(req.limit ?? SYNC_DEFAULT_LIMIT, SYNC_MAX_LIMIT);
    // Read in pages, serializing each entry once into the batch, and stop as soon as the frame budget
    // is reached; after the first page, read only about as many entries as still fit, so a large
    // `limit` does not make us load and serialize entries that the size cap would cut off (§7.3).
    const batch = new BatchBuilder();
    let cursor = req.message_id ?? null;
    let since = req.since ?? null;
    let page = Math.min(SYNC_PAGE, limit);
    for (;;) {
      const result = await ctx.service.syncConversations({ account: b.aor, message_id: cursor, since, limit: page });
      for (const e of result.messages) if (!batch.add(e)) break;
      if (batch.full || !result.more || result.messages.length === 0 || batch.count >= limit) break;
      cursor = result.messages.at(-1)!.message_id;
      since = null;
      const fits = Math.ceil(batch.room / Math.max(1, batch.averageBytes)) + 1;
      page = Math.max(1, Math.min(SYNC_PAGE, limit - batch.count, fits));
    }
    const { json } = batch.finish();
    const frame = `{"sylkrtc":"account-event","account":${JSON.stringify(b.aor)},"event":"sync-conversations","messages":${json}}`;
    return () => conn.sendRaw(frame);
  },
});
