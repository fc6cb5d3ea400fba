/**
 * Shared setup of the journal benchmarks: open the engine named on the command line in a throw-away
 * location. `sqlite` (temp file), `postgres` (`SYLK_TEST_PG_URL`, else a durable server started with
 * scripts/services/postgres.mjs; a fresh schema either way), or any store URL (`sqlite:…`,
 * `postgres://…`, `cassandra://hosts/keyspace`; the caller owns its cleanup).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalStore } from '../src/journal/store.js';
import type { NewJournalEntry } from '../src/journal/types.js';
import { openStore, parseStoreUrl } from '../src/storage/index.js';
import { repoFileUrl } from './repo-path.js';

export interface BenchStore {
  store: JournalStore;
  name: string;
  cleanup(): Promise<void>;
}

/** The benchmarks' PostgreSQL server: `SYLK_TEST_PG_URL`, else a durable throw-away one. */
export interface BenchPostgres {
  url: string;
  /** True when this process started the server (scripts/services/postgres.mjs) and `stop` ends it. */
  local: boolean;
  stop(): Promise<void>;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  const external = process.env.SYLK_TEST_PG_URL;
  if (external) return { url: external, local: false, stop: async () => undefined };
  const svc = (await import(repoFileUrl('scripts/services/postgres.mjs'))) as {
    start(o: { durable: boolean }): Promise<Record<string, string>>;
    stop(): Promise<void>;
  };
  const url = (await svc.start({ durable: true })).SYLK_TEST_PG_URL!;
  return { url, local: true, stop: () => svc.stop() };
}

export async function openBenchStore(arg: string | undefined): Promise<BenchStore> {
  const engine = arg ?? 'sqlite';
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'sylk-bench-'));
    const store = await openStore({ engine: 'sqlite', path: join(dir, 'bench.sqlite') }, { retentionDays: 0 });
    return {
      store,
      name: 'sqlite (WAL, synchronous=NORMAL)',
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (engine === 'postgres') {
    const server = await benchPostgres();
    const url = server.url;
    const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const store = await openStore({ engine: 'postgres', url, schema }, { retentionDays: 0 });
    return {
      store,
      name: `postgres (${server.local ? 'local durable server' : url})`,
      cleanup: async () => {
        await store.close();
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
        await server.stop();
      },
    };
  }
  const store = await openStore(parseStoreUrl(engine), { retentionDays: 0 });
  return { store, name: engine, cleanup: () => store.close() };
}

let seq = 0;
/** A typical text message entry. */
export function benchEntry(account: string, contact: string, over: Partial<NewJournalEntry> = {}): NewJournalEntry {
  seq++;
  return {
    account,
    contact,
    direction: seq % 2 ? 'incoming' : 'outgoing',
    contentType: 'text/plain',
    content: `Benchmark message number ${seq}, about the length of a chat line.`,
    messageId: randomUUID(),
    disposition: ['positive-delivery', 'display'],
    state: seq % 2 ? 'received' : 'pending',
    msgTimestamp: new Date(),
    ...over,
  };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
