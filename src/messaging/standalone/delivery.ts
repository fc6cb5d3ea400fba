/**
 * Delivery to registered SIP devices in standalone mode (`standalone.md` §3 "Delivery"): a subscriber
 * of the messaging events, beside the WebSocket fan-out and push (DESIGN.md "SIP delivery"). For every
 * message entry appended to a journal — whatever its source: a SIP device, a WebSocket client, a file
 * upload, a server notice —
 * - an `incoming` entry (the recipient's copy) is sent to each registered contact of the recipient:
 *   the request as the sending device sent it when it came from a device (`registrar/origin.ts`),
 *   else a CPIM MESSAGE (`RFC 3862`, with the IMDN Message-ID and disposition) as a WebSocket
 *   client's message travels in proxy mode — and to a device that answers `415` (no CPIM: plain SIP
 *   phones) the content itself with its own type;
 * - an `outgoing` entry (the sender's copy) is sent as a replica to each of the sender's contacts
 *   except the device it came from: no CPIM, `X-Replicated-Message: yes`, `X-Sylk-To-Sip: yes`
 *   (`sip-messaging.md` §6.3.6).
 * Markers (read, removals, IMDN records) and keys are journal bookkeeping, not messages: not sent.
 * Best effort and asynchronous: the journal stays the truth; the event listener only starts the sends.
 */
import { CONTENT_TYPES } from '../../journal/types.js';
import { buildCpim } from '../../payload/cpim.js';
import type { DeviceRequest, DeviceSender } from '../../registrar/device-sender.js';
import { deviceOrigin } from '../../registrar/origin.js';
import type { Logger } from '../../util/logger.js';
import type { JournalAppendedEvent, MessagingEvents } from '../events.js';

const NOT_DELIVERED = new Set<string>([
  CONTENT_TYPES.imdn,
  CONTENT_TYPES.messageRemove,
  CONTENT_TYPES.conversationRead,
  CONTENT_TYPES.conversationRemove,
  CONTENT_TYPES.publicKey,
  CONTENT_TYPES.privateKey,
]);

export interface SipDeliveryOptions {
  events: MessagingEvents;
  devices: Pick<DeviceSender, 'sendToAccount' | 'send'>;
  log: Logger;
}

function textType(contentType: string): string {
  return contentType.toLowerCase().startsWith('text/') ? `${contentType}; charset=utf-8` : contentType;
}

/** Subscribe; returns the unsubscribe function. Sends in flight are tracked by `idle()`. */
export class SipDelivery {
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly off: () => void;

  constructor(private readonly o: SipDeliveryOptions) {
    this.off = o.events.on('journal-appended', (e) => this.onAppended(e));
  }

  close(): void {
    this.off();
  }

  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private onAppended({ account, entry }: JournalAppendedEvent): void {
    if (NOT_DELIVERED.has(entry.content_type)) return;
    const origin = deviceOrigin();
    let p: Promise<unknown> | undefined;
    if (entry.direction === 'incoming') {
      let req: DeviceRequest;
      if (origin && origin.aor === entry.contact) {
        const r = origin.request;
        req = {
          from: `<sip:${entry.contact}>`,
          to: `<sip:${account}>`,
          contentType: r.headers.get('content-type') ?? 'text/plain',
          body: r.body,
        };
      } else {
        const body = buildCpim({
          from: { displayName: null, uri: `sip:${entry.contact}` },
          to: { displayName: null, uri: `sip:${account}` },
          dateTime: entry.timestamp,
          messageId: entry.message_id,
          dispositionNotification: entry.disposition.length > 0 ? entry.disposition : null,
          contentType: textType(entry.content_type),
          content: entry.content,
        });
        req = { from: `<sip:${entry.contact}>`, to: `<sip:${account}>`, contentType: 'message/cpim', body: Buffer.from(body, 'utf8') };
        // A device that does not take CPIM (415, e.g. plain SIP phones) gets the content itself.
        const plain: DeviceRequest = { ...req, contentType: textType(entry.content_type), body: Buffer.from(entry.content, 'utf8') };
        p = this.o.devices
          .sendToAccount(account, req)
          .then((results) => Promise.all(results.filter((r) => r.status === 415).map((r) => this.o.devices.send(r.binding, plain))));
      }
      p ??= this.o.devices.sendToAccount(account, req);
    } else {
      const exclude = origin && origin.aor === account ? origin.flow : undefined;
      const req: DeviceRequest = {
        from: `<sip:${account}>`,
        to: `<sip:${entry.contact}>`,
        contentType: textType(entry.content_type),
        body: Buffer.from(entry.content, 'utf8'),
        headers: [
          ['X-Sylk-To-Sip', 'yes'],
          ['X-Replicated-Message', 'yes'],
        ],
      };
      p = this.o.devices.sendToAccount(account, req, (b) => b.flow !== exclude);
    }
    const tracked = p.catch((err: unknown) => this.o.log.warn({ err, account, id: entry.message_id }, 'SIP delivery failed'));
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }
}
