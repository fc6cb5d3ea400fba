/**
 * Validation of an incoming MESSAGE and its conversion into an `InboundMessage` (`sip-messaging.md`
 * §3.3 and §4): required headers, body decoding (`payload/decode.ts`), CPIM unwrapping
 * (`payload/cpim.ts`), sender/destination identities, message id, disposition and timestamp. The
 * request itself travels in the message's `sip` side-car.
 *
 * Differences from the original, each the spec's recommendation or needed by our guarantees:
 * - A body that cannot be decoded (not UTF-8, failed deflate) is answered `400` like an invalid CPIM
 *   body, instead of `200` and a silent drop: the message is not stored, the sender should know.
 * - Media types compare case-insensitively; AORs are `user@host` with the host lower-cased.
 * - Without a CPIM `Message-ID` the id is not random but derived from `Call-ID`, `CSeq` and the From
 *   tag (a name-based UUID), so a re-forked or retransmitted copy of the same request carries the same
 *   id and the store's idempotency drops it (DESIGN.md decision 2).
 */
import { createHash } from 'node:crypto';
import { parseCpim, mediaType, type CpimMessage } from '../../payload/cpim.js';
import { normalizeTimestampWithDate, nowTimestamp, parseTimestamp } from '../../payload/datetime.js';
import { decodeBody, decodeUtf8 } from '../../payload/decode.js';
import type { SipRequest } from '../../sip/message/message.js';
import type { Identity } from '../events.js';
import { aorOfUri, parseNameAddr } from '../identity.js';
import type { InboundMessage, SenderSide } from '../inbound.js';

/** The sender side of a MESSAGE marked `X-Sylk-From-Sip`: the proxy relayed it, a SIP device sent it. */
const FROM_SIP: SenderSide = { state: 'accepted', transaction: '1', serverGenerated: true, announce: 'when-stored', accountKnown: false };

export type ParseResult = { ok: true; message: InboundMessage } | { ok: false; status: number; reason: string };

/** A UUID-shaped id derived from the request's identity (RFC 4122 name-based form, SHA-1). */
export function derivedMessageId(request: SipRequest): string {
  const fromTag = /;\s*tag=([^;\s]+)/i.exec(request.headers.get('from') ?? '')?.[1] ?? '';
  const key = `${request.headers.get('call-id') ?? ''}\n${request.headers.get('cseq') ?? ''}\n${fromTag}`;
  const h = createHash('sha1').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const bad = (reason: string): ParseResult => ({ ok: false, status: 400, reason });

/**
 * Validate (§3.3) and parse (§4). `now` is injectable for tests; a function is called only when the
 * message carries no usable CPIM DateTime.
 */
export function parseMessageRequest(request: SipRequest, now: Date | (() => Date) = () => new Date()): ParseResult {
  const ctype = request.headers.get('content-type');
  const fromH = request.headers.get('from');
  const toH = request.headers.get('to');
  if (!ctype || !fromH || !toH) return bad('Missing Content-Type, From or To');
  if (request.body.length === 0) return bad('Empty body');
  const from = parseNameAddr(fromH);
  const to = parseNameAddr(toH);
  const fromAor = from && aorOfUri(from.uri);
  const toAor = to && aorOfUri(to.uri);
  if (!from || !to || !fromAor || !toAor || !fromAor.includes('@') || !toAor.includes('@')) return bad('Invalid From or To URI');
  const outerType = mediaType(ctype);
  let content: string;
  let contentType = outerType;
  let cpim: CpimMessage | null = null;
  let sender: Identity = { uri: fromAor, display_name: from.displayName };
  let messageId: string | null = null;
  let disposition: string[] | null = null;
  let timestamp: string | null = null;
  let timestampDate: Date | null = null;
  if (outerType === 'message/cpim') {
    const text = decodeUtf8(request.body);
    if (text === null) return bad('CPIM body is not valid UTF-8');
    try {
      cpim = parseCpim(text);
    } catch {
      return bad('Invalid CPIM body');
    }
    content = cpim.content;
    contentType = cpim.contentType;
    if (cpim.from) {
      const aor = aorOfUri(cpim.from.uri);
      if (aor && aor.includes('@')) sender = { uri: aor, display_name: cpim.from.displayName };
    }
    messageId = cpim.messageId;
    disposition = cpim.dispositionNotification;
    if (cpim.dateTime !== null) {
      const p = normalizeTimestampWithDate(cpim.dateTime);
      if (p !== null) {
        timestamp = p.text;
        timestampDate = p.date;
      }
    }
  } else {
    const text = decodeBody(request.body, request.headers.get('content-encoding'));
    if (text === null) return bad('Body is not valid UTF-8 (nor valid deflate)');
    content = text;
  }
  if (timestamp === null || timestampDate === null) {
    const t = typeof now === 'function' ? now() : now;
    timestamp = nowTimestamp(t);
    // The instant the formatted "now" denotes: `t` itself (millisecond precision both) in the years
    // the format writes back unchanged; otherwise as before, by parsing it.
    const y = t.getUTCFullYear();
    timestampDate = y >= 100 && y <= 9999 ? new Date(t.getTime()) : (parseTimestamp(timestamp)?.date ?? t);
  }
  return {
    ok: true,
    message: {
      source: 'sip',
      from: fromAor,
      sender,
      to: toAor,
      contentType,
      content,
      messageId: messageId ?? derivedMessageId(request),
      disposition,
      timestamp,
      timestampDate,
      senderSide: request.headers.has('x-sylk-from-sip') ? FROM_SIP : null,
      receiverSide: true,
      sip: { request, fromUri: from.uri, toUri: to.uri, cpim },
    },
  };
}
