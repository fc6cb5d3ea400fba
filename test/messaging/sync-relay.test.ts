/**
 * The receiving side of device-to-device sync between instances (`src/messaging/sync-relay.ts`): what
 * the proxy brings to a WebSocket contact of an account — a replica of a message the account sent on
 * another instance, the read/remove notices of another instance — becomes the account's sync event
 * here, once per process, with nothing stored; the origin instance does not announce its own change
 * twice; API requests at a contact are left to the storage copy. Real SQLite journal.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMessagingPipeline } from '../../src/messaging/sip-ingress/request-handler.js';
import { SylkMessagingService } from '../../src/messaging/service/sylk-service.js';
import { isWsContactUri } from '../../src/messaging/cluster/sync-relay.js';
import type { RequestHandler } from '../../src/sip/api.js';
import { cpimBody, incoming, makeFixture, sipRequest, type Fixture } from './helpers.js';

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
/** A contact an instance registers for one of alice's WebSocket connections (sylkrtc/auth.ts). */
const aliceContact = (conn: string): string => `sip:alice@127.0.0.1:5071;transport=udp;sylk-ws=${conn}`;

describe('sync between instances: the receiving side', () => {
  let f: Fixture;
  let p: RequestHandler;
  let service: SylkMessagingService;
  before(async () => {
    f = makeFixture();
    // A production default: only the contact parameter brings contact copies to us.
    p = createMessagingPipeline({ ctx: f.ctx, defaultApplication: 'conference', applicationMap: {} });
    service = new SylkMessagingService(f.ctx);
    await f.store.addAccount(ALICE);
    await f.store.addAccount(CAROL);
  });
  beforeEach(() => {
    f.seen.length = 0;
    f.client.sent.length = 0;
  });
  after(() => f.close());

  const events = (name: string) => f.seen.filter((s) => s.name === name).map((s) => s.event);
  const journal = async (account: string) => (await f.store.query(account, { limit: 1000 })).entries;

  /** A copy of alice's WebSocket message sent on another instance, as the proxy replicates it. */
  const replica = (id: string, conn: string, o: { contentType?: string; from?: string; uri?: string } = {}) =>
    sipRequest({
      from: o.from ?? `"Alice" <sip:${ALICE}>`,
      to: `<sip:${CAROL}>`,
      uri: o.uri ?? aliceContact(conn),
      app: false,
      contentType: 'message/cpim',
      body: cpimBody({ from: `Alice <sip:${ALICE}>`, to: `<sip:${CAROL}>`, id, contentType: o.contentType ?? 'text/plain', content: `hi ${id}`, dateTime: '2024-05-01T10:00:00.000Z' }),
      headers: [['X-Replicated-Message', 'yes']],
    });

  /** A notice another instance sent to alice's own AOR, as it reaches one of alice's contacts. */
  const notice = (contentType: string, body: string, callId: string, o: { uri?: string; from?: string; app?: boolean } = {}) =>
    sipRequest({
      from: o.from ?? `<sip:${CAROL}>`,
      to: `<sip:${ALICE}>`,
      uri: o.uri ?? aliceContact('c1'),
      app: o.app ?? false,
      contentType,
      body,
      callId,
      headers: [['X-Sylk-To-Sip', 'yes']],
    });

  it('recognises the contacts registered for WebSocket bindings', () => {
    assert.equal(isWsContactUri(aliceContact('x1')), true);
    assert.equal(isWsContactUri('sip:alice@127.0.0.1:5071;transport=udp'), false);
    assert.equal(isWsContactUri('sip:alice@example.com'), false);
    assert.equal(isWsContactUri('not a uri'), false);
  });

  it('a replica of a message alice sent elsewhere: sync-message-add (§5.6.1 shape) once, nothing stored', async () => {
    const before = { alice: (await journal(ALICE)).length, carol: (await journal(CAROL)).length };
    for (const conn of ['c1', 'c2', 'c1']) {
      const r = await p(incoming(replica('r-1', conn)));
      assert.equal(r.status, 200);
    }
    assert.deepEqual(events('sync-message-add'), [
      {
        account: ALICE,
        content: {
          sylkrtc: 'account-message',
          transaction: '1',
          account: ALICE,
          uri: CAROL,
          message_id: 'r-1',
          content: 'hi r-1',
          content_type: 'text/plain',
          timestamp: '2024-05-01T10:00:00+00:00',
          server_generated: true,
        },
      },
    ]);
    assert.equal(events('message').length, 0, 'carol is not told by a copy meant for alice');
    assert.equal(f.pushes.length, 0);
    assert.deepEqual({ alice: (await journal(ALICE)).length, carol: (await journal(CAROL)).length }, before);
    assert.equal(f.client.sent.length, 0);
  });

  it('a replica of a report or at a contact of another user is no sync of alice', async () => {
    await p(incoming(replica('r-imdn', 'c1', { contentType: 'message/imdn+xml' })));
    assert.equal(events('sync-message-add').length, 0);
    assert.equal((await journal(CAROL)).some((e) => e.messageId === 'r-imdn'), false);
    // At bob's contact, a copy "from alice" is not alice's own replica: processed as a message to carol.
    await p(incoming(replica('r-bob', 'c1', { uri: 'sip:bob@127.0.0.1:5071;transport=udp;sylk-ws=b1' })));
    assert.equal(events('sync-message-add').length, 0);
  });

  it('the instance that sent the message does not announce its replica again', async () => {
    const sent = await service.sendMessage({
      account: ALICE,
      origin: 'conn-1',
      transaction: 't1',
      uri: CAROL,
      message_id: 'own-1',
      content: 'mine',
      content_type: 'text/plain',
      timestamp: '2024-05-01T10:00:00Z',
    });
    await sent.delivery;
    assert.equal(events('sync-message-add').length, 1);
    await p(incoming(replica('own-1', 'c2')));
    assert.equal(events('sync-message-add').length, 1, 'echo announced twice');
  });

  it('read marker notice: sync-conversation-read once per notice, nothing written', async () => {
    const before = (await journal(ALICE)).length;
    const body = `{"contact": "${CAROL}"}`;
    for (const conn of ['c1', 'c2']) {
      assert.equal((await p(incoming(notice('application/sylk-conversation-read', body, 'read-1', { uri: aliceContact(conn) })))).status, 200);
    }
    assert.deepEqual(events('sync-conversation-read'), [{ account: ALICE, content: { contact: CAROL } }]);
    // A later change (another notice) is announced again.
    await p(incoming(notice('application/sylk-conversation-read', body, 'read-2')));
    assert.equal(events('sync-conversation-read').length, 2);
    assert.equal((await journal(ALICE)).length, before);
    assert.equal(events('journal-appended').length, 0);
  });

  it('message removal and conversation removal notices: their sync events with the body as content', async () => {
    await p(incoming(notice('application/sylk-message-remove', `{"contact": "${CAROL}", "message_id": "m-9", "direction": "outgoing"}`, 'rm-1')));
    assert.deepEqual(events('sync-message-remove'), [{ account: ALICE, content: { contact: CAROL, message_id: 'm-9', direction: 'outgoing' } }]);
    // SIP path (§5.4/5.5): From = To = the account.
    const ts = '2024-05-02T08:00:00.123000+00:00';
    await p(incoming(notice('application/sylk-conversation-remove', `{"contact": "${CAROL}", "timestamp": "${ts}"}`, 'crm-1', { from: `<sip:${ALICE}>` })));
    assert.deepEqual(events('sync-conversation-remove'), [{ account: ALICE, content: { contact: CAROL, timestamp: ts } }]);
  });

  it('notices that are not for a contact of the account, or lack what the event needs, are answered 200 and dropped', async () => {
    const read = `{"contact": "${CAROL}"}`;
    const cases = [
      notice('application/sylk-conversation-read', read, 'x-1', { uri: `sip:${ALICE}`, app: true }), // the storage copy
      notice('application/sylk-conversation-read', read, 'x-2', { uri: 'sip:bob@127.0.0.1:5071;sylk-ws=b1' }), // bob's contact
      notice('application/sylk-conversation-read', '{"contact": 5}', 'x-3'),
      notice('application/sylk-conversation-remove', `{"contact": "${CAROL}"}`, 'x-4'),
      notice('application/sylk-message-remove', `{"contact": "${CAROL}", "direction": "outgoing"}`, 'x-5'),
      notice('application/sylk-message-remove', `{"contact": "${CAROL}", "message_id": "m", "direction": "up"}`, 'x-6'),
      notice('application/sylk-api-token', '{"token": "t", "url": "u"}', 'x-7', { from: '<sip:sylkserver@127.0.0.1>' }),
      notice('text/plain', 'File transfer available at https://x (1 bytes)', 'x-8'),
    ];
    for (const req of cases) assert.equal((await p(incoming(req))).status, 200);
    assert.deepEqual(f.seen, []);
    assert.equal(f.client.sent.length, 0);
  });

  it('the instance that made a change (WS request) does not announce its own notice again', async () => {
    await service.markConversationRead({ account: ALICE, origin: 'conn-1', contact: CAROL });
    await service.removeMessage({ account: ALICE, origin: 'conn-1', contact: CAROL, message_id: 'gone-1' });
    await service.removeConversation({ account: ALICE, origin: 'conn-1', contact: CAROL });
    await f.outbound.idle();
    const counts = () => ['sync-conversation-read', 'sync-message-remove', 'sync-conversation-remove'].map((n) => events(n).length);
    assert.deepEqual(counts(), [1, 1, 1]);
    assert.equal(f.client.sent.length, 3);
    for (const out of f.client.sent) {
      assert.ok(out.callId, 'the notice has a Call-ID chosen by the sender');
      const back = notice(out.contentType!, String(out.body), out.callId, { from: out.from });
      assert.equal((await p(incoming(back))).status, 200);
    }
    assert.deepEqual(counts(), [1, 1, 1], 'own notice announced again');
  });

  it('the same for a SIP API request (the storage copy): its notice coming back is not announced again', async () => {
    const req = sipRequest({ from: `<sip:${ALICE}>`, to: `<sip:${ALICE}>`, contentType: 'application/sylk-api-conversation-read', body: `{"contact": "${CAROL}"}` });
    assert.equal((await p(incoming(req))).status, 200);
    await f.outbound.idle();
    assert.equal(events('sync-conversation-read').length, 1);
    const out = f.client.sent.find((s) => s.contentType === 'application/sylk-conversation-read');
    assert.ok(out?.callId);
    await p(incoming(notice(out.contentType!, String(out.body), out.callId, { from: out.from })));
    assert.equal(events('sync-conversation-read').length, 1);
  });

  it('an API request reaching a WebSocket contact is left to the storage copy', async () => {
    const before = (await journal(ALICE)).length;
    const req = sipRequest({
      from: `<sip:${ALICE}>`,
      to: `<sip:${ALICE}>`,
      uri: aliceContact('c1'),
      app: false,
      contentType: 'application/sylk-api-conversation-read',
      body: `{"contact": "${CAROL}"}`,
    });
    assert.equal((await p(incoming(req))).status, 200, 'a sylk-ws contact selects our application even with default_application = conference');
    await f.outbound.idle();
    assert.deepEqual(f.seen, []);
    assert.equal(f.client.sent.length, 0);
    assert.equal((await journal(ALICE)).length, before);
  });

  it('an ordinary message at a WebSocket contact is still delivered (application chosen by the contact)', async () => {
    const req = sipRequest({
      from: `<sip:${CAROL}>`,
      to: `<sip:${ALICE}>`,
      uri: aliceContact('c1'),
      app: false,
      contentType: 'message/cpim',
      body: cpimBody({ from: `<sip:${CAROL}>`, to: `<sip:${ALICE}>`, id: 'to-alice-1', content: 'hello alice' }),
    });
    assert.equal((await p(incoming(req))).status, 200);
    assert.equal(events('message').length, 1);
  });
});
