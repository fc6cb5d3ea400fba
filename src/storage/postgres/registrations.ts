/**
 * PostgreSQL table of the registrar's bindings (`registrar/bindings.ts`, `standalone.md` §3): table
 * `registrations` (migration 3), shared by every instance using the database — an instance storing a
 * message finds the recipient's devices registered at any instance here. Each write is one
 * autocommit statement on the pool, outside the journal's group commit.
 */
import type pg from 'pg';
import type { Binding, BindingStore } from '../../journal/bindings.js';
import { BINDING_COLUMNS, bindingFromRow, type BindingRow } from '../sql-bindings.js';


export const REGISTRATIONS_MIGRATION = `
  CREATE TABLE registrations (
    aor            text NOT NULL,
    key            text NOT NULL,
    contact        text NOT NULL,
    call_id        text NOT NULL,
    cseq           bigint NOT NULL,
    expires_at     timestamptz NOT NULL,
    instance_id    text NOT NULL,
    flow           text NOT NULL,
    path           text NOT NULL,
    transport      text NOT NULL,
    source_address text NOT NULL,
    source_port    integer NOT NULL,
    sip_instance   text,
    reg_id         integer,
    q              real,
    user_agent     text,
    PRIMARY KEY (aor, key)
  );
  CREATE INDEX registrations_flow ON registrations (instance_id, flow);
  CREATE INDEX registrations_expires ON registrations (expires_at);
`;

export class PostgresBindings implements BindingStore {
  constructor(private readonly pool: pg.Pool) {}

  async listBindings(aor: string, now: Date): Promise<Binding[]> {
    const { rows } = await this.pool.query<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM registrations WHERE aor = $1 AND expires_at > $2 ORDER BY expires_at`, [aor, now]);
    return rows.map(bindingFromRow);
  }

  async putBinding(b: Binding): Promise<void> {
    await this.pool.query(
      `INSERT INTO registrations (${BINDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (aor, key) DO UPDATE SET contact = excluded.contact, call_id = excluded.call_id, cseq = excluded.cseq,
         expires_at = excluded.expires_at, instance_id = excluded.instance_id, flow = excluded.flow, path = excluded.path,
         transport = excluded.transport, source_address = excluded.source_address, source_port = excluded.source_port,
         sip_instance = excluded.sip_instance, reg_id = excluded.reg_id, q = excluded.q, user_agent = excluded.user_agent`,
      [b.aor, b.key, b.contact, b.callId, b.cseq, b.expiresAt, b.instanceId, b.flow, b.path, b.transport, b.sourceAddress, b.sourcePort, b.sipInstance, b.regId, b.q, b.userAgent],
    );
  }

  async removeBinding(aor: string, key: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM registrations WHERE aor = $1 AND key = $2', [aor, key])).rowCount ?? 0) > 0;
  }

  async removeBindings(aor: string): Promise<number> {
    return (await this.pool.query('DELETE FROM registrations WHERE aor = $1', [aor])).rowCount ?? 0;
  }

  async removeFlow(instanceId: string, flow: string): Promise<number> {
    return (await this.pool.query('DELETE FROM registrations WHERE instance_id = $1 AND flow = $2', [instanceId, flow])).rowCount ?? 0;
  }

  async removeEarlierRuns(hop: string, instanceId: string): Promise<number> {
    return (await this.pool.query("DELETE FROM registrations WHERE path = 'sip:' || flow || '@' || $1::text || ';lr' AND instance_id <> $2", [hop, instanceId])).rowCount ?? 0;
  }

  async purgeExpiredBindings(now: Date): Promise<number> {
    return (await this.pool.query('DELETE FROM registrations WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
