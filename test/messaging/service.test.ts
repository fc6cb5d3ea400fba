/** The WebSocket-facing operations (`MessagingService`) on the real SQLite store. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey } from 'openpgp';
import { SylkMessagingService } from '../../src/messaging/service/sylk-service.js';
import { MessagingError } from '../../src/messaging/index.js';
import { parseCpim } from '../../src/payload/cpim.js';
import { parseImdn } from '../../src/payload/imdn.js';
import { makeFixture, type Fixture } from './helpers.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const header = (req: { headers?: ReadonlyArray<readonly [string, string]> }, name: string): string | undefined =>
  req.headers?.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('MessagingService', () => {
  let f: Fixture;
  let svc: SylkMessagingService;
  before(async () => {
    f = makeFixture();
    svc = new SylkMessagingService(f.ctx);
    await svc.recordLogin(ALICE);
    await svc.recordLogin(BOB);
  });
  after(() => f.close());

  const send = (over: Partial<Parameters<SylkMessagingService['sendMessage']>[0]> = {}) =>
    svc.sendMessage({
      account: ALICE,
      origin: 'conn-1',
      transaction: 't1',
      uri: BOB,
      message_id: 'ws-1',
      content: 'Hello 👋',
      content_type: 'text/plain',
      timestamp: '2024-05-01T10:00:00.123Z',
      displayName: 'Alice',
      credentials: { username: 'alice', ha1: 'abc' },
      ...over,
    });

  it('sendMessage: pending entry, sync fork without the origin, CPIM out, then accepted + event', async () => {
    const r = await send();
    assert.equal(r.stored, true);
    const pending = await f.store.getEntry(ALICE, 'ws-1');
    assert.equal(pending!.state, 'pending');
    assert.deepEqual(pending!.disposition, ['positive-delivery', 'display']);
    const sync = f.seen.find((s) => s.name === 'sync-message-add')!.event as { origin?: string; content: { transaction: string } };
    assert.equal(sync.origin, 'conn-1');
    assert.equal(sync.content.transaction, 't1');
    const outcome = await r.delivery!;
    assert.deepEqual(outcome, { state: 'accepted', code: 200, reason: 'OK' });
    assert.equal((await f.store.getEntry(ALICE, 'ws-1'))!.state, 'accepted');
    const dn = f.seen.filter((s) => s.name === 'disposition-notification').at(-1)!.event;
    assert.deepEqual(dn, { account: ALICE, message_id: 'ws-1', message_timestamp: '2024-05-01T10:00:00.123000+00:00', state: 'accepted', code: 200, reason: 'OK' });
    const out = f.client.sent.at(-1)!;
    assert.equal(out.uri, 'sip:bob@example.com');
    assert.equal(out.from, '"Alice" <sip:alice@example.com>');
    assert.equal(out.contentType, 'message/cpim');
    assert.deepEqual(out.credentials, { username: 'alice', ha1: 'abc' });
    assert.equal(header(out, 'X-Sylk-App'), undefined, 'no X-Sylk-App outside local mode');
    const cpim = parseCpim(String(out.body));
    assert.equal(cpim.messageId, 'ws-1');
    assert.equal(cpim.content, 'Hello 👋');
    assert.deepEqual(cpim.dispositionNotification, ['positive-delivery', 'display']);
    assert.equal(cpim.from!.displayName, 'Alice');
  });

  it('sendMessage: a SIP failure marks the entry failed with the code', async () => {
    f.client.status = 404;
    f.client.reason = 'Not Found';
    try {
      const r = await send({ message_id: 'ws-2' });
      assert.deepEqual(await r.delivery, { state: 'failed', code: 404, reason: 'Not Found' });
      assert.equal((await f.store.getEntry(ALICE, 'ws-2'))!.state, 'failed');
    } finally {
      f.client.status = 200;
      f.client.reason = 'OK';
    }
  });

  it('sendMessage: invalid timestamp rejected; is-composing dropped; resend of an id is not stored twice', async () => {
    await assert.rejects(send({ message_id: 'ws-3', timestamp: 'now' }), (e: unknown) => e instanceof MessagingError && e.code === 'invalid');
    const n = f.client.sent.length;
    const c = await send({ message_id: 'ws-4', content_type: 'application/im-iscomposing+xml' });
    assert.deepEqual(c, { stored: false, delivery: null });
    assert.equal(f.client.sent.length, n);
    assert.equal(await f.store.getEntry(ALICE, 'ws-4'), null);
    const again = await send();
    assert.equal(again.stored, false);
    await again.delivery;
  });

  it('sendMessage: a public key is validated and stored as the sender key, not journaled', async () => {
    const { publicKey } = await generateKey({ userIDs: [{ email: ALICE }], format: 'armored' });
    await assert.rejects(send({ message_id: 'k-0', content_type: 'text/pgp-public-key', content: 'junk' }), /Invalid public key/);
    const r = await send({ message_id: 'k-1', content_type: 'text/pgp-public-key', content: publicKey, uri: 'inital_key@to.store.in.sylkserver.info' });
    assert.equal(r.stored, false);
    await r.delivery;
    assert.equal(await svc.lookupPublicKey('sip:alice@example.com'), publicKey);
    assert.equal(await svc.lookupPublicKey('nobody@example.com'), null);
    assert.equal(await f.store.getEntry(ALICE, 'k-1'), null);
  });

  it('sendDispositionNotification: updates the own copy and sends an IMDN (failed forwarded)', async () => {
    await f.store.add({ account: BOB, contact: ALICE, direction: 'incoming', contentType: 'text/plain', content: 'x', messageId: 'in-1', disposition: ['positive-delivery', 'display'], state: 'received', msgTimestamp: new Date() });
    await svc.sendDispositionNotification({ account: BOB, uri: ALICE, message_id: 'in-1', state: 'displayed', timestamp: '2024-05-01T10:00:00.000Z' });
    const e = await f.store.getEntry(BOB, 'in-1');
    assert.equal(e!.state, 'received');
    assert.deepEqual(e!.disposition, []);
    await f.outbound.idle();
    const cpim = parseCpim(String(f.client.sent.at(-1)!.body));
    assert.equal(cpim.dispositionNotification, null);
    assert.equal(cpim.contentType, 'message/imdn+xml');
    const doc = parseImdn(cpim.content);
    assert.equal(doc.messageId, 'in-1');
    assert.equal(doc.status, 'displayed');
    await svc.sendDispositionNotification({ account: BOB, uri: ALICE, message_id: 'in-1', state: 'failed', timestamp: '2024-05-01T10:00:00.000Z' });
    await f.outbound.idle();
    assert.equal(parseImdn(parseCpim(String(f.client.sent.at(-1)!.body)).content).status, 'failed');
  });

  it('markConversationRead / removeConversation: markers, sync events, notices From contact', async () => {
    await svc.markConversationRead({ account: BOB, contact: ALICE, origin: 'c2' });
    assert.equal((await f.store.unreadCounts(BOB)).total, 0);
    assert.deepEqual(f.seen.filter((s) => s.name === 'sync-conversation-read').at(-1)!.event, { account: BOB, content: { contact: ALICE }, origin: 'c2' });
    await f.outbound.idle();
    const n1 = f.client.sent.at(-1)!;
    assert.equal(n1.uri, 'sip:bob@example.com');
    assert.equal(n1.from, '<sip:alice@example.com>');
    assert.equal(header(n1, 'X-Sylk-To-Sip'), 'yes');
    const r = await svc.removeConversation({ account: BOB, contact: ALICE });
    assert.ok(r.removed >= 2);
    const left = (await f.store.query(BOB, { limit: 100 })).entries;
    assert.deepEqual(left.map((e) => e.contentType), ['application/sylk-conversation-remove']);
  });

  it('removeMessage: own copy + the recipient copy (remote unsend), marker even when nothing existed', async () => {
    await f.store.add({ account: BOB, contact: ALICE, direction: 'incoming', contentType: 'text/plain', content: 'x', messageId: 'ws-1', disposition: [], state: 'received', msgTimestamp: new Date() });
    const r = await svc.removeMessage({ account: ALICE, contact: BOB, message_id: 'ws-1', origin: 'c1' });
    assert.deepEqual(r, { removed: true, remoteRemoved: true });
    assert.equal(await f.store.getEntry(BOB, 'ws-1'), null);
    const none = await svc.removeMessage({ account: ALICE, contact: BOB, message_id: 'never' });
    assert.deepEqual(none, { removed: false, remoteRemoved: false });
    const last = (await f.store.query(ALICE, { limit: 100 })).entries.at(-1)!;
    assert.deepEqual(JSON.parse(last.content), { contact: BOB, message_id: 'never', direction: 'outgoing' });
  });

  it('syncConversations: pages with a cursor and says whether more remain', async () => {
    const all = await svc.syncConversations({ account: ALICE });
    assert.ok(all.messages.length >= 3);
    assert.equal(all.more, false);
    const first = await svc.syncConversations({ account: ALICE, limit: 2 });
    assert.equal(first.messages.length, 2);
    assert.equal(first.more, true);
    const next = await svc.syncConversations({ account: ALICE, message_id: first.messages[1]!.message_id, limit: 5000 });
    assert.deepEqual([...first.messages, ...next.messages].map((m) => m.message_id), all.messages.map((m) => m.message_id));
    await assert.rejects(svc.syncConversations({ account: ALICE, limit: 0 }), /Invalid limit/);
    await assert.rejects(svc.syncConversations({ account: ALICE, since: 'yesterday' }), /Invalid since/);
    const later = await svc.syncConversations({ account: ALICE, since: '2999-01-01T00:00:00Z' });
    assert.deepEqual(later.messages, []);
  });

  it('a store failure rejects with code unavailable', async () => {
    const g = makeFixture();
    const s = new SylkMessagingService(g.ctx);
    await g.store.close();
    await assert.rejects(s.markConversationRead({ account: ALICE, contact: BOB }), (e: unknown) => e instanceof MessagingError && e.code === 'unavailable');
    await g.close();
  });
});

describe('MessagingService in local_sip_messages mode', () => {
  it('sends user messages to the own TCP port with X-Sylk-App', async () => {
    const f = makeFixture({ localSipMessages: true });
    try {
      const svc = new SylkMessagingService(f.ctx);
      const r = await svc.sendMessage({ account: ALICE, transaction: '1', uri: BOB, message_id: 'l-1', content: 'x', content_type: 'text/plain', timestamp: '2024-05-01T10:00:00Z' });
      await r.delivery;
      const out = f.client.sent.at(-1)!;
      assert.equal(out.nextHop, '127.0.0.1:15360;transport=tcp');
      assert.equal(header(out, 'X-Sylk-App'), 'webrtcgateway');
    } finally {
      await f.close();
    }
  });
});
