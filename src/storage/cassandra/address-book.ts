/**
 * Cassandra table of the address books (`src/journal/address-book.ts`; `sylkrtc-websocket.md` §11):
 * `sylk_address_books`, one partition per account holding the book as JSON text and its version.
 * Part of the schema model (`ADDRESS_BOOK_TABLE` in `schema.ts`), so `sylk-db dbinit` creates it. The compare-and-set is a
 * lightweight transaction (`INSERT … IF NOT EXISTS` for the first version, `UPDATE … IF version = ?`
 * after); reads are linearizable (LOCAL_SERIAL), so a server sees what another one just wrote.
 */
import cassandra from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import type { AddressBookTable, StoredAddressBook } from '../../journal/address-book.js';
import { ADDRESS_BOOK_TABLE } from './schema.js';

export class CassandraAddressBookTable implements AddressBookTable {
  private readonly table: string;

  constructor(
    private readonly client: Client,
    keyspace: string,
  ) {
    this.table = `${keyspace}.${ADDRESS_BOOK_TABLE.name}`;
  }

  async read(account: string): Promise<StoredAddressBook | null> {
    const rs = await this.client.execute(`SELECT book, version FROM ${this.table} WHERE account = ?`, [account], {
      prepare: true,
      consistency: cassandra.types.consistencies.localSerial,
    });
    const r = rs.first();
    return r ? { json: r.get('book') as string, version: r.get('version') as number } : null;
  }

  async write(account: string, json: string, expected: number): Promise<boolean> {
    const rs =
      expected === 0
        ? await this.client.execute(`INSERT INTO ${this.table} (account, book, version) VALUES (?, ?, 1) IF NOT EXISTS`, [account, json], { prepare: true })
        : await this.client.execute(`UPDATE ${this.table} SET book = ?, version = ? WHERE account = ? IF version = ?`, [json, expected + 1, account, expected], {
            prepare: true,
          });
    return rs.first().get('[applied]') === true;
  }

  async remove(account: string): Promise<boolean> {
    const rs = await this.client.execute(`DELETE FROM ${this.table} WHERE account = ? IF EXISTS`, [account], { prepare: true });
    return rs.first().get('[applied]') === true;
  }
}
