/**
 * Address books on PostgreSQL (`src/storage/postgres/address-book.ts`): two stores on one database —
 * two servers — share every account's book, concurrent changes from both are all kept
 * (compare-and-set), and the limits hold on the real engine.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/storage/postgres/index.js';
import { MAX_OBJECT_BYTES, TableAddressBookStore } from '../../src/sylkrtc/addressbook.js';

const url = process.env.SYLK_TEST_PG_URL;
if (!url) throw new Error('SYLK_TEST_PG_URL is not set: run through `npm test -- postgres` (scripts/test.mjs starts PostgreSQL)');
const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
after(async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const contact = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: id, uris: [], attributes: { ...extra } });
const A = 'alice@example.com';

test('two servers on one PostgreSQL database share the address books', async () => {
  // One after the other: two stores creating the same PostgreSQL *schema* at once race in
  // `CREATE SCHEMA IF NOT EXISTS` (the store's, not the address book's; servers share an existing one).
  const s1 = await openPostgresStore({ url, schema, retentionDays: 0 });
  const s2 = await openPostgresStore({ url, schema, retentionDays: 0 });
  try {
    const ab1 = new TableAddressBookStore(s1.addressBooks());
    const ab2 = new TableAddressBookStore(s2.addressBooks());
    await ab1.apply(A, 'add', 'contact', contact('c1'));
    assert.deepEqual((await ab2.fetch(A)).contacts, [contact('c1')], 'a change on one server is seen on the other');
    await ab2.apply(A, 'update', 'contact', contact('c1', { nick: 'Bobby' }));
    assert.deepEqual((await ab1.fetch(A)).contacts, [contact('c1', { nick: 'Bobby' })]);

    // Concurrent changes of one account on both servers: none lost.
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? ab1 : ab2).apply(A, 'add', 'contact', contact(`k${i}`))));
    const book = await ab2.fetch(A);
    assert.equal(book.contacts.length, 31);
    assert.deepEqual(new Set(book.contacts.map((c) => (c as { id: string }).id)).size, 31);

    await ab1.apply(A, 'add', 'group', { id: 'g', name: 'G', attributes: {}, contacts: [] });
    await ab2.apply(A, 'add', 'groupMember', { groupId: 'g', contactId: 'k3' });
    assert.deepEqual((await ab1.fetch(A)).groups, [{ id: 'g', name: 'G', attributes: {}, contacts: [contact('k3')] }]);
    await assert.rejects(ab1.apply(A, 'add', 'contact', contact('big', { blob: 'x'.repeat(MAX_OBJECT_BYTES) })), /at most 65536/);
  } finally {
    await Promise.all([s1.close(), s2.close()]);
  }
  // And after both restarted.
  const s3 = await openPostgresStore({ url, schema, retentionDays: 0 });
  try {
    assert.equal((await new TableAddressBookStore(s3.addressBooks()).fetch(A)).contacts.length, 31);
  } finally {
    await s3.close();
  }
});
