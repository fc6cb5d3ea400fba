/**
 * `sylk-db account add|passwd|list|disable|enable|remove` (`standalone.md` §2) on the real SQLite
 * engine, run in process with a scripted terminal: passwords from standard input or asked twice,
 * domain rules from `[General] sip_domains`, exit statuses, JSON listing, and `remove` deleting the
 * account with its journal, keys, tokens and files; one run of the real process with a pipe.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { passwordMatches } from '../../src/accounts/credentials.js';
import { transferDir } from '../../src/messaging/files.js';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { fakeIo, seedAccount, sylkDb, type FakeIo } from './sylk-db-helpers.js';
import type { Binding } from '../../src/journal/bindings.js';

const dir = mkdtempSync(join(tmpdir(), 'sylk-db-account-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function storeArg(): string[] {
  return ['--store', `sqlite:${join(dir, `s${++n}.sqlite`)}`];
}

async function withStore<T>(args: string[], fn: (s: SqliteStore) => Promise<T>): Promise<T> {
  const s = new SqliteStore({ path: args[1]!.slice('sqlite:'.length) });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** A terminal io that answers hidden prompts from `secrets`. */
function ttyIo(secrets: string[], answers: string[] = []): FakeIo & { secretPrompts: string[] } {
  const io = fakeIo(answers) as FakeIo & { secretPrompts: string[] };
  io.secretPrompts = [];
  io.askSecret = async (p) => {
    io.secretPrompts.push(p);
    return secrets.length > 0 ? secrets.shift()! : null;
  };
  return io;
}

/** A registered phone of `aor` (a UDP binding valid for an hour). */
function phone(aor: string): Binding {
  return {
    aor,
    key: `sip:phone@192.0.2.1`,
    contact: `sip:phone@192.0.2.1`,
    callId: `reg-${aor}`,
    cseq: 1,
    expiresAt: new Date(Date.now() + 3_600_000),
    instanceId: 'instance-1',
    flow: `flow-${aor}`,
    path: 'sip:flow@127.0.0.1:5060;transport=tcp;lr',
    transport: 'udp',
    sourceAddress: '192.0.2.1',
    sourcePort: 5060,
    sipInstance: null,
    regId: null,
    q: null,
    userAgent: null,
  };
}

describe('sylk-db account', () => {
  test('add with --password-stdin stores only HA1s; the password checks; a second add exits 1', async () => {
    const s = storeArg();
    const r = await sylkDb([...s, 'account', 'add', 'Alice@Example.com', '--password-stdin', '--display-name', 'Alice A'], fakeIo([], 'wonderland1\n'));
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /Account alice@example.com added/);
    await withStore(s, async (st) => {
      const a = await st.localAccounts.getAccount('alice@example.com');
      assert.ok(a);
      assert.equal(a.displayName, 'Alice A');
      assert.equal(passwordMatches(a, 'wonderland1'), true);
      assert.equal(passwordMatches(a, 'wonderland2'), false);
      assert.ok(!JSON.stringify(a).includes('wonderland1'));
    });
    const again = await sylkDb([...s, 'account', 'add', 'alice@example.com', '--password-stdin'], fakeIo([], 'other password\n'));
    assert.equal(again.code, 1);
    assert.match(again.text, /ERROR account alice@example.com exists already/);
    await withStore(s, async (st) => assert.equal(passwordMatches((await st.localAccounts.getAccount('alice@example.com'))!, 'wonderland1'), true));
  });

  test('on a terminal the password is asked twice, hidden; a mismatch exits 1 and adds nothing', async () => {
    const s = storeArg();
    const io = ttyIo(['first pass', 'other pass']);
    const bad = await sylkDb([...s, 'account', 'add', 'bob@example.com'], io);
    assert.equal(bad.code, 1);
    assert.match(bad.text, /passwords do not match/);
    assert.deepEqual(io.secretPrompts, ['Password: ', 'Password (again): ']);
    const ok = await sylkDb([...s, 'account', 'add', 'bob@example.com'], ttyIo(['same pass', 'same pass']));
    assert.equal(ok.code, 0, ok.text);
    await withStore(s, async (st) => assert.equal(passwordMatches((await st.localAccounts.getAccount('bob@example.com'))!, 'same pass'), true));
  });

  test('without a terminal and without --password-stdin: exit 2, nothing added', async () => {
    const s = storeArg();
    const r = await sylkDb([...s, 'account', 'add', 'carol@example.com']);
    assert.equal(r.code, 2);
    assert.match(r.text, /--password-stdin/);
    await withStore(s, async (st) => assert.equal(await st.localAccounts.getAccount('carol@example.com'), null));
  });

  test('bad names, short passwords and unserved domains exit 1 with a clear message', async () => {
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(cfg, 'webrtcgateway.ini'), `[General]\nsip_domains = example.com, Example.org\n[Storage]\nsqlite_path = ${join(cfg, 'j.sqlite')}\n`);
    const add = (aor: string, pw: string) => sylkDb(['--config-dir', cfg, 'account', 'add', aor, '--password-stdin'], fakeIo([], `${pw}\n`));
    const short = await add('dave@example.com', 'short');
    assert.equal(short.code, 1);
    assert.match(short.text, /at least 8 characters/);
    const other = await add('dave@elsewhere.net', 'long enough');
    assert.equal(other.code, 1);
    assert.match(other.text, /domain elsewhere.net is not served here/);
    const name = await add('da/ve@example.com', 'long enough');
    assert.equal(name.code, 1);
    assert.match(name.text, /invalid account/);
    assert.equal((await add('dave@example.org', 'long enough')).code, 0, 'domains compared lower-cased');
    const list = await sylkDb(['--config-dir', cfg, 'account', 'list']);
    assert.match(list.text, /^dave@example.org {2}created /m);
    assert.match(list.text, /1 account$/m);
  });

  test('passwd changes the password; unknown account exits 1', async () => {
    const s = storeArg();
    assert.equal((await sylkDb([...s, 'account', 'add', 'erin@example.com', '--password-stdin'], fakeIo([], 'old password\n'))).code, 0);
    const r = await sylkDb([...s, 'account', 'passwd', 'erin@example.com', '--password-stdin'], fakeIo([], 'new password\n'));
    assert.equal(r.code, 0, r.text);
    await withStore(s, async (st) => {
      const a = (await st.localAccounts.getAccount('erin@example.com'))!;
      assert.equal(passwordMatches(a, 'new password'), true);
      assert.equal(passwordMatches(a, 'old password'), false);
    });
    const unknown = await sylkDb([...s, 'account', 'passwd', 'nobody@example.com', '--password-stdin'], fakeIo([], 'new password\n'));
    assert.equal(unknown.code, 1);
    assert.match(unknown.text, /no account nobody@example.com/);
  });

  test('disable / enable; list --json and --domain; unknown account exits 1', async () => {
    const s = storeArg();
    for (const aor of ['zoe@b.example', 'amy@a.example', 'max@a.example']) {
      assert.equal((await sylkDb([...s, 'account', 'add', aor, '--password-stdin'], fakeIo([], 'password!\n'))).code, 0);
    }
    assert.equal((await sylkDb([...s, 'account', 'disable', 'max@a.example'])).code, 0);
    const json = await sylkDb([...s, 'account', 'list', '--json']);
    assert.equal(json.code, 0);
    assert.ok(!json.io.stdout.some((l) => l.startsWith('......')), 'informational lines go to stderr with --json');
    const rows = JSON.parse(json.io.data) as Array<{ aor: string; disabled: boolean; display_name: string | null; created_at: string }>;
    assert.deepEqual(
      rows.map((r) => [r.aor, r.disabled]),
      [
        ['amy@a.example', false],
        ['max@a.example', true],
        ['zoe@b.example', false],
      ],
    );
    assert.ok(!Number.isNaN(Date.parse(rows[0]!.created_at)));
    const text = await sylkDb([...s, 'account', 'list', '--domain', 'a.example']);
    assert.match(text.text, /^max@a.example \(disabled\)/m);
    assert.doesNotMatch(text.text, /zoe@b.example/);
    assert.equal((await sylkDb([...s, 'account', 'enable', 'max@a.example'])).code, 0);
    await withStore(s, async (st) => assert.equal((await st.localAccounts.getAccount('max@a.example'))!.disabled, false));
    const unknown = await sylkDb([...s, 'account', 'disable', 'nobody@a.example']);
    assert.equal(unknown.code, 1);
  });

  test('remove: asks, then deletes the account, journal, keys, tokens, address book, registrations and files; others untouched', async () => {
    const cfg = mkdtempSync(join(dir, 'cfg-'));
    const files = join(cfg, 'ft');
    const path = join(cfg, 'j.sqlite');
    writeFileSync(join(cfg, 'webrtcgateway.ini'), `[General]\nfile_transfer_dir = ${files}\n[Storage]\nsqlite_path = ${path}\n`);
    for (const aor of ['alice@example.com', 'bob@example.com']) {
      assert.equal((await sylkDb(['--config-dir', cfg, 'account', 'add', aor, '--password-stdin'], fakeIo([], 'password!\n'))).code, 0);
    }
    const st = new SqliteStore({ path });
    await seedAccount(st, 'alice@example.com', 5);
    await seedAccount(st, 'bob@example.com', 3);
    await st.addressBooks().write('alice@example.com', '{"contacts":{}}', 0);
    await st.registrations!.putBinding(phone('alice@example.com'));
    await st.registrations!.putBinding(phone('bob@example.com'));
    await st.close();
    const aliceFile = transferDir(files, 'alice@example.com', 'bob@example.com', 'ft1')!;
    const bobFile = transferDir(files, 'bob@example.com', 'alice@example.com', 'ft2')!;
    for (const d of [aliceFile, bobFile]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'photo.jpg'), 'x');
    }
    const declined = await sylkDb(['--config-dir', cfg, 'account', 'remove', 'alice@example.com'], fakeIo(['n']));
    assert.equal(declined.code, 0);
    assert.ok(existsSync(aliceFile));
    const r = await sylkDb(['--config-dir', cfg, 'account', 'remove', 'alice@example.com', '--yes']);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /Removed 5 messages from alice@example.com/);
    assert.match(r.text, /Removed 2 push tokens from alice@example.com/);
    const after = new SqliteStore({ path });
    try {
      assert.equal(await after.localAccounts.getAccount('alice@example.com'), null);
      assert.equal(await after.countEntries('alice@example.com'), 0);
      assert.equal(await after.getAccount('alice@example.com'), null);
      assert.equal(await after.getApiToken('alice@example.com'), null);
      assert.equal(await after.getPublicKey('alice@example.com'), null);
      assert.equal(await after.getPrivateKeyMessage('alice@example.com'), null);
      assert.deepEqual(await after.listPushTokens('alice@example.com'), []);
      assert.equal(await after.addressBooks().read('alice@example.com'), null);
      assert.deepEqual(await after.registrations!.listBindings('alice@example.com', new Date()), []);
      assert.equal((await after.registrations!.listBindings('bob@example.com', new Date())).length, 1);
      assert.ok(await after.localAccounts.getAccount('bob@example.com'));
      assert.equal(await after.countEntries('bob@example.com'), 3);
    } finally {
      await after.close();
    }
    assert.equal(existsSync(aliceFile), false);
    assert.equal(existsSync(bobFile), true);
    const again = await sylkDb(['--config-dir', cfg, 'account', 'remove', 'alice@example.com', '--yes']);
    assert.equal(again.code, 1);
  });

  test('export → import and migrate carry the local accounts (HA1s, display name, disabled flag)', async () => {
    const src = storeArg();
    assert.equal((await sylkDb([...src, 'account', 'add', 'alice@example.com', '--password-stdin', '--display-name', 'Alice'], fakeIo([], 'alice password\n'))).code, 0);
    assert.equal((await sylkDb([...src, 'account', 'add', 'quiet@example.com', '--password-stdin'], fakeIo([], 'quiet password\n'))).code, 0);
    assert.equal((await sylkDb([...src, 'account', 'disable', 'quiet@example.com'])).code, 0);
    await withStore(src, (st) => seedAccount(st, 'alice@example.com', 3));
    const original = await withStore(src, async (st) => [await st.localAccounts.getAccount('alice@example.com'), await st.localAccounts.getAccount('quiet@example.com')]);

    const exp = await sylkDb([...src, 'export', 'alice@example.com']);
    assert.equal(exp.code, 0);
    const file = join(dir, 'alice.jsonl');
    writeFileSync(file, exp.io.data);
    const imported = storeArg();
    const imp = await sylkDb([...imported, 'import', file]);
    assert.equal(imp.code, 0, imp.text);
    assert.match(imp.text, /1 local accounts/);
    await withStore(imported, async (st) => assert.deepEqual(await st.localAccounts.getAccount('alice@example.com'), original[0]));

    const target = join(dir, `migrated${++n}.sqlite`);
    const mig = await sylkDb([...src, '--yes', 'migrate', '--to', `sqlite:${target}`, '--state', join(dir, `state${n}.json`)]);
    assert.equal(mig.code, 0, mig.text);
    assert.match(mig.text, /2 local accounts/);
    await withStore(['--store', `sqlite:${target}`], async (st) => {
      assert.deepEqual(await st.localAccounts.getAccount('alice@example.com'), original[0]);
      assert.deepEqual(await st.localAccounts.getAccount('quiet@example.com'), original[1], 'an account without any data is copied too');
      assert.equal(await st.countEntries('alice@example.com'), 3);
    });
  });

  test('arguments: unknown action and misplaced options exit 2; help', async () => {
    assert.equal((await sylkDb(['account', 'frobnicate', 'a@b.c'])).code, 2);
    assert.equal((await sylkDb(['account', 'list', '--password-stdin'])).code, 2);
    assert.equal((await sylkDb(['account', 'add', 'a@b.c', '--json'])).code, 2);
    assert.equal((await sylkDb(['show', 'a@b.c', '--password-stdin'])).code, 2);
    const help = await sylkDb(['account', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.text, /account add <aor> \[--password-stdin\]/);
  });

  test('the real process reads the password from a pipe', () => {
    const script = join(import.meta.dirname, '..', '..', 'src', 'cli', 'sylk-db.ts');
    const store = `sqlite:${join(dir, 'proc.sqlite')}`;
    const add = spawnSync(process.execPath, ['--import', 'tsx', script, '--store', store, 'account', 'add', 'pipe@example.com', '--password-stdin'], {
      input: 'piped password\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(add.status, 0, add.stderr + add.stdout);
    const list = spawnSync(process.execPath, ['--import', 'tsx', script, '--store', store, 'account', 'list', '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ aor: string }>).map((r) => r.aor), ['pipe@example.com']);
  });
});
