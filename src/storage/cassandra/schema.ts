/**
 * The Cassandra schema: SylkServer's own tables with exactly the original's columns, keys, TTL and
 * gc_grace options (`journal-storage.md` §4.3), plus the tables only we write (prefixed `sylk_`), and
 * the `dbinit` operations of `sylk-db.md` §3 (keyspace and per-table create / update-from-model).
 *
 * Our additions never touch the original's tables' definitions, so a keyspace can be shared with a
 * running original during a migration:
 * - `sylk_message_ids`: which message ids each *account* knows (the original's id map is global), the
 *   entry's `created_at` in that account's journal and whether the entry was removed. Lightweight
 *   transactions on it make `add` idempotent per account; one partition per account, so the ids of a
 *   whole group-commit batch are claimed in one conditional batch (one Paxos round per account).
 * - `sylk_api_tokens`: the exact expiry of the API token (`chat_accounts.api_token` only has a TTL).
 * - `sylk_accounts_by_api_token`: token → account, for HTTP authentication by token.
 * - `sylk_private_key_messages`: the latest `text/pgp-private-key` message per account.
 * - `sylk_local_accounts`: the credentials of standalone mode (`local-accounts.ts`).
 * - `sylk_address_books`: the address book of each account (`address-book.ts`).
 * - `sylk_registrations`, `sylk_registrations_by_flow`: the registrar's bindings (`registrations.ts`).
 */
import type { Client } from 'cassandra-driver';

/** One table of the model: its CQL definition, columns (for `update`) and table options. */
export interface TableDefinition {
  name: string;
  /** column → CQL type, in definition order. */
  columns: ReadonlyArray<readonly [string, string]>;
  /** `PRIMARY KEY (...)` clause contents. */
  primaryKey: string;
  /** `WITH ...` options (without `WITH`), applied by create and update; may be empty. */
  options: string[];
  /** Whether the original SylkServer defines this table (false: ours). */
  original: boolean;
}

export interface SchemaOptions {
  /** `[Cassandra] push_tokens_table` (empty → `push_tokens`). */
  pushTokensTable?: string | undefined;
}

/** Journal entries expire this long after they were written (the original's table default). */
export const ORIGINAL_JOURNAL_TTL_SECONDS = 31_536_000;
/** gc_grace_seconds of the original's journal and id-map tables. */
export const ORIGINAL_GC_GRACE_SECONDS = 345_600;
/** TTL the original writes `chat_accounts.api_token` with. */
export const ORIGINAL_API_TOKEN_TTL_SECONDS = 2_678_400;

const IDENT = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/** Validate a keyspace or table name taken from configuration before it is put into CQL. */
export function checkIdentifier(name: string, what: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid Cassandra ${what} name: ${JSON.stringify(name)}`);
  return name;
}

export function pushTokensTableName(options: SchemaOptions): string {
  const name = options.pushTokensTable && options.pushTokensTable.length > 0 ? options.pushTokensTable : 'push_tokens';
  return checkIdentifier(name, 'table');
}

/** Standalone mode's local accounts (`local-accounts.ts`), one partition per AOR. */
/** The registrar's bindings (`registrations.ts`): one partition per account, rows with a TTL. */
export const REGISTRATIONS_TABLE: TableDefinition = {
  name: 'sylk_registrations',
  columns: [
    ['aor', 'text'],
    ['key', 'text'],
    ['contact', 'text'],
    ['call_id', 'text'],
    ['cseq', 'bigint'],
    ['expires_at', 'timestamp'],
    ['instance_id', 'text'],
    ['flow', 'text'],
    ['path', 'text'],
    ['transport', 'text'],
    ['source_address', 'text'],
    ['source_port', 'int'],
    ['sip_instance', 'text'],
    ['reg_id', 'int'],
    ['q', 'float'],
    ['user_agent', 'text'],
  ],
  primaryKey: '(aor), key',
  options: [],
  original: false,
};

/** (instance, flow) → its bindings, for removing them when the connection closes. */
export const REGISTRATIONS_BY_FLOW_TABLE: TableDefinition = {
  name: 'sylk_registrations_by_flow',
  columns: [
    ['instance_id', 'text'],
    ['flow', 'text'],
    ['aor', 'text'],
    ['key', 'text'],
  ],
  primaryKey: '(instance_id, flow), aor, key',
  options: [],
  original: false,
};

export const LOCAL_ACCOUNTS_TABLE: TableDefinition = {
  name: 'sylk_local_accounts',
  columns: [
    ['aor', 'text'],
    ['domain', 'text'],
    ['ha1_md5', 'text'],
    ['ha1_sha256', 'text'],
    ['display_name', 'text'],
    ['created_at', 'timestamp'],
    ['disabled', 'boolean'],
  ],
  primaryKey: 'aor',
  options: [],
  original: false,
};

/** The address books (`address-book.ts`). */
export const ADDRESS_BOOK_TABLE: TableDefinition = {
  name: 'sylk_address_books',
  columns: [
    ['account', 'text'],
    ['book', 'text'],
    ['version', 'int'],
  ],
  primaryKey: 'account',
  options: [],
  original: false,
};

/**
 * The model, in `sylk-db dbinit`'s order (push tokens, accounts, journal, id map, public keys), then
 * our own tables.
 */
export function schemaTables(options: SchemaOptions = {}): TableDefinition[] {
  const journalOptions = [
    'CLUSTERING ORDER BY (created_at ASC, message_id ASC)',
    `default_time_to_live = ${ORIGINAL_JOURNAL_TTL_SECONDS}`,
    `gc_grace_seconds = ${ORIGINAL_GC_GRACE_SECONDS}`,
  ];
  return [
    {
      name: pushTokensTableName(options),
      columns: [
        ['username', 'text'],
        ['domain', 'text'],
        ['device_id', 'text'],
        ['app_id', 'text'],
        ['background_token', 'text'],
        ['device_token', 'text'],
        ['platform', 'text'],
        ['silent', 'text'],
        ['user_agent', 'text'],
      ],
      primaryKey: '(username, domain), device_id, app_id',
      options: [],
      original: true,
    },
    {
      name: 'chat_accounts',
      columns: [
        ['account', 'text'],
        ['api_token', 'text'],
        ['last_login', 'timestamp'],
      ],
      primaryKey: 'account',
      options: [],
      original: true,
    },
    {
      name: 'chat_messages_by_timestamp',
      columns: [
        ['account', 'text'],
        ['created_at', 'timestamp'],
        ['message_id', 'text'],
        ['contact', 'text'],
        ['direction', 'text'],
        ['content', 'text'],
        ['content_type', 'text'],
        ['disposition', 'list<text>'],
        ['state', 'text'],
        ['msg_timestamp', 'timestamp'],
      ],
      primaryKey: '(account), created_at, message_id',
      options: journalOptions,
      original: true,
    },
    {
      name: 'chat_message_created_at_by_id',
      columns: [
        ['message_id', 'text'],
        ['created_at', 'timestamp'],
      ],
      primaryKey: 'message_id',
      options: [`default_time_to_live = ${ORIGINAL_JOURNAL_TTL_SECONDS}`, `gc_grace_seconds = ${ORIGINAL_GC_GRACE_SECONDS}`],
      original: true,
    },
    {
      name: 'public_key_by_account',
      columns: [
        ['account', 'text'],
        ['public_key', 'text'],
        ['created_at', 'timestamp'],
      ],
      primaryKey: 'account',
      options: [],
      original: true,
    },
    {
      name: 'sylk_message_ids',
      columns: [
        ['account', 'text'],
        ['message_id', 'text'],
        ['created_at', 'timestamp'],
        ['removed', 'boolean'],
      ],
      primaryKey: '(account), message_id',
      options: [`gc_grace_seconds = ${ORIGINAL_GC_GRACE_SECONDS}`],
      original: false,
    },
    {
      name: 'sylk_null_dispositions',
      columns: [
        ['account', 'text'],
        ['created_at', 'timestamp'],
        ['message_id', 'text'],
      ],
      primaryKey: '(account), created_at, message_id',
      options: ['CLUSTERING ORDER BY (created_at ASC, message_id ASC)', `gc_grace_seconds = ${ORIGINAL_GC_GRACE_SECONDS}`],
      original: false,
    },
    {
      name: 'sylk_api_tokens',
      columns: [
        ['account', 'text'],
        ['api_token', 'text'],
        ['expires_at', 'timestamp'],
      ],
      primaryKey: 'account',
      options: [],
      original: false,
    },
    {
      name: 'sylk_accounts_by_api_token',
      columns: [
        ['api_token', 'text'],
        ['account', 'text'],
        ['expires_at', 'timestamp'],
      ],
      primaryKey: 'api_token',
      options: [],
      original: false,
    },
    {
      name: 'sylk_private_key_messages',
      columns: [
        ['account', 'text'],
        ['message_id', 'text'],
        ['contact', 'text'],
        ['direction', 'text'],
        ['content', 'text'],
        ['msg_timestamp', 'timestamp'],
        ['created_at', 'timestamp'],
      ],
      primaryKey: 'account',
      options: [],
      original: false,
    },
    LOCAL_ACCOUNTS_TABLE,
    ADDRESS_BOOK_TABLE,
    REGISTRATIONS_TABLE,
    REGISTRATIONS_BY_FLOW_TABLE,
  ];
}

/** `CREATE TABLE IF NOT EXISTS` statement of a table. */
export function createTableCql(keyspace: string, table: TableDefinition): string {
  const cols = table.columns.map(([n, t]) => `  ${n} ${t}`).join(',\n');
  const withClause = table.options.length > 0 ? `\nWITH ${table.options.join('\n AND ')}` : '';
  return `CREATE TABLE IF NOT EXISTS ${checkIdentifier(keyspace, 'keyspace')}.${table.name} (\n${cols},\n  PRIMARY KEY (${table.primaryKey})\n)${withClause}`;
}

export async function keyspaceExists(client: Client, keyspace: string): Promise<boolean> {
  const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], {
    prepare: true,
  });
  return rs.rowLength > 0;
}

/** Create the keyspace as `dbinit` does: SimpleStrategy, replication factor 1, durable writes. */
export async function createKeyspace(client: Client, keyspace: string, replicationFactor = 1): Promise<void> {
  await client.execute(
    `CREATE KEYSPACE IF NOT EXISTS ${checkIdentifier(keyspace, 'keyspace')} WITH replication = ` +
      `{'class': 'SimpleStrategy', 'replication_factor': ${Math.max(1, Math.floor(replicationFactor))}} AND durable_writes = true`,
  );
}

/** Existing columns of a table (name → CQL type), or null if the table does not exist. */
export async function tableColumns(client: Client, keyspace: string, table: string): Promise<Map<string, string> | null> {
  const rs = await client.execute(
    'SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
    { prepare: true },
  );
  if (rs.rowLength === 0) return null;
  return new Map(rs.rows.map((r) => [String(r.get('column_name')), String(r.get('type'))]));
}

export async function createTable(client: Client, keyspace: string, table: TableDefinition): Promise<void> {
  await client.execute(createTableCql(keyspace, table));
}

/**
 * Synchronise an existing table with the model (`dbinit` "update the schema with the model"): add
 * missing columns and apply the table options (TTL, gc_grace). Never drops or retypes columns; the
 * clustering order cannot change after creation and is not re-applied. Resolves the added columns.
 */
export async function updateTable(client: Client, keyspace: string, table: TableDefinition): Promise<string[]> {
  const existing = await tableColumns(client, keyspace, table.name);
  if (!existing) {
    await createTable(client, keyspace, table);
    return table.columns.map(([n]) => n);
  }
  const added: string[] = [];
  for (const [name, type] of table.columns) {
    if (existing.has(name)) continue;
    await client.execute(`ALTER TABLE ${checkIdentifier(keyspace, 'keyspace')}.${table.name} ADD ${name} ${type}`);
    added.push(name);
  }
  const alterable = table.options.filter((o) => !o.startsWith('CLUSTERING ORDER'));
  if (alterable.length > 0) {
    await client.execute(`ALTER TABLE ${keyspace}.${table.name} WITH ${alterable.join(' AND ')}`);
  }
  return added;
}

/**
 * Non-interactive `dbinit`: create the keyspace if missing (SimpleStrategy, RF 1 unless given), then
 * create every missing table and update the existing ones from the model. Idempotent.
 */
export async function ensureSchema(
  client: Client,
  keyspace: string,
  options: SchemaOptions & { replicationFactor?: number } = {},
): Promise<void> {
  if (!(await keyspaceExists(client, keyspace))) await createKeyspace(client, keyspace, options.replicationFactor);
  for (const table of schemaTables(options)) await updateTable(client, keyspace, table);
}
