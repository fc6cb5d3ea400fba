/**
 * The storage conformance suite against the Cassandra engine on the real single node that
 * `scripts/services/cassandra.mjs` starts (`SYLK_TEST_CASSANDRA=host:port`), in a fresh keyspace
 * created with `ensureSchema` (the `dbinit` equivalent) and dropped afterwards; plus schema checks:
 * the original's tables carry exactly the original's columns, keys and options (§4.3).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import cassandra from 'cassandra-driver';
import { connectCassandra, ensureSchema, missingTables, openCassandraStore, schemaTables, updateTable } from '../../src/storage/cassandra/index.js';
import { runConformance } from './conformance.js';

const contactPoint = process.env.SYLK_TEST_CASSANDRA;
if (!contactPoint) throw new Error('SYLK_TEST_CASSANDRA is not set: run through `npm test -- cassandra` (it starts the node)');
const contactPoints = [contactPoint];
const keyspace = `sylk_conf_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

let admin: cassandra.Client;
let ready: Promise<void> | undefined;
function schema(): Promise<void> {
  ready ??= (async () => {
    admin = await connectCassandra({ contactPoints });
    await ensureSchema(admin, keyspace, { pushTokensTable: 'sylk_push' });
  })();
  return ready;
}

after(async () => {
  if (admin) {
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await admin.shutdown();
  }
});

runConformance(
  'cassandra',
  async () => {
    await schema();
    return openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push' });
  },
  { expiresByCreatedAt: false },
);

describe('cassandra schema (dbinit)', () => {
  before(schema);

  async function describeTable(name: string): Promise<{ columns: Map<string, { kind: string; type: string; position: number; order: string }>; options: cassandra.types.Row }> {
    const cols = await admin.execute(
      'SELECT column_name, kind, type, position, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [keyspace, name],
      { prepare: true },
    );
    const columns = new Map(
      cols.rows.map((r) => [String(r.get('column_name')), { kind: String(r.get('kind')), type: String(r.get('type')), position: Number(r.get('position')), order: String(r.get('clustering_order')) }]),
    );
    const opts = await admin.execute(
      'SELECT default_time_to_live, gc_grace_seconds FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
      [keyspace, name],
      { prepare: true },
    );
    return { columns, options: opts.first() };
  }

  test('journal table: exactly the original columns, keys, clustering order, TTL and gc_grace', async () => {
    const { columns, options } = await describeTable('chat_messages_by_timestamp');
    assert.deepEqual(
      [...columns.entries()].map(([n, c]) => `${n}:${c.type}:${c.kind}`).sort(),
      [
        'account:text:partition_key',
        'contact:text:regular',
        'content:text:regular',
        'content_type:text:regular',
        'created_at:timestamp:clustering',
        'direction:text:regular',
        'disposition:list<text>:regular',
        'message_id:text:clustering',
        'msg_timestamp:timestamp:regular',
        'state:text:regular',
      ],
    );
    assert.equal(columns.get('created_at')?.position, 0);
    assert.equal(columns.get('message_id')?.position, 1);
    assert.equal(columns.get('created_at')?.order, 'asc');
    assert.equal(options.get('default_time_to_live'), 31_536_000);
    assert.equal(options.get('gc_grace_seconds'), 345_600);
  });

  test('id map, accounts, public keys, push tokens (configured name) match the original', async () => {
    const idMap = await describeTable('chat_message_created_at_by_id');
    assert.deepEqual([...idMap.columns.keys()].sort(), ['created_at', 'message_id']);
    assert.equal(idMap.columns.get('message_id')?.kind, 'partition_key');
    assert.equal(idMap.options.get('default_time_to_live'), 31_536_000);
    assert.equal(idMap.options.get('gc_grace_seconds'), 345_600);
    const accounts = await describeTable('chat_accounts');
    assert.deepEqual([...accounts.columns.keys()].sort(), ['account', 'api_token', 'last_login']);
    const keys = await describeTable('public_key_by_account');
    assert.deepEqual([...keys.columns.keys()].sort(), ['account', 'created_at', 'public_key']);
    const push = await describeTable('sylk_push');
    assert.deepEqual(
      [...push.columns.entries()].map(([n, c]) => `${n}:${c.kind}:${c.position}`).sort(),
      [
        'app_id:clustering:1',
        'background_token:regular:-1',
        'device_id:clustering:0',
        'device_token:regular:-1',
        'domain:partition_key:1',
        'platform:regular:-1',
        'silent:regular:-1',
        'user_agent:regular:-1',
        'username:partition_key:0',
      ],
    );
    assert.equal((await describeTable('push_tokens')).columns.size, 0, 'the default name is not created when another is configured');
  });

  test('update from the model adds missing columns and restores options, never drops', async () => {
    const t = schemaTables().find((x) => x.name === 'chat_message_created_at_by_id')!;
    await admin.execute(`ALTER TABLE ${keyspace}.${t.name} WITH gc_grace_seconds = 10`);
    await admin.execute(`ALTER TABLE ${keyspace}.${t.name} ADD extra text`);
    const added = await updateTable(admin, keyspace, { ...t, columns: [...t.columns, ['note', 'text']] });
    assert.deepEqual(added, ['note']);
    const after = await describeTable(t.name);
    assert.ok(after.columns.has('extra') && after.columns.has('note'));
    assert.equal(after.options.get('gc_grace_seconds'), 345_600);
    await ensureSchema(admin, keyspace, { pushTokensTable: 'sylk_push' }); // idempotent
  });
});

describe('cassandra engine specifics', () => {
  before(schema);

  test('opening a keyspace without the model fails naming dbinit, unless told to create it', async () => {
    const ks = `sylk_conf_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    try {
      await assert.rejects(openCassandraStore({ contactPoints, keyspace: ks }), /sylk-db dbinit/);
      const s = await openCassandraStore({ contactPoints, keyspace: ks, createMissingTables: true });
      assert.deepEqual(await missingTables(admin, ks), []);
      await s.close();
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    }
  });

  test('retention is the native TTL of every row the engine writes (configurable)', async () => {
    const s = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push', retentionDays: 2 });
    try {
      const account = `ttl-${randomUUID().slice(0, 8)}@example.com`;
      const messageId = randomUUID();
      await s.add({ account, contact: 'b@x.org', direction: 'incoming', contentType: 'text/plain', content: 'x', messageId, disposition: null, state: 'received', msgTimestamp: new Date() });
      const row = await admin.execute(
        `SELECT TTL(content) AS t FROM ${keyspace}.chat_messages_by_timestamp WHERE account = ?`,
        [account],
        { prepare: true },
      );
      const t = row.first().get('t') as number;
      assert.ok(t > 2 * 86_400 - 60 && t <= 2 * 86_400, `entry TTL ${t}`);
      for (const table of ['sylk_message_ids', 'chat_message_created_at_by_id']) {
        const r = await admin.execute(`SELECT TTL(created_at) AS t FROM ${keyspace}.${table} WHERE message_id = ? ALLOW FILTERING`, [messageId], { prepare: true });
        const tt = r.first().get('t') as number;
        assert.ok(tt > 2 * 86_400 - 60 && tt <= 2 * 86_400, `${table} TTL ${tt}`);
      }
    } finally {
      await s.close();
    }
  });

  test('an add with an invalid entry rejects and writes nothing of it; other adds of the batch succeed', async () => {
    const s = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push' });
    try {
      const account = `inv-${randomUUID().slice(0, 8)}@example.com`;
      const good = { account, contact: 'b@x.org', direction: 'incoming' as const, contentType: 'text/plain', content: 'x', messageId: randomUUID(), disposition: null, state: 'received' as const, msgTimestamp: new Date() };
      const bad = { ...good, messageId: randomUUID(), msgTimestamp: new Date(Number.NaN) };
      const [many, single] = await Promise.allSettled([s.addMany([{ ...good, messageId: randomUUID() }, bad]), s.add(good)]);
      assert.equal(many.status, 'rejected');
      assert.deepEqual(single, { status: 'fulfilled', value: true });
      assert.equal(await s.countEntries(account), 1);
    } finally {
      await s.close();
    }
  });

  test('an id claimed without its row (crash between claim and write) is completed by the next add', async () => {
    const s = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push' });
    try {
      const account = `crash-${randomUUID().slice(0, 8)}@example.com`;
      const e = { account, contact: 'b@x.org', direction: 'incoming' as const, contentType: 'text/plain', content: 'lost?', messageId: randomUUID(), disposition: ['display'], state: 'received' as const, msgTimestamp: new Date() };
      const createdAt = new Date(Date.now() - 5000);
      await admin.execute(`INSERT INTO ${keyspace}.sylk_message_ids (account, message_id, created_at, removed) VALUES (?, ?, ?, false)`, [account, e.messageId, createdAt], { prepare: true });
      assert.equal(await s.getEntry(account, e.messageId), null);
      assert.equal(await s.add(e), false, 'the id was known');
      const got = await s.getEntry(account, e.messageId);
      assert.equal(got?.content, 'lost?');
      assert.equal(got?.createdAt.getTime(), createdAt.getTime());
    } finally {
      await s.close();
    }
  });

  test('a claim that applied although its request timed out (retried) is recognised as our own', async () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const s = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push', now: () => now });
    try {
      const account = `retry-${randomUUID().slice(0, 8)}@example.com`;
      const e = { account, contact: 'b@x.org', direction: 'incoming' as const, contentType: 'text/plain', content: 'once', messageId: randomUUID(), disposition: ['display'], state: 'received' as const, msgTimestamp: new Date() };
      // What the first, timed-out attempt left behind: the id row with the created_at the store allocates.
      await admin.execute(`INSERT INTO ${keyspace}.sylk_message_ids (account, message_id, created_at, removed) VALUES (?, ?, ?, false)`, [account, e.messageId, new Date(now)], { prepare: true });
      assert.equal(await s.add(e), true);
      assert.equal((await s.getEntry(account, e.messageId))?.createdAt.getTime(), now);
      assert.equal(await s.add(e), false, 'a later duplicate is still refused');
      const imported = { ...e, messageId: randomUUID(), createdAt: new Date('2025-01-01T00:00:00.000Z') };
      assert.equal(await s.add(imported), true);
      const again = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push', now: () => now });
      try {
        assert.equal(await again.add({ ...imported }), false, 'a repeated import (fresh process) reports a duplicate');
      } finally {
        await again.close();
      }
    } finally {
      await s.close();
    }
  });

  test('a shared created_at (§4.4) is not reused when it would place the copy before newer entries', async () => {
    const s = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push' });
    try {
      const alice = `sh-a-${randomUUID().slice(0, 8)}@example.com`;
      const bob = `sh-b-${randomUUID().slice(0, 8)}@example.com`;
      const base = { contentType: 'text/plain', content: 'x', disposition: [], msgTimestamp: new Date() };
      const shared = randomUUID();
      await s.add({ ...base, account: alice, contact: bob, direction: 'outgoing', state: 'pending', messageId: shared });
      const bobFirst = { ...base, account: bob, contact: 'c@x.org', direction: 'incoming' as const, state: 'received' as const, messageId: randomUUID() };
      await s.add(bobFirst);
      await s.add({ ...base, account: bob, contact: alice, direction: 'incoming', state: 'received', messageId: shared });
      const r = await s.query(bob, { afterId: bobFirst.messageId, limit: 10 });
      assert.deepEqual(r.entries.map((x) => x.messageId), [shared], 'a client synced up to bobFirst still gets the late copy');
      const a = await s.getEntry(alice, shared);
      const b = await s.getEntry(bob, shared);
      assert.ok(a && b && b.createdAt.getTime() > a.createdAt.getTime());
      const other = randomUUID();
      await s.addMany([
        { ...base, account: alice, contact: bob, direction: 'outgoing', state: 'pending', messageId: other },
        { ...base, account: bob, contact: alice, direction: 'incoming', state: 'received', messageId: other },
      ]);
      const a2 = await s.getEntry(alice, other);
      const b2 = await s.getEntry(bob, other);
      assert.equal(a2?.createdAt.getTime(), b2?.createdAt.getTime(), 'copies written together share created_at');
    } finally {
      await s.close();
    }
  });

  test('push tokens of an AOR without a domain part', async () => {
    const s = await openCassandraStore({ contactPoints, keyspace, pushTokensTable: 'sylk_push' });
    try {
      const account = `nodomain${randomUUID().slice(0, 8)}`;
      await s.addPushToken({ account, appId: 'a', deviceId: 'd', platform: 'android', token: 't', backgroundToken: null, silent: true, userAgent: null });
      assert.deepEqual(await s.listPushTokens(account), [
        { account, appId: 'a', deviceId: 'd', platform: 'android', token: 't', backgroundToken: null, silent: true, userAgent: null },
      ]);
      assert.equal(await s.removePushTokens(account), 1);
    } finally {
      await s.close();
    }
  });
});
