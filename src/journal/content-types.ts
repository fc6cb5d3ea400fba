/**
 * The one table of content types (`sip-messaging.md` §5 dispatch table, §5.6.1–§5.6.2;
 * `journal-storage.md` §2.1, §2.3; `push.md` §3): per media type, the messaging module that handles
 * it and what the type means for the journal, the sender's devices, push and cluster sync.
 *
 * It lives in `journal/` — the lowest layer that needs it (the engines keep an unread flag) — and every
 * layer above reads it: `push/` (what is pushed), `messaging/` (which handler, sender copy, sync
 * notices). Handlers are named here, implemented in `messaging/handlers/` (wired by name there; the
 * compiler checks that every name has an implementation).
 *
 * Adding a content type is one row here (plus its handler module when it has behaviour of its own).
 * A type without a row is an opaque ordinary message ({@link DEFAULT_CONTENT_TYPE}).
 */

/** The messaging modules a content type can be handed to (`messaging/handlers/<name>.ts`). */
export type ContentHandlerName =
  | 'message'
  | 'imdn'
  | 'iscomposing'
  | 'pgp-public-key'
  | 'pgp-private-key'
  | 'ft-http'
  | 'api-token'
  | 'api-pgp-key-lookup'
  | 'api-message-remove'
  | 'api-conversation-read'
  | 'api-conversation-remove';

/** The sync event a server notice to the account itself becomes on the other instances (§6.3.3). */
export type SyncNoticeEvent = 'sync-conversation-read' | 'sync-message-remove' | 'sync-conversation-remove';

export interface ContentTypeRow {
  /** The module that handles it (a disabled module falls back to `message`). */
  readonly handler: ContentHandlerName;
  /** A message sent by the account itself (SIP `X-Sylk-From-Sip`, WebSocket) gets an `outgoing` copy (§5.6.1). */
  readonly senderCopy: boolean;
  /** A copy one device sent is announced to the sender's other devices (`sync-message-add`). */
  readonly syncToSender: boolean;
  /** An incoming entry of this type counts as unread (§2.3). */
  readonly unread: boolean;
  /** The receiver gets a push for it (`push.md` §3). */
  readonly pushed: boolean;
  /** A notice of this type to the account itself is a sync notice for its other connections. */
  readonly syncNotice: SyncNoticeEvent | null;
  /** An indication, not a message: a WebSocket client's is dropped, never relayed (quirk 17). */
  readonly ephemeral: boolean;
}

const row = (handler: ContentHandlerName, flags: Partial<Omit<ContentTypeRow, 'handler'>> = {}): ContentTypeRow => ({
  handler,
  senderCopy: true,
  syncToSender: true,
  unread: false,
  pushed: false,
  syncNotice: null,
  ephemeral: false,
  ...flags,
});

/** A chat message: stored on both sides, unread, pushed. */
const chat = row('message', { unread: true, pushed: true });

/** Every content type the server knows by name (media types in lower case, no parameters). */
export const CONTENT_TYPE_TABLE = {
  'text/plain': chat,
  'text/html': chat,
  'application/sylk-file-transfer': chat,
  'application/vnd.gsma.rcs-ft-http+xml': row('ft-http'),
  'message/imdn+xml': row('imdn', { senderCopy: false, syncToSender: false }),
  'message/imdn': row('message'),
  'application/im-iscomposing+xml': row('iscomposing', { senderCopy: false, syncToSender: false, ephemeral: true }),
  'text/pgp-public-key': row('pgp-public-key', { senderCopy: false }),
  'text/pgp-private-key': row('pgp-private-key'),
  'application/sylk-api-token': row('api-token'),
  'application/sylk-api-pgp-key-lookup': row('api-pgp-key-lookup'),
  'application/sylk-api-message-remove': row('api-message-remove'),
  'application/sylk-api-conversation-read': row('api-conversation-read'),
  'application/sylk-api-conversation-remove': row('api-conversation-remove'),
  'application/sylk-message-remove': row('message', { syncNotice: 'sync-message-remove' }),
  'application/sylk-conversation-read': row('message', { syncNotice: 'sync-conversation-read' }),
  'application/sylk-conversation-remove': row('message', { syncNotice: 'sync-conversation-remove' }),
} as const satisfies Record<string, ContentTypeRow>;

export type KnownContentType = keyof typeof CONTENT_TYPE_TABLE;

/** Any type without a row: an opaque ordinary message (stored, not unread, not pushed). */
export const DEFAULT_CONTENT_TYPE: ContentTypeRow = row('message');

const table: ReadonlyMap<string, ContentTypeRow> = new Map(Object.entries(CONTENT_TYPE_TABLE));

/** The row of a content type exactly as stored (lower-case media type), or the default row. */
export function contentTypeRow(contentType: string): ContentTypeRow {
  return table.get(contentType) ?? DEFAULT_CONTENT_TYPE;
}

/** The row of a media type as a client wrote it (surrounding blanks and case ignored). */
export function mediaTypeRow(mediaType: string): ContentTypeRow {
  return table.get(mediaType) ?? table.get(mediaType.trim().toLowerCase()) ?? DEFAULT_CONTENT_TYPE;
}

/** Is this a media type named in the table? */
export function isKnownContentType(contentType: string): contentType is KnownContentType {
  return table.has(contentType);
}

/** The media types whose rows have `flag` set, in table order. */
export function contentTypesWith(flag: 'unread' | 'pushed' | 'senderCopy' | 'ephemeral'): readonly string[] {
  return [...table].filter(([, r]) => r[flag]).map(([t]) => t);
}
