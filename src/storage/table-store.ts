/**
 * The engine-agnostic half of a store (Dendrite's layout: per engine one file per table, the logic
 * that is the same for every engine beside them): the per-table interfaces each engine implements
 * once per table (`<engine>/entries.ts`, `accounts.ts`, `keys.ts`, `push-tokens.ts`), and
 * `TableStore`, which implements `JournalStore` (`journal/store.ts`, `journal-storage.md` §3) by
 * delegating each operation to its table. An engine's store (`<engine>/store.ts`) extends it with
 * what is engine-specific: connections, the group commit of adds, administration and lifecycle.
 */
import type { AccountStore } from '../journal/local-accounts.js';
import type { AccountPage, ExpireResult, JournalStore, UpdateStateResult } from '../journal/store.js';
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
} from '../journal/types.js';

/** The journal entries and the id map (`journal-storage.md` §3.2–§3.6); adds stay with the store's group commit. */
export type EntriesTable = Pick<
  JournalStore,
  'updateState' | 'removeMessage' | 'removeConversation' | 'removeJournal' | 'markConversationRead' | 'unreadCounts' | 'query' | 'getEntry' | 'countEntries'
>;

/** Account records and API tokens (§3.7). `now` defaults to the engine's clock. */
export interface AccountsTable {
  get(aor: string): Promise<Account | null>;
  add(aor: string, now?: Date): Promise<Account>;
  remove(aor: string): Promise<boolean>;
  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean>;
  getApiToken(aor: string): Promise<ApiToken | null>;
  removeApiToken(aor: string): Promise<boolean>;
  findByToken(token: string): Promise<string | null>;
}

/** Public keys and private-key messages (§3.1 steps 4–5, §3.8). `createdAt` defaults to the engine's clock. */
export type KeysTable = Pick<
  JournalStore,
  'getPublicKey' | 'setPublicKey' | 'removePublicKey' | 'setPrivateKeyMessage' | 'getPrivateKeyMessage' | 'removePrivateKeyMessage'
>;

/** Push tokens (`push.md` §2). */
export interface PushTokensTable {
  add(record: PushToken): Promise<void>;
  list(account: string): Promise<PushToken[]>;
  remove(account: string, appId: string, deviceId: string): Promise<boolean>;
  removeByToken(account: string, token: string): Promise<number>;
  removeAll(account: string): Promise<number>;
}

export abstract class TableStore implements JournalStore {
  abstract readonly engine: string;
  /** Local accounts of standalone mode (`<engine>/local-accounts.ts`), public per `JournalStore`. */
  abstract readonly localAccounts: AccountStore;
  protected abstract readonly entries: EntriesTable;
  protected abstract readonly accounts: AccountsTable;
  protected abstract readonly keys: KeysTable;
  protected abstract readonly pushTokens: PushTokensTable;

  abstract add(entry: NewJournalEntry): Promise<boolean>;
  abstract addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]>;
  abstract listAccounts(after: string | null, limit: number): Promise<AccountPage>;
  abstract expire(olderThan: Date): Promise<ExpireResult>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;

  // ------------------------------------------------------------------ entries

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.entries.updateState(account, messageId, state);
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.entries.removeMessage(account, messageId);
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.entries.removeConversation(account, contact);
  }

  removeJournal(account: string): Promise<number> {
    return this.entries.removeJournal(account);
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.entries.markConversationRead(account, contact);
  }

  unreadCounts(account: string): Promise<UnreadCounts> {
    return this.entries.unreadCounts(account);
  }

  query(account: string, options: QueryOptions): Promise<QueryResult> {
    return this.entries.query(account, options);
  }

  getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.entries.getEntry(account, messageId);
  }

  countEntries(account: string): Promise<number> {
    return this.entries.countEntries(account);
  }

  // ------------------------------------------------------------------ accounts and API tokens

  getAccount(aor: string): Promise<Account | null> {
    return this.accounts.get(aor);
  }

  addAccount(aor: string, now?: Date): Promise<Account> {
    return this.accounts.add(aor, now);
  }

  removeAccount(aor: string): Promise<boolean> {
    return this.accounts.remove(aor);
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.accounts.setApiToken(aor, token, expiresAt);
  }

  getApiToken(aor: string): Promise<ApiToken | null> {
    return this.accounts.getApiToken(aor);
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.accounts.removeApiToken(aor);
  }

  findAccountByToken(token: string): Promise<string | null> {
    return this.accounts.findByToken(token);
  }

  // ------------------------------------------------------------------ keys

  getPublicKey(aor: string): Promise<PublicKey | null> {
    return this.keys.getPublicKey(aor);
  }

  setPublicKey(aor: string, key: string, createdAt?: Date): Promise<void> {
    return this.keys.setPublicKey(aor, key, createdAt);
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.keys.removePublicKey(aor);
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.keys.setPrivateKeyMessage(msg);
  }

  getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    return this.keys.getPrivateKeyMessage(account);
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.keys.removePrivateKeyMessage(account);
  }

  // ------------------------------------------------------------------ push tokens

  addPushToken(record: PushToken): Promise<void> {
    return this.pushTokens.add(record);
  }

  listPushTokens(account: string): Promise<PushToken[]> {
    return this.pushTokens.list(account);
  }

  removePushToken(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.pushTokens.remove(account, appId, deviceId);
  }

  removePushTokensByToken(account: string, token: string): Promise<number> {
    return this.pushTokens.removeByToken(account, token);
  }

  removePushTokens(account: string): Promise<number> {
    return this.pushTokens.removeAll(account);
  }
}
