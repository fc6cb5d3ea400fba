/**
 * account-register as a real SIP REGISTER: our SIP stack sends it (with the HA1 from account-add) to
 * sipp playing the proxy, which challenges with 401 and checks the digest answer (password "secret").
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { computeHa1 as ha1 } from '../../src/sip/digest.js';
import { SipStack } from '../../src/sip/stack.js';
import { SipRegistrationAuthenticator } from '../../src/sylkrtc/auth.js';
import { SylkRtcGateway } from '../../src/sylkrtc/server.js';
import { makeContext } from './fakes.js';
import { startSippProxy, type Sipp } from './sipp.js';

const SIPP_PORT = 15501;

let sipp: Sipp;
let stack: SipStack;
let http: HttpServer;
let gw: SylkRtcGateway;
let url: string;
let h: ReturnType<typeof makeContext>;

before(async () => {
  sipp = await startSippProxy(SIPP_PORT);
  stack = new SipStack({
    host: '127.0.0.1',
    udpPort: 0,
    resolveTarget: async () => [{ protocol: 'udp', address: '127.0.0.1', port: SIPP_PORT }],
  });
  await stack.start();
  h = makeContext();
  const authenticator = new SipRegistrationAuthenticator({ sip: stack, contactHost: `127.0.0.1:${stack.ports().udp}` });
  http = createHttpServer({ host: '127.0.0.1', port: 0, serverHeader: 'test' });
  gw = new SylkRtcGateway({ ...h.ctx, authenticator, pingIntervalSec: 0 });
  gw.attach(http);
  url = `ws://127.0.0.1:${(await http.listen()).port}/webrtcgateway/ws`;
});

after(async () => {
  await gw?.close();
  await http?.close();
  await stack?.stop();
  await sipp?.stop();
});

function client() {
  const ws = new WebSocket(url, 'sylkRTC-2');
  const frames: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse(String(d)) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (pred: (f: Record<string, unknown>) => boolean, ms = 8000) => {
    const t0 = Date.now();
    for (;;) {
      const hit = frames.find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timeout; frames: ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  const send = (o: Record<string, unknown>) => ws.send(JSON.stringify(o));
  return { ws, frames, until, send };
}

test('right HA1: ack, registering, registered (via 401 challenge and 200); wrong HA1: failed with 904', async () => {
  const good = client();
  await good.until((f) => f.sylkrtc === 'ready-event');
  good.send({ sylkrtc: 'account-add', account: 'alice@example.com', password: ha1('alice', 'example.com', 'secret'), transaction: '1' });
  good.send({ sylkrtc: 'account-register', account: 'alice@example.com', transaction: '2' });
  await good.until((f) => f.state === 'registered' || f.state === 'failed');
  assert.deepEqual(
    good.frames.map((f) => f.transaction ?? f.state ?? f.sylkrtc),
    ['ready-event', '1', '2', 'registering', 'registered'],
  );
  assert.deepEqual(h.service.logins, ['alice@example.com']);
  assert.equal(h.registry.size, 1);

  const bad = client();
  await bad.until((f) => f.sylkrtc === 'ready-event');
  bad.send({ sylkrtc: 'account-add', account: 'bob@example.com', password: ha1('bob', 'example.com', 'wrong'), transaction: '1' });
  bad.send({ sylkrtc: 'account-register', account: 'bob@example.com', transaction: '2' });
  const failed = await bad.until((f) => f.state === 'failed' || f.state === 'registered');
  assert.equal(failed.state, 'failed');
  assert.equal(typeof failed.reason, 'string');
  assert.match(failed.reason as string, /904/);
  assert.equal(h.registry.size, 1, 'the failed binding is not routed to');
  bad.send({ sylkrtc: 'account-sync-conversations', account: 'bob@example.com', transaction: '3' });
  assert.equal((await bad.until((f) => f.transaction === '3')).error, 'Account not authenticated');

  good.ws.close();
  bad.ws.close();
  // closing drops the binding (and un-REGISTERs in the background)
  const t0 = Date.now();
  while (h.registry.size > 0 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.registry.size, 0);
});
