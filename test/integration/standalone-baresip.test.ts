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
  test('dbg', async () => {
    const bob = await phone('bob@example.com', 'bob-password', 'tcp', 'alice@example.com');
    await new Promise((r) => setTimeout(r, 3000)); console.log(bob.output());
    await until('bob registered', async () => (await bindings('bob@example.com')).length === 1);
    const alice = await wsLogin('alice@example.com', 'alice-password');
    const id = randomUUID();
    await alice.request({ sylkrtc: 'account-message', account: 'alice@example.com', uri: 'bob@example.com', message_id: id, content: 'hello baresip', content_type: 'text/plain', timestamp: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 1500));
    bob.message('hello websocket');
    await new Promise((r) => setTimeout(r, 1500));
    console.log(bob.output());
    console.log(JSON.stringify(alice.events()));
    alice.close();
  });
});
