/**
 * PostgreSQL: the key tables — `public_keys` (last published public key per AOR) and
 * `private_keys` (the latest private-key message per account, whose id is also claimed in the id
 * map so that it works as a sync cursor), `journal-storage.md` §3.1 steps 4–5, §3.8.
 */
import type { PrivateKeyMessage, PublicKey } from '../../journal/types.js';
import { PRIVATE_KEY_COLUMNS, privateKeyFromRow, type SqlPrivateKeyRow } from '../sql-entry.js';
import type { KeysTable } from '../table-store.js';
import { allocSeq, changed, type PgDb } from './db.js';

const asDate = (d: Date): Date => d;

export class PgKeys implements KeysTable {
  constructor(private readonly db: PgDb) {}

  async getPublicKey(aor: string): Promise<PublicKey | null> {
    const rows = await this.db.read<{ aor: string; public_key: string; created_at: Date }>(
      'SELECT aor, public_key, created_at FROM public_keys WHERE aor = $1',
      [aor],
    );
    return rows[0] ? { aor: rows[0].aor, key: rows[0].public_key, createdAt: rows[0].created_at } : null;
  }

  setPublicKey(aor: string, key: string, createdAt: Date = new Date()): Promise<void> {
    return this.db.write(async (c) => {
      await c.query(
        `INSERT INTO public_keys (aor, public_key, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (aor) DO UPDATE SET public_key = excluded.public_key, created_at = excluded.created_at`,
        [aor, key, createdAt],
      );
    });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.db.write(async (c) => changed(await c.query('DELETE FROM public_keys WHERE aor = $1', [aor])) > 0);
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.db.write(async (c) => {
      const createdAt = msg.createdAt ?? new Date();
      const seq = await allocSeq(c, 1);
      const ins = await c.query('INSERT INTO message_ids (account, message_id, seq, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        msg.account,
        msg.messageId,
        seq,
        createdAt,
      ]);
      if (changed(ins) === 0) return false;
      await c.query(
        `INSERT INTO private_keys (${PRIVATE_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account) DO UPDATE SET message_id = excluded.message_id, contact = excluded.contact, direction = excluded.direction,
           content = excluded.content, msg_timestamp = excluded.msg_timestamp, created_at = excluded.created_at`,
        [msg.account, msg.messageId, msg.contact, msg.direction, msg.content, msg.msgTimestamp, createdAt],
      );
      return true;
    });
  }

  async getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    const rows = await this.db.read<SqlPrivateKeyRow<Date>>(`SELECT ${PRIVATE_KEY_COLUMNS} FROM private_keys WHERE account = $1`, [account]);
    return rows[0] ? privateKeyFromRow(rows[0], asDate) : null;
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.db.write(async (c) => changed(await c.query('DELETE FROM private_keys WHERE account = $1', [account])) > 0);
  }
}
