/**
 * `sylk-db` against PostgreSQL (`SYLK_TEST_PG_URL`, own schema per run): configured through
 * `[Storage] backend = postgres` in `--config-dir`, `dbinit` applies migrations, show/remove/export
 * work, and `migrate` copies a SQLite store into PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { passwordMatches } from '../../src/accounts/credentials.js';
import { openPostgresStore } from '../../src/storage/postgres/index.js';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { fakeIo, seedAccount, sylkDb } from './sylk-db-helpers.js';

const url = process.env.SYLK_TEST_PG_URL;
if (!url) throw new Error('SYLK_TEST_PG_URL is not set: run through `npm test -- cli/sylk-db` (scripts/test.mjs starts PostgreSQL)');

const dir = mkdtempSync(join(tmpdir(), 'sylk-db-pg-test-'));
const schemas: string[] = [];
function schemaUrl(): { schema: string; storeUrl: string } {
  const schema = `cli_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  schemas.push(schema);
  return { schema, storeUrl: `${url}?schema=${schema}` };
}
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

describe('sylk-db on PostgreSQL', () => {
  test('configured backend: dbinit, show, remove, export', async () => {
    const { schema, storeUrl } = schemaUrl();
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfg, 'webrtcgateway.ini'), `[Storage]\nbackend = postgres\npostgres_url = ${storeUrl}\n`);
    const init = await sylkDb(['--config-dir', cfg, '-y', 'dbinit']);
    assert.equal(init.code, 0, init.text);
    assert.match(init.text, new RegExp(`Schema of postgres://postgres@127.0.0.1:\\d+/sylk_test schema ${schema} is up to date`));
    const store = await openPostgresStore({ url, schema, retentionDays: 0 });
    try {
      await seedAccount(store, 'alice@example.com', 12);
    } finally {
      await store.close();
    }
    const show = await sylkDb(['--config-dir', cfg, 'show', 'alice@example.com']);
    assert.equal(show.code, 0, show.text);
    assert.match(show.text, /12 messages stored/);
    assert.match(show.text, /2 push token\(s\) stored/);
    const exp = await sylkDb(['--config-dir', cfg, 'export', 'alice@example.com']);
    assert.equal(exp.io.data.trim().split('\n').length, 7 + 12);
    const rm = await sylkDb(['--config-dir', cfg, 'remove', 'messages', 'alice@example.com', 'bob@example.com'], fakeIo(['y']));
    assert.match(rm.text, /Messages from bob@example.com for alice@example.com removed \(6\)/);
    const show2 = await sylkDb(['--config-dir', cfg, 'show', 'alice@example.com']);
    assert.match(show2.text, /6 messages stored/);
  });

  test('migrate SQLite → PostgreSQL copies everything with created_at', async () => {
    const path = join(dir, 'src.sqlite');
    const src = new SqliteStore({ path });
    await seedAccount(src, 'alice@example.com', 1500);
    await seedAccount(src, 'bob@example.com', 5);
    await src.close();
    const { schema, storeUrl } = schemaUrl();
    const r = await sylkDb(['--store', `sqlite:${path}`, '-y', 'migrate', '--to', storeUrl, '--state', join(dir, 'state.json')]);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /1505 entries added, 0 already present, 2 accounts/);
    const a = new SqliteStore({ path });
    const b = await openPostgresStore({ url, schema, retentionDays: 0 });
    try {
      for (const aor of ['alice@example.com', 'bob@example.com']) {
        assert.deepEqual((await b.query(aor, { limit: 5000 })).entries, (await a.query(aor, { limit: 5000 })).entries);
        assert.deepEqual(await b.listPushTokens(aor), await a.listPushTokens(aor));
        assert.deepEqual(await b.getPublicKey(aor), await a.getPublicKey(aor));
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('account add / passwd / disable / list / remove on the configured PostgreSQL store', async () => {
    const { schema, storeUrl } = schemaUrl();
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfg, 'webrtcgateway.ini'), `[General]\nsip_domains = example.com\n[Storage]\nbackend = postgres\npostgres_url = ${storeUrl}\n`);
    const add = await sylkDb(['--config-dir', cfg, 'account', 'add', 'alice@example.com', '--password-stdin', '--display-name', 'Alice'], fakeIo([], 'first password\n'));
    assert.equal(add.code, 0, add.text);
    assert.equal((await sylkDb(['--config-dir', cfg, 'account', 'add', 'alice@example.com', '--password-stdin'], fakeIo([], 'first password\n'))).code, 1);
    assert.equal((await sylkDb(['--config-dir', cfg, 'account', 'add', 'bob@elsewhere.org', '--password-stdin'], fakeIo([], 'first password\n'))).code, 1);
    assert.equal((await sylkDb(['--config-dir', cfg, 'account', 'passwd', 'alice@example.com', '--password-stdin'], fakeIo([], 'second password\n'))).code, 0);
    assert.equal((await sylkDb(['--config-dir', cfg, 'account', 'disable', 'alice@example.com'])).code, 0);
    const list = await sylkDb(['--config-dir', cfg, 'account', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(list.io.data) as Array<{ aor: string; display_name: string; disabled: boolean }>).map((r) => [r.aor, r.display_name, r.disabled]),
      [['alice@example.com', 'Alice', true]],
    );
    const store = await openPostgresStore({ url, schema, retentionDays: 0 });
    try {
      const a = await store.localAccounts.getAccount('alice@example.com');
      assert.ok(a && passwordMatches(a, 'second password'));
      await seedAccount(store, 'alice@example.com', 4);
    } finally {
      await store.close();
    }
    const rm = await sylkDb(['--config-dir', cfg, '--yes', 'account', 'remove', 'alice@example.com']);
    assert.equal(rm.code, 0, rm.text);
    assert.match(rm.text, /Removed 4 messages from alice@example.com/);
    const after = await openPostgresStore({ url, schema, retentionDays: 0 });
    try {
      assert.equal(await after.localAccounts.getAccount('alice@example.com'), null);
      assert.equal(await after.countEntries('alice@example.com'), 0);
      assert.equal(await after.getPublicKey('alice@example.com'), null);
    } finally {
      await after.close();
    }
  });
});
