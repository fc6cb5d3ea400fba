/**
 * The Cassandra storage engine (`journal-storage.md` §4): the store, the connection and the schema
 * (`dbinit`, `sylk-db.md` §3).
 */
export { CassandraStore, missingTables, openCassandraStore, type CassandraStoreOptions, type OpenCassandraStoreOptions } from './store.js';
export { connectCassandra, discoverDataCenter, type CassandraConnectionOptions } from './connect.js';
export {
  checkIdentifier,
  createKeyspace,
  createTable,
  createTableCql,
  ensureSchema,
  keyspaceExists,
  pushTokensTableName,
  schemaTables,
  tableColumns,
  updateTable,
  ORIGINAL_API_TOKEN_TTL_SECONDS,
  ORIGINAL_GC_GRACE_SECONDS,
  ORIGINAL_JOURNAL_TTL_SECONDS,
  type SchemaOptions,
  type TableDefinition,
} from './schema.js';
