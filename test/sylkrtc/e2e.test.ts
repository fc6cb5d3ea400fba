/**
 * End to end: real `ws` clients ↔ web server ↔ gateway ↔ messaging service/pipeline ↔ SQLite store ↔
 * SIP stack ↔ sipp (REGISTER with a digest challenge) and the forking proxy (MESSAGE routing back to
 * us, as Kamailio does). Two devices of alice and one of bob.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, startHarness, type Frame, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let h: Harness;
let a1: Client;
let a2: Client;
let b1: Client;

before(async () => {
  h = await startHarness({ sippPort: 15503, proxyPort: 15504 });
  a1 = await Client.login(h.url, ALICE);
  a2 = await Client.login(h.url, ALICE);
  b1 = await Client.login(h.url, BOB);
});

after(async () => {
  for (const c of [a1, a2, b1]) await c?.close();
  await h?.close();
});

const ev = (f: Frame) => (f.sylkrtc === 'account-event' ? `${String(f.event)}${f.state ? `:${String(f.state)}` : ''}${f.action ? `:${String(f.type)}/${String(f.action)}` : ''}` : String(f.sylkrtc));
const msg = (id: string, content: string, content_type = 'text/plain', uri = BOB) => ({
  sylkrtc: 'account-message',
  account: ALICE,
  uri,
  message_id: id,
  content,
  content_type,
  timestamp: '2025-03-14T10:15:00.000Z',
});
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

test('a message: sync fork to the other device, accepted to both, message to bob exactly once (proxy forks twice)', async () => {
  h.proxy.copies = 2;
  const content = 'Yes! 10:00 at the café ☕ 😀 \u200b\u2060 עברית';
  const tx = a1.send(msg('m-1', content));
  await b1.until((f) => f.event === 'message');
  await a1.until((f) => f.event === 'disposition-notification');
  await a2.until((f) => f.event === 'disposition-notification');
  await settle();
  h.proxy.copies = 1;

  const f1 = a1.take();
  assert.deepEqual(f1.map(ev), ['ack', 'disposition-notification:accepted']);
  assert.equal(f1[0]!.transaction, tx);
  assert.deepEqual(
    { ...f1[1], message_timestamp: undefined },
    { sylkrtc: 'account-event', account: ALICE, event: 'disposition-notification', message_id: 'm-1', message_timestamp: undefined, state: 'accepted', code: 200, reason: 'OK' },
  );
  const f2 = a2.take();
  assert.deepEqual(f2.map(ev), ['sync:message/add', 'disposition-notification:accepted']);
  assert.deepEqual(f2[0]!.content, { ...msg('m-1', content), transaction: tx });

  const fb = b1.take();
  assert.deepEqual(fb.map(ev), ['message'], 'exactly once although the proxy delivered it twice');
  assert.equal(fb[0]!.content, content);
  assert.equal(fb[0]!.message_id, 'm-1');
  assert.equal(fb[0]!.content_type, 'text/plain');
  assert.deepEqual(fb[0]!.sender, { uri: ALICE, display_name: 'alice' });
  assert.deepEqual(fb[0]!.disposition_notification, ['positive-delivery', 'display']);
  assert.equal(new Date(fb[0]!.timestamp as string).toISOString(), '2025-03-14T10:15:00.000Z');
});

test('a message to a remote domain goes to the proxy (sipp answers 200): accepted on both devices', async () => {
  a1.send(msg('m-remote', 'hi carol', 'text/plain', 'carol@remote.example'));
  for (const c of [a1, a2]) {
    const d = await c.until((f) => f.event === 'disposition-notification' && f.message_id === 'm-remote');
    assert.equal(d.state, 'accepted');
    assert.equal(d.code, 200);
  }
  assert.equal(h.proxy.received.filter((r) => r.uri.includes('carol@remote.example')).length, 0, 'went to sipp, not the forking proxy');
  for (const c of [a1, a2, b1]) c.take();
});

test('UTF-8 stays intact for non-text content types', async () => {
  const content = JSON.stringify({ v: 'ünï 😀 ✓', n: 1 });
  a1.send(msg('m-meta', content, 'application/sylk-message-metadata'));
  const m = await b1.until((f) => f.event === 'message' && f.message_id === 'm-meta');
  assert.equal(m.content, content);
  assert.equal(m.content_type, 'application/sylk-message-metadata');
  await a2.until((f) => f.event === 'disposition-notification' && f.message_id === 'm-meta');
  for (const c of [a1, a2, b1]) c.take();
});

test('reports: bob delivered then displayed → both alice devices, in order, once each (proxy forks twice)', async () => {
  h.proxy.copies = 2;
  await b1.request({ sylkrtc: 'account-disposition-notification', account: BOB, uri: ALICE, message_id: 'm-1', state: 'delivered', timestamp: '2025-03-14T10:15:00.000Z' });
  await b1.request({ sylkrtc: 'account-disposition-notification', account: BOB, uri: ALICE, message_id: 'm-1', state: 'displayed', timestamp: '2025-03-14T10:15:00.000Z' });
  for (const c of [a1, a2]) {
    await c.until((f) => f.event === 'disposition-notification' && f.state === 'displayed');
  }
  await settle();
  h.proxy.copies = 1;
  for (const c of [a1, a2]) {
    const f = c.take();
    assert.deepEqual(f.map(ev), ['disposition-notification:delivered', 'disposition-notification:displayed']);
    assert.equal(f[0]!.message_id, 'm-1');
    assert.equal(f[0]!.code, 200);
    assert.equal(f[0]!.reason, '');
  }
  assert.deepEqual(b1.take().filter((f) => f.sylkrtc === 'account-event').map(ev), [], 'no event to the reporter');
});

test('read and removals: other device and (for unsend) the contact', async () => {
  await a1.request({ sylkrtc: 'account-mark-conversation-read', account: ALICE, contact: BOB });
  await a1.request({ sylkrtc: 'account-remove-message', account: ALICE, contact: BOB, message_id: 'm-1' });
  await a1.request({ sylkrtc: 'account-remove-conversation', account: ALICE, contact: BOB });
  await a2.until((f) => f.event === 'sync' && f.type === 'conversation' && f.action === 'remove');
  await b1.until((f) => f.event === 'sync');
  await settle();
  assert.deepEqual(a1.take().map(ev), ['ack', 'ack', 'ack']);
  const f2 = a2.take();
  assert.deepEqual(f2.map(ev), ['sync:conversation/read', 'sync:message/remove', 'sync:conversation/remove']);
  assert.deepEqual(f2[0]!.content, { contact: BOB });
  assert.deepEqual(f2[1]!.content, { contact: BOB, message_id: 'm-1', direction: 'outgoing' });
  assert.equal((f2[2]!.content as { contact: string }).contact, BOB);
  const fb = b1.take();
  assert.deepEqual(fb.map(ev), ['sync:message/remove']);
  assert.deepEqual(fb[0]!.content, { contact: ALICE, message_id: 'm-1', direction: 'incoming' });
  assert.equal(fb[0]!.account, BOB);
});

/** Page through sync-conversations from `cursor` until [] (as the apps do); returns all entries. */
async function syncAll(c: Client, account: string, cursor: string | null, limit?: number): Promise<Frame[]> {
  const all: Frame[] = [];
  for (let round = 0; round < 1000; round++) {
    c.take();
    const tx = c.send({ sylkrtc: 'account-sync-conversations', account, message_id: cursor, ...(limit ? { limit } : {}) });
    await c.until((f) => f.transaction === tx);
    const e = await c.until((f) => f.event === 'sync-conversations');
    const messages = e.messages as Frame[];
    if (messages.length === 0) return all;
    all.push(...messages);
    cursor = messages.at(-1)!.message_id as string;
  }
  throw new Error('sync never converged to []');
}

test('reconnect + sync since the last cursor: nothing lost, nothing duplicated, converges to []', async () => {
  const before = await syncAll(b1, BOB, null);
  assert.ok(before.length > 0);
  const cursor = before.at(-1)!.message_id as string;
  assert.deepEqual(await syncAll(b1, BOB, cursor), [], 'the cursor entry itself is never returned');

  await b1.close();
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) {
    ids.push(`off-${i}`);
    a1.send(msg(`off-${i}`, `offline ${i} ✓`));
  }
  // wait until every message was accepted (journaled for bob by the pipeline)
  for (const id of ids) await a1.until((f) => f.event === 'disposition-notification' && f.message_id === id, 10_000);
  b1 = await Client.login(h.url, BOB);
  const got = await syncAll(b1, BOB, cursor, 7);
  assert.deepEqual(
    got.map((e) => e.message_id),
    ids,
    'exactly the missed messages, oldest first, each once',
  );
  for (const e of got) {
    assert.equal(e.direction, 'incoming');
    assert.equal(e.contact, ALICE);
    assert.equal(typeof e.content, 'string');
    assert.ok(Array.isArray(e.disposition));
  }
  for (const c of [a1, a2]) c.take();
});
