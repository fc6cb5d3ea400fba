/**
 * Domain types of the per-account message journal and the other data the messaging service keeps
 * (accounts, API tokens, public keys, the latest private-key message, push tokens).
 *
 * Implements the logical model of `journal-storage.md` §1–§2 and `push.md` §2, with the
 * re-implementation recommendations of §8: all times are UTC `Date`s (millisecond precision, like
 * Cassandra `timestamp` columns), states are restricted to the serializable list (§2.2, §8.3).
 * Field names are camelCase here; the storage engines map them to the normative column names.
 */
import { contentTypeRow, contentTypesWith, type KnownContentType } from './content-types.js';

/** `incoming`, `outgoing`, or `''` for conversation markers (§2). */
export type Direction = 'incoming' | 'outgoing' | '';

export const DIRECTIONS: readonly Direction[] = ['incoming', 'outgoing', ''];

/** Every state a client may see (§2.2). Nothing else is ever stored. */
export const MESSAGE_STATES = [
  'pending',
  'accepted',
  'failed',
  'delivered',
  'displayed',
  'forbidden',
  'error',
  'received',
] as const;

export type MessageState = (typeof MESSAGE_STATES)[number];

export function isMessageState(value: unknown): value is MessageState {
  return typeof value === 'string' && (MESSAGE_STATES as readonly string[]).includes(value);
}

/**
 * Names of the content types of the entries the server writes itself (§2.1). What each type means
 * (handler, unread, push, sync) is its row in `content-types.ts`, the one table; these are only names.
 */
export const CONTENT_TYPES = {
  imdn: 'message/imdn',
  messageRemove: 'application/sylk-message-remove',
  conversationRead: 'application/sylk-conversation-read',
  conversationRemove: 'application/sylk-conversation-remove',
  fileTransfer: 'application/sylk-file-transfer',
  publicKey: 'text/pgp-public-key',
  privateKey: 'text/pgp-private-key',
} as const satisfies Record<string, KnownContentType>;

/** Content types that count as unread messages (§2.3): the `unread` rows of the table. */
export const UNREAD_CONTENT_TYPES: readonly string[] = contentTypesWith('unread');

/** Disposition values (IMDN notifications requested/outstanding). */
export const DISPOSITION_POSITIVE_DELIVERY = 'positive-delivery';
export const DISPOSITION_DISPLAY = 'display';

/** One journal entry (§2). */
export interface JournalEntry {
  /** Owner of the journal (AOR `user@domain`, no scheme). */
  account: string;
  /** The other party, or the conversation a marker refers to. */
  contact: string;
  direction: Direction;
  contentType: string;
  /** Payload; binary payloads are Latin-1 code-point strings. */
  content: string;
  /** Storage time (UTC), assigned by the store. Defines `since`; never sent to clients. */
  createdAt: Date;
  messageId: string;
  /** Outstanding IMDN notifications, or null when none were requested. */
  disposition: string[] | null;
  state: MessageState | null;
  /** The message's own timestamp; sent to clients as `timestamp`. */
  msgTimestamp: Date;
}

/**
 * An entry to add. `createdAt` is normally assigned by the store (now, UTC); `import`/`migrate` pass
 * the original one so `since` keeps working after a copy.
 */
export type NewJournalEntry = Omit<JournalEntry, 'createdAt'> & { createdAt?: Date };

/** Is this entry an unread message (§2.3)? Engines use it to maintain an unread flag/index. */
export function isUnread(e: Pick<JournalEntry, 'account' | 'contact' | 'direction' | 'contentType' | 'disposition'>): boolean {
  return (
    e.direction === 'incoming' &&
    contentTypeRow(e.contentType).unread &&
    e.contact !== e.account &&
    e.disposition !== null &&
    e.disposition.includes(DISPOSITION_DISPLAY)
  );
}

/** Unread message counts of one account (§2.3), as used for badges and `account-sync` answers. */
export interface UnreadCounts {
  total: number;
  /** contact → number of unread entries; contacts with none are absent. */
  byContact: Map<string, number>;
}

/** Account record (§3.7). The API token is kept separately (see {@link ApiToken}). */
export interface Account {
  aor: string;
  /** Last WS registration / SIP token request; informational. */
  lastLogin: Date | null;
}

/** HTTP API token of an account (§3.7, `http-api.md` §7). */
export interface ApiToken {
  aor: string;
  token: string;
  expiresAt: Date;
}

/** The last OpenPGP public key published by an AOR (§3.8). */
export interface PublicKey {
  aor: string;
  /** Armored key text. */
  key: string;
  createdAt: Date;
}

/**
 * The latest `text/pgp-private-key` message of an account. The original only remembers its id;
 * we keep the message so a device that was offline gets the key on its next sync.
 */
export interface PrivateKeyMessage {
  account: string;
  messageId: string;
  contact: string;
  direction: Direction;
  /** Armored (encrypted) private key as sent by the client. */
  content: string;
  msgTimestamp: Date;
  createdAt: Date;
}

/** Push token record, one per account × app × device (`push.md` §2). */
export interface PushToken {
  account: string;
  appId: string;
  deviceId: string;
  /** `pn_type`: ios, android, apple, firebase, ... */
  platform: string;
  /** Device token (after the iOS split of `push.md` §1.1). */
  token: string;
  /** Second iOS token (regular APNs token for message pushes) or null. */
  backgroundToken: string | null;
  /** Stored as `"0"`/`"1"` where the schema requires (Cassandra); boolean here. */
  silent: boolean;
  /** User agent given in `account-add`, or null (Cassandra does not keep it). */
  userAgent: string | null;
}

/** Which rule of `sylkrtc-websocket.md` §7.3 selected the entries of a query. */
export type QueryBasis = 'cursor' | 'since' | 'all';

export interface QueryOptions {
  /** Cursor: return entries strictly after the entry with this id (§7.3 rule 1). */
  afterId?: string | null;
  /** Return entries with `createdAt` strictly later than this (rule 2), when no known cursor. */
  since?: Date | null;
  /** Keep only the oldest `limit` entries (≥ 1; callers clamp). */
  limit: number;
}

export interface QueryResult {
  /** Oldest first. */
  entries: JournalEntry[];
  /** Which rule applied: known cursor, `since`, or whole journal (unknown/absent cursor, no since). */
  basis: QueryBasis;
}

/** Default retention of journal entries: one year, like the Cassandra TTL (§4.3). */
export const DEFAULT_RETENTION_DAYS = 365;

/** Default API token lifetime: 31 days, like the Cassandra column TTL (§3.7). */
export const DEFAULT_API_TOKEN_TTL_MS = 2_678_400_000;
