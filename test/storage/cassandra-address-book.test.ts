/**
 * Address books on Cassandra (`src/storage/cassandra/address-book.ts`): `sylk_address_books` comes
 * with the schema (`dbinit`), two stores — two servers — share the books, and concurrent changes of
 * one account from both are all kept (lightweight transactions).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { connectCassandra, ensureSchema, missingTables, openCassandraStore } from '../../src/storage/cassandra/index.js';
import { TableAddressBookStore } from '../../src/sylkrtc/addressbook.js';

const contactPoint = process.env.SYLK_TEST_CASSANDRA;
if (!contactPoint) throw new Error('SYLK_TEST_CASSANDRA is not set: run through `npm test -- cassandra` (it starts the node)');
const contactPoints = [contactPoint];
const keyspace = `sylk_ab_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const admin = await connectCassandra({ contactPoints });
after(async () => {
  try {
    // Schema changes are slow on a loaded node: a longer timeout than the driver's 12 s.
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
  } finally {
    await admin.shutdown();
  }
});

const contact = (id: string) => ({ id, name: id, uris: [], attributes: {} });
const A = 'alice@example.com';

test('two servers on one Cassandra keyspace share the address books; concurrent changes all kept', async () => {
  await ensureSchema(admin, keyspace, {});
  assert.deepEqual(await missingTables(admin, keyspace), [], 'dbinit created sylk_address_books with the rest');
  const s1 = await openCassandraStore({ contactPoints, keyspace });
  const s2 = await openCassandraStore({ contactPoints, keyspace });
  try {
    const ab1 = new TableAddressBookStore(s1.addressBooks());
    const ab2 = new TableAddressBookStore(s2.addressBooks());
    await ab1.apply(A, 'add', 'contact', contact('c0'));
    assert.deepEqual((await ab2.fetch(A)).contacts, [contact('c0')]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? ab1 : ab2).apply(A, 'add', 'contact', contact(`k${i}`))));
    assert.equal((await ab1.fetch(A)).contacts.length, 11);
    await ab2.apply(A, 'delete', 'contact', { id: 'c0' });
    assert.equal((await ab1.fetch(A)).contacts.length, 10);
  } finally {
    await Promise.all([s1.close(), s2.close()]);
  }
});
