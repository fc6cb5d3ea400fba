/**
 * Cassandra id maps (`journal-storage.md` §4.2–§4.4): our per-account `sylk_message_ids` (claimed with
 * lightweight transactions: idempotency, cursors of removed entries) and the original's global
 * `chat_message_created_at_by_id`, through which entries the original wrote are recognised.
 */
import { CLAIM_CHUNK, dateOrNull, withCasRetry, type CqlDb } from './db.js';

export interface IdInfo {
  createdAt: Date;
  removed: boolean;
}

export class IdMap {
  constructor(private readonly db: CqlDb) {}

  async globalCreatedAt(messageId: string): Promise<Date | null> {
    const rs = await this.db.exec(`SELECT created_at FROM ${this.db.t.idMap} WHERE message_id = ?`, [messageId]);
    return dateOrNull(rs.first()?.get('created_at'));
  }

  async rowExists(account: string, createdAt: Date, messageId: string): Promise<boolean> {
    const rs = await this.db.exec(`SELECT message_id FROM ${this.db.t.journal} WHERE account = ? AND created_at = ? AND message_id = ?`, [
      account,
      createdAt,
      messageId,
    ]);
    return rs.rowLength > 0;
  }

  /**
   * Where `account`'s entry `messageId` lives: our per-account id row, else (entries written by the
   * original) the global id map, if that account's journal has the row.
   */
  async lookupId(account: string, messageId: string): Promise<IdInfo | null> {
    const rs = await this.db.exec(`SELECT created_at, removed FROM ${this.db.t.ids} WHERE account = ? AND message_id = ?`, [account, messageId]);
    const row = rs.first();
    const created = row ? dateOrNull(row.get('created_at')) : null;
    if (row && created) return { createdAt: created, removed: row.get('removed') === true };
    const g = await this.globalCreatedAt(messageId);
    if (g && (await this.rowExists(account, g, messageId))) return { createdAt: g, removed: false };
    return null;
  }

  /** Record `(account, id)` with an LWT. Resolves the existing row when the id was already known. */
  async claimId(account: string, messageId: string, createdAt: Date, ttl = this.db.ttl): Promise<{ applied: boolean; existing: IdInfo | null }> {
    const rs = await withCasRetry(() =>
      this.db.exec(`INSERT INTO ${this.db.t.ids} (account, message_id, created_at, removed) VALUES (?, ?, ?, false) IF NOT EXISTS USING TTL ?`, [
        account,
        messageId,
        createdAt,
        ttl,
      ]),
    );
    if (rs.wasApplied()) return { applied: true, existing: null };
    const row = rs.first();
    const c = row ? dateOrNull(row.get('created_at')) : null;
    return { applied: false, existing: c ? { createdAt: c, removed: row!.get('removed') === true } : null };
  }

  /**
   * Claim ids for one account with conditional batches (`INSERT ... IF NOT EXISTS`, one partition, so
   * one Paxos round per chunk). A batch applies all-or-nothing; when it does not, Cassandra returns the
   * rows that already exist: those ids are known, the rest is claimed again. Resolves the known ids
   * (with their id row, or null if it has no `created_at`); every other id was claimed.
   */
  async claimIds(account: string, claims: Array<{ messageId: string; createdAt: Date }>): Promise<Map<string, IdInfo | null>> {
    const known = new Map<string, IdInfo | null>();
    const cql = `INSERT INTO ${this.db.t.ids} (account, message_id, created_at, removed) VALUES (?, ?, ?, false) IF NOT EXISTS USING TTL ?`;
    for (let off = 0; off < claims.length; off += CLAIM_CHUNK) {
      let rest = claims.slice(off, off + CLAIM_CHUNK);
      while (rest.length > 0) {
        const batch = rest.map((c) => ({ query: cql, params: [account, c.messageId, c.createdAt, this.db.ttl] }));
        const rs = await withCasRetry(() => this.db.client.batch(batch, { prepare: true }));
        if (rs.wasApplied()) break;
        const found = new Set<string>();
        for (const row of rs.rows) {
          const id = row.get('message_id') as unknown;
          if (typeof id !== 'string') continue;
          found.add(id);
          const c = dateOrNull(row.get('created_at'));
          known.set(id, c ? { createdAt: c, removed: row.get('removed') === true } : null);
        }
        if (found.size === 0) throw new Error('Cassandra: conditional batch not applied but no existing row reported');
        rest = rest.filter((c) => !found.has(c.messageId));
      }
    }
    return known;
  }
}
