/**
 * The conformance suite against the PostgreSQL engine (`SYLK_TEST_PG_URL`, started by
 * scripts/services/postgres.mjs), each store in its own schema so test files can run in parallel;
 * plus PostgreSQL specifics: concurrent stores (two servers) on one schema stay idempotent and ordered,
 * an unreachable server is a clear error.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/storage/postgres/index.js';
import { runConformance } from './conformance.js';

const url = process.env.SYLK_TEST_PG_URL;
if (!url) throw new Error('SYLK_TEST_PG_URL is not set: run through `npm test -- postgres` (scripts/test.mjs starts PostgreSQL)');

const schemas: string[] = [];
function newSchema(): string {
  const s = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  schemas.push(s);
  return s;
}

after(async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});

runConformance('postgres', () => openPostgresStore({ url, schema: newSchema(), retentionDays: 0 }));

describe('postgres engine specifics', () => {
  test('several servers starting at once on a new schema: every store opens (no CREATE SCHEMA race)', async () => {
    for (let round = 0; round < 10; round++) {
      const schema = newSchema();
      const opened: PromiseSettledResult<PostgresStore>[] = await Promise.allSettled(Array.from({ length: 8 }, () => openPostgresStore({ url, schema, retentionDays: 0 })));
      for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
      assert.deepEqual(opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')), Array(8).fill('ok'));
    }
  });

  test('two stores (two servers) on one schema: concurrent adds of one id → one entry; order kept', async () => {
    const schema = newSchema();
    const s1: PostgresStore = await openPostgresStore({ url, schema, retentionDays: 0 });
    const s2: PostgresStore = await openPostgresStore({ url, schema, retentionDays: 0 });
    try {
      const e = {
        account: 'a@x.org',
        contact: 'b@x.org',
        direction: 'incoming' as const,
        contentType: 'text/plain',
        content: 'hi',
        messageId: randomUUID(),
        disposition: null,
        state: 'received' as const,
        msgTimestamp: new Date(),
      };
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? s1 : s2).add({ ...e })));
      assert.equal(results.filter(Boolean).length, 1);
      const more = Array.from({ length: 40 }, (_, i) => ({ ...e, messageId: `m${i}` }));
      await Promise.all(more.map((m, i) => (i % 2 ? s1 : s2).add(m)));
      const { entries } = await s1.query('a@x.org', { limit: 100 });
      assert.equal(entries.length, 41);
      // Paging with cursors from either store sees every entry exactly once.
      const seen = new Set<string>();
      let cursor: string | null = null;
      for (;;) {
        const r: { entries: { messageId: string }[] } = await (seen.size % 2 ? s1 : s2).query('a@x.org', { afterId: cursor, limit: 7 });
        if (r.entries.length === 0) break;
        for (const x of r.entries) {
          assert.ok(!seen.has(x.messageId));
          seen.add(x.messageId);
        }
        cursor = r.entries[r.entries.length - 1]!.messageId;
      }
      assert.equal(seen.size, 41);
    } finally {
      await s1.close();
      await s2.close();
    }
  });

  test('times keep their milliseconds both ways, before 1970 too, and a stored microsecond is floored as before', async () => {
    // Times travel as epoch milliseconds (entries.ts): floor on read, to_timestamp on write.
    const schema = newSchema();
    const s = await openPostgresStore({ url, schema, retentionDays: 0 });
    const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      const times = ['1969-12-31T23:59:59.999Z', '1900-01-01T00:00:00.001Z', '2024-05-01T10:00:00.123Z', '2262-04-11T23:47:16.854Z'];
      for (const [i, t] of times.entries()) {
        const ok = await s.add({
          account: 'a@x.org',
          contact: 'b@x.org',
          direction: 'incoming',
          contentType: 'text/plain',
          content: t,
          messageId: `t${i}`,
          disposition: null,
          state: 'received',
          msgTimestamp: new Date(t),
          createdAt: new Date(t),
        });
        assert.equal(ok, true);
      }
      const { rows } = await c.query<{ m: string }>("SELECT to_char(msg_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS m FROM entries ORDER BY seq");
      assert.deepEqual(
        rows.map((r) => r.m),
        times.map((t) => `${t.slice(0, 10)} ${t.slice(11, 23)}000`),
      );
      const back = await s.query('a@x.org', { afterId: null, limit: 10 });
      assert.deepEqual(back.entries.map((e) => [e.msgTimestamp.toISOString(), e.createdAt.toISOString()]), times.map((t) => [t, t]));
      // A row written by someone else with microseconds (as the driver's Date did, milliseconds are floored).
      await c.query("UPDATE entries SET msg_timestamp = '1969-12-31T23:59:59.998765Z', created_at = '2024-05-01T10:00:00.123999Z' WHERE message_id = 't0'");
      const e = await s.getEntry('a@x.org', 't0');
      assert.equal(e?.msgTimestamp.toISOString(), '1969-12-31T23:59:59.998Z');
      assert.equal(e?.createdAt.toISOString(), '2024-05-01T10:00:00.123Z');
    } finally {
      await c.end();
      await s.close();
    }
  });

  test('an unreachable server rejects open with a connection error', async () => {
    await assert.rejects(
      openPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 2000, retentionDays: 0 }),
      /ECONNREFUSED|connect/,
    );
  });
});
