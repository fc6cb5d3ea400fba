/**
 * Schema of the PostgreSQL engine, as numbered migrations recorded in the `migrations` table. All
 * migrations run under a transaction-level advisory lock, so several servers starting at once against
 * one database apply each migration exactly once. Never edit a released migration; append one.
 *
 * Same logical tables as the SQLite engine (see `../sqlite/migrations.ts`): `entries` ordered by the
 * store-wide `seq` (allocated from the `counters` row, whose row lock also serializes journal writers
 * of several servers so that `seq` order equals commit order and cursors never skip an entry),
 * `message_ids` (the id map; its primary key makes `add` idempotent), `accounts`, `public_keys`,
 * `private_keys`, `push_tokens`. `disposition` is JSON text (null = no notification requested).
 * `local_accounts` (migration 3): the credentials of standalone mode (`local-accounts.ts`).
 */
import type { PoolClient } from 'pg';
import { LOCAL_ACCOUNTS_SQL } from './local-accounts.js';
import { REGISTRATIONS_MIGRATION } from './registrations.js';

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
      INSERT INTO counters (name, value) VALUES ('seq', 0);
      CREATE TABLE entries (
        seq           bigint PRIMARY KEY,
        account       text NOT NULL,
        message_id    text NOT NULL,
        created_at    timestamptz NOT NULL,
        contact       text NOT NULL,
        direction     text NOT NULL,
        content_type  text NOT NULL,
        content       text NOT NULL,
        disposition   text,
        state         text,
        msg_timestamp timestamptz NOT NULL,
        unread        boolean NOT NULL DEFAULT false
      );
      CREATE INDEX entries_account_seq ON entries (account, seq);
      CREATE INDEX entries_account_contact ON entries (account, contact);
      CREATE INDEX entries_unread ON entries (account, contact) WHERE unread;
      CREATE TABLE message_ids (
        account     text NOT NULL,
        message_id  text NOT NULL,
        seq         bigint NOT NULL,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (account, message_id)
      );
      CREATE INDEX message_ids_created_at ON message_ids (created_at);
      CREATE TABLE accounts (
        aor           text PRIMARY KEY,
        last_login    timestamptz,
        api_token     text,
        token_expires timestamptz
      );
      CREATE INDEX accounts_api_token ON accounts (api_token) WHERE api_token IS NOT NULL;
      CREATE TABLE public_keys (
        aor         text PRIMARY KEY,
        public_key  text NOT NULL,
        created_at  timestamptz NOT NULL
      );
      CREATE TABLE private_keys (
        account       text PRIMARY KEY,
        message_id    text NOT NULL,
        contact       text NOT NULL,
        direction     text NOT NULL,
        content       text NOT NULL,
        msg_timestamp timestamptz NOT NULL,
        created_at    timestamptz NOT NULL
      );
      CREATE TABLE push_tokens (
        account          text NOT NULL,
        app_id           text NOT NULL,
        device_id        text NOT NULL,
        platform         text NOT NULL,
        token            text NOT NULL,
        background_token text,
        silent           boolean NOT NULL,
        user_agent       text,
        PRIMARY KEY (account, app_id, device_id)
      );
    `,
  },
  {
    version: 2,
    name: 'index for since queries',
    sql: `CREATE INDEX entries_account_created ON entries (account, created_at, seq);`,
  },
  { version: 3, name: 'local accounts', sql: LOCAL_ACCOUNTS_SQL },
  { version: 4, name: 'registrar bindings (standalone mode)', sql: REGISTRATIONS_MIGRATION },
];

/** Arbitrary constant key of the advisory lock taken while migrating. */
const MIGRATION_LOCK = 0x53796c6b; // "Sylk"

/** Apply every migration newer than the database's; returns the versions applied. */
export async function migrate(client: PoolClient): Promise<number[]> {
  const done: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return done;
}
