/**
 * Wire vocabulary of the sylkRTC WebSocket API (`sylkrtc-websocket.md` §1.8–§1.9, §6): the
 * subprotocol, the server → client envelopes and the error texts of Appendix A that clients may show.
 * Request shapes live in `schemas.ts`; message-event payloads come from `messaging/events.ts`.
 */
import type { JournalEntryJson } from '../messaging/events.js';

export const SUBPROTOCOL = 'sylkRTC-2';
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

/** Appendix A texts (keep the original wording where one exists). */
export const Errors = {
  alreadyAdded: (aor: string) => `Account ${aor} already added`,
  domainNotAllowed: (domain: string) => `SIP domain not allowed: ${domain}`,
  unknownAccount: (aor: string, what?: 'remove' | 'register' | 'unregister' | 'token') =>
    what ? `Unknown account specified for ${what}: ${aor}` : `Unknown account specified: ${aor}`,
  notAuthenticated: 'Account not authenticated',
  internal: 'Internal error',
  tooManyAccounts: `Too many accounts on this connection (at most ${MAX_BINDINGS_PER_CONNECTION})`,
  notJson: 'Invalid request: the frame is not valid JSON',
  notObject: 'Invalid request: expected a JSON object',
  noKind: "Invalid request: missing 'sylkrtc' member",
  noTransaction: "Invalid request: missing 'transaction' member",
  unknownRequest: (name: string) => `Unknown request: ${name}`,
  calls: 'Calls are not supported by this server',
  conferences: 'Conferences are not supported by this server',
  binaryFrame: 'Invalid request: binary frames are not supported',
  contentTooLarge: `Content too large (at most ${MAX_CONTENT_BYTES} bytes)`,
  invalidSince: (v: string) => `Invalid since: ${v}`,
  passwordTooLong: (limit: number) => `Password too long (limit ${limit} characters)`,
  tooManyUnauthenticated: (limit: number) => `Too many accounts not yet registered on this connection (limit ${limit}); register or remove one first`,
  tooManyConnections: (limit: number) => `Too many connections from this address (limit ${limit})`,
} as const;
