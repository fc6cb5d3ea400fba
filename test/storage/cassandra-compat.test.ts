/**
 * Compatibility with the original SylkServer on a shared keyspace (`journal-storage.md` §4): rows
 * written the way the original writes them (its CQL: plain INSERTs with the table's default TTL,
 * naive-UTC timestamps, disposition lists, `"0"`/`"1"` silent flags, a global id map) are read
 * back correctly by our engine; and what our engine writes is found by the original's own queries
 * (`created_at > since`, id map → exact row, `chat_accounts.api_token`, `public_key_by_account`,
 * `push_tokens`). Runs on the real node (`SYLK_TEST_CASSANDRA`), in a fresh keyspace.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type cassandra from 'cassandra-driver';
import { connectCassandra, ensureSchema, openCassandraStore, type CassandraStore } from '../../src/storage/cassandra/index.js';

const contactPoint = process.env.SYLK_TEST_CASSANDRA;
if (!contactPoint) throw new Error('SYLK_TEST_CASSANDRA is not set: run through `npm test -- cassandra` (it starts the node)');
const keyspace = `sylk_compat_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

let db: cassandra.Client;
let store: CassandraStore;

before(async () => {
  db = await connectCassandra({ contactPoints: [contactPoint] });
  await ensureSchema(db, keyspace);
  store = await openCassandraStore({ contactPoints: [contactPoint], keyspace });
});

after(async () => {
  await store?.close();
  if (db) {
    await db.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await db.shutdown();
  }
});

const q = (cql: string, params: unknown[] = []): Promise<cassandra.types.ResultSet> => db.execute(cql, params, { prepare: true });

/** `ChatMessage.create(...)` + `ChatMessageIdMapping.create(...)` of the original (cqlengine), default TTL. */
async function originalAdd(row: {
  account: string;
  createdAt: Date;
  messageId: string;
  contact: string;
  direction: string;
  content: string;
  contentType: string;
  disposition: string[] | null;
  state: string | null;
  msgTimestamp: Date | null;
}): Promise<void> {
  await q(
    `INSERT INTO ${keyspace}.chat_messages_by_timestamp (account, created_at, message_id, contact, direction, content, content_type, disposition, state, msg_timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [row.account, row.createdAt, row.messageId, row.contact, row.direction, row.content, row.contentType, row.disposition, row.state, row.msgTimestamp],
  );
  await q(`INSERT INTO ${keyspace}.chat_message_created_at_by_id (message_id, created_at) VALUES (?, ?)`, [row.messageId, row.createdAt]);
}

/** The original's `get(account, message_id=...)` checkpoint path: id map → `created_at > T`. */
async function originalQueryAfter(account: string, checkpointId: string): Promise<string[]> {
  const m = await q(`SELECT created_at FROM ${keyspace}.chat_message_created_at_by_id WHERE message_id = ?`, [checkpointId]);
  const since = m.first()?.get('created_at') as Date;
  const rs = await q(`SELECT message_id FROM ${keyspace}.chat_messages_by_timestamp WHERE account = ? AND created_at > ? LIMIT 10000`, [account, since]);
  return rs.rows.map((r) => String(r.get('message_id')));
}

/** The original's lookup of one entry by id (update/remove): id map → exact row. */
async function originalFind(account: string, messageId: string): Promise<cassandra.types.Row | undefined> {
  const m = await q(`SELECT created_at FROM ${keyspace}.chat_message_created_at_by_id WHERE message_id = ?`, [messageId]);
  const createdAt = m.first()?.get('created_at') as Date | undefined;
  if (!createdAt) return undefined;
  const rs = await q(`SELECT * FROM ${keyspace}.chat_messages_by_timestamp WHERE account = ? AND created_at = ? AND message_id = ?`, [account, createdAt, messageId]);
  return rs.first() ?? undefined;
}

describe('rows written by the original are read by our engine', () => {
  const alice = `alice-${randomUUID().slice(0, 8)}@example.com`;
  const bob = `bob-${randomUUID().slice(0, 8)}@example.com`;
  // The original writes datetime.now() (naive); the driver sends naive values as UTC.
  const t0 = new Date(Date.now() - 60_000);
  const ids = { m1: randomUUID(), m2: randomUUID(), m3: randomUUID(), partial: randomUUID(), marker: randomUUID() };

  before(async () => {
    await originalAdd({ account: alice, createdAt: t0, messageId: ids.m1, contact: bob, direction: 'incoming', content: 'Hi Alice', contentType: 'text/plain', disposition: ['positive-delivery', 'display'], state: 'received', msgTimestamp: new Date('2024-05-01T10:00:00Z') });
    await originalAdd({ account: alice, createdAt: new Date(t0.getTime() + 1000), messageId: ids.m2, contact: bob, direction: 'outgoing', content: 'Hi Bob', contentType: 'text/plain', disposition: null, state: 'processed', msgTimestamp: new Date('2024-05-01T10:00:01.500Z') });
    await originalAdd({ account: alice, createdAt: new Date(t0.getTime() + 2000), messageId: ids.partial, contact: bob, direction: 'incoming', content: 'partial', contentType: 'text/plain', disposition: [], state: 'received', msgTimestamp: null });
    await originalAdd({ account: alice, createdAt: new Date(t0.getTime() + 3000), messageId: ids.marker, contact: bob, direction: '', content: bob, contentType: 'application/sylk-conversation-read', disposition: [], state: null, msgTimestamp: new Date(t0.getTime() + 3000) });
    await originalAdd({ account: alice, createdAt: new Date(t0.getTime() + 4000), messageId: ids.m3, contact: 'carol@example.com', direction: 'incoming', content: 'Yo', contentType: 'text/html', disposition: ['display'], state: 'received', msgTimestamp: new Date('2024-05-01T10:00:04Z') });
    await q(`INSERT INTO ${keyspace}.chat_accounts (account, last_login) VALUES (?, ?)`, [alice, new Date('2025-01-01T00:00:00Z')]);
    await q(`UPDATE ${keyspace}.chat_accounts USING TTL 2678400 SET api_token = ? WHERE account = ?`, ['orig-token', alice]);
    await q(`INSERT INTO ${keyspace}.public_key_by_account (account, public_key, created_at) VALUES (?, ?, ?)`, [alice, '-----BEGIN PGP PUBLIC KEY BLOCK-----\nX\n', new Date('2025-01-01T00:00:00Z')]);
    const [user, domain] = alice.split('@');
    await q(
      `INSERT INTO ${keyspace}.push_tokens (username, domain, device_id, app_id, background_token, device_token, platform, silent, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [user, domain, 'DEV1', 'com.agprojects.sylk-ios', 'bgtok', 'voiptok', 'ios', '1', 'Sylk iOS'],
    );
  });

  test('query: original order, values and formats; partial rows skipped; odd states read as null', async () => {
    const r = await store.query(alice, { limit: 100 });
    assert.equal(r.basis, 'all');
    assert.deepEqual(r.entries.map((e) => e.messageId), [ids.m1, ids.m2, ids.marker, ids.m3]);
    const [m1, m2, marker] = r.entries;
    assert.equal(m1!.createdAt.getTime(), t0.getTime());
    assert.equal(m1!.msgTimestamp.toISOString(), '2024-05-01T10:00:00.000Z');
    assert.deepEqual(m1!.disposition, ['positive-delivery', 'display']);
    assert.equal(m1!.state, 'received');
    assert.equal(m1!.direction, 'incoming');
    assert.deepEqual(m2!.disposition, [], 'the original cannot tell null from empty: reads as []');
    assert.equal(m2!.state, null, 'a state outside the serializable list is not passed on');
    assert.equal(marker!.direction, '');
    assert.equal(marker!.state, null);
  });

  test('an original id is a cursor, found by id, and a duplicate add of it is refused', async () => {
    const r = await store.query(alice, { afterId: ids.m2, limit: 100 });
    assert.equal(r.basis, 'cursor');
    assert.deepEqual(r.entries.map((e) => e.messageId), [ids.marker, ids.m3]);
    assert.equal((await store.getEntry(alice, ids.m1))?.content, 'Hi Alice');
    const dup = await store.add({ account: alice, contact: bob, direction: 'incoming', contentType: 'text/plain', content: 'again', messageId: ids.m1, disposition: ['display'], state: 'received', msgTimestamp: new Date() });
    assert.equal(dup, false);
    assert.equal(await store.countEntries(alice), 5);
  });

  test('unread counts, update and mark-read work on original rows', async () => {
    const u = await store.unreadCounts(alice);
    assert.equal(u.total, 2);
    assert.equal(u.byContact.get(bob), 1);
    const up = await store.updateState(alice, ids.m1, 'delivered');
    assert.deepEqual(up?.entry.disposition, ['display']);
    assert.equal(await store.markConversationRead(alice, bob), 1);
    assert.equal((await store.unreadCounts(alice)).total, 1);
    assert.equal(await store.getEntry(alice, ids.marker), null, 'old read marker deleted');
    const row = await originalFind(alice, ids.m1);
    assert.equal(row?.get('disposition'), null, 'cleared list reads as empty/null for the original');
  });

  test('accounts, API token, public key and push tokens of the original', async () => {
    assert.equal((await store.getAccount(alice))?.lastLogin?.toISOString(), '2025-01-01T00:00:00.000Z');
    const tok = await store.getApiToken(alice);
    assert.equal(tok?.token, 'orig-token');
    const left = tok!.expiresAt.getTime() - Date.now();
    assert.ok(left > 2_678_000_000 && left <= 2_678_400_000, 'expiry derived from the column TTL');
    assert.equal((await store.getPublicKey(alice))?.key, '-----BEGIN PGP PUBLIC KEY BLOCK-----\nX\n');
    assert.deepEqual(await store.listPushTokens(alice), [
      { account: alice, appId: 'com.agprojects.sylk-ios', deviceId: 'DEV1', platform: 'ios', token: 'voiptok', backgroundToken: 'bgtok', silent: true, userAgent: 'Sylk iOS' },
    ]);
  });

  test('removeMessage of an original entry deletes it; the id stays known', async () => {
    const removed = await store.removeMessage(alice, ids.m3);
    assert.equal(removed?.content, 'Yo');
    assert.equal(await originalFind(alice, ids.m3), undefined);
    assert.equal(await store.add({ account: alice, contact: 'carol@example.com', direction: 'incoming', contentType: 'text/html', content: 'Yo', messageId: ids.m3, disposition: ['display'], state: 'received', msgTimestamp: new Date() }), false);
  });
});

describe('what our engine writes is read by the original', () => {
  const alice = `alice-${randomUUID().slice(0, 8)}@example.com`;
  const bob = `bob-${randomUUID().slice(0, 8)}@example.com`;

  test('both copies of a message share created_at (§4.4): the original finds each by id and uses it as checkpoint', async () => {
    const before = new Date(Date.now() - 1);
    const id = randomUUID();
    const msg = { contentType: 'text/plain', content: 'Hello', messageId: id, disposition: ['positive-delivery', 'display'], msgTimestamp: new Date('2024-05-01T10:00:00.250Z') };
    assert.deepEqual(
      await store.addMany([
        { ...msg, account: alice, contact: bob, direction: 'outgoing', state: 'pending' },
        { ...msg, account: bob, contact: alice, direction: 'incoming', state: 'received' },
      ]),
      [true, true],
    );
    const later = randomUUID();
    await store.add({ ...msg, messageId: later, account: bob, contact: alice, direction: 'incoming', state: 'received', disposition: null });
    const a = await originalFind(alice, id);
    const b = await originalFind(bob, id);
    assert.ok(a && b, 'found through the global id map in both journals');
    assert.equal((a.get('created_at') as Date).getTime(), (b.get('created_at') as Date).getTime());
    assert.equal(a.get('direction'), 'outgoing');
    assert.equal(a.get('state'), 'pending');
    assert.deepEqual(a.get('disposition'), ['positive-delivery', 'display']);
    assert.equal((a.get('msg_timestamp') as Date).toISOString(), '2024-05-01T10:00:00.250Z');
    assert.equal(b.get('content'), 'Hello');
    assert.deepEqual(await originalQueryAfter(bob, id), [later]);
    const since = await q(`SELECT message_id FROM ${keyspace}.chat_messages_by_timestamp WHERE account = ? AND created_at > ?`, [bob, before]);
    assert.deepEqual(since.rows.map((r) => r.get('message_id')), [id, later]);
    const ttl = await q(`SELECT TTL(content) AS t FROM ${keyspace}.chat_messages_by_timestamp WHERE account = ? AND created_at = ? AND message_id = ?`, [alice, a.get('created_at'), id]);
    const t = ttl.first().get('t') as number;
    assert.ok(t > 31_535_000 && t <= 31_536_000, `one-year TTL, got ${t}`);
  });

  test('updates keep one expiry per row (no fresh TTL on changed columns)', async () => {
    const id = randomUUID();
    await store.add({ account: alice, contact: bob, direction: 'outgoing', contentType: 'text/plain', content: 'x', messageId: id, disposition: ['positive-delivery', 'display'], state: 'pending', msgTimestamp: new Date() });
    await new Promise((r) => setTimeout(r, 2100));
    await store.updateState(alice, id, 'delivered');
    const row = await originalFind(alice, id);
    const rs = await q(`SELECT TTL(content) AS c, TTL(state) AS s FROM ${keyspace}.chat_messages_by_timestamp WHERE account = ? AND created_at = ? AND message_id = ?`, [alice, row!.get('created_at'), id]);
    const c = rs.first().get('c') as number;
    const s = rs.first().get('s') as number;
    assert.equal(row!.get('state'), 'delivered');
    assert.ok(Math.abs(c - s) <= 1, `state TTL ${s} follows the row's ${c}`);
    assert.ok(c <= 31_536_000 - 2);
  });

  test('API token (31-day TTL column), public key, push token as the original reads them', async () => {
    await store.addAccount(alice);
    await store.setApiToken(alice, 'our-token', new Date(Date.now() + 2_678_400_000));
    const acc = await q(`SELECT api_token, TTL(api_token) AS t, last_login FROM ${keyspace}.chat_accounts WHERE account = ?`, [alice]);
    assert.equal(acc.first().get('api_token'), 'our-token');
    assert.ok((acc.first().get('t') as number) > 2_678_000);
    assert.ok(acc.first().get('last_login') instanceof Date);
    await store.setPublicKey(alice, 'KEY');
    const pk = await q(`SELECT public_key, created_at FROM ${keyspace}.public_key_by_account WHERE account = ?`, [alice]);
    assert.equal(pk.first().get('public_key'), 'KEY');
    await store.addPushToken({ account: alice, appId: 'app', deviceId: 'dev', platform: 'android', token: 'fcm', backgroundToken: null, silent: false, userAgent: 'UA' });
    const [user, domain] = alice.split('@');
    const pt = await q(`SELECT * FROM ${keyspace}.push_tokens WHERE username = ? AND domain = ?`, [user, domain]);
    assert.equal(pt.rowLength, 1);
    assert.equal(pt.first().get('device_token'), 'fcm');
    assert.equal(pt.first().get('silent'), '0');
    assert.equal(pt.first().get('background_token'), null);
    assert.equal(pt.first().get('app_id'), 'app');
  });

  test('a private-key message id is recorded in the global id map', async () => {
    const id = randomUUID();
    assert.equal(await store.setPrivateKeyMessage({ account: alice, messageId: id, contact: alice, direction: 'outgoing', content: 'PK', msgTimestamp: new Date() }), true);
    const m = await q(`SELECT created_at FROM ${keyspace}.chat_message_created_at_by_id WHERE message_id = ?`, [id]);
    assert.equal(m.rowLength, 1);
  });
});
