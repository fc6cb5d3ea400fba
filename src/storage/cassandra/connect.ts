/**
 * Connecting to Cassandra as SylkServer does (`journal-storage.md` §4.1): contact points from
 * `[Cassandra] cluster_contact_points`, native protocol v4, data-center-aware round robin. The
 * original never names the local data center (its driver picks the contact point's); the Node.js
 * driver requires one, so unless configured we ask the first reachable contact point
 * (`system.local.data_center`) with a short-lived bootstrap client.
 */
import cassandra from 'cassandra-driver';

export interface CassandraConnectionOptions {
  /** `[Cassandra] cluster_contact_points`: `host` or `host:port` (default port 9042). */
  contactPoints: readonly string[];
  /** Local data center; discovered from the first contact point when absent. */
  localDataCenter?: string | undefined;
  /** Per-request timeout (ms), default 12 000. */
  readTimeoutMs?: number | undefined;
}

export async function discoverDataCenter(contactPoints: readonly string[]): Promise<string> {
  const probe = new cassandra.Client({
    contactPoints: [...contactPoints],
    policies: { loadBalancing: new cassandra.policies.loadBalancing.RoundRobinPolicy() },
    protocolOptions: { maxVersion: cassandra.types.protocolVersion.v4 },
  });
  try {
    await probe.connect();
    const rs = await probe.execute('SELECT data_center FROM system.local');
    const dc = rs.first()?.get('data_center');
    if (typeof dc !== 'string' || dc.length === 0) throw new Error('system.local has no data_center');
    return dc;
  } finally {
    await probe.shutdown();
  }
}

/** A connected client (no keyspace bound: statements name their keyspace). */
export async function connectCassandra(options: CassandraConnectionOptions): Promise<cassandra.Client> {
  if (options.contactPoints.length === 0) throw new Error('Cassandra: no contact points');
  const localDataCenter = options.localDataCenter ?? (await discoverDataCenter(options.contactPoints));
  const client = new cassandra.Client({
    contactPoints: [...options.contactPoints],
    localDataCenter,
    protocolOptions: { maxVersion: cassandra.types.protocolVersion.v4 },
    socketOptions: { readTimeout: options.readTimeoutMs ?? 12_000 },
    queryOptions: {
      consistency: cassandra.types.consistencies.localQuorum,
      serialConsistency: cassandra.types.consistencies.localSerial,
      prepare: true,
    },
  });
  await client.connect();
  return client;
}
