/**
 * The storage conformance suite: one set of tests every `JournalStore` engine must pass unchanged
 * (`journal-storage.md` §3, `sylkrtc-websocket.md` §7.3, `push.md` §2, the contract in
 * `src/journal/store.ts`). An engine's test file calls `runConformance('sqlite', makeStore)`.
 *
 * One store is opened per suite; every test uses its own account names, so tests do not interfere.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { JournalStore } from '../../src/journal/store.js';
import type { JournalEntry, NewJournalEntry, PushToken } from '../../src/journal/types.js';
import { runAccountConformance } from './conformance-accounts.js';
import { runRegistrationConformance } from './conformance-registrations.js';

export interface ConformanceOptions {
  /** Does `expire()` delete entries by `createdAt` (SQL engines)? Default true. */
  expiresByCreatedAt?: boolean;
}

let counter = 0;
/** A fresh AOR for one test. */
function aor(label: string): string {
  counter += 1;
  return `${label}${counter}-${randomUUID().slice(0, 8)}@example.com`;
}

function entry(account: string, contact: string, over: Partial<NewJournalEntry> = {}): NewJournalEntry {
  return {
    account,
    contact,
    direction: 'outgoing',
    contentType: 'text/plain',
    content: 'hello',
    messageId: randomUUID(),
    disposition: ['positive-delivery', 'display'],
    state: 'pending',
    msgTimestamp: new Date('2024-05-01T10:00:00.123Z'),
    ...over,
  };
}

function incoming(account: string, contact: string, over: Partial<NewJournalEntry> = {}): NewJournalEntry {
  return entry(account, contact, { direction: 'incoming', state: 'received', ...over });
}

function ids(entries: readonly JournalEntry[]): string[] {
  return entries.map((e) => e.messageId);
}

/** Add entries one after another (distinct commits, so distinct `createdAt` order is defined). */
async function addAll(store: JournalStore, entries: NewJournalEntry[]): Promise<void> {
  for (const e of entries) assert.equal(await store.add(e), true);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function runConformance(name: string, makeStore: () => Promise<JournalStore>, options: ConformanceOptions = {}): void {
  describe(`JournalStore conformance: ${name}`, () => {
    let store: JournalStore;
    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await store?.close();
    });

    runAccountConformance(() => store);
    runRegistrationConformance(() => store);

    describe('entries', () => {
      test('add stores every field and getEntry returns it', async () => {
        const a = aor('a');
        const e = entry(a, 'bob@example.com', { disposition: null, state: null, direction: '', contentType: 'application/sylk-conversation-read' });
        const before = Date.now();
        assert.equal(await store.add(e), true);
        const got = await store.getEntry(a, e.messageId);
        assert.ok(got);
        assert.equal(got.account, a);
        assert.equal(got.contact, 'bob@example.com');
        assert.equal(got.direction, '');
        assert.equal(got.contentType, 'application/sylk-conversation-read');
        assert.equal(got.content, 'hello');
        assert.equal(got.messageId, e.messageId);
        assert.equal(got.disposition, null);
        assert.equal(got.state, null);
        assert.equal(got.msgTimestamp.toISOString(), '2024-05-01T10:00:00.123Z');
        assert.ok(got.createdAt.getTime() >= before - 1000 && got.createdAt.getTime() <= Date.now() + 1000, 'createdAt is now');
        assert.equal(await store.getEntry(a, 'no-such-id'), null);
        assert.equal(await store.getEntry('other@example.com', e.messageId), null, 'entries are per account');
      });

      test('empty disposition list stays a list; explicit createdAt is kept', async () => {
        const a = aor('a');
        const createdAt = new Date('2025-01-02T03:04:05.678Z');
        const e = entry(a, 'bob@example.com', { disposition: [], createdAt });
        await store.add(e);
        const got = await store.getEntry(a, e.messageId);
        assert.deepEqual(got?.disposition, []);
        assert.equal(got?.createdAt.toISOString(), createdAt.toISOString());
      });

      test('unicode and binary-as-latin1 content round-trips exactly', async () => {
        const a = aor('u');
        const latin1 = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
        const contents = ['😀👩‍👩‍👧‍👦 emoji', '中文 日本語 한국어', 'مرحبا بالعالم עברית', latin1, 'a'.repeat(70_000)];
        const es = contents.map((content) => entry(a, 'bob@example.com', { content }));
        await addAll(store, es);
        const { entries } = await store.query(a, { limit: 100 });
        assert.deepEqual(entries.map((e) => e.content), contents);
        const contact = 'Zoë-李@example.com';
        const e = entry(a, contact);
        await store.add(e);
        assert.equal((await store.getEntry(a, e.messageId))?.contact, contact);
      });

      test('add is idempotent by message id per account', async () => {
        const a = aor('a');
        const b = aor('b');
        const e = entry(a, b);
        assert.equal(await store.add(e), true);
        assert.equal(await store.add({ ...e, content: 'changed' }), false);
        assert.equal((await store.getEntry(a, e.messageId))?.content, 'hello', 'duplicate does not overwrite');
        assert.equal(await store.add({ ...e, account: b, contact: a, direction: 'incoming' }), true, 'same id in another journal');
        assert.equal(await store.countEntries(a), 1);
        assert.equal(await store.countEntries(b), 1);
      });

      test('20 concurrent adds of the same id produce exactly one entry', async () => {
        const a = aor('c');
        const e = entry(a, 'bob@example.com');
        const results = await Promise.all(Array.from({ length: 20 }, () => store.add({ ...e })));
        assert.equal(results.filter((r) => r).length, 1);
        assert.equal(await store.countEntries(a), 1);
        const { entries } = await store.query(a, { limit: 100 });
        assert.deepEqual(ids(entries), [e.messageId]);
      });

      test('concurrent adds across accounts and ids are all stored, in issue order', async () => {
        const a = aor('c');
        const es = Array.from({ length: 50 }, (_, i) => entry(a, `c${i % 3}@example.com`, { content: String(i) }));
        const results = await Promise.all(es.map((e) => store.add(e)));
        assert.ok(results.every((r) => r));
        const { entries } = await store.query(a, { limit: 1000 });
        assert.deepEqual(ids(entries), ids(es as JournalEntry[]));
      });

      test('addMany returns per-entry results and keeps order, duplicates inside the batch too', async () => {
        const a = aor('m');
        const first = entry(a, 'bob@example.com');
        await store.add(first);
        const x = entry(a, 'bob@example.com');
        const y = entry(a, 'carol@example.com');
        const results = await store.addMany([x, first, y, { ...x, content: 'dup' }]);
        assert.deepEqual(results, [true, false, true, false]);
        const { entries } = await store.query(a, { limit: 10 });
        assert.deepEqual(ids(entries), [first.messageId, x.messageId, y.messageId]);
        assert.deepEqual(await store.addMany([]), []);
      });

      test('writes are applied in issue order (update issued right after add sees it)', async () => {
        const a = aor('o');
        const e = entry(a, 'bob@example.com');
        const [added, updated, removed] = await Promise.all([
          store.add(e),
          store.updateState(a, e.messageId, 'accepted'),
          store.removeMessage(a, e.messageId),
        ]);
        assert.equal(added, true);
        assert.equal(updated?.entry.state, 'accepted');
        assert.equal(removed?.messageId, e.messageId);
        assert.equal(await store.getEntry(a, e.messageId), null);
      });
    });

    describe('updateState', () => {
      test('moves forward and edits the disposition (§2.3)', async () => {
        const a = aor('s');
        const e = entry(a, 'bob@example.com');
        await store.add(e);
        let r = await store.updateState(a, e.messageId, 'accepted');
        assert.equal(r?.stateChanged, true);
        assert.equal(r?.dispositionChanged, false);
        assert.deepEqual(r?.entry.disposition, ['positive-delivery', 'display']);
        r = await store.updateState(a, e.messageId, 'delivered');
        assert.equal(r?.entry.state, 'delivered');
        assert.deepEqual(r?.entry.disposition, ['display']);
        assert.equal(r?.dispositionChanged, true);
        r = await store.updateState(a, e.messageId, 'accepted');
        assert.equal(r?.stateChanged, false, 'no regression');
        assert.equal(r?.entry.state, 'delivered');
        r = await store.updateState(a, e.messageId, 'displayed');
        assert.equal(r?.entry.state, 'displayed');
        assert.deepEqual(r?.entry.disposition, []);
        const stored = await store.getEntry(a, e.messageId);
        assert.equal(stored?.state, 'displayed');
        assert.deepEqual(stored?.disposition, []);
      });

      test('failures: accepted → failed; delivered still wins; failed does not replace failed', async () => {
        const a = aor('s');
        const e = entry(a, 'bob@example.com');
        await store.add(e);
        assert.equal((await store.updateState(a, e.messageId, 'failed'))?.entry.state, 'failed');
        assert.equal((await store.updateState(a, e.messageId, 'error'))?.entry.state, 'failed');
        assert.equal((await store.updateState(a, e.messageId, 'accepted'))?.entry.state, 'failed');
        assert.equal((await store.updateState(a, e.messageId, 'delivered'))?.entry.state, 'delivered');
      });

      test('received entries never change state but their disposition is edited', async () => {
        const a = aor('s');
        const e = incoming(a, 'bob@example.com');
        await store.add(e);
        const r = await store.updateState(a, e.messageId, 'displayed');
        assert.equal(r?.entry.state, 'received');
        assert.equal(r?.stateChanged, false);
        assert.deepEqual(r?.entry.disposition, []);
        assert.equal((await store.getEntry(a, e.messageId))?.state, 'received');
      });

      test('null disposition stays null; unknown id → null', async () => {
        const a = aor('s');
        const e = entry(a, 'bob@example.com', { disposition: null });
        await store.add(e);
        const r = await store.updateState(a, e.messageId, 'displayed');
        assert.equal(r?.entry.disposition, null);
        assert.equal(await store.updateState(a, 'unknown', 'delivered'), null);
        assert.equal(await store.updateState('nobody@example.com', e.messageId, 'delivered'), null);
      });
    });

    describe('removal', () => {
      test('removeMessage returns the entry once; the id stays known', async () => {
        const a = aor('r');
        const [e1, e2, e3] = [entry(a, 'b@x.org'), entry(a, 'b@x.org'), entry(a, 'c@x.org')];
        await addAll(store, [e1!, e2!, e3!]);
        const removed = await store.removeMessage(a, e2!.messageId);
        assert.equal(removed?.messageId, e2!.messageId);
        assert.equal(removed?.contact, 'b@x.org');
        assert.equal(await store.removeMessage(a, e2!.messageId), null);
        assert.equal(await store.removeMessage(a, 'never'), null);
        assert.equal(await store.removeMessage('other@x.org', e1!.messageId), null, 'not the owner');
        assert.equal(await store.add(e2!), false, 'a retransmission does not resurrect it');
        const r = await store.query(a, { afterId: e2!.messageId, limit: 10 });
        assert.equal(r.basis, 'cursor');
        assert.deepEqual(ids(r.entries), [e3!.messageId]);
      });

      test('removeConversation deletes every entry with that contact, markers included', async () => {
        const a = aor('r');
        const es = [
          entry(a, 'b@x.org'),
          incoming(a, 'b@x.org'),
          entry(a, 'b@x.org', { direction: '', contentType: 'application/sylk-conversation-read', state: null, disposition: [] }),
          entry(a, 'c@x.org'),
        ];
        await addAll(store, es);
        assert.equal(await store.removeConversation(a, 'b@x.org'), 3);
        assert.equal(await store.removeConversation(a, 'b@x.org'), 0);
        const { entries } = await store.query(a, { limit: 10 });
        assert.deepEqual(ids(entries), [es[3]!.messageId]);
        const after = await store.query(a, { afterId: es[1]!.messageId, limit: 10 });
        assert.equal(after.basis, 'cursor');
        assert.deepEqual(ids(after.entries), [es[3]!.messageId]);
      });

      test('removeJournal deletes all entries of the account only', async () => {
        const a = aor('r');
        const b = aor('r');
        await addAll(store, [entry(a, 'b@x.org'), entry(a, 'c@x.org'), entry(b, 'c@x.org')]);
        assert.equal(await store.removeJournal(a), 2);
        assert.equal(await store.countEntries(a), 0);
        assert.equal(await store.countEntries(b), 1);
      });
    });

    describe('query (sync selection)', () => {
      test('whole journal oldest first when no cursor and no since; empty account → []', async () => {
        const a = aor('q');
        const es = Array.from({ length: 5 }, () => entry(a, 'b@x.org'));
        await addAll(store, es);
        const r = await store.query(a, { limit: 100 });
        assert.equal(r.basis, 'all');
        assert.deepEqual(ids(r.entries), ids(es as JournalEntry[]));
        const limited = await store.query(a, { limit: 2 });
        assert.deepEqual(ids(limited.entries), ids(es.slice(0, 2) as JournalEntry[]), 'keeps the oldest');
        assert.deepEqual((await store.query(aor('none'), { limit: 10 })).entries, []);
      });

      test('paging with the last id returns everything exactly once, then []', async () => {
        const a = aor('q');
        const es = Array.from({ length: 23 }, (_, i) => entry(a, `c${i % 4}@x.org`));
        await store.addMany(es);
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 10; i++) {
          const r = await store.query(a, { afterId: cursor ?? null, limit: 5 });
          if (r.entries.length === 0) break;
          assert.ok(r.entries.length <= 5);
          seen.push(...ids(r.entries));
          cursor = r.entries[r.entries.length - 1]!.messageId;
        }
        assert.deepEqual(seen, ids(es as JournalEntry[]));
        const last = await store.query(a, { afterId: cursor ?? null, limit: 5 });
        assert.equal(last.basis, 'cursor');
        assert.deepEqual(last.entries, []);
      });

      test('unknown or empty cursor: since if given, else whole journal', async () => {
        const a = aor('q');
        const old = entry(a, 'b@x.org', { createdAt: new Date(Date.now() - 3_600_000) });
        await store.add(old);
        const cut = new Date(Date.now() - 1_800_000);
        const recent = entry(a, 'b@x.org');
        await store.add(recent);
        let r = await store.query(a, { afterId: 'unknown-id', since: cut, limit: 10 });
        assert.equal(r.basis, 'since');
        assert.deepEqual(ids(r.entries), [recent.messageId]);
        r = await store.query(a, { afterId: '', limit: 10 });
        assert.equal(r.basis, 'all');
        assert.deepEqual(ids(r.entries), [old.messageId, recent.messageId]);
        r = await store.query(a, { afterId: 'unknown-id', limit: 10 });
        assert.equal(r.basis, 'all');
        assert.equal(r.entries.length, 2);
      });

      test('a known cursor wins over since; a cursor of another account is unknown here', async () => {
        const a = aor('q');
        const b = aor('q');
        const es = [entry(a, 'b@x.org'), entry(a, 'b@x.org'), entry(a, 'b@x.org')];
        await addAll(store, es);
        const foreign = entry(b, 'b@x.org');
        await store.add(foreign);
        let r = await store.query(a, { afterId: es[0]!.messageId, since: new Date(Date.now() + 86_400_000), limit: 10 });
        assert.equal(r.basis, 'cursor');
        assert.deepEqual(ids(r.entries), ids(es.slice(1) as JournalEntry[]));
        r = await store.query(a, { afterId: foreign.messageId, limit: 10 });
        assert.equal(r.basis, 'all');
      });

      test('since is strict and compares createdAt (UTC)', async () => {
        const a = aor('q');
        const t0 = new Date('2025-06-01T12:00:00.000Z');
        const es = [0, 1, 2].map((i) => entry(a, 'b@x.org', { createdAt: new Date(t0.getTime() + i * 1000) }));
        await addAll(store, es);
        const r = await store.query(a, { since: new Date(t0.getTime() + 1000), limit: 10 });
        assert.deepEqual(ids(r.entries), [es[2]!.messageId]);
        const r2 = await store.query(a, { since: new Date(t0.getTime() - 1), limit: 2 });
        assert.deepEqual(ids(r2.entries), ids(es.slice(0, 2) as JournalEntry[]));
      });

      test('entries with equal createdAt keep insertion order and are not skipped by cursors', async () => {
        const a = aor('q');
        const t = new Date('2025-06-01T12:00:00.000Z');
        const es = Array.from({ length: 6 }, () => entry(a, 'b@x.org', { createdAt: t }));
        await store.addMany(es);
        const seen: string[] = [];
        let cursor: string | null = null;
        for (;;) {
          const r: { entries: JournalEntry[] } = await store.query(a, { afterId: cursor, limit: 1 });
          if (r.entries.length === 0) break;
          seen.push(r.entries[0]!.messageId);
          cursor = r.entries[0]!.messageId;
        }
        assert.deepEqual(seen, ids(es as JournalEntry[]));
      });
    });

    describe('read state', () => {
      test('unread counts follow §2.3', async () => {
        const a = aor('n');
        await addAll(store, [
          incoming(a, 'b@x.org'),
          incoming(a, 'b@x.org', { contentType: 'text/html' }),
          incoming(a, 'c@x.org', { contentType: 'application/sylk-file-transfer' }),
          incoming(a, 'c@x.org', { contentType: 'message/imdn' }),
          incoming(a, 'c@x.org', { disposition: ['positive-delivery'] }),
          incoming(a, 'c@x.org', { disposition: null }),
          incoming(a, a),
          entry(a, 'b@x.org'),
        ]);
        const u = await store.unreadCounts(a);
        assert.equal(u.total, 3);
        assert.deepEqual([...u.byContact.entries()].sort(), [
          ['b@x.org', 2],
          ['c@x.org', 1],
        ]);
        const none = await store.unreadCounts(aor('none'));
        assert.equal(none.total, 0);
        assert.equal(none.byContact.size, 0);
      });

      test('displayed report on the received copy makes it read', async () => {
        const a = aor('n');
        const e = incoming(a, 'b@x.org');
        await store.add(e);
        assert.equal((await store.unreadCounts(a)).total, 1);
        await store.updateState(a, e.messageId, 'delivered');
        assert.equal((await store.unreadCounts(a)).total, 1, 'delivered keeps display');
        await store.updateState(a, e.messageId, 'displayed');
        assert.equal((await store.unreadCounts(a)).total, 0);
      });

      test('markConversationRead clears dispositions of that contact and drops older read markers', async () => {
        const a = aor('n');
        const marker = entry(a, 'b@x.org', { direction: '', contentType: 'application/sylk-conversation-read', state: null, disposition: [], content: 'b@x.org' });
        const es = [incoming(a, 'b@x.org'), incoming(a, 'b@x.org'), entry(a, 'b@x.org'), incoming(a, 'c@x.org'), marker];
        await addAll(store, es);
        const n = await store.markConversationRead(a, 'b@x.org');
        assert.equal(n, 3);
        const u = await store.unreadCounts(a);
        assert.equal(u.total, 1);
        assert.equal(u.byContact.get('c@x.org'), 1);
        assert.deepEqual((await store.getEntry(a, es[2]!.messageId))?.disposition, []);
        assert.equal(await store.getEntry(a, marker.messageId), null, 'old read marker removed');
        assert.deepEqual((await store.getEntry(a, es[3]!.messageId))?.disposition, ['positive-delivery', 'display']);
        assert.equal(await store.markConversationRead(a, 'b@x.org'), 0);
      });
    });

    describe('accounts and API tokens', () => {
      test('add/get/remove account; re-add updates last login and keeps the token', async () => {
        const a = aor('acc');
        assert.equal(await store.getAccount(a), null);
        const t1 = new Date('2025-01-01T00:00:00.000Z');
        const rec = await store.addAccount(a, t1);
        assert.equal(rec.aor, a);
        assert.equal((await store.getAccount(a))?.lastLogin?.toISOString(), t1.toISOString());
        const exp = new Date(Date.now() + 3_600_000);
        assert.equal(await store.setApiToken(a, 'tok-' + a, exp), true);
        const t2 = new Date('2025-02-01T00:00:00.000Z');
        await store.addAccount(a, t2);
        assert.equal((await store.getAccount(a))?.lastLogin?.toISOString(), t2.toISOString());
        assert.equal((await store.getApiToken(a))?.token, 'tok-' + a);
        assert.equal(await store.removeAccount(a), true);
        assert.equal(await store.getAccount(a), null);
        assert.equal(await store.getApiToken(a), null);
        assert.equal(await store.findAccountByToken('tok-' + a), null);
        assert.equal(await store.removeAccount(a), false);
      });

      test('API token: needs an account, expires, is found by value, can be removed', async () => {
        const a = aor('tok');
        const token = 'T' + randomUUID();
        assert.equal(await store.setApiToken(a, token, new Date(Date.now() + 60_000)), false, 'no account record');
        assert.equal(await store.getApiToken(a), null);
        await store.addAccount(a);
        const exp = new Date(Date.now() + 60_000);
        assert.equal(await store.setApiToken(a, token, exp), true);
        const got = await store.getApiToken(a);
        assert.equal(got?.token, token);
        assert.equal(got?.expiresAt.getTime(), exp.getTime());
        assert.equal(await store.findAccountByToken(token), a);
        assert.equal(await store.findAccountByToken('wrong'), null);
        assert.equal(await store.findAccountByToken(''), null);
        const token2 = 'T' + randomUUID();
        await store.setApiToken(a, token2, exp);
        assert.equal(await store.findAccountByToken(token), null, 'replaced');
        assert.equal(await store.removeApiToken(a), true);
        assert.equal(await store.getApiToken(a), null);
        assert.equal(await store.findAccountByToken(token2), null);
        assert.equal(await store.removeApiToken(a), false);
        assert.ok(await store.getAccount(a), 'account record kept');
      });

      test('an expired token is neither returned nor accepted', async () => {
        const a = aor('tok');
        await store.addAccount(a);
        const token = 'T' + randomUUID();
        await store.setApiToken(a, token, new Date(Date.now() + 1500));
        assert.equal(await store.findAccountByToken(token), a);
        await sleep(1600);
        assert.equal(await store.getApiToken(a), null);
        assert.equal(await store.findAccountByToken(token), null);
      });
    });

    describe('keys', () => {
      test('public key set/overwrite/get/remove', async () => {
        const a = aor('pk');
        assert.equal(await store.getPublicKey(a), null);
        await store.setPublicKey(a, '-----BEGIN PGP PUBLIC KEY BLOCK-----\nA\n', new Date('2025-01-01T00:00:00.000Z'));
        await store.setPublicKey(a, '-----BEGIN PGP PUBLIC KEY BLOCK-----\nB\n');
        const k = await store.getPublicKey(a);
        assert.equal(k?.key, '-----BEGIN PGP PUBLIC KEY BLOCK-----\nB\n');
        assert.ok(k && Math.abs(k.createdAt.getTime() - Date.now()) < 60_000);
        assert.equal(await store.removePublicKey(a), true);
        assert.equal(await store.getPublicKey(a), null);
        assert.equal(await store.removePublicKey(a), false);
      });

      test('private-key message: latest kept, its id is a sync cursor, duplicates refused', async () => {
        const a = aor('sk');
        const e1 = entry(a, 'b@x.org');
        await store.add(e1);
        const pk = { account: a, messageId: randomUUID(), contact: a, direction: 'outgoing' as const, content: 'PRIVATE 1', msgTimestamp: new Date('2025-01-01T00:00:00.000Z') };
        assert.equal(await store.setPrivateKeyMessage(pk), true);
        assert.equal(await store.setPrivateKeyMessage({ ...pk, content: 'again' }), false);
        const e2 = entry(a, 'b@x.org');
        await store.add(e2);
        const r = await store.query(a, { afterId: pk.messageId, limit: 10 });
        assert.equal(r.basis, 'cursor');
        assert.deepEqual(ids(r.entries), [e2.messageId]);
        assert.equal((await store.getPrivateKeyMessage(a))?.content, 'PRIVATE 1');
        const pk2 = { ...pk, messageId: randomUUID(), content: 'PRIVATE 2' };
        assert.equal(await store.setPrivateKeyMessage(pk2), true);
        const got = await store.getPrivateKeyMessage(a);
        assert.equal(got?.content, 'PRIVATE 2');
        assert.equal(got?.messageId, pk2.messageId);
        assert.equal(got?.msgTimestamp.toISOString(), '2025-01-01T00:00:00.000Z');
        assert.equal(await store.countEntries(a), 2, 'not a journal entry');
        assert.equal(await store.removePrivateKeyMessage(a), true);
        assert.equal(await store.getPrivateKeyMessage(a), null);
      });
    });

    describe('push tokens', () => {
      function push(account: string, over: Partial<PushToken> = {}): PushToken {
        return {
          account,
          appId: 'com.agprojects.sylk',
          deviceId: 'dev1',
          platform: 'ios',
          token: 'voip-tok',
          backgroundToken: 'apns-tok',
          silent: false,
          userAgent: 'Sylk/1.0',
          ...over,
        };
      }

      test('add replaces per account+app+device; list is ordered', async () => {
        const a = aor('push');
        await store.addPushToken(push(a, { deviceId: 'dev2', platform: 'android', token: 'fcm', backgroundToken: null, silent: true, userAgent: null }));
        await store.addPushToken(push(a));
        await store.addPushToken(push(a, { token: 'voip-new' }));
        const list = await store.listPushTokens(a);
        assert.equal(list.length, 2);
        assert.deepEqual(list[0], push(a, { token: 'voip-new' }));
        assert.deepEqual(list[1], push(a, { deviceId: 'dev2', platform: 'android', token: 'fcm', backgroundToken: null, silent: true, userAgent: null }));
        assert.deepEqual(await store.listPushTokens(aor('none')), []);
      });

      test('remove by device, by token (either token), and all', async () => {
        const a = aor('push');
        await store.addPushToken(push(a, { deviceId: 'd1', token: 't1', backgroundToken: 'b1' }));
        await store.addPushToken(push(a, { deviceId: 'd2', token: 't2', backgroundToken: null }));
        await store.addPushToken(push(a, { deviceId: 'd3', token: 't3', backgroundToken: null }));
        await store.addPushToken(push(a, { appId: 'other', deviceId: 'd4', token: 't4', backgroundToken: null }));
        assert.equal(await store.removePushToken(a, 'com.agprojects.sylk', 'd2'), true);
        assert.equal(await store.removePushToken(a, 'com.agprojects.sylk', 'd2'), false);
        assert.equal(await store.removePushTokensByToken(a, 'b1'), 1);
        assert.equal(await store.removePushTokensByToken(a, 'nope'), 0);
        const remaining = (await store.listPushTokens(a)).map((t) => `${t.appId}/${t.deviceId}`);
        assert.deepEqual(remaining, ['com.agprojects.sylk/d3', 'other/d4']);
        assert.equal(await store.removePushTokens(a), 2);
        assert.deepEqual(await store.listPushTokens(a), []);
      });
    });

    describe('administration', () => {
      test('listAccounts pages through every AOR with data', async () => {
        const prefix = `zz-list-${randomUUID().slice(0, 8)}-`;
        const names = ['a', 'b', 'c', 'd', 'e'].map((x) => `${prefix}${x}@example.com`);
        await store.addAccount(names[0]!);
        await store.add(entry(names[1]!, 'x@x.org'));
        await store.setPublicKey(names[2]!, 'KEY');
        await store.addPushToken({ account: names[3]!, appId: 'a', deviceId: 'd', platform: 'android', token: 't', backgroundToken: null, silent: false, userAgent: null });
        const pk = { account: names[4]!, messageId: randomUUID(), contact: names[4]!, direction: 'outgoing' as const, content: 'K', msgTimestamp: new Date() };
        await store.setPrivateKeyMessage(pk);
        const found: string[] = [];
        let after: string | null = `${prefix}`;
        for (let i = 0; i < 10 && after !== null; i++) {
          const page = await store.listAccounts(after, 2);
          assert.ok(page.aors.length <= 2);
          found.push(...page.aors.filter((x) => x.startsWith(prefix)));
          if (page.aors.some((x) => !x.startsWith(prefix))) break;
          after = page.next;
        }
        assert.deepEqual(found, names);
      });

      test('ping resolves', async () => {
        await store.ping();
      });
    });

    if (options.expiresByCreatedAt !== false) {
      describe('retention', () => {
        test('expire deletes old entries and their ids, keeps recent ones', async () => {
          const a = aor('exp');
          const old = new Date(Date.now() - 400 * 86_400_000);
          const olds = [entry(a, 'b@x.org', { createdAt: old }), entry(a, 'b@x.org', { createdAt: old })];
          await addAll(store, olds);
          const fresh = entry(a, 'b@x.org');
          await store.add(fresh);
          const res = await store.expire(new Date(Date.now() - 365 * 86_400_000));
          assert.ok(res.entries >= 2);
          const r = await store.query(a, { limit: 10 });
          assert.deepEqual(ids(r.entries), [fresh.messageId]);
          const byExpiredCursor = await store.query(a, { afterId: olds[1]!.messageId, limit: 10 });
          assert.equal(byExpiredCursor.basis, 'all', 'an expired id is an unknown cursor');
        });

        test('expire drops expired API tokens', async () => {
          const a = aor('exp');
          await store.addAccount(a);
          await store.setApiToken(a, 'T' + randomUUID(), new Date(Date.now() - 1000));
          const res = await store.expire(new Date(Date.now() - 365 * 86_400_000));
          assert.ok(res.apiTokens >= 1);
          assert.ok(await store.getAccount(a));
        });
      });
    }
  });

  describe(`JournalStore lifecycle: ${name}`, () => {
    test('close flushes pending writes and later calls reject', async () => {
      const s = await makeStore();
      const a = aor('close');
      const pending = s.add(entry(a, 'b@x.org'));
      const closing = s.close();
      assert.equal(await pending, true);
      await closing;
      await assert.rejects(s.add(entry(a, 'b@x.org')));
      await assert.rejects(s.query(a, { limit: 1 }));
    });
  });
}
