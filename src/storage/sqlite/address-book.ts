/**
 * SQLite table of the address books (`src/journal/address-book.ts`; `sylkrtc-websocket.md` §11): one
 * row per account, the book as JSON text and its version. Created, if missing, right after the
 * store's migrations (`ensureAddressBookTable`). Reads and writes both run as ops on the store's
 * write connection (its own thread for a file database), so no address-book I/O happens on the event
 * loop; the compare-and-set is a conditional UPDATE (or an INSERT that does nothing on conflict)
 * inside the writer's `BEGIN IMMEDIATE` transaction.
 */
import type { Database as DB } from 'better-sqlite3';
import type { AddressBookTable, StoredAddressBook } from '../../journal/address-book.js';

export function ensureAddressBookTable(db: DB): void {
  db.exec('CREATE TABLE IF NOT EXISTS address_books (account TEXT PRIMARY KEY, book TEXT NOT NULL, version INTEGER NOT NULL)');
}

export type AddressBookOp =
  | { t: 'readAddressBook'; account: string }
  | { t: 'writeAddressBook'; account: string; json: string; expected: number }
  | { t: 'removeAddressBook'; account: string };

export interface AddressBookResults {
  readAddressBook: StoredAddressBook | null;
  writeAddressBook: boolean;
  removeAddressBook: boolean;
}

/** Prepare the statements on the write connection `db`; returns the executor of the two ops. */
export function addressBookExecutor(db: DB): (op: AddressBookOp) => StoredAddressBook | null | boolean {
  const read = db.prepare('SELECT book, version FROM address_books WHERE account = ?');
  const insert = db.prepare('INSERT INTO address_books (account, book, version) VALUES (?, ?, 1) ON CONFLICT DO NOTHING');
  const remove = db.prepare('DELETE FROM address_books WHERE account = ?');
  const update = db.prepare('UPDATE address_books SET book = ?, version = version + 1 WHERE account = ? AND version = ?');
  return (op) => {
    if (op.t === 'readAddressBook') {
      const r = read.get(op.account) as { book: string; version: number } | undefined;
      return r ? { json: r.book, version: r.version } : null;
    }
    if (op.t === 'removeAddressBook') return remove.run(op.account).changes > 0;
    const changed = op.expected === 0 ? insert.run(op.account, op.json) : update.run(op.json, op.account, op.expected);
    return changed.changes === 1;
  };
}

type Submit = <K extends AddressBookOp['t']>(op: Extract<AddressBookOp, { t: K }>) => Promise<AddressBookResults[K]>;

export class SqliteAddressBookTable implements AddressBookTable {
  constructor(private readonly submit: Submit) {}

  read(account: string): Promise<StoredAddressBook | null> {
    return this.submit({ t: 'readAddressBook', account });
  }

  write(account: string, json: string, expected: number): Promise<boolean> {
    return this.submit({ t: 'writeAddressBook', account, json, expected });
  }

  remove(account: string): Promise<boolean> {
    return this.submit({ t: 'removeAddressBook', account });
  }
}
