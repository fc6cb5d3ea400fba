/**
 * Cassandra tables of the registrar's bindings (`registrar/bindings.ts`, `standalone.md` §3), ours
 * (part of `schema.ts`'s model, so `dbinit` and `ensureSchema` create them):
 * - `sylk_registrations`: one partition per account, one row per binding, written with a TTL of the
 *   binding's lifetime, so expired bindings disappear by themselves (`purgeExpiredBindings` has
 *   nothing to do);
 * - `sylk_registrations_by_flow`: (instance, flow) → the bindings over that flow, same TTL, so that
 *   an instance whose connection closed finds what to remove without a scan.
 */
import type { Client, types } from 'cassandra-driver';
import type { Binding, BindingStore, BindingTransport } from '../../journal/bindings.js';
import { REGISTRATIONS_BY_FLOW_TABLE, REGISTRATIONS_TABLE } from './schema.js';

const COLUMNS = REGISTRATIONS_TABLE.columns.map(([c]) => c).join(', ');

type Row = { get(name: string): unknown };

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function fromRow(r: Row): Binding {
  const regId = r.get('reg_id');
  const q = r.get('q');
  return {
    aor: String(r.get('aor')),
    key: String(r.get('key')),
    contact: String(r.get('contact')),
    callId: String(r.get('call_id')),
    cseq: Number(r.get('cseq')),
    expiresAt: r.get('expires_at') as Date,
    instanceId: String(r.get('instance_id')),
    flow: String(r.get('flow')),
    path: String(r.get('path')),
    transport: String(r.get('transport')) as BindingTransport,
    sourceAddress: String(r.get('source_address')),
    sourcePort: Number(r.get('source_port')),
    sipInstance: str(r.get('sip_instance')),
    regId: typeof regId === 'number' ? regId : null,
    q: typeof q === 'number' ? q : null,
    userAgent: str(r.get('user_agent')),
  };
}

export class CassandraBindings implements BindingStore {
  private readonly t: string;
  private readonly byFlow: string;

  constructor(
    private readonly client: Client,
    keyspace: string,
    private readonly checkOpen: () => void,
  ) {
    this.t = `${keyspace}.${REGISTRATIONS_TABLE.name}`;
    this.byFlow = `${keyspace}.${REGISTRATIONS_BY_FLOW_TABLE.name}`;
  }

  private exec(cql: string, params: unknown[]): Promise<types.ResultSet> {
    this.checkOpen();
    return this.client.execute(cql, params, { prepare: true });
  }

  async listBindings(aor: string, now: Date): Promise<Binding[]> {
    const rs = await this.exec(`SELECT ${COLUMNS} FROM ${this.t} WHERE aor = ?`, [aor]);
    return rs.rows.map(fromRow).filter((b) => b.expiresAt.getTime() > now.getTime());
  }

  async putBinding(b: Binding): Promise<void> {
    const ttl = Math.max(1, Math.ceil((b.expiresAt.getTime() - Date.now()) / 1000));
    const values = [b.aor, b.key, b.contact, b.callId, b.cseq, b.expiresAt, b.instanceId, b.flow, b.path, b.transport, b.sourceAddress, b.sourcePort, b.sipInstance, b.regId, b.q, b.userAgent];
    this.checkOpen();
    await this.client.batch(
      [
        { query: `INSERT INTO ${this.t} (${COLUMNS}) VALUES (${values.map(() => '?').join(', ')}) USING TTL ?`, params: [...values, ttl] },
        { query: `INSERT INTO ${this.byFlow} (instance_id, flow, aor, key) VALUES (?, ?, ?, ?) USING TTL ?`, params: [b.instanceId, b.flow, b.aor, b.key, ttl] },
      ],
      { prepare: true, logged: false },
    );
  }

  async removeBinding(aor: string, key: string): Promise<boolean> {
    const rs = await this.exec(`SELECT instance_id, flow FROM ${this.t} WHERE aor = ? AND key = ?`, [aor, key]);
    const row = rs.first();
    if (!row) return false;
    await this.exec(`DELETE FROM ${this.t} WHERE aor = ? AND key = ?`, [aor, key]);
    await this.exec(`DELETE FROM ${this.byFlow} WHERE instance_id = ? AND flow = ? AND aor = ? AND key = ?`, [row.get('instance_id'), row.get('flow'), aor, key]);
    return true;
  }

  async removeBindings(aor: string): Promise<number> {
    const rs = await this.exec(`SELECT key, instance_id, flow FROM ${this.t} WHERE aor = ?`, [aor]);
    await this.exec(`DELETE FROM ${this.t} WHERE aor = ?`, [aor]);
    for (const r of rs.rows) await this.exec(`DELETE FROM ${this.byFlow} WHERE instance_id = ? AND flow = ? AND aor = ? AND key = ?`, [r.get('instance_id'), r.get('flow'), aor, r.get('key')]);
    return rs.rows.length;
  }

  async removeFlow(instanceId: string, flow: string): Promise<number> {
    const rs = await this.exec(`SELECT aor, key FROM ${this.byFlow} WHERE instance_id = ? AND flow = ?`, [instanceId, flow]);
    let n = 0;
    for (const r of rs.rows) {
      // Only if the binding still belongs to this flow (it may have been re-registered elsewhere).
      const cur = (await this.exec(`SELECT instance_id, flow FROM ${this.t} WHERE aor = ? AND key = ?`, [r.get('aor'), r.get('key')])).first();
      if (cur && cur.get('instance_id') === instanceId && cur.get('flow') === flow) {
        await this.exec(`DELETE FROM ${this.t} WHERE aor = ? AND key = ?`, [r.get('aor'), r.get('key')]);
        n++;
      }
    }
    await this.exec(`DELETE FROM ${this.byFlow} WHERE instance_id = ? AND flow = ?`, [instanceId, flow]);
    return n;
  }

  async removeEarlierRuns(hop: string, instanceId: string): Promise<number> {
    // A scan of the table (the result set fetches page after page), once at start: no index leads from a hop to its bindings.
    this.checkOpen();
    const stale: { aor: string; key: string; instanceId: string; flow: string }[] = [];
    const rs = await this.client.execute(`SELECT aor, key, instance_id, flow, path FROM ${this.t}`, [], { prepare: true, fetchSize: 1000 });
    for await (const r of rs) {
      const flow = String(r.get('flow'));
      const inst = String(r.get('instance_id'));
      if (inst !== instanceId && r.get('path') === `sip:${flow}@${hop};lr`) stale.push({ aor: String(r.get('aor')), key: String(r.get('key')), instanceId: inst, flow });
    }
    for (const b of stale) {
      await this.exec(`DELETE FROM ${this.t} WHERE aor = ? AND key = ?`, [b.aor, b.key]);
      await this.exec(`DELETE FROM ${this.byFlow} WHERE instance_id = ? AND flow = ? AND aor = ? AND key = ?`, [b.instanceId, b.flow, b.aor, b.key]);
    }
    return stale.length;
  }

  async purgeExpiredBindings(_now: Date): Promise<number> {
    return 0; // rows carry a TTL
  }
}
