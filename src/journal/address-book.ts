/**
 * What every storage engine provides for the address books of `sylkrtc-websocket.md` §11: one row
 * per account holding the whole book as JSON text and a version number, read and written with
 * compare-and-set on the version; part of every `JournalStore` (`addressBooks()`). The engines'
 * tables live in `src/storage/<engine>/address-book.ts`; the book's rules (objects, limits,
 * `groupMember`) in `src/sylkrtc/addressbook.ts`, which is the only user.
 *
 * Compare-and-set makes a change of one account atomic across every server sharing the store: a
 * writer that read version v writes v + 1 only if the row is still at v (SQLite and PostgreSQL: a
 * conditional UPDATE / INSERT … ON CONFLICT DO NOTHING; Cassandra: a lightweight transaction).
 */

export interface StoredAddressBook {
  /** The book as JSON text (`{"contacts":[…],"groups":[…],"policies":[…]}`). */
  json: string;
  /** Starts at 1 with the first write; every write adds one. */
  version: number;
}

export interface AddressBookTable {
  /** The account's book, or null when it has none yet. */
  read(account: string): Promise<StoredAddressBook | null>;
  /**
   * Store `json` as version `expected + 1` if the account's row is still at version `expected`
   * (0: no row yet). False when another writer got there first (read again and retry).
   */
  write(account: string, json: string, expected: number): Promise<boolean>;
  /** Remove the account's book (`sylk-db remove all`); false when it had none. */
  remove(account: string): Promise<boolean>;
}
