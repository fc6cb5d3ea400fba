/**
 * The conformance suite against the SQLite engine (a temporary file per store), plus SQLite-specific
 * checks: migrations are recorded and idempotent, data survives reopening, WAL mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { runConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'sylk-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runConformance('sqlite', async () => new SqliteStore({ path: join(dir, `store${++n}.sqlite`) }));

describe('sqlite engine specifics', () => {
  test('binding puts of one turn are committed together, in order with the other operations', async () => {
    const path = join(dir, 'bindings-batch.sqlite');
    const store = new SqliteStore({ path });
    const r = store.registrations!;
    const b = (key: string, cseq: number) => ({
      aor: 'batch@example.com', key, contact: key, callId: 'c', cseq, expiresAt: new Date(Date.now() + 600_000), instanceId: 'i', flow: 'f',
      path: 'sip:f@127.0.0.1:5060;transport=tcp;lr', transport: 'tcp' as const, sourceAddress: '127.0.0.1', sourcePort: 1, sipInstance: null, regId: null, q: null, userAgent: null,
    });
    // Three puts and a removal in the same turn, nothing awaited in between: the removal sees the puts.
    const puts = [r.putBinding(b('sip:one@h', 1)), r.putBinding(b('sip:two@h', 1)), r.putBinding(b('sip:one@h', 2))];
    const removed = r.removeBinding('batch@example.com', 'sip:two@h');
    await Promise.all(puts);
    assert.equal(await removed, true);
    const left = await r.listBindings('batch@example.com', new Date());
    assert.deepEqual(left.map((x) => [x.key, x.cseq]), [['sip:one@h', 2]]);
    // Committed: another connection sees it.
    const other = new Database(path, { readonly: true });
    try {
      assert.deepEqual(other.prepare('SELECT key, cseq FROM registrations').all(), [{ key: 'sip:one@h', cseq: 2 }]);
    } finally {
      other.close();
    }
    await store.close();
  });

  test('data survives reopening; migrations are recorded once', async () => {
    const path = join(dir, 'sub', 'reopen.sqlite');
    const s1 = new SqliteStore({ path });
    await s1.add({
      account: 'a@x.org',
      contact: 'b@x.org',
      direction: 'incoming',
      contentType: 'text/plain',
      content: 'persist me',
      messageId: 'm1',
      disposition: ['display'],
      state: 'received',
      msgTimestamp: new Date(0),
    });
    await s1.close();
    const s2 = new SqliteStore({ path });
    assert.equal((await s2.getEntry('a@x.org', 'm1'))?.content, 'persist me');
    assert.equal(await s2.add({ account: 'a@x.org', contact: 'b@x.org', direction: 'incoming', contentType: 'text/plain', content: 'x', messageId: 'm1', disposition: null, state: 'received', msgTimestamp: new Date(0) }), false);
    await s2.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT version FROM migrations ORDER BY version').all() as { version: number }[];
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    assert.equal((db.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
    db.close();
  });

  test('migration 3 re-keys the id map of a version-2 database; ids, cursors and idempotency survive', async () => {
    const path = join(dir, 'v2.sqlite');
    // A database as versions 1–2 left it, with an id-only row (a removed entry's id).
    const old = new Database(path);
    old.exec('CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO migrations VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    const insertEntry = old.prepare(
      `INSERT INTO entries (seq, account, message_id, created_at, contact, direction, content_type, content, disposition, state, msg_timestamp, unread)
       VALUES (?, ?, ?, 1000, 'b@x.org', 'incoming', 'text/plain', ?, NULL, 'received', 0, 0)`,
    );
    const insertId = old.prepare('INSERT INTO message_ids (account, message_id, seq, created_at) VALUES (?, ?, ?, 1000)');
    insertEntry.run(1, 'a@x.org', 'm1', 'one');
    insertId.run('a@x.org', 'm1', 1);
    insertEntry.run(2, 'c@x.org', 'm1', 'copy');
    insertId.run('c@x.org', 'm1', 2);
    insertId.run('a@x.org', 'gone', 3);
    old.prepare("UPDATE counters SET value = 3 WHERE name = 'seq'").run();
    old.close();

    const s = new SqliteStore({ path });
    try {
      assert.equal((await s.getEntry('a@x.org', 'm1'))?.content, 'one');
      assert.equal((await s.getEntry('c@x.org', 'm1'))?.content, 'copy');
      const again = { contact: 'b@x.org', direction: 'incoming' as const, contentType: 'text/plain', content: 'x', disposition: null, state: 'received' as const, msgTimestamp: new Date(0) };
      assert.equal(await s.add({ ...again, account: 'a@x.org', messageId: 'm1' }), false);
      assert.equal(await s.add({ ...again, account: 'a@x.org', messageId: 'gone' }), false, 'a removed entry id stays known');
      assert.equal(await s.add({ ...again, account: 'a@x.org', messageId: 'm2' }), true);
      assert.deepEqual((await s.listAccounts(null, 10)).aors, ['a@x.org', 'c@x.org']);
      const page = await s.query('a@x.org', { afterId: 'm1', limit: 10 });
      assert.equal(page.basis, 'cursor');
      assert.deepEqual(page.entries.map((e) => e.messageId), ['m2'], 'm1 still works as a cursor');
      assert.equal((await s.query('a@x.org', { afterId: 'gone', limit: 10 })).basis, 'cursor', "a removed entry's id too");
    } finally {
      await s.close();
    }
    const db = new Database(path, { readonly: true });
    const pkIndex = (db.prepare("SELECT name FROM pragma_index_list('message_ids') WHERE origin = 'pk'").get() as { name: string }).name;
    const pk = db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(pkIndex) as { name: string }[];
    assert.deepEqual(pk.map((c) => c.name), ['message_id', 'account']);
    assert.equal((db.prepare('SELECT count(*) AS n FROM message_ids').get() as { n: number }).n, 4);
    db.close();
  });

  test('periodic retention deletes entries older than retention_days', async () => {
    const s = new SqliteStore({ path: join(dir, 'retention.sqlite'), retentionDays: 1, intervalMs: 30 });
    try {
      const base = { account: 'r@x.org', contact: 'b@x.org', direction: 'incoming' as const, contentType: 'text/plain', content: 'x', disposition: null, state: 'received' as const, msgTimestamp: new Date() };
      await s.add({ ...base, messageId: 'old', createdAt: new Date(Date.now() - 2 * 86_400_000) });
      await s.add({ ...base, messageId: 'new' });
      const deadline = Date.now() + 5000;
      while ((await s.getEntry('r@x.org', 'old')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await s.getEntry('r@x.org', 'old'), null);
      assert.ok(await s.getEntry('r@x.org', 'new'));
    } finally {
      await s.close();
    }
  });

  test('cursor and since queries use their indexes without sorting', () => {
    const path = join(dir, 'plan.sqlite');
    const s = new SqliteStore({ path });
    void s.close();
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM entries WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all('a', 0, 10) as { detail: string }[];
    const sincePlan = db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM entries WHERE account = ? AND created_at > ? ORDER BY created_at, seq LIMIT ?')
      .all('a', 0, 10) as { detail: string }[];
    db.close();
    assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX entries_account_seq/);
    const since = sincePlan.map((p) => p.detail).join('\n');
    assert.match(since, /USING INDEX entries_account_created/);
    assert.doesNotMatch(since, /TEMP B-TREE/, 'no sort step');
  });
});
