/**
 * Schema of the SQLite engine, as numbered migrations recorded in the `migrations` table. A
 * migration is applied once, in its own transaction; never edit a released one, append a new one.
 *
 * Tables (times are integer milliseconds since the epoch, UTC):
 * - `entries`: journal entries; `seq` is the store-wide journal order (allocated from `counters`,
 *   never reused, so a cursor stays valid after later removals); `unread` caches `isUnread()`.
 * - `message_ids`: the id map (`journal-storage.md` §1): (account, message_id) → seq, created_at. It
 *   outlives removed entries (cursors, idempotency) and holds private-key message ids. Its primary
 *   key is what makes `add` idempotent. Since migration 3 the key is (message_id, account): a message
 *   lands in two journals (sender's and recipient's copy), and in that order both rows go into one
 *   B-tree page. With the random UUID message ids real clients send, each row dirties a random page,
 *   so (account, message_id) wrote two random pages per message to the WAL, this order writes one
 *   (bench/ingest.ts --uuid-ids at 10 000/s: p99 68–106 ms before, 32–56 ms after; sustained about
 *   15 000–16 000/s either way, within this VM's noise).
 *   What the random page still costs (issue 17, measured 2026-12-06): bench/ingest.ts with
 *   `--uuid-ids` against sequential ids, same machine, 2 shared cores: SQLite write thread 33 → 23 µs
 *   and checkpointer 6 → 2 µs per MESSAGE; on the write connection alone (two entries per message,
 *   32 per commit, 100 000 messages stored) 34 → 17 µs, and 3.1 → 1.4 WAL frames per message. The
 *   internal key is already time-ordered (`seq`; this table is the client id's secondary key), so
 *   the rest is what any B-tree keyed by a random client id pays: one random leaf, its splits and
 *   their parents per message. Part of it is SQLite's own: `balance_nonroot` swaps page numbers
 *   through the pending-byte page (page 262 145 at 4 KiB), which leaves the page cache's "largest
 *   key" there, so the COMMIT after a split scans the whole page-cache hash table (gdb and perf:
 *   `pcache1TruncateUnsafe`, 6–9 % of the write connection's CPU with random ids, under 0.2 % with
 *   sequential ones; databases over 1 GiB do not pay it).
 * - `accounts`, `public_keys`, `private_keys`, `push_tokens`, `counters`.
 * - `local_accounts` (migration 4): the credentials of standalone mode (`local-accounts.ts`).
 */
import type { Database } from 'better-sqlite3';
import { LOCAL_ACCOUNTS_SQL } from './local-accounts.js';

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('seq', 0);
      CREATE TABLE entries (
        seq           INTEGER PRIMARY KEY,
        account       TEXT NOT NULL,
        message_id    TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        contact       TEXT NOT NULL,
        direction     TEXT NOT NULL,
        content_type  TEXT NOT NULL,
        content       TEXT NOT NULL,
        disposition   TEXT,
        state         TEXT,
        msg_timestamp INTEGER NOT NULL,
        unread        INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX entries_account_seq ON entries (account, seq);
      CREATE INDEX entries_account_contact ON entries (account, contact);
      CREATE INDEX entries_unread ON entries (account, contact) WHERE unread = 1;
      CREATE TABLE message_ids (
        account     TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX message_ids_created_at ON message_ids (created_at);
      CREATE TABLE accounts (
        aor           TEXT PRIMARY KEY,
        last_login    INTEGER,
        api_token     TEXT,
        token_expires INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX accounts_api_token ON accounts (api_token) WHERE api_token IS NOT NULL;
      CREATE TABLE public_keys (
        aor         TEXT PRIMARY KEY,
        public_key  TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE private_keys (
        account       TEXT PRIMARY KEY,
        message_id    TEXT NOT NULL,
        contact       TEXT NOT NULL,
        direction     TEXT NOT NULL,
        content       TEXT NOT NULL,
        msg_timestamp INTEGER NOT NULL,
        created_at    INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE push_tokens (
        account          TEXT NOT NULL,
        app_id           TEXT NOT NULL,
        device_id        TEXT NOT NULL,
        platform         TEXT NOT NULL,
        token            TEXT NOT NULL,
        background_token TEXT,
        silent           INTEGER NOT NULL,
        user_agent       TEXT,
        PRIMARY KEY (account, app_id, device_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'index for since queries',
    sql: `CREATE INDEX entries_account_created ON entries (account, created_at, seq);`,
  },
  {
    // A table copy: about 2.7 s per million id rows at the first start after the upgrade (measured).
    // `listAccounts` now finds id-only accounts by scanning the id map's created_at index.
    version: 3,
    name: 'id map keyed by (message_id, account)',
    sql: `
      CREATE TABLE message_ids_v3 (
        message_id  TEXT NOT NULL,
        account     TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (message_id, account)
      ) WITHOUT ROWID;
      INSERT INTO message_ids_v3 (message_id, account, seq, created_at)
        SELECT message_id, account, seq, created_at FROM message_ids ORDER BY message_id, account;
      DROP TABLE message_ids;
      ALTER TABLE message_ids_v3 RENAME TO message_ids;
      CREATE INDEX message_ids_created_at ON message_ids (created_at);
    `,
  },
  { version: 4, name: 'local accounts', sql: LOCAL_ACCOUNTS_SQL },
  {
    version: 5,
    name: 'registrar bindings (standalone mode)',
    sql: `
      CREATE TABLE registrations (
        aor            TEXT NOT NULL,
        key            TEXT NOT NULL,
        contact        TEXT NOT NULL,
        call_id        TEXT NOT NULL,
        cseq           INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL,
        instance_id    TEXT NOT NULL,
        flow           TEXT NOT NULL,
        path           TEXT NOT NULL,
        transport      TEXT NOT NULL,
        source_address TEXT NOT NULL,
        source_port    INTEGER NOT NULL,
        sip_instance   TEXT,
        reg_id         INTEGER,
        q              REAL,
        user_agent     TEXT,
        PRIMARY KEY (aor, key)
      );
      CREATE INDEX registrations_flow ON registrations (instance_id, flow);
      CREATE INDEX registrations_expires ON registrations (expires_at);
    `,
  },
];

/** Apply every migration newer than the database's; returns the versions applied. */
export function migrate(db: Database): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version));
  const done: number[] = [];
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
    done.push(m.version);
  }
  return done;
}
