/**
 * `sylk-db` on the SQLite engine, run in process (`runSylkDb` with a scripted terminal): arguments and
 * exit statuses, configuration (`--config-dir`), every command of `sylk-db.md`, confirmations and
 * prompts, export → import round trip, resumable migrate; one run of the real entry point.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { fakeIo, seedAccount, sylkDb } from './sylk-db-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sylk-db-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A fresh SQLite file seeded with alice (and bob); returns its path. */
async function seeded(entries = 10): Promise<string> {
  const path = join(dir, `s${++n}.sqlite`);
  const s = new SqliteStore({ path });
  await seedAccount(s, 'alice@example.com', entries);
  await seedAccount(s, 'bob@example.com', 3);
  await s.close();
  return path;
}

async function withStore<T>(path: string, fn: (s: SqliteStore) => Promise<T>): Promise<T> {
  const s = new SqliteStore({ path });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe('sylk-db arguments', () => {
  test('help and no command print usage, exit 0', async () => {
    for (const argv of [[], ['--help'], ['remove', '-h']]) {
      const r = await sylkDb(argv);
      assert.equal(r.code, 0);
      assert.match(r.text, /usage: sylk-db/);
    }
  });

  test('bad arguments exit 2 with a message', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command frobnicate/],
      [['remove', 'everything', 'a@b.c'], /remove: expected one of/],
      [['show'], /missing <account>/],
      [['show', 'sip:alice@example.com'], /without "sip:"/],
      [['show', 'alice'], /expected user@domain/],
      [['show', 'a@b.c', 'extra'], /unexpected argument/],
      [['--bogus', 'show', 'a@b.c'], /Unknown option/],
      [['migrate'], /--to URL is required/],
      [['show', 'a@b.c', '--to', 'x.sqlite'], /--to only applies to migrate/],
      [['--store', 'mysql://x', 'show', 'a@b.c'], /unknown store/],
    ];
    for (const [argv, re] of cases) {
      const r = await sylkDb(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.text, re, argv.join(' '));
    }
  });

  test('an unreachable store exits 1 with a clear error', async () => {
    const r = await sylkDb(['--store', 'postgres://nobody@127.0.0.1:1/none', 'show', 'a@b.c']);
    assert.equal(r.code, 1);
    assert.match(r.text, /ERROR cannot open postgres:\/\/nobody@127\.0\.0\.1:1\/none/);
  });
});

describe('sylk-db configuration', () => {
  test('--config-dir: reads webrtcgateway.ini [Storage] and says so', async () => {
    const path = await seeded();
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfg, 'webrtcgateway.ini'), `[Storage]\nbackend = sqlite\nsqlite_path = ${path}\n`);
    const r = await sylkDb(['--config-dir', cfg, 'show', 'alice@example.com']);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, new RegExp(`Reading configuration from ${join(cfg, 'webrtcgateway.ini')}`));
    assert.match(r.text, /Reading storage configuration from/);
    assert.match(r.text, /10 messages stored/);
  });

  test('no configuration files: says it uses internal defaults', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, 'show', 'alice@example.com']);
    assert.match(r.text, /Not reading any configuration files \(using internal defaults\)/);
  });
});

describe('sylk-db show', () => {
  test('prints the account record, message breakdown, push tokens, public key', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, 'show', 'alice@example.com']);
    assert.equal(r.code, 0);
    const t = r.text;
    assert.match(t, /\*+ SylkServer - Show account data \*+/);
    assert.match(t, /Message storage is enabled/);
    assert.match(t, /API token for replication: token-alice@example.com/);
    assert.match(t, /TTL: 8[0-9]{4} /);
    assert.match(t, /Last login at: 2025-01-01T00:00:00.000Z/);
    assert.match(t, /10 messages stored/);
    assert.match(t, /Text Messages: 8/);
    assert.match(t, /IMDN messages: 1/);
    assert.match(t, /Metadata: 1/);
    assert.match(t, /Other Messages: 0/);
    assert.match(t, /Unread text Messages: 4/);
    assert.match(t, /2 push token\(s\) stored/);
    assert.match(t, /Token: voip-token-aaaaaaaaa \.\.\./);
    assert.match(t, /1 public key\(s\) stored/);
    assert.match(t, /BEGIN PGP PUBLIC KEY BLOCK-----\nalice@example.com/);
  });

  test('an account without record: storage not enabled, exit 0', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, 'show', 'nobody@example.com']);
    assert.equal(r.code, 0);
    assert.match(r.text, /Message storage is not enabled/);
    assert.match(r.text, /0 messages stored/);
  });
});

describe('sylk-db remove', () => {
  test('remove messages <account> <contact>: only that conversation', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, 'remove', 'messages', 'alice@example.com', 'bob@example.com'], fakeIo(['y']));
    assert.equal(r.code, 0);
    assert.match(r.text, /Messages from bob@example.com for alice@example.com removed \(5\)/);
    assert.deepEqual(r.io.prompts, ['>> Would you like to continue? (Enter y/n) ']);
    await withStore(path, async (s) => {
      assert.equal(await s.countEntries('alice@example.com'), 5);
      const { entries } = await s.query('alice@example.com', { limit: 100 });
      assert.ok(entries.every((e) => e.contact === 'carol@example.com'));
    });
  });

  test('remove messages <account>: the whole journal; other accounts untouched', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, '--yes', 'remove', 'messages', 'alice@example.com']);
    assert.equal(r.code, 0);
    assert.match(r.text, /Removed 10 messages from alice@example.com/);
    await withStore(path, async (s) => {
      assert.equal(await s.countEntries('alice@example.com'), 0);
      assert.equal(await s.countEntries('bob@example.com'), 3);
      assert.ok(await s.getAccount('alice@example.com'));
    });
  });

  test('declining (after a non-answer) changes nothing, exit 0; end of input exits 1', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, 'remove', 'all', 'alice@example.com'], fakeIo(['maybe', 'N']));
    assert.equal(r.code, 0);
    assert.equal(r.io.prompts.length, 2);
    const eof = await sylkDb(['--store', `sqlite:${path}`, 'remove', 'all', 'alice@example.com'], fakeIo([]));
    assert.equal(eof.code, 1);
    await withStore(path, async (s) => assert.equal(await s.countEntries('alice@example.com'), 10));
  });

  test('remove all: journal, account, push tokens, keys, address book', async () => {
    const path = await seeded();
    await withStore(path, async (s) => {
      assert.ok(await s.addressBooks().write('alice@example.com', '{"contacts":[],"groups":[],"policies":[]}', 0));
      assert.ok(await s.addressBooks().write('bob@example.com', '{"contacts":[],"groups":[],"policies":[]}', 0));
    });
    const r = await sylkDb(['--store', `sqlite:${path}`, 'remove', 'all', 'alice@example.com'], fakeIo(['y']));
    assert.equal(r.code, 0);
    for (const re of [/Removed 10 messages from alice@example.com/, /Removed alice@example.com from accounts/, /Removed 2 push tokens from alice@example.com/, /Removed public Key from alice@example.com/, /Removed address book from alice@example.com/]) {
      assert.match(r.text, re);
    }
    await withStore(path, async (s) => {
      assert.equal(await s.getAccount('alice@example.com'), null);
      assert.equal(await s.getPublicKey('alice@example.com'), null);
      assert.equal(await s.getPrivateKeyMessage('alice@example.com'), null);
      assert.deepEqual(await s.listPushTokens('alice@example.com'), []);
      assert.equal(await s.countEntries('bob@example.com'), 3);
      assert.equal(await s.addressBooks().read('alice@example.com'), null);
      assert.equal((await s.addressBooks().read('bob@example.com'))?.version, 1);
    });
  });

  test('an unknown account is an error (exit 1)', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, '--yes', 'remove', 'all', 'nobody@example.com']);
    assert.equal(r.code, 1);
    assert.match(r.text, /ERROR unknown account nobody@example.com/);
  });

  test('remove api_token and public_key', async () => {
    const path = await seeded();
    let r = await sylkDb(['--store', `sqlite:${path}`, '-y', 'remove', 'api_token', 'alice@example.com']);
    assert.match(r.text, /Api token for alice@example.com removed/);
    r = await sylkDb(['--store', `sqlite:${path}`, '-y', 'remove', 'public_key', 'alice@example.com']);
    assert.match(r.text, /Removed public Key from alice@example.com/);
    await withStore(path, async (s) => {
      assert.equal(await s.getApiToken('alice@example.com'), null);
      assert.equal(await s.getPublicKey('alice@example.com'), null);
      assert.ok(await s.getApiToken('bob@example.com'));
    });
  });

  test('remove push_token: lists, re-asks on a bad number, deletes the picked one', async () => {
    const path = await seeded();
    const r = await sylkDb(['--store', `sqlite:${path}`, 'remove', 'push_token', 'alice@example.com'], fakeIo(['y', '7', 'x', '1']));
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /2 push token\(s\) stored/);
    assert.match(r.text, /\[0\]: App: com.example.app/);
    assert.match(r.text, /Token: fcm-token-bbbbbbbbbbbbbbbbbbbbb/);
    assert.equal(r.io.stdout.filter((l) => l === 'Enter a valid number').length, 2);
    assert.match(r.text, /Removed token fcm-token-bbbbbbbbbb from alice@example.com/);
    await withStore(path, async (s) => assert.deepEqual((await s.listPushTokens('alice@example.com')).map((t) => t.deviceId), ['dev-a']));
  });
});

describe('sylk-db export / import / migrate', () => {
  test('export → import into an empty store reproduces everything; re-import adds nothing', async () => {
    const path = await seeded(2500);
    const exp = await sylkDb(['--store', `sqlite:${path}`, 'export', 'alice@example.com']);
    assert.equal(exp.code, 0, exp.text);
    const lines = exp.io.data.trim().split('\n');
    assert.equal(lines.length, 1 + 1 + 1 + 1 + 1 + 2 + 2500);
    assert.equal(JSON.parse(lines[0]!).type, 'header');
    assert.ok(exp.io.stdout.length === 0, 'stdout carries only data');
    const file = join(dir, `export${++n}.jsonl`);
    writeFileSync(file, exp.io.data);
    const target = join(dir, `t${++n}.sqlite`);
    let imp = await sylkDb(['--store', `sqlite:${target}`, 'import', file]);
    assert.equal(imp.code, 0, imp.text);
    assert.match(imp.text, /2500 entries added, 0 already present, 1 accounts, 1 API tokens, 1 public keys, 1 private keys, 2 push tokens/);
    imp = await sylkDb(['--store', `sqlite:${target}`, 'import', '-'], fakeIo([], exp.io.data));
    assert.match(imp.text, /0 entries added, 2500 already present/);
    await withStore(path, async (src) =>
      withStore(target, async (dst) => {
        const a = await src.query('alice@example.com', { limit: 5000 });
        const b = await dst.query('alice@example.com', { limit: 5000 });
        assert.deepEqual(b.entries, a.entries);
        assert.deepEqual(await dst.listPushTokens('alice@example.com'), await src.listPushTokens('alice@example.com'));
        assert.equal((await dst.getApiToken('alice@example.com'))?.token, 'token-alice@example.com');
        assert.equal((await dst.getPrivateKeyMessage('alice@example.com'))?.content, 'PRIV');
      }),
    );
  });

  test('import rejects an invalid line with its number, exit 1', async () => {
    const target = join(dir, `t${++n}.sqlite`);
    const good = JSON.stringify({ type: 'account', aor: 'x@example.com', last_login: null });
    const bad = JSON.stringify({ type: 'entry', account: 'x@example.com', state: 'processed' });
    const r = await sylkDb(['--store', `sqlite:${target}`, 'import', '-'], fakeIo([], `${good}\n${bad}\n`));
    assert.equal(r.code, 1);
    assert.match(r.text, /line 2: invalid record/);
    await withStore(target, async (s) => assert.ok(await s.getAccount('x@example.com'), 'lines before the error are applied'));
  });

  test('migrate copies every account; an interrupted run resumes from its saved position', async () => {
    const path = await seeded(30);
    const target = join(dir, `t${++n}.sqlite`);
    const state = join(dir, `state${n}.json`);
    // A saved position: alice done through entry m19, bob not started.
    writeFileSync(state, JSON.stringify({ version: 1, to: `sqlite:${target}`, doneThrough: null, current: { aor: 'alice@example.com', afterId: 'alice@example.com-m19' }, stats: { accounts: 0, apiTokens: 0, publicKeys: 0, privateKeys: 0, pushTokens: 0, entries: 0, duplicates: 0 } }));
    const r = await sylkDb(['--store', `sqlite:${path}`, '-y', 'migrate', '--to', `sqlite:${target}`, '--state', state]);
    assert.equal(r.code, 0, r.text);
    assert.match(r.io.stderr.join('\n'), /resuming after alice@example.com entry alice@example.com-m19/);
    assert.match(r.io.stderr.join('\n'), /migrate: bob@example.com done \(3 entries/);
    await withStore(target, async (s) => {
      const { entries } = await s.query('alice@example.com', { limit: 100 });
      assert.deepEqual(entries.map((e) => e.messageId), Array.from({ length: 10 }, (_, i) => `alice@example.com-m${i + 20}`), 'only after the saved position');
      assert.equal(await s.countEntries('bob@example.com'), 3);
      assert.ok(await s.getAccount('bob@example.com'));
    });
    assert.throws(() => readFileSync(state), 'state file removed when done');
    // A full run (no state) copies the rest; entries already there count as present.
    const full = await sylkDb(['--store', `sqlite:${path}`, '-y', 'migrate', '--to', `sqlite:${target}`, '--state', state]);
    assert.match(full.text, /Migrated to sqlite:.*: 20 entries added, 13 already present, 2 accounts/);
    await withStore(target, async (s) => assert.equal(await s.countEntries('alice@example.com'), 30));
  });

  test('migrate refuses to copy a store onto itself', async () => {
    const path = await seeded(1);
    const r = await sylkDb(['--store', `sqlite:${path}`, '-y', 'migrate', '--to', `sqlite:${path}`]);
    assert.equal(r.code, 2);
    assert.match(r.text, /source and target are the same store/);
  });
});

describe('sylk-db entry point', () => {
  test('the real process exits with the command status', () => {
    const script = join(import.meta.dirname, '..', '..', 'src', 'cli', 'sylk-db.ts');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', script, 'show', 'nobody'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /expected user@domain/);
    const ok = spawnSync(process.execPath, ['--import', 'tsx', script, '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /usage: sylk-db/);
  });
});
