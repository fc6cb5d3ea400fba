/**
 * Wire vocabulary of the sylkRTC WebSocket API (`sylkrtc-websocket.md` §1.8–§1.9, §6): the
 * subprotocol, the names of the requests the spec defines (§3–§5, §11), the server → client envelopes
 * and the limits. Request shapes live in `requests/` (one module each), the error texts in `errors.ts`;
 * message-event payloads come from `messaging/events.ts`.
 */
import type { JournalEntryJson } from '../messaging/index.js';

export const SUBPROTOCOL = 'sylkRTC-2';

/**
 * The messaging requests of the spec (§3 connection, §4 accounts, §5 messaging, §11 address book).
 * `requests/index.ts` checks at compile time that its list serves exactly these.
 */
export const SPEC_REQUESTS = [
  'ping',
  'lookup-public-key',
  'account-add',
  'account-remove',
  'account-register',
  'account-unregister',
  'account-devicetoken',
  'account-message',
  'account-disposition-notification',
  'account-sync-conversations',
  'account-mark-conversation-read',
  'account-remove-message',
  'account-remove-conversation',
  'account-fetch-addressbook',
  'account-update-addressbook',
] as const;
export type SpecRequestName = (typeof SPEC_REQUESTS)[number];
export const WS_PATH = '/webrtcgateway/ws';

/** Largest serialized event we send as one frame: Node clients close with 1009 above 1 MiB (§1.7). */
export const MAX_OUTGOING_FRAME = 1024 * 1024;
/** Target size of a `sync-conversations` event (§7.3 recommendation), leaving room for the envelope. */
export const SYNC_BATCH_BYTES = 768 * 1024;
/** Default and maximum `limit` of `account-sync-conversations` (§5.3; larger values are clamped). */
export const SYNC_DEFAULT_LIMIT = 5000;
export const SYNC_MAX_LIMIT = 5000;
/** Largest accepted `content` of `account-message` (§1.7 recommendation), in UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 256 * 1024;
/** Largest inbound frame (ws `maxPayload`): 1 MiB of content plus JSON escaping headroom. */
export const MAX_INBOUND_FRAME = 2 * 1024 * 1024;
/** Accounts one connection may bind (§4.1 recommendation). */
export const MAX_BINDINGS_PER_CONNECTION = 20;

export interface AckFrame {
  sylkrtc: 'ack';
  transaction: string;
}

export interface ErrorFrame {
  sylkrtc: 'error';
  transaction?: string;
  error: string;
}

export interface AccountEventFrame {
  sylkrtc: 'account-event';
  account: string;
  event: string;
  [member: string]: unknown;
}

export type RegistrationState = 'registering' | 'registered' | 'failed';

export type OutgoingFrame =
  | AckFrame
  | ErrorFrame
  | { sylkrtc: 'ready-event' }
  | { sylkrtc: 'lookup-public-key-event'; uri: string; public_key: string | null }
  | AccountEventFrame;

export interface AddressBook {
  contacts: unknown[];
  groups: unknown[];
  policies: unknown[];
}

export type SyncEntry = JournalEntryJson;
