/**
 * The one value every inbound message becomes before it is dispatched (`dispatch.ts`), whatever its
 * source (DESIGN.md decision 4, "one pipeline for every source"): a MESSAGE the proxy forked to us
 * (`sip-ingress/`), an `account-message` of a WebSocket client (`service/`), and — the entry point is
 * the same — a file upload, a server notice, a MESSAGE of a registered SIP device.
 *
 * The source decides only which sides the server records and whom it tells (`senderSide`,
 * `receiverSide`); the content type decides what is done (`journal/content-types.ts`). SIP details
 * travel in the optional `sip` side-car, read only by the code that needs them (replies to the
 * request's URIs, the cluster rules of `cluster/`).
 */
import type { CpimMessage } from '../payload/cpim.js';
import type { SipRequest } from '../sip/message/message.js';
import type { AccountMessageContent, Identity } from './events.js';

/** Where a message came from (logs, metrics; behaviour follows `senderSide`/`receiverSide`). */
export type MessageSource = 'sip' | 'websocket' | 'file-upload' | 'server-notice' | 'sip-device';

/**
 * The message was sent by the account `from` itself (one of its devices): its `outgoing` copy is
 * recorded (for the content types that get one) and its other devices are told (`sync-message-add`).
 */
export interface SenderSide {
  /** State of the sender copy: `accepted` (relayed by the proxy), `pending` (we send it over SIP). */
  state: 'accepted' | 'pending';
  /** `transaction` of the `sync-message-add` (the WS request's; "1" for a copy recorded from SIP). */
  transaction: string;
  /** Marks a copy the server recorded from SIP (`server_generated: true`, §5.6.1). */
  serverGenerated: boolean;
  /** The WS connection that sent it (skipped by the `sync` fork). */
  origin?: string;
  /** `always`: the sender's devices are told even of a known id (a WS request); else only when stored. */
  announce: 'always' | 'when-stored';
  /** The sender is an authenticated account here: no storage-enabled check for its copy. */
  accountKnown: boolean;
}

/** SIP details of a message that came as a SIP request. */
export interface SipSideCar {
  request: SipRequest;
  /** SIP From and To URIs as written (replies go there). */
  fromUri: string;
  toUri: string;
  cpim: CpimMessage | null;
}

export interface InboundMessage {
  source: MessageSource;
  /** The sending account's AOR (SIP From, the WS account). */
  from: string;
  /** Sender identity as shown to the receiver (CPIM From if present, else `from`). */
  sender: Identity;
  /** The receiving AOR (SIP To, the WS `uri`). */
  to: string;
  /** Media type of the content as given (lower case from SIP; a WS client's as written). */
  contentType: string;
  content: string;
  messageId: string;
  /** Disposition-Notification list, or null. */
  disposition: string[] | null;
  /** The timestamp as clients are shown it, and the instant it denotes. */
  timestamp: string;
  timestampDate: Date;
  /** Record and announce the sender's side; null when the sender is not ours to record. */
  senderSide: SenderSide | null;
  /** Record and deliver the receiver's side (the `incoming` copy, `message` event, push). */
  receiverSide: boolean;
  sip?: SipSideCar;
}

/** Where replies to the sender go: the SIP From URI as written, else the AOR. */
export function fromUriOf(msg: InboundMessage): string {
  return msg.sip?.fromUri ?? `sip:${msg.from}`;
}

/** The receiver's URI: the SIP To URI as written, else the AOR. */
export function toUriOf(msg: InboundMessage): string {
  return msg.sip?.toUri ?? `sip:${msg.to}`;
}

/** The `account-message` object of the `sync-message-add` for the sender's other devices (§6.5). */
export function sentMessageContent(msg: InboundMessage, side: Pick<SenderSide, 'transaction' | 'serverGenerated'>): AccountMessageContent {
  const content: AccountMessageContent = {
    sylkrtc: 'account-message',
    transaction: side.transaction,
    account: msg.from,
    uri: msg.to,
    message_id: msg.messageId,
    content: msg.content,
    content_type: msg.contentType,
    timestamp: msg.timestamp,
  };
  if (side.serverGenerated) content.server_generated = true;
  return content;
}
