// Message ids are limited the same way on every path (`util/message-id.ts`, issue 15 item 7): over
// the WebSocket API an id longer than 256 characters or with a CR/LF/space/control character is
// refused with an error naming the limit and nothing is stored; over SIP a CPIM Message-ID outside
// the rule is answered 400 naming it. Real gateway, SIP stack and SQLite store (harness.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isResponse, udpPeer } from '../sip/stack-peer.js';
import type { SipResponse } from '../../src/sip/message/message.js';
import { Client, startHarness, type Harness } from './harness.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
let h: Harness;
let alice: Client;

before(async () => {
  h = await startHarness({ proxyPort: 0 });
  alice = await Client.login(h.url, ALICE);
  await h.messaging.service.recordLogin(BOB);
});
after(async () => {
  await alice?.close();
  await h?.close();
});

const message = (id: string) => ({ sylkrtc: 'account-message', account: ALICE, uri: BOB, message_id: id, content: 'hi', content_type: 'text/plain', timestamp: '2025-03-14T10:15:00.000Z' });

async function answer(obj: Record<string, unknown>): Promise<Record<string, unknown>> {
  const tx = alice.send(obj);
  return alice.until((f) => f.transaction === tx && (f.sylkrtc === 'ack' || f.sylkrtc === 'error'));
}

test('WebSocket: an id of 257 characters, of 1.5 MB, or with CR/LF is refused, naming the limit; nothing stored', async () => {
  for (const id of ['x'.repeat(257), 'y'.repeat(1_500_000), 'a\r\nb', 'a b', 'tab\there']) {
    const r = await answer(message(id));
    assert.equal(r.sylkrtc, 'error', `id of ${id.length} characters`);
    assert.match(String(r.error), /^Invalid value for 'message_id' property: message id (too long \(\d+ characters, limit 256\)|contains a space or control character)/);
    assert.equal(await h.store.getEntry(ALICE, id), null);
  }
});

test('WebSocket: an id of exactly 256 printable characters (non-ASCII too) is accepted and stored', async () => {
  const id = `é-${'z'.repeat(254)}`;
  assert.equal(id.length, 256);
  const r = await answer(message(id));
  assert.equal(r.sylkrtc, 'ack');
  assert.equal((await h.store.getEntry(ALICE, id))?.messageId, id);
});

test('WebSocket: the same rule for disposition notifications, removals and the sync cursor', async () => {
  const long = 'q'.repeat(300);
  for (const req of [
    { sylkrtc: 'account-disposition-notification', account: ALICE, uri: BOB, message_id: long, state: 'displayed', timestamp: '2025-03-14T10:15:00.000Z' },
    { sylkrtc: 'account-remove-message', account: ALICE, contact: BOB, message_id: long },
    { sylkrtc: 'account-sync-conversations', account: ALICE, message_id: long },
  ]) {
    const r = await answer(req);
    assert.equal(r.sylkrtc, 'error', req.sylkrtc);
    assert.match(String(r.error), /message_id.*limit 256/);
  }
});

function sipMessage(port: number, cpimId: string): string {
  const body = [`From: <sip:${ALICE}>`, `To: <sip:${BOB}>`, 'NS: imdn <urn:ietf:params:imdn>', `imdn.Message-ID: ${cpimId}`, '', 'Content-Type: text/plain', '', 'hello'].join('\r\n');
  const n = Math.random().toString(36).slice(2);
  return (
    `MESSAGE sip:${BOB} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${n};rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:${ALICE}>;tag=${n}\r\nTo: <sip:${BOB}>\r\nCall-ID: ${n}\r\nCSeq: 1 MESSAGE\r\nX-Sylk-App: webrtcgateway\r\n` +
    `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

test('SIP: a CPIM Message-ID over the limit is answered 400 naming it, not stored; one within is stored', async () => {
  const peer = await udpPeer(h.sipPort);
  try {
    const long = 'm'.repeat(300);
    peer.send(sipMessage(peer.port, long));
    const res = (await peer.waitFor(isResponse())) as SipResponse;
    assert.equal(res.status, 400);
    assert.equal(res.reason, 'Invalid CPIM Message-ID: message id too long (300 characters, limit 256)');
    assert.equal(await h.store.getEntry(BOB, long), null);
    peer.send(sipMessage(peer.port, 'ok-id-1'));
    const ok = (await peer.waitFor(isResponse(200))) as SipResponse;
    assert.equal(ok.status, 200);
    assert.equal((await h.store.getEntry(BOB, 'ok-id-1'))?.messageId, 'ok-id-1');
  } finally {
    await peer.close();
  }
});
