/**
 * SQLite table of the registrar's bindings (`registrar/bindings.ts`, `standalone.md` §3): table
 * `registrations` (migration 4). Writes run directly on the store's connection, outside the journal's
 * group commit: the puts of one event-loop turn are one small transaction of their own (`putBinding`),
 * the rest one autocommit statement each (tens of µs in WAL mode); a REGISTER is answered only once
 * its binding is committed, and bindings never take part in journal transactions.
 * The busy timeout of the connection covers a journal commit in progress on the write thread.
 */
import type { Database as DB, Statement } from 'better-sqlite3';
import type { Binding, BindingStore } from '../../journal/bindings.js';
import { BINDING_COLUMNS, bindingFromRow, type BindingRow } from '../sql-bindings.js';


export class SqliteBindings implements BindingStore {
  private readonly putAll: (bindings: Binding[]) => void;
  private readonly s: Record<'list' | 'put' | 'remove' | 'removeAll' | 'removeFlow' | 'removeEarlierRuns' | 'purge', Statement>;

  constructor(db: DB) {
    this.s = {
      list: db.prepare(`SELECT ${BINDING_COLUMNS} FROM registrations WHERE aor = ? AND expires_at > ? ORDER BY rowid`),
      put: db.prepare(
        `INSERT INTO registrations (${BINDING_COLUMNS}) VALUES (@aor, @key, @contact, @callId, @cseq, @expiresAt, @instanceId, @flow, @path, @transport,
           @sourceAddress, @sourcePort, @sipInstance, @regId, @q, @userAgent)
         ON CONFLICT (aor, key) DO UPDATE SET contact = excluded.contact, call_id = excluded.call_id, cseq = excluded.cseq,
           expires_at = excluded.expires_at, instance_id = excluded.instance_id, flow = excluded.flow, path = excluded.path,
           transport = excluded.transport, source_address = excluded.source_address, source_port = excluded.source_port,
           sip_instance = excluded.sip_instance, reg_id = excluded.reg_id, q = excluded.q, user_agent = excluded.user_agent`,
      ),
      remove: db.prepare('DELETE FROM registrations WHERE aor = ? AND key = ?'),
      removeAll: db.prepare('DELETE FROM registrations WHERE aor = ?'),
      removeFlow: db.prepare('DELETE FROM registrations WHERE instance_id = ? AND flow = ?'),
      removeEarlierRuns: db.prepare("DELETE FROM registrations WHERE path = 'sip:' || flow || '@' || ? || ';lr' AND instance_id <> ?"),
      purge: db.prepare('DELETE FROM registrations WHERE expires_at <= ?'),
    };
    const put = this.s.put;
    this.putAll = db.transaction((bindings: Binding[]) => {
      for (const b of bindings) put.run({ ...b, expiresAt: b.expiresAt.getTime() });
    });
  }

  async listBindings(aor: string, now: Date): Promise<Binding[]> {
    this.flush();
    return (this.s.list.all(aor, now.getTime()) as BindingRow[]).map(bindingFromRow);
  }

  /**
   * Group commit of the puts made in one event-loop turn (REGISTERs read together from the socket):
   * one transaction for them right after the turn, each promise resolved once it is committed.
   * Every other operation commits what is pending first, so the order of operations is kept.
   */
  putBinding(b: Binding): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ binding: b, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.flush);
    });
  }

  private pending: { binding: Binding; resolve: () => void; reject: (err: unknown) => void }[] = [];

  private readonly flush = (): void => {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      if (batch.length === 1) this.s.put.run({ ...batch[0]!.binding, expiresAt: batch[0]!.binding.expiresAt.getTime() });
      else this.putAll(batch.map((p) => p.binding));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) p.resolve();
  };

  async removeBinding(aor: string, key: string): Promise<boolean> {
    this.flush();
    return this.s.remove.run(aor, key).changes > 0;
  }

  async removeBindings(aor: string): Promise<number> {
    this.flush();
    return this.s.removeAll.run(aor).changes;
  }

  async removeFlow(instanceId: string, flow: string): Promise<number> {
    this.flush();
    return this.s.removeFlow.run(instanceId, flow).changes;
  }

  async removeEarlierRuns(hop: string, instanceId: string): Promise<number> {
    this.flush();
    return this.s.removeEarlierRuns.run(hop, instanceId).changes;
  }

  async purgeExpiredBindings(now: Date): Promise<number> {
    this.flush();
    return this.s.purge.run(now.getTime()).changes;
  }
}
