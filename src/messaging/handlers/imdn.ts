/**
 * `message/imdn+xml` — delivery/display reports (RFC 5438; `sip-messaging.md` §5.7).
 *
 * Only when the SIP To account R (the original sender) is storage-enabled. Stored, in one transaction:
 * the state/disposition update of R's entry M (forward-only, `journal/states.ts`); the same update of
 * the IMDN sender's copy of M (state stays `received`, disposition reduced: that is what marks the
 * message read on the recipient side); a `message/imdn` entry in R's journal (contact = IMDN sender,
 * `incoming`, `received`, content = JSON of the event, id = the IMDN's own Message-ID).
 * `processed`/`stored` reports do not touch states (quirk 6 fixed) but are recorded and announced.
 * Event: `disposition-notification` to R (code 200, reason ""), once per IMDN id and process (also
 * when another instance sharing the store inserted it first, `local-delivery.ts`). No SIP, no push.
 * An invalid IMDN document is answered 400 with the reason (the original drops it silently).
 */
import { CONTENT_TYPES, isMessageState, type NewJournalEntry } from '../../journal/types.js';
import { ImdnError, parseImdn } from '../../payload/imdn.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { isContactCopy } from '../cluster/local-delivery.js';
import type { DispositionNotificationEvent } from '../events.js';
import { pyJson } from '../json.js';
import { announceEntry } from '../operations.js';
import type { InboundMessage } from '../inbound.js';

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  let doc;
  try {
    doc = parseImdn(msg.content);
  } catch (err) {
    return { status: 400, reason: `Invalid IMDN: ${(err as ImdnError).message}` };
  }
  const account = msg.to;
  if (!(await ctx.accounts.check(ctx.store, account))) return OK;
  const reporter = msg.sender.uri;
  const event: DispositionNotificationEvent = {
    account,
    message_id: doc.messageId,
    message_timestamp: doc.datetime,
    state: doc.status,
    code: 200,
    reason: '',
  };
  const entry: NewJournalEntry = {
    account,
    contact: reporter,
    direction: 'incoming',
    contentType: CONTENT_TYPES.imdn,
    content: pyJson({ sylkrtc: 'account-event', account, event: 'disposition-notification', ...omitAccount(event) }),
    messageId: msg.messageId,
    disposition: [],
    state: 'received',
    msgTimestamp: msg.timestampDate,
  };
  const writes: Array<Promise<unknown>> = [];
  if (isMessageState(doc.status)) {
    writes.push(ctx.store.updateState(account, doc.messageId, doc.status));
    if (reporter !== account) writes.push(ctx.store.updateState(reporter, doc.messageId, doc.status));
  }
  const added = ctx.store.add(entry);
  await Promise.all(writes);
  const inserted = await added;
  if (inserted) announceEntry(ctx, entry);
  // Once per process, also for a copy to one of our contacts stored first by another instance.
  if ((inserted || isContactCopy(msg)) && ctx.announced.first('imdn', account, msg.messageId)) {
    ctx.events.emit('disposition-notification', event);
  }
  return OK;
}

function omitAccount(e: DispositionNotificationEvent): Omit<DispositionNotificationEvent, 'account'> {
  const { account: _account, ...rest } = e;
  return rest;
}

export const imdnHandler: ContentHandler = { name: 'imdn', handle };
