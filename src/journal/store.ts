/**
 * The storage interface every engine (`src/storage/sqlite`, `postgres`, `cassandra`) implements: the
 * operations of `journal-storage.md` §3 plus push tokens (`push.md` §2), the private-key message,
 * retention and the few enumeration calls `sylk-db` needs (`sylk-db.md`).
 *
 * Contract shared by all engines (checked by `test/storage/conformance.ts`):
 * - **Durable before resolved.** A write's promise resolves only after its transaction committed.
 *   Writes issued in one event-loop turn are committed together (group commit, see
 *   `storage/group-commit.ts`), and writes are applied in the order they were issued.
 * - **Reads see every write whose promise has resolved.** A read issued before an earlier write has
 *   resolved may or may not see it; callers await their writes.
 * - **Idempotent by message id** per account, enforced by the engine (unique key / LWT), never by a
 *   check-then-insert in the caller.
 * - All times are UTC; `createdAt` is assigned by the store unless the caller passes one (import).
 * - Ids of removed entries stay resolvable as cursors until they expire (the id map of §1).
 *
 * Change policy: other areas code against this interface; it only changes additively.
 */
import type { AccountStore } from './local-accounts.js';
import type { AddressBookTable } from './address-book.js';
import type { BindingStore } from './bindings.js';
import type {
  Account,
  ApiToken,
  JournalEntry,
  MessageState,
  NewJournalEntry,
  PrivateKeyMessage,
  PublicKey,
  PushToken,
  QueryOptions,
  QueryResult,
  UnreadCounts,
} from './types.js';

/** Result of {@link JournalStore.updateState}. */
export interface UpdateStateResult {
  /** The entry after the update (unchanged if nothing applied). */
  entry: JournalEntry;
  /** Whether the state column changed (false for `received` entries and refused regressions). */
  stateChanged: boolean;
  /** Whether the disposition list changed. */
  dispositionChanged: boolean;
}

/** A page of an enumeration (accounts with data), for `sylk-db` and `migrate`. */
export interface AccountPage {
  aors: string[];
  /** Pass as `after` to get the next page; null when this was the last page. */
  next: string | null;
}

/** Counts of what {@link JournalStore.expire} deleted. */
export interface ExpireResult {
  entries: number;
  apiTokens: number;
}

export interface JournalStore {
  /** Engine name (`sqlite`, `postgres`, `cassandra`), for logs and `sylk-db`. */
  readonly engine: string;

  /**
   * The local accounts of standalone mode (`local-accounts.ts`, `standalone.md` §2), in the same
   * database. Unrelated to the account *records* below (last login, API token).
   */
  readonly localAccounts: AccountStore;
  /** The address books kept in this store (`address-book.ts`; one table per engine, `storage/<engine>/address-book.ts`). */
  addressBooks(): AddressBookTable;
  /** The registrar's bindings (`bindings.ts`, `standalone.md` §3); every engine has them, test doubles may not. */
  readonly registrations?: BindingStore;

  // ---------------------------------------------------------------- journal entries

  /**
   * Append an entry to `entry.account`'s journal (§3.1). Resolves `true` if it was inserted, `false`
   * if this account already knows the message id — also when the entry with that id was removed since
   * (the id map outlives the entry; deliberately unlike the original, where a re-add after removal
   * stores it again: a retransmission must not resurrect a removed message). Concurrent adds of the
   * same id (e.g. `Promise.all` of 20 adds) produce exactly one entry and exactly one `true`.
   *
   * The store does not interpret content types: `text/pgp-public-key` / `text/pgp-private-key` go to
   * {@link setPublicKey} / {@link setPrivateKeyMessage}; the caller decides (§3.1 steps 4–5).
   * An empty disposition list is stored as `[]`, null as null.
   */
  add(entry: NewJournalEntry): Promise<boolean>;

  /**
   * Append several entries in one transaction, in order; per-entry result as {@link add}. Used for
   * replication to several journals, `import` and `migrate` (which pass `createdAt`).
   */
  addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]>;

  /**
   * Update the delivery state of `account`'s entry `messageId` (§3.2), atomically:
   * - the state is changed per {@link nextState} (`journal/states.ts`): a `received` entry never
   *   changes; states only move forward (`pending → accepted → delivered → displayed`); `failed`,
   *   `forbidden`, `error` are accepted from `pending`/`accepted`, and a later `delivered`/`displayed`
   *   still wins over them (the message did arrive). The original overwrites blindly (quirk).
   * - the disposition is edited per {@link applyDisposition} by the *requested* state: `delivered`
   *   removes `positive-delivery`, `displayed` clears the list (§2.3) — also for `received` entries.
   * Resolves null if the account has no such entry (no-op, as the original).
   */
  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null>;

  /**
   * Delete `account`'s entry `messageId` (§3.3). Resolves the removed entry (so the caller can check
   * ownership/direction and delete file-transfer files) or null if there was none — always a definite
   * answer (§8.4). The id stays known as a cursor and for idempotency. Deleting files is the caller's job.
   */
  removeMessage(account: string, messageId: string): Promise<JournalEntry | null>;

  /**
   * Delete every entry of `account` whose contact is `contact` (§3.4), all directions and types,
   * including earlier markers. Ids stay known. Resolves the number of entries deleted.
   */
  removeConversation(account: string, contact: string): Promise<number>;

  /**
   * Delete every journal entry of `account` (`sylk-db remove messages <account>` / `remove all`).
   * Ids stay known until expiry. Resolves the number deleted.
   */
  removeJournal(account: string): Promise<number>;

  /**
   * Mark the conversation read (§3.5): clear the disposition of every entry of `account` with that
   * contact, and delete earlier `application/sylk-conversation-read` markers for that contact
   * (Cassandra behaviour; the caller appends a fresh marker right after). Resolves the number of
   * entries whose disposition changed.
   */
  markConversationRead(account: string, contact: string): Promise<number>;

  /**
   * Unread counts (§2.3) of `account`: per contact and total. An entry is unread when it is
   * `incoming`, of type text/plain, text/html or application/sylk-file-transfer, its contact is not
   * the account itself and its disposition contains `display` (see `isUnread` in `types.ts`).
   */
  unreadCounts(account: string): Promise<UnreadCounts>;

  /**
   * Entries of `account` in journal order, oldest first, at most `limit` (the oldest ones)
   * (`sylkrtc-websocket.md` §7.3, `journal-storage.md` §3.6):
   * 1. `afterId` known for this account (also ids of removed entries and of private-key messages,
   *    until they expire): entries stored strictly after it; `since` ignored. Basis `cursor`.
   * 2. otherwise (no `afterId`, `''`, or unknown/expired id), `since` given: entries with
   *    `createdAt > since`, ordered by `createdAt` (then journal order), like the original's
   *    Cassandra clustering. Basis `since`.
   * 3. otherwise: the whole journal (file back-end semantics; not Cassandra's 3-day window). Basis `all`.
   * Journal order is insertion order (a per-store sequence in SQL engines, so ties of `createdAt`
   * never reorder or skip entries); repeating with the last returned id eventually yields `[]`.
   */
  query(account: string, options: QueryOptions): Promise<QueryResult>;

  /** The entry of `account` with that id, or null. */
  getEntry(account: string, messageId: string): Promise<JournalEntry | null>;

  /** Number of journal entries of `account` (for `sylk-db show` and progress). */
  countEntries(account: string): Promise<number>;

  // ---------------------------------------------------------------- accounts and API tokens

  /** The account record, or null (§3.7 `get_account`). */
  getAccount(aor: string): Promise<Account | null>;

  /**
   * Create the account if absent and set `lastLogin` = `now` (default: current time) (§3.7
   * `add_account`). Keeps an existing token. Resolves the record.
   */
  addAccount(aor: string, now?: Date): Promise<Account>;

  /**
   * Delete the account record and its API token (§3.7 `remove_account`). Journal, keys and push
   * tokens are separate (`sylk-db remove all` removes each). Resolves whether a record existed.
   */
  removeAccount(aor: string): Promise<boolean>;

  /**
   * Set (replace) the API token with an explicit expiry (§3.7 `add_account_token`; callers use
   * `DEFAULT_API_TOKEN_TTL_MS`, not the file back end's 310 days). Resolves false (nothing stored)
   * if the account record does not exist, as the original.
   */
  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean>;

  /** The token, or null if absent, empty or expired (§3.7 `get_account_token`). */
  getApiToken(aor: string): Promise<ApiToken | null>;

  /** Remove the API token. Resolves whether an unexpired token existed. */
  removeApiToken(aor: string): Promise<boolean>;

  /** The account whose unexpired API token equals `token`, or null (HTTP auth, `http-api.md` §7). */
  findAccountByToken(token: string): Promise<string | null>;

  // ---------------------------------------------------------------- keys

  /** The last published public key of `aor`, or null (§3.8). */
  getPublicKey(aor: string): Promise<PublicKey | null>;

  /** Store (overwrite) the public key of `aor` (§3.1 step 4). `createdAt` defaults to now. */
  setPublicKey(aor: string, key: string, createdAt?: Date): Promise<void>;

  /** Delete the public key. Resolves whether one existed. */
  removePublicKey(aor: string): Promise<boolean>;

  /**
   * Keep `msg` as the latest private-key message of `msg.account` (replacing any earlier one) and
   * record its id in the account's id map so it works as a sync cursor (§7.3 rule 1). Resolves false
   * if that id was already known for the account (duplicate; nothing changed).
   */
  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean>;

  /** The latest private-key message of `account`, or null. */
  getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null>;

  /** Delete the stored private-key message. Resolves whether one existed. */
  removePrivateKeyMessage(account: string): Promise<boolean>;

  // ---------------------------------------------------------------- push tokens

  /** Insert or replace the record for (account, appId, deviceId) (`push.md` §2). */
  addPushToken(record: PushToken): Promise<void>;

  /** All push token records of `account`, ordered by appId, deviceId. */
  listPushTokens(account: string): Promise<PushToken[]>;

  /** Remove the record of (account, appId, deviceId) (`account-unregister`). Resolves whether it existed. */
  removePushToken(account: string, appId: string, deviceId: string): Promise<boolean>;

  /**
   * Remove every record of `account` whose `token` or `backgroundToken` equals `token` (HTTP 410 from
   * the push server, `push.md` §5.3). Resolves the number removed.
   */
  removePushTokensByToken(account: string, token: string): Promise<number>;

  /** Remove all push tokens of `account` (`sylk-db remove push_token`). Resolves the number removed. */
  removePushTokens(account: string): Promise<number>;

  // ---------------------------------------------------------------- administration

  /**
   * Every AOR that has any data (account record, entries, known ids, keys, push tokens), sorted by
   * code unit order, `limit` at a time, starting strictly after `after`. For `sylk-db migrate`.
   */
  listAccounts(after: string | null, limit: number): Promise<AccountPage>;

  /**
   * Retention: delete journal entries (and the id map rows) created before `olderThan`, and expired
   * API tokens. SQL engines also run this periodically (`retention_days`, default 365); Cassandra
   * relies on TTLs and may return zeros.
   */
  expire(olderThan: Date): Promise<ExpireResult>;

  /** Resolve if the store is reachable (health check); reject otherwise. */
  ping(): Promise<void>;

  /** Flush pending writes, stop timers, release connections. Further calls reject. */
  close(): Promise<void>;
}
