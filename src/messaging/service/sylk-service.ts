/**
 * The implementation of `MessagingService` (`contract.ts`): the WebSocket requests of
 * `sylkrtc-websocket.md` §3.2 and §5 on the journal, the event bus and outgoing SIP MESSAGEs
 * (`sip-messaging.md` §6.3.1–§6.3.3, §7). An `account-message` becomes an `InboundMessage` with the
 * sender side only and goes through the one dispatch (`dispatch.ts`: the content-type table decides
 * what is recorded — the sender copy, a public key, a private-key message, nothing for is-composing);
 * the other requests share the journal operations of the SIP API handlers (`operations.ts`), so a WS
 * request and the corresponding SIP request change the journal alike.
 *
 * Choices (the spec's recommendations): content is an opaque Unicode string for every type and sent
 * as UTF-8 (quirk 5); is-composing is acknowledged and dropped (quirk 17); `failed`/`forbidden`
 * dispositions are forwarded (quirk 7); a SIP failure or DNS error marks the entry `failed` with a
 * `disposition-notification` instead of an error response (quirk 6); the remote unsend requires the
 * contact's copy to come from the caller (quirk 9); sync pages are cut at `limit` (≤ 5000) and say
 * whether more entries follow.
 */
import { randomUUID } from 'node:crypto';
import { serializeEntries } from '../../journal/serialize.js';
import { DISPOSITION_DISPLAY, DISPOSITION_POSITIVE_DELIVERY, isMessageState } from '../../journal/types.js';
import { buildCpim } from '../../payload/cpim.js';
import { formatTimestamp, parseTimestamp } from '../../payload/datetime.js';
import { IMDN_CONTENT_TYPE, buildImdn } from '../../payload/imdn.js';
import { rememberLocalSync, sendSyncNotice } from '../cluster/sync-relay.js';
import type { MessagingContext } from '../context.js';
import { createDispatch, type Dispatch } from '../dispatch.js';
import { normalizeAor } from '../identity.js';
import type { InboundMessage } from '../inbound.js';
import { pyJson } from '../json.js';
import { readConversation, removeConversation, removeMessage } from '../operations.js';
import {
  MessagingError,
  type DeliveryOutcome,
  type MarkConversationReadArgs,
  type MessagingService,
  type RemoveConversationArgs,
  type RemoveConversationResult,
  type RemoveMessageArgs,
  type RemoveMessageResult,
  type SendDispositionArgs,
  type SendMessageArgs,
  type SendMessageResult,
  type SyncConversationsArgs,
  type SyncConversationsResult,
} from './contract.js';

/** Largest sync page (`sylkrtc-websocket.md` §5.3 default, also the clamp). */
export const MAX_SYNC_LIMIT = 5000;

const REQUESTED_DISPOSITION = [DISPOSITION_POSITIVE_DELIVERY, DISPOSITION_DISPLAY];

function origin(o: string | undefined): { origin?: string } {
  return o !== undefined ? { origin: o } : {};
}

/** Run a store operation; any failure becomes `MessagingError('unavailable')`. */
async function stored<T>(ctx: MessagingContext, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MessagingError) throw err;
    ctx.log.error({ err, what }, 'journal operation failed');
    throw new MessagingError('unavailable', 'Storage unavailable, try again later', { cause: err });
  }
}

function sipFrom(account: string, displayName: string | null | undefined): string {
  const dn = (displayName ?? '').replace(/["\\\r\n]/g, '').trim();
  return dn ? `"${dn}" <sip:${account}>` : `<sip:${account}>`;
}

export class SylkMessagingService implements MessagingService {
  constructor(
    private readonly ctx: MessagingContext,
    /** The dispatch shared with the SIP ingress (default: one of its own on `ctx`). */
    private readonly dispatch: Dispatch = createDispatch(ctx),
  ) {}

  async sendMessage(args: SendMessageArgs): Promise<SendMessageResult> {
    const { ctx } = this;
    const ts = parseTimestamp(args.timestamp);
    if (!ts) throw new MessagingError('invalid', `Invalid timestamp: ${args.timestamp}`);
    const msg: InboundMessage = {
      source: 'websocket',
      from: args.account,
      sender: { uri: args.account, display_name: args.displayName ?? null },
      to: args.uri,
      contentType: args.content_type,
      content: args.content,
      messageId: args.message_id,
      disposition: [...REQUESTED_DISPOSITION],
      timestamp: args.timestamp,
      timestampDate: ts.date,
      senderSide: {
        state: 'pending',
        transaction: args.transaction,
        serverGenerated: false,
        ...origin(args.origin),
        announce: 'always',
        accountKnown: true,
      },
      receiverSide: false,
    };
    const result = await stored(ctx, 'dispatch', () => this.dispatch(msg));
    if (result.status >= 300) throw new MessagingError('invalid', result.reason ?? `Refused (${result.status})`);
    // An indication (is-composing) is acknowledged and dropped: nothing sent (quirk 17).
    if (result.row.ephemeral) return { stored: false, delivery: null };
    // The proxy copies it to the account's contacts on the other instances (cluster/sync-relay.ts);
    // should a copy come back here, it is not announced again.
    rememberLocalSync(ctx, 'sync-message-add', args.account, args.message_id);
    const dateTime = formatTimestamp(ts.date, ts.offsetMinutes ?? 0, ts.micros);
    return { stored: result.senderStored === true, delivery: this.deliver(args, dateTime) };
  }

  /** Send the CPIM MESSAGE and turn its final response into the entry state and an event. */
  private async deliver(args: SendMessageArgs, dateTime: string): Promise<DeliveryOutcome> {
    const { ctx } = this;
    const inner = args.content_type.toLowerCase().startsWith('text/') ? `${args.content_type}; charset="utf-8"` : args.content_type;
    const body = buildCpim({
      from: { displayName: args.displayName ?? null, uri: `sip:${args.account}` },
      to: { displayName: null, uri: `sip:${args.uri}` },
      dateTime,
      messageId: args.message_id,
      dispositionNotification: REQUESTED_DISPOSITION,
      contentType: inner,
      content: args.content,
    });
    const result = await ctx.outbound.userMessage({
      uri: `sip:${args.uri}`,
      from: sipFrom(args.account, args.displayName),
      to: `<sip:${args.uri}>`,
      body,
      ...(args.credentials ? { credentials: args.credentials } : {}),
    });
    const { status, reason } = result.response;
    const outcome: DeliveryOutcome = { state: status < 300 ? 'accepted' : 'failed', code: status, reason };
    try {
      await ctx.store.updateState(args.account, args.message_id, outcome.state);
    } catch (err) {
      ctx.log.error({ err, account: args.account, id: args.message_id }, 'could not record the delivery state');
    }
    ctx.events.emit('disposition-notification', {
      account: args.account,
      message_id: args.message_id,
      message_timestamp: dateTime,
      state: outcome.state,
      code: outcome.code,
      reason: outcome.reason,
    });
    return outcome;
  }

  async sendDispositionNotification(args: SendDispositionArgs): Promise<void> {
    const { ctx } = this;
    if (isMessageState(args.state)) {
      await stored(ctx, 'updateState', () => ctx.store.updateState(args.account, args.message_id, args.state));
    }
    const body = buildCpim({
      from: { displayName: args.displayName ?? null, uri: `sip:${args.account}` },
      to: { displayName: null, uri: `sip:${args.uri}` },
      dateTime: formatTimestamp(ctx.now(), 0),
      messageId: randomUUID(),
      dispositionNotification: null,
      contentType: IMDN_CONTENT_TYPE,
      content: buildImdn({ messageId: args.message_id, datetime: args.timestamp, recipientUri: args.uri, state: args.state }),
    });
    void ctx.outbound.userMessage({
      uri: `sip:${args.uri}`,
      from: sipFrom(args.account, args.displayName),
      to: `<sip:${args.uri}>`,
      body,
      ...(args.credentials ? { credentials: args.credentials } : {}),
    });
  }

  async markConversationRead(args: MarkConversationReadArgs): Promise<void> {
    const { ctx } = this;
    await stored(ctx, 'markConversationRead', () => readConversation(ctx, args.account, args.contact, args.origin));
    this.simpleNotice(args.account, args.contact, 'application/sylk-conversation-read', pyJson({ contact: args.contact }));
  }

  async removeMessage(args: RemoveMessageArgs): Promise<RemoveMessageResult> {
    const { ctx } = this;
    const outcome = await stored(ctx, 'removeMessage', () =>
      removeMessage(ctx, { account: args.account, contact: args.contact, messageId: args.message_id, ...origin(args.origin), requireExisting: false }),
    );
    this.simpleNotice(
      args.account,
      args.contact,
      'application/sylk-message-remove',
      pyJson({ contact: args.contact, message_id: args.message_id, direction: 'outgoing' }),
    );
    return { removed: outcome.removed !== null, remoteRemoved: outcome.remoteRemoved };
  }

  async removeConversation(args: RemoveConversationArgs): Promise<RemoveConversationResult> {
    const { ctx } = this;
    const r = await stored(ctx, 'removeConversation', () => removeConversation(ctx, args.account, args.contact, ctx.now(), args.origin));
    this.simpleNotice(args.account, args.contact, 'application/sylk-conversation-remove', pyJson({ contact: args.contact, timestamp: r.timestamp }));
    return r;
  }

  /**
   * §6.3.3: to the account's own SIP devices, appearing to come from the contact; the proxy also brings
   * it to the account's connections on the other instances (`sync-relay.ts`).
   */
  private simpleNotice(account: string, contact: string, contentType: string, body: string): void {
    sendSyncNotice(this.ctx, account, { uri: `sip:${account}`, to: `<sip:${account}>`, from: `<sip:${contact}>`, contentType, body, wsOriginated: true });
  }

  async lookupPublicKey(uri: string): Promise<string | null> {
    const aor = normalizeAor(uri) ?? uri;
    const key = await stored(this.ctx, 'getPublicKey', () => this.ctx.store.getPublicKey(aor));
    return key ? key.key : null;
  }

  async syncConversations(args: SyncConversationsArgs): Promise<SyncConversationsResult> {
    const limit = args.limit ?? MAX_SYNC_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new MessagingError('invalid', `Invalid limit: ${String(args.limit)}`);
    let since: Date | null = null;
    if (args.since !== undefined && args.since !== null && args.since !== '') {
      const p = parseTimestamp(args.since);
      if (!p) throw new MessagingError('invalid', `Invalid since: ${args.since}`);
      since = p.date;
    }
    const page = Math.min(limit, MAX_SYNC_LIMIT);
    const result = await stored(this.ctx, 'query', () =>
      this.ctx.store.query(args.account, { afterId: args.message_id ?? null, since, limit: page + 1 }),
    );
    const more = result.entries.length > page;
    const { messages, skipped } = serializeEntries(more ? result.entries.slice(0, page) : result.entries);
    if (skipped.length > 0) this.ctx.log.warn({ account: args.account, skipped }, 'journal entries not serializable: skipped');
    return { messages, more };
  }

  async recordLogin(account: string): Promise<void> {
    await stored(this.ctx, 'addAccount', () => this.ctx.store.addAccount(account, this.ctx.now()));
  }
}
