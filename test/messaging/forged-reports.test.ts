// Only a recipient of a message may send delivery/read reports on it (issue 15 item 4,
// `messaging/report-rights.ts`). Real gateway, SIP stack, forking proxy and SQLite store: alice sends
// bob a message; mallory — logged in, but never sent it — reports `displayed` on it over the
// WebSocket API (refused with an error, nothing sent) and over SIP with a forged IMDN (403, whether
// her CPIM From names herself or bob); alice's copy stays as it was and she gets no event. Bob's own
// report still goes through.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildCpim } from '../../src/payload/cpim.js';
import { buildImdn } from '../../src/payload/imdn.js';
import type { SipResponse } from '../../src/sip/message/message.js';
import { isResponse, udpPeer } from '../sip/stack-peer.js';
import { Client, startHarness, type Harness } from '../sylkrtc/harness.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const MALLORY = 'mallory@example.com';
let h: Harness;
let alice: Client;
let bob: Client;
let mallory: Client;

before(async () => {
  h = await startHarness({ proxyPort: 0 });
  alice = await Client.login(h.url, ALICE);
  bob = await Client.login(h.url, BOB);
  mallory = await Client.login(h.url, MALLORY);
  alice.send({ sylkrtc: 'account-message', account: ALICE, uri: BOB, message_id: 'm-1', content: 'for bob only', content_type: 'text/plain', timestamp: '2025-03-14T10:15:00.000Z' });
  await bob.until((f) => f.event === 'message' && f.message_id === 'm-1');
  await alice.until((f) => f.event === 'disposition-notification' && f.message_id === 'm-1' && f.state === 'accepted');
  alice.take();
});
after(async () => {
  for (const c of [alice, bob, mallory]) await c?.close();
  await h?.close();
});

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));
const report = (account: string, uri: string, state = 'displayed') => ({
  sylkrtc: 'account-disposition-notification',
  account,
  uri,
  message_id: 'm-1',
  state,
  timestamp: '2025-03-14T10:16:00.000Z',
});

test('WebSocket: a report from a non-recipient is refused with an error; the sender copy is unchanged', async () => {
  const sentBefore = h.proxy.received.length;
  const tx = mallory.send(report(MALLORY, ALICE));
  const r = await mallory.until((f) => f.transaction === tx && (f.sylkrtc === 'ack' || f.sylkrtc === 'error'));
  assert.equal(r.sylkrtc, 'error');
  assert.equal(r.error, `Not a recipient of message m-1 from ${ALICE}: only a recipient of a message may report on it`);
  await settle();
  assert.equal(h.proxy.received.length, sentBefore, 'no IMDN went out');
  assert.equal((await h.store.getEntry(ALICE, 'm-1'))!.state, 'accepted');
  assert.deepEqual(alice.events('disposition-notification'), []);
});

function forgedImdn(port: number, sipFrom: string, cpimFrom: string): string {
  const body = buildCpim({
    from: { displayName: null, uri: `sip:${cpimFrom}` },
    to: { displayName: null, uri: `sip:${ALICE}` },
    dateTime: '2025-03-14T10:16:00Z',
    messageId: randomUUID(),
    dispositionNotification: null,
    contentType: 'message/imdn+xml',
    content: buildImdn({ messageId: 'm-1', datetime: '2025-03-14T10:15:00Z', recipientUri: `sip:${ALICE}`, state: 'displayed' }),
  });
  const n = randomUUID();
  return (
    `MESSAGE sip:${ALICE} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${n};rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:${sipFrom}>;tag=${n}\r\nTo: <sip:${ALICE}>\r\nCall-ID: ${n}\r\nCSeq: 1 MESSAGE\r\nX-Sylk-App: webrtcgateway\r\n` +
    `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

test('SIP: a forged IMDN (from mallory, or from mallory claiming to be bob in CPIM) is answered 403; nothing changes', async () => {
  const peer = await udpPeer(h.sipPort);
  try {
    for (const cpimFrom of [MALLORY, BOB]) {
      peer.received.length = 0;
      peer.send(forgedImdn(peer.port, MALLORY, cpimFrom));
      const res = (await peer.waitFor(isResponse())) as SipResponse;
      assert.equal(res.status, 403, `CPIM From ${cpimFrom}`);
      assert.equal(res.reason, 'Forbidden (only a recipient of a message may report on it)');
    }
  } finally {
    await peer.close();
  }
  await settle();
  assert.equal((await h.store.getEntry(ALICE, 'm-1'))!.state, 'accepted');
  assert.deepEqual(alice.events('disposition-notification'), []);
  const imdns = (await h.store.query(ALICE, { limit: 100 })).entries.filter((e) => e.contentType === 'message/imdn');
  assert.deepEqual(imdns, [], 'no report recorded in alice\'s journal');
});

test('the recipient\'s own report goes through: alice\'s copy becomes displayed and she is told', async () => {
  await bob.request(report(BOB, ALICE));
  const d = await alice.until((f) => f.event === 'disposition-notification' && f.message_id === 'm-1');
  assert.equal(d.state, 'displayed');
  assert.equal((await h.store.getEntry(ALICE, 'm-1'))!.state, 'displayed');
});
