/**
 * SQLite: `public_keys` and `private_keys` (the latest private-key message per account, whose id the
 * write op also claims in the id map), `journal-storage.md` §3.1 steps 4–5, §3.8.
 */
import type { Statement } from 'better-sqlite3';
import type { PrivateKeyMessage, PublicKey } from '../../journal/types.js';
import { PRIVATE_KEY_COLUMNS, privateKeyFromRow, type SqlPrivateKeyRow } from '../sql-entry.js';
import type { KeysTable } from '../table-store.js';
import type { SqliteDb } from './db.js';

const toDate = (ms: number): Date => new Date(ms);

export class SqliteKeys implements KeysTable {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: SqliteDb) {
    const p = (sql: string): Statement => db.db.prepare(sql);
    this.s = {
      getPublicKey: p('SELECT aor, public_key, created_at FROM public_keys WHERE aor = ?'),
      getPrivateKey: p(`SELECT ${PRIVATE_KEY_COLUMNS} FROM private_keys WHERE account = ?`),
    };
  }

  async getPublicKey(aor: string): Promise<PublicKey | null> {
    this.db.checkOpen();
    const r = this.s.getPublicKey!.get(aor) as { aor: string; public_key: string; created_at: number } | undefined;
    return r ? { aor: r.aor, key: r.public_key, createdAt: new Date(r.created_at) } : null;
  }

  setPublicKey(aor: string, key: string, createdAt: Date = new Date()): Promise<void> {
    return this.db.write({ t: 'setPublicKey', aor, key, createdAt: createdAt.getTime() });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.db.write({ t: 'removePublicKey', aor });
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.db.write({
      t: 'setPrivateKey',
      account: msg.account,
      messageId: msg.messageId,
      contact: msg.contact,
      direction: msg.direction,
      content: msg.content,
      msgTimestamp: msg.msgTimestamp.getTime(),
      createdAt: msg.createdAt ? msg.createdAt.getTime() : Date.now(),
    });
  }

  async getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    this.db.checkOpen();
    const r = this.s.getPrivateKey!.get(account) as SqlPrivateKeyRow<number> | undefined;
    return r ? privateKeyFromRow(r, toDate) : null;
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.db.write({ t: 'removePrivateKey', account });
  }
}
