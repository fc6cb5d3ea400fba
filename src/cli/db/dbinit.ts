/**
 * `sylk-db dbinit` (`sylk-db.md` §3). Cassandra: the original's interactive flow (keyspace, then each
 * table: create or update from the model), using the Cassandra engine's schema functions. SQLite and
 * PostgreSQL: opening the store applies the numbered migrations, which is all there is to do.
 */
import type { StoreSpec } from '../../storage/index.js';
import { describeStore, openStore } from '../../storage/index.js';
import { CliExit, confirm, type CliIo, type Output } from './io.js';

export async function dbinit(spec: StoreSpec, io: CliIo, out: Output, yes: boolean): Promise<number> {
  out.banner(spec.engine === 'cassandra' ? 'SylkServer - Cassandra database create/maintenance' : 'SylkServer - Database create/maintenance');
  out.warn('This script can destroy data; make a backup first');
  if (!(await confirm(io, 'Would you like to continue?', yes))) return 0;
  if (spec.engine !== 'cassandra') {
    let store;
    try {
      store = await openStore(spec, { retentionDays: 0 });
    } catch (err) {
      throw new CliExit(1, `cannot open ${describeStore(spec)}: ${(err as Error).message}`);
    }
    await store.close();
    out.info(`Schema of ${describeStore(spec)} is up to date`);
    return 0;
  }
  if (spec.contactPoints.length === 0) {
    throw new CliExit(1, 'Cassandra cluster contact points are not set, please adjust webrtcgateway.ini');
  }
  if (!spec.keyspace) throw new CliExit(1, 'Cassandra keyspace is not set, please adjust webrtcgateway.ini');
  const cass = await import('../../storage/cassandra/index.js');
  let client;
  try {
    client = await cass.connectCassandra({ contactPoints: spec.contactPoints });
  } catch (err) {
    throw new CliExit(1, `Can't connect to Cassandra cluster (${(err as Error).message})`);
  }
  try {
    const ks = cass.checkIdentifier(spec.keyspace, 'keyspace');
    if (await cass.keyspaceExists(client, ks)) out.info(`Keyspace ${ks} is already on the server.`);
    else {
      out.info(`Keyspace ${ks} is not defined on the server`);
      if (!(await confirm(io, 'Would you like to create the keyspace with SimpleStrategy?', yes))) return 1;
      await cass.createKeyspace(client, ks);
      out.info(`Keyspace ${ks} created`);
    }
    for (const table of cass.schemaTables({ pushTokensTable: spec.pushTokensTable })) {
      const exists = (await cass.tableColumns(client, ks, table.name)) !== null;
      if (exists) {
        out.info(`Table ${table.name} is in the keyspace ${ks}`);
        if (await confirm(io, 'Would you like to update the schema with the model?', yes)) {
          const added = await cass.updateTable(client, ks, table);
          out.info(`Table ${table.name} updated${added.length ? ` (added ${added.join(', ')})` : ''}`);
        }
      } else {
        out.info(`Table ${table.name} is not the keyspace ${ks}`);
        if (await confirm(io, 'Would you like to create the table from the model?', yes)) {
          await cass.createTable(client, ks, table);
          out.info(`Table ${table.name} created`);
        }
      }
    }
    return 0;
  } finally {
    await client.shutdown();
  }
}
