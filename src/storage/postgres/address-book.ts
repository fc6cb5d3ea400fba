/**
 * PostgreSQL table of the address books (`src/journal/address-book.ts`; `sylkrtc-websocket.md` §11):
 * one row per account, the book as JSON text and its version. Created, if missing, when the store
 * starts (`ensureAddressBookTable`, under an advisory lock so servers starting together do not race).
 * The compare-and-set is a conditional UPDATE, or an INSERT that does nothing on conflict for the
 * first version, so servers sharing the database never lose each other's changes.
 */
import type pg from 'pg';
import type { AddressBookTable, StoredAddressBook } from '../../journal/address-book.js';

/** Advisory lock key taken while creating the table ("SyAB"). */
const TABLE_LOCK = 0x53794142;

export async function ensureAddressBookTable(client: pg.PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [TABLE_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS address_books (account text PRIMARY KEY, book text NOT NULL, version bigint NOT NULL)');
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export class PostgresAddressBookTable implements AddressBookTable {
  constructor(private readonly pool: pg.Pool) {}

  async read(account: string): Promise<StoredAddressBook | null> {
    const { rows } = await this.pool.query<{ book: string; version: string }>('SELECT book, version FROM address_books WHERE account = $1', [account]);
    const r = rows[0];
    return r ? { json: r.book, version: Number(r.version) } : null;
  }

  async write(account: string, json: string, expected: number): Promise<boolean> {
    const r =
      expected === 0
        ? await this.pool.query('INSERT INTO address_books (account, book, version) VALUES ($1, $2, 1) ON CONFLICT DO NOTHING', [account, json])
        : await this.pool.query('UPDATE address_books SET book = $2, version = version + 1 WHERE account = $1 AND version = $3', [account, json, expected]);
    return r.rowCount === 1;
  }

  async remove(account: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM address_books WHERE account = $1', [account])).rowCount ?? 0) > 0;
  }
}
