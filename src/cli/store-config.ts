/**
 * The journal store's spec and options from the configuration (`[Storage]`, `[Cassandra]`), for the
 * two composition roots: `sylk-server` (cli/server/compose.ts) and `sylk-db` (cli/db/main.ts).
 */
import type { Config } from '../config/index.js';
import { parseStoreUrl, type OpenStoreOptions, type StoreSpec } from '../storage/index.js';

/** The configured store (`[Storage] backend`; `cassandra` when `[Cassandra] cluster_contact_points` is set). */
export function storeSpecFromConfig(config: Pick<Config, 'Storage' | 'Cassandra'>): StoreSpec {
  switch (config.Storage.backend) {
    case 'sqlite':
      return { engine: 'sqlite', path: config.Storage.sqlite_path };
    case 'postgres':
      // A configured URL may carry `?schema=` like a store URL.
      return config.Storage.postgres_url ? parseStoreUrl(config.Storage.postgres_url) : { engine: 'postgres', url: null };
    case 'cassandra':
      return {
        engine: 'cassandra',
        contactPoints: [...config.Cassandra.cluster_contact_points],
        keyspace: config.Cassandra.keyspace,
        pushTokensTable: config.Cassandra.push_tokens_table || undefined,
      };
  }
}

/** Store options from the configuration. */
export function storeOptionsFromConfig(config: Pick<Config, 'Storage'>): OpenStoreOptions {
  return { retentionDays: config.Storage.retention_days, groupCommit: config.Storage.group_commit };
}
