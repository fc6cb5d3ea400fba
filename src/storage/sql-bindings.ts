/**
 * The registrar's bindings as SQL rows (`journal/bindings.ts`, `standalone.md` §3): the columns and
 * the row → `Binding` mapping shared by the SQLite and PostgreSQL `registrations` tables.
 */
import type { Binding, BindingTransport } from '../journal/bindings.js';

/** A `registrations` row as either driver returns it (SQLite: epoch ms; PostgreSQL: `Date`, bigint as text). */
export interface BindingRow {
  aor: string;
  key: string;
  contact: string;
  call_id: string;
  cseq: number | string;
  expires_at: number | Date;
  instance_id: string;
  flow: string;
  path: string;
  transport: string;
  source_address: string;
  source_port: number;
  sip_instance: string | null;
  reg_id: number | null;
  q: number | null;
  user_agent: string | null;
}

export const BINDING_COLUMNS =
  'aor, key, contact, call_id, cseq, expires_at, instance_id, flow, path, transport, source_address, source_port, sip_instance, reg_id, q, user_agent';

export function bindingFromRow(r: BindingRow): Binding {
  return {
    aor: r.aor,
    key: r.key,
    contact: r.contact,
    callId: r.call_id,
    cseq: Number(r.cseq),
    expiresAt: new Date(r.expires_at),
    instanceId: r.instance_id,
    flow: r.flow,
    path: r.path,
    transport: r.transport as BindingTransport,
    sourceAddress: r.source_address,
    sourcePort: r.source_port,
    sipInstance: r.sip_instance,
    regId: r.reg_id,
    q: r.q,
    userAgent: r.user_agent,
  };
}
