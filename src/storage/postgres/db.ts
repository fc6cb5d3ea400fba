/**
 * What the PostgreSQL table modules (`entries.ts`, `accounts.ts`, `keys.ts`, `push-tokens.ts`) get
 * from the store (`store.ts`): reads on the pool, writes queued on the group commit (each runs inside
 * its batch's transaction, `journal-storage.md` §3), and the store-wide sequence (`counters`).
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';

export interface PgDb {
  /** Run a read on the pool; rejects once the store is closed. */
  read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]>;
  /** `read` with each row as an array of values in column order (`rowMode: 'array'`): long reads build no keyed object per row. */
  readValues(sql: string, params: unknown[]): Promise<unknown[][]>;
  /** Queue a write; `fn` runs inside its group-commit transaction, the promise resolves after COMMIT. */
  write<R>(fn: (c: PoolClient) => Promise<R>): Promise<R>;
}

/** Quote an identifier for SQL. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Rows a statement changed. */
export function changed(r: pg.QueryResult): number {
  return r.rowCount ?? 0;
}

/** Take `n` sequence numbers from the (locked) counter row; returns the first. */
export async function allocSeq(client: PoolClient, n: number): Promise<number> {
  const { rows } = await client.query<{ value: string }>("UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value", [n]);
  return Number(rows[0]!.value) - n + 1;
}
