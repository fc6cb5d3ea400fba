// SIP over WebSocket (RFC 7118) with a real client: SIP.js's UserAgent runs under Node (its
// WebSocket is the `ws` package's) and sends a MESSAGE to the stack's WebSocket endpoint, standalone
// and attached to an existing HTTP server; the stack answers 200 on the same connection. A client
// that does not offer the `sip` subprotocol is refused.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Messager, UserAgent, type URI } from 'sip.js';
import WebSocket from 'ws';
import type { IncomingRequest } from '../../src/sip/api.js';
import { SipStack } from '../../src/sip/stack.js';

(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;

async function sendWithSipJs(server: string): Promise<{ status: number }> {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:alice@example.com'),
    transportOptions: { server, connectionTimeout: 5 },
    logLevel: 'error',
    logBuiltinEnabled: false,
  });
  await ua.start();
  try {
    const target = UserAgent.makeURI('sip:bob@example.com') as URI;
    return await new Promise<{ status: number }>((resolve, reject) => {
      const messager = new Messager(ua, target, 'hello over ws', 'text/plain');
      messager
        .message({
          requestDelegate: {
            onAccept: (res) => resolve({ status: res.message.statusCode ?? 0 }),
            onReject: (res) => resolve({ status: res.message.statusCode ?? 0 }),
          },
        })
        .catch(reject);
      setTimeout(() => reject(new Error('no response')), 5000);
    });
  } finally {
    await ua.stop();
  }
}

describe('SIP over WebSocket with SIP.js', () => {
  const seen: IncomingRequest[] = [];
  const handler = async (r: IncomingRequest) => {
    seen.push(r);
    return { status: 200 };
  };
  const standalone = new SipStack({ host: '127.0.0.1', ws: { port: 0 } }, handler);
  let http: Server;
  let attached: SipStack;

  before(async () => {
    await standalone.start();
    http = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    attached = new SipStack({ host: '127.0.0.1', ws: { server: http, path: '/sip' } }, handler);
    await attached.start();
  });
  after(async () => {
    await standalone.stop();
    await attached.stop();
    await new Promise<void>((r) => http.close(() => r()));
  });

  it('answers a MESSAGE from SIP.js on a standalone WebSocket listener', async () => {
    const res = await sendWithSipJs(`ws://127.0.0.1:${standalone.ports().ws}/sip`);
    assert.equal(res.status, 200);
    const r = seen.at(-1)!;
    assert.equal(r.source.protocol, 'ws');
    assert.equal(r.request.body.toString(), 'hello over ws');
    assert.match(r.request.headers.get('via')!, /^SIP\/2\.0\/WSS? /);
  });

  it('answers a MESSAGE from SIP.js on a WebSocket endpoint attached to an HTTP server', async () => {
    const addr = http.address() as { port: number };
    const before = seen.length;
    const res = await sendWithSipJs(`ws://127.0.0.1:${addr.port}/sip`);
    assert.equal(res.status, 200);
    assert.equal(seen.length, before + 1);
  });

  it('refuses a WebSocket without the sip subprotocol', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${standalone.ports().ws}/sip`, ['chat']);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
      ws.on('unexpected-response', () => resolve('refused'));
    });
    ws.terminate();
    assert.equal(outcome, 'refused');
  });
});
