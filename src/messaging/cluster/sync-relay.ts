/**
 * Device-to-device sync between server instances that share one store behind one proxy (DESIGN.md
 * decision 3: "device-to-device sync events travel as SIP MESSAGEs to the account itself";
 * `sip-messaging.md` §6.3.3, §5.3–§5.5, §8). The proxy (deploy/kamailio/kamailio.cfg) brings to the
 * WebSocket contacts that an instance registered for its connections (`sylkrtc/auth.ts`, Request-URI
 * parameter `sylk-ws`):
 *
 * (a) a copy of a message a WebSocket user sent on ANOTHER instance, marked `X-Replicated-Message`,
 *     From = that user: it becomes `sync-message-add` for the user's connections here, shaped like a
 *     copy recorded from a SIP device (§5.6.1: `transaction` "1", `server_generated: true`);
 * (b) the notices an instance sends to the account itself when a journal change was made
 *     (`X-Sylk-To-Sip`, To = the account): `application/sylk-conversation-read` `{"contact"}`,
 *     `application/sylk-message-remove` `{"contact", "message_id", "direction"}`,
 *     `application/sylk-conversation-remove` `{"contact", "timestamp"}` become `sync-conversation-read`,
 *     `sync-message-remove`, `sync-conversation-remove` here with the body as content.
 *
 * Nothing is stored: the sending instance wrote the shared journal before it sent. Each is announced
 * once per process (`local-delivery.ts`'s memory): the proxy sends one copy per WebSocket contact, i.e.
 * per connection of the account on this instance. Keys: the message id for (a); for (b) the notice's
 * Call-ID, which every forked copy shares. The instance that made a change told its own connections
 * already and must not do it again should its own MESSAGE come back (the proxy does not send it back,
 * this is the guard): it remembers the message id it announced (`rememberLocalSync`) and sends its
 * notices through `sendSyncNotice`, which picks the Call-ID and remembers it.
 *
 * A copy addressed to one of our contacts must be for that contact's account: the Request-URI's user
 * part is the account's user. The proxy removes `X-Sylk-*` headers of SIP devices, so only an instance
 * can send (b); (a) can only be sent by the account itself (the proxy authenticates From).
 */
import { randomUUID } from 'node:crypto';
import { contentTypeRow, type SyncNoticeEvent } from '../../journal/content-types.js';
import { parseTimestamp } from '../../payload/datetime.js';
import { parseSipUri } from '../../sip/message/uri.js';
import type { MessagingContext } from '../context.js';
import { normalizeAor } from '../identity.js';
import { sentMessageContent, type InboundMessage, type SipSideCar } from '../inbound.js';
import type { NoticeMessage } from '../outbound.js';
import { isContactCopy } from './local-delivery.js';

/** The Request-URI parameter of the contacts `sylkrtc/auth.ts` registers for WebSocket bindings. */
export const WS_CONTACT_PARAM = 'sylk-ws';

/** The sync event a notice of this content type becomes (its `syncNotice` in the table), or null. */
export function syncNoticeEvent(contentType: string): SyncNoticeEvent | null {
  return contentTypeRow(contentType).syncNotice;
}

/** Is this a content type of sync notices? */
export function isSyncNoticeType(contentType: string): boolean {
  return syncNoticeEvent(contentType) !== null;
}

/** Is this Request-URI one of the WebSocket contacts an instance registers (`;sylk-ws=...`)? */
export function isWsContactUri(uri: string): boolean {
  return parseSipUri(uri)?.params.has(WS_CONTACT_PARAM) ?? false;
}

/** A copy the proxy delivered to a contact of `account` (not the storage copy). */
function toContactOf(msg: InboundMessage, sip: SipSideCar, account: string): boolean {
  if (!isContactCopy(msg) && !isWsContactUri(sip.request.uri)) return false;
  const uri = parseSipUri(sip.request.uri);
  if (!uri) return false;
  return uri.user === undefined || uri.user === account.slice(0, account.lastIndexOf('@'));
}

/** `{"contact": "...", ...}` with the contact normalised to `user@host`, or a reason. */
function noticeBody(content: string): { contact: string; body: Record<string, unknown> } | string {
  let body: unknown;
  try {
    body = JSON.parse(content);
  } catch {
    return 'content is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'content is not a JSON object';
  const raw = (body as { contact?: unknown }).contact;
  const contact = typeof raw === 'string' ? normalizeAor(raw) : undefined;
  if (!contact || !contact.includes('@')) return 'missing or invalid contact';
  return { contact, body: body as Record<string, unknown> };
}

/** A replica is announced like a copy recorded from a SIP device (§5.6.1). */
const REPLICA = { transaction: '1', serverGenerated: true };

/** Case (a): a replica of a message the From account sent, delivered to one of its contacts. */
export function isOwnReplica(msg: InboundMessage): boolean {
  const sip = msg.sip;
  return sip !== undefined && sip.request.headers.has('x-replicated-message') && !sip.request.headers.has('x-sylk-to-sip') && toContactOf(msg, sip, msg.from);
}

/**
 * Case (a): announce `sync-message-add` to the sender's connections, once per process. Reports and
 * is-composing indications are never replicated by the proxy; should one come, it is dropped.
 */
export function relayReplica(msg: InboundMessage, ctx: MessagingContext): void {
  if (!contentTypeRow(msg.contentType).syncToSender) return;
  const account = msg.from;
  if (!ctx.announced.first('sync-message-add', account, msg.messageId)) {
    ctx.log.debug({ account, id: msg.messageId }, 'replica already announced');
    return;
  }
  ctx.events.emit('sync-message-add', { account, content: sentMessageContent(msg, REPLICA) });
}

/** Case (b): a sync notice (`X-Sylk-To-Sip`) for the To account, delivered to one of its contacts. */
export function isSyncNotice(msg: InboundMessage): boolean {
  const sip = msg.sip;
  return sip !== undefined && sip.request.headers.has('x-sylk-to-sip') && isSyncNoticeType(msg.contentType) && toContactOf(msg, sip, msg.to);
}

/**
 * Case (b): announce the sync event of the notice to the To account's connections, once per process
 * (key: Call-ID). A body that does not have what the event needs is logged and dropped.
 */
export function relaySyncNotice(msg: InboundMessage, ctx: MessagingContext): void {
  const name = syncNoticeEvent(msg.contentType);
  if (name === null) return;
  const account = msg.to;
  const parsed = noticeBody(msg.content);
  const drop = (why: string): void => ctx.log.warn({ account, contentType: msg.contentType, why }, 'sync notice dropped');
  if (typeof parsed === 'string') return drop(parsed);
  const { contact, body } = parsed;
  const key = msg.sip?.request.headers.get('call-id') ?? msg.messageId;
  if (name === 'sync-conversation-read') {
    if (ctx.announced.first(name, account, key)) ctx.events.emit(name, { account, content: { contact } });
  } else if (name === 'sync-message-remove') {
    const id = body.message_id;
    const direction = body.direction ?? 'outgoing';
    if (typeof id !== 'string' || id === '') return drop('missing message_id');
    if (direction !== 'outgoing' && direction !== 'incoming') return drop('invalid direction');
    if (ctx.announced.first(name, account, key)) ctx.events.emit(name, { account, content: { contact, message_id: id, direction } });
  } else {
    const timestamp = body.timestamp;
    if (typeof timestamp !== 'string' || !parseTimestamp(timestamp)) return drop('missing or invalid timestamp');
    if (ctx.announced.first(name, account, key)) ctx.events.emit(name, { account, content: { contact, timestamp } });
  }
}

/**
 * Send a sync notice (§6.3.3, §5.3–§5.5) for a change `account`'s connections here were already told
 * about, remembering its Call-ID so that a copy coming back is not announced again. Fire-and-forget.
 */
export function sendSyncNotice(ctx: MessagingContext, account: string, notice: NoticeMessage): void {
  const callId = `${randomUUID()}@sylk-sync`;
  const name = syncNoticeEvent(notice.contentType);
  if (name !== null) rememberLocalSync(ctx, name, account, callId);
  void ctx.outbound.notice({ ...notice, callId });
}

/** Remember that `(kind, account, key)` was announced here (a later copy is not announced again). */
export function rememberLocalSync(ctx: MessagingContext, kind: string, account: string, key: string): void {
  ctx.announced.first(kind, account, key);
}
