/**
 * `messaging/dispatch.ts`: one dispatch for every source. A message that is not a SIP request (as a
 * file upload or a server notice will build it) goes through the same classify → handler → journal →
 * events path as a MESSAGE from the proxy; a WebSocket client's message (sender side only) too; the
 * client form of an entry is computed once and shared by `journal-appended` and `message`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatch, type InboundMessage, type JournalAppendedEvent, type IncomingMessageEvent } from '../../src/messaging/index.js';
import { makeFixture, type Fixture } from './helpers.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

function inbound(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    source: 'file-upload',
    from: ALICE,
    sender: { uri: ALICE, display_name: 'Alice' },
    to: BOB,
    contentType: 'application/sylk-file-transfer',
    content: '{"filename": "a.txt"}',
    messageId: `d-${Math.random()}`,
    disposition: ['positive-delivery', 'display'],
    timestamp: '2024-05-01T10:00:00+00:00',
    timestampDate: new Date('2024-05-01T10:00:00Z'),
    senderSide: null,
    receiverSide: true,
    ...over,
  };
}

describe('dispatch: every source, one path', () => {
  let f: Fixture;
  before(async () => {
    f = makeFixture();
    await f.store.addAccount(ALICE);
    await f.store.addAccount(BOB);
  });
  after(() => f.close());

  it('a non-SIP message with a receiver side: incoming entry, message event, push; entry serialized once', async () => {
    const dispatch = createDispatch(f.ctx);
    f.seen.length = 0;
    const msg = inbound();
    const r = await dispatch(msg);
    assert.equal(r.status, 200);
    assert.equal(r.handler, 'message');
    assert.equal(r.row.pushed, true);
    const e = await f.store.getEntry(BOB, msg.messageId);
    assert.equal(e?.direction, 'incoming');
    assert.equal(e?.state, 'received');
    assert.equal(e?.contact, ALICE);
    assert.equal(await f.store.getEntry(ALICE, msg.messageId), null, 'no sender side: no sender copy');
    const appended = f.seen.find((s) => s.name === 'journal-appended')?.event as JournalAppendedEvent;
    const message = f.seen.find((s) => s.name === 'message')?.event as IncomingMessageEvent;
    assert.ok(appended && message);
    assert.equal(message.entry, appended.entry, 'the same serialized object, not a second serialization');
    assert.equal(f.pushes.at(-1)?.message_id, msg.messageId);
    assert.equal(f.seen.filter((s) => s.name === 'sync-message-add').length, 0);
  });

  it('a sender side only (a WebSocket client): pending outgoing copy, sync to the other devices even for a known id', async () => {
    const dispatch = createDispatch(f.ctx);
    f.seen.length = 0;
    const side = { state: 'pending' as const, transaction: 'tx9', serverGenerated: false, origin: 'c1', announce: 'always' as const, accountKnown: true };
    const msg = inbound({ source: 'websocket', contentType: 'text/plain', content: 'hi', senderSide: side, receiverSide: false });
    const first = await dispatch(msg);
    assert.equal(first.senderStored, true);
    assert.equal((await f.store.getEntry(ALICE, msg.messageId))?.state, 'pending');
    assert.equal(await f.store.getEntry(BOB, msg.messageId), null, 'the receiver side comes over SIP later');
    const again = await dispatch(msg);
    assert.equal(again.senderStored, false);
    const syncs = f.seen.filter((s) => s.name === 'sync-message-add').map((s) => s.event);
    assert.equal(syncs.length, 2);
    assert.deepEqual(syncs[0], {
      account: ALICE,
      origin: 'c1',
      content: { sylkrtc: 'account-message', transaction: 'tx9', account: ALICE, uri: BOB, message_id: msg.messageId, content: 'hi', content_type: 'text/plain', timestamp: msg.timestamp },
    });
    assert.equal(f.seen.filter((s) => s.name === 'message').length, 0);
  });

  it('a type whose module has no sender behaviour records nothing for a sender-only message', async () => {
    const dispatch = createDispatch(f.ctx);
    f.seen.length = 0;
    const side = { state: 'pending' as const, transaction: 't', serverGenerated: false, announce: 'always' as const, accountKnown: true };
    const r = await dispatch(inbound({ source: 'websocket', contentType: 'application/im-iscomposing+xml', content: '<x/>', senderSide: side, receiverSide: false }));
    assert.equal(r.status, 200);
    assert.equal(r.row.ephemeral, true);
    assert.deepEqual(f.seen, [], 'no entry, no sync for an indication');
  });

  it('a disabled module: its type is an ordinary message', async () => {
    const dispatch = createDispatch(f.ctx, { disabledHandlers: ['ft-http'] });
    const msg = inbound({ source: 'server-notice', contentType: 'application/vnd.gsma.rcs-ft-http+xml', content: 'not xml' });
    const r = await dispatch(msg);
    assert.equal(r.handler, 'message');
    assert.equal((await f.store.getEntry(BOB, msg.messageId))?.contentType, 'application/vnd.gsma.rcs-ft-http+xml');
    assert.equal(createDispatch(f.ctx).handlerOf('Application/Vnd.Gsma.Rcs-Ft-Http+XML'), 'ft-http');
  });
});
