/**
 * Standalone mode with real clients (issue 14 "Tests"): baresip registered directly to sylk-server
 * (no proxy) and a sylkRTC WebSocket client, messages both ways; a second device of the sender (a
 * second baresip) gets the replica; a phone that is offline finds the message through the journal
 * (its account's WebSocket sync); a wrong password is refused. sylk-server is composed in-process in
 * standalone mode on 127.0.0.1 with ephemeral ports; baresip is driven by its ctrl_tcp module.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Baresip } from '../helpers/baresip.js';
import { WsClient } from '../helpers/e2e-ws.js';
import { startStandalone, type StandaloneServer } from '../helpers/standalone.js';

let s: StandaloneServer;
const phones: Baresip[] = [];

async function phone(aor: string, password: string, transport: 'udp' | 'tcp', contact: string): Promise<Baresip> {
  const p = await Baresip.start({ aor, password, transport, contact, server: `127.0.0.1:${transport === 'tcp' ? s.tcpPort : s.udpPort}` });
  phones.push(p);
  return p;
}

async function bindings(aor: string) {
  return s.server.store.registrations!.listBindings(aor, new Date());
}

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function wsLogin(aor: string, password: string): Promise<WsClient> {
  const c = await WsClient.connect(s.wsUrl, aor);
  await c.request({ sylkrtc: 'account-add', account: aor, password });
  await c.request({ sylkrtc: 'account-register', account: aor });
  await c.waitFor((f) => f.event === 'registration-state' && (f.state === 'registered' || f.state === 'failed'));
  return c;
}

before(async () => {
  // baresip 1.0 (libre) gives up on a 401 as soon as one challenge has an algorithm other than MD5,
  // even beside an MD5 one: such deployments offer MD5 only ([Accounts] digest_algorithms).
  s = await startStandalone({ name: 'baresip', accounts: ['digest_algorithms = MD5'] });
  await s.addAccount('alice@example.com', 'alice-password');
  await s.addAccount('bob@example.com', 'bob-password');
});
after(async () => {
  for (const p of phones) await p.stop();
  await s.stop();
});


describe('baresip ↔ sylkRTC WebSocket client, standalone', () => {
  let alice: WsClient;
  let bob1: Baresip;
  let bob2: Baresip;

  before(async () => {
    // Bob has two phones: over TCP and over UDP.
    bob1 = await phone('bob@example.com', 'bob-password', 'tcp', 'alice@example.com');
    bob2 = await phone('bob@example.com', 'bob-password', 'udp', 'alice@example.com');
    await until('both phones registered', async () => (await bindings('bob@example.com')).length === 2);
    alice = await wsLogin('alice@example.com', 'alice-password');
    assert.equal(alice.events('registration-state').at(-1)?.state, 'registered');
  });
  after(() => alice?.close());

  test('a WebSocket message reaches both of the recipient\'s phones', async () => {
    const id = randomUUID();
    await alice.request({ sylkrtc: 'account-message', account: 'alice@example.com', uri: 'bob@example.com', message_id: id, content: 'hello phones', content_type: 'text/plain', timestamp: new Date().toISOString() });
    for (const p of [bob1, bob2]) {
      const m = await p.waitFor(/(sip:[^:\s]+): "hello phones"/);
      assert.equal(m[1], 'sip:alice@example.com');
    }
    const [d] = await alice.waitForEvent('disposition-notification', (e) => e.message_id === id);
    assert.equal(d!.state, 'accepted');
  });

  test('a phone\'s message reaches the WebSocket client, and the sender\'s other phone gets the replica', async () => {
    const before2 = bob2.output().length;
    bob1.message('hello from the phone');
    const [m] = await alice.waitForEvent('message', (e) => e.content === 'hello from the phone');
    assert.deepEqual(m!.sender, { uri: 'bob@example.com', display_name: null });
    assert.equal(m!.content_type, 'text/plain');
    // The replica shows on bob's second phone as a message from bob (to alice).
    await bob2.waitFor(/sip:bob@example\.com: "hello from the phone"/, 10_000, before2);
    // ... and not on the phone that sent it.
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(bob1.output(), /sip:bob@example\.com: "hello from the phone"/);
    // Stored in both journals.
    const bobJournal = await s.server.store.query('bob@example.com', { afterId: null, since: null, limit: 50 });
    assert.ok(bobJournal.entries.some((e) => e.content === 'hello from the phone' && e.direction === 'outgoing' && e.contact === 'alice@example.com'));
  });

  test('offline: with no phone registered the message waits in the journal and the account\'s sync returns it', async () => {
    await bob1.stop();
    await bob2.stop();
    phones.splice(phones.indexOf(bob1), 1);
    phones.splice(phones.indexOf(bob2), 1);
    // bob1's TCP connection closed: its binding is gone; bob2 (UDP) unregistered on exit.
    await until('no bob binding left', async () => (await bindings('bob@example.com')).length === 0);
    const id = randomUUID();
    await alice.request({ sylkrtc: 'account-message', account: 'alice@example.com', uri: 'bob@example.com', message_id: id, content: 'while you were away', content_type: 'text/plain', timestamp: new Date().toISOString() });
    const bobWs = await wsLogin('bob@example.com', 'bob-password');
    try {
      const sync = await bobWs.request({ sylkrtc: 'account-sync-conversations', account: 'bob@example.com', transaction: randomUUID() });
      assert.equal(sync.sylkrtc, 'ack', JSON.stringify(sync));
      const [page] = await bobWs.waitForEvent('sync-conversations');
      const messages = (page!.messages ?? []) as { message_id: string; content: string }[];
      assert.ok(messages.some((m) => m.message_id === id && m.content === 'while you were away'), JSON.stringify(page));
    } finally {
      bobWs.close();
    }
  });

  test('a phone with a wrong password is refused (403) and gets no binding', async () => {
    const wrong = await phone('alice@example.com', 'not-alices-password', 'tcp', 'bob@example.com');
    await wrong.waitFor(/403 Forbidden/);
    // Only the binding of this instance's WebSocket connections (ws-presence.ts) may be there, if alice's client is still connected.
    const hub = s.server.standaloneSip!.registrar.flows.hubToken;
    assert.deepEqual((await bindings('alice@example.com')).filter((b) => b.flow !== hub), []);
  });
});
