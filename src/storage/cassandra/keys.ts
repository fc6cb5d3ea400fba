/**
 * Cassandra: public keys (`public_key_by_account`, the original's table) and the latest private-key
 * message per account (`sylk_private_key_messages`), whose id is claimed in the id map so that it
 * works as a sync cursor (`journal-storage.md` §3.1 steps 4–5, §3.8).
 */
import type { KeysTable } from '../table-store.js';
import type { PrivateKeyMessage, PublicKey } from '../../journal/types.js';
import type { CreatedAtClock } from './clock.js';
import { dateOrNull, str, toDirection, type CqlDb } from './db.js';
import type { IdMap } from './id-map.js';

export class Keys implements KeysTable {
  constructor(
    private readonly db: CqlDb,
    private readonly clock: CreatedAtClock,
    private readonly ids: IdMap,
  ) {}

  async getPublicKey(aor: string): Promise<PublicKey | null> {
    this.db.checkOpen();
    const rs = await this.db.exec(`SELECT public_key, created_at FROM ${this.db.t.keys} WHERE account = ?`, [aor]);
    const row = rs.first();
    if (!row || typeof row.get('public_key') !== 'string') return null;
    return { aor, key: str(row.get('public_key')), createdAt: dateOrNull(row.get('created_at')) ?? new Date(0) };
  }

  setPublicKey(aor: string, key: string, createdAt?: Date): Promise<void> {
    return this.db.write(async () => {
      await this.db.exec(`INSERT INTO ${this.db.t.keys} (account, public_key, created_at) VALUES (?, ?, ?)`, [aor, key, createdAt ?? new Date(this.db.now())]);
    });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.db.write(async () => {
      const existed = (await this.getPublicKey(aor)) !== null;
      await this.db.exec(`DELETE FROM ${this.db.t.keys} WHERE account = ?`, [aor]);
      return existed;
    });
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.db.write(async () => {
      const latest = await this.clock.newestCreatedAt(msg.account);
      const createdAt = new Date(this.clock.allocate(msg.account, latest, msg.createdAt, null));
      const claim = await this.ids.claimId(msg.account, msg.messageId, createdAt);
      const ours = msg.createdAt === undefined && claim.existing && !claim.existing.removed && claim.existing.createdAt.getTime() === createdAt.getTime();
      if (!claim.applied && !ours) return false;
      await Promise.all([
        this.db.exec(
          `INSERT INTO ${this.db.t.privateKeys} (account, message_id, contact, direction, content, msg_timestamp, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [msg.account, msg.messageId, msg.contact, msg.direction, msg.content, msg.msgTimestamp, createdAt],
        ),
        // The original records private-key ids in its (global) id map too (§3.1 step 5).
        this.db.exec(`INSERT INTO ${this.db.t.idMap} (message_id, created_at) VALUES (?, ?) USING TTL ?`, [msg.messageId, createdAt, this.db.ttl]),
      ]);
      return true;
    });
  }

  async getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    this.db.checkOpen();
    const rs = await this.db.exec(
      `SELECT message_id, contact, direction, content, msg_timestamp, created_at FROM ${this.db.t.privateKeys} WHERE account = ?`,
      [account],
    );
    const row = rs.first();
    if (!row) return null;
    const createdAt = dateOrNull(row.get('created_at')) ?? new Date(0);
    return {
      account,
      messageId: str(row.get('message_id')),
      contact: str(row.get('contact')),
      direction: toDirection(row.get('direction')),
      content: str(row.get('content')),
      msgTimestamp: dateOrNull(row.get('msg_timestamp')) ?? createdAt,
      createdAt,
    };
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.db.write(async () => {
      const existed = (await this.getPrivateKeyMessage(account)) !== null;
      await this.db.exec(`DELETE FROM ${this.db.t.privateKeys} WHERE account = ?`, [account]);
      return existed;
    });
  }
}
