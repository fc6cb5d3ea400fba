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
 * The bindings of other instances' WebSocket connections (`ws-presence.ts`) get the message as CPIM
 * (its Message-ID is the entry's, so the copy is recognised there), the sender's as a replica with
 * `X-Replicated-Message` only (proxy mode's replica, announced there as `sync-message-add`).
 * An IMDN recorded for the original sender (`sip-messaging.md` §5.7, whether a device or a WebSocket
 * client sent it) goes to each of the sender's bindings as the request that brought it (the proxy
 * of proxy mode forks it so). Markers (read, removals) and keys are journal bookkeeping: not sent.
 * Best effort and asynchronous: the journal stays the truth; the event listener only starts the sends.
 */
import type { Binding } from '../../journal/bindings.js';
import type { ClientEntry } from '../../journal/serialize.js';
import { CONTENT_TYPES } from '../../journal/types.js';
import { buildCpim } from '../../payload/cpim.js';
import type { DeviceRequest, DeviceSender } from '../../registrar/device-sender.js';
import { deviceOrigin } from '../../registrar/origin.js';
import type { Logger } from '../../util/logger.js';
import { isWsContactUri } from '../cluster/sync-relay.js';
import type { JournalAppendedEvent, MessagingEvents } from '../events.js';

const NOT_DELIVERED = new Set<string>([
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

/** A binding of another instance's WebSocket connections (`ws-presence.ts`), not of a device. */
const isWsHub = (b: Binding): boolean => isWsContactUri(b.contact);

/** The entry as a CPIM MESSAGE (`RFC 3862`, with the IMDN Message-ID and disposition), as a WebSocket client's message travels in proxy mode. */
function cpimOf(entry: ClientEntry, from: string, to: string): DeviceRequest {
  const body = buildCpim({
    from: { displayName: null, uri: `sip:${from}` },
    to: { displayName: null, uri: `sip:${to}` },
    dateTime: entry.timestamp,
    messageId: entry.message_id,
    dispositionNotification: entry.disposition.length > 0 ? entry.disposition : null,
    contentType: textType(entry.content_type),
    content: entry.content,
  });
  return { from: `<sip:${from}>`, to: `<sip:${to}>`, contentType: 'message/cpim', body: Buffer.from(body, 'utf8') };
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
    const devices = this.o.devices;
    let p: Promise<unknown>;
    if (entry.content_type === CONTENT_TYPES.imdn) {
      // An IMDN (RFC 5438) recorded for the original sender: the report itself goes to every device
      // of theirs, as the request that brought it (the journal keeps only its outcome). The copy of a
      // device's own IMDN kept for itself is not sent anywhere.
      if (entry.direction !== 'incoming' || !origin || origin.aor !== entry.contact) return;
      const r = origin.request;
      p = devices.sendToAccount(account, { from: `<sip:${entry.contact}>`, to: `<sip:${account}>`, contentType: r.headers.get('content-type') ?? 'message/cpim', body: r.body });
    } else if (entry.direction === 'incoming') {
      // The WebSocket connections on other instances always get CPIM, whose Message-ID is the entry's.
      const cpim = cpimOf(entry, entry.contact, account);
      let forDevices = cpim;
      if (origin && origin.flow !== null && origin.aor === entry.contact) {
        const r = origin.request;
        forDevices = { from: `<sip:${entry.contact}>`, to: `<sip:${account}>`, contentType: r.headers.get('content-type') ?? 'text/plain', body: r.body };
      }
      // A device that does not take CPIM (415, e.g. plain SIP phones) gets the content itself.
      const plain: DeviceRequest = { ...cpim, contentType: textType(entry.content_type), body: Buffer.from(entry.content, 'utf8') };
      p = devices
        .sendToAccount(account, (b) => (isWsHub(b) ? cpim : forDevices))
        .then((results) => Promise.all(results.filter((r) => r.status === 415 && r.request === cpim && !isWsHub(r.binding)).map((r) => devices.send(r.binding, plain))));
    } else {
      const exclude = origin && origin.aor === account ? origin.flow : undefined;
      const replica: DeviceRequest = {
        from: `<sip:${account}>`,
        to: `<sip:${entry.contact}>`,
        contentType: textType(entry.content_type),
        body: Buffer.from(entry.content, 'utf8'),
        headers: [
          ['X-Sylk-To-Sip', 'yes'],
          ['X-Replicated-Message', 'yes'],
        ],
      };
      // The sender's connections on other instances: the replica as proxy mode's proxy makes it (CPIM,
      // `X-Replicated-Message`, no `X-Sylk-To-Sip`), which they announce as `sync-message-add`.
      const wsReplica: DeviceRequest = { ...cpimOf(entry, account, entry.contact), headers: [['X-Replicated-Message', 'yes']] };
      p = devices.sendToAccount(account, (b) => (isWsHub(b) ? wsReplica : b.flow !== exclude ? replica : undefined));
    }
    const tracked = p.catch((err: unknown) => this.o.log.warn({ err, account, id: entry.message_id }, 'SIP delivery failed'));
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }
}
