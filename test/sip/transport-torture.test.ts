// Every RFC 4475 torture message sent to the running stack over UDP and over TCP gets the answer
// `torture-cases.ts` expects (or is dropped when it is a response), and after each one the server
// still answers OPTIONS on the same transport.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SipResponse } from '../../src/sip/message/message.js';
import { SipStack } from '../../src/sip/stack.js';
import { isResponse, request, tcpPeer, udpPeer, type Peer } from './stack-peer.js';
import { tortureCases, type TortureCase } from './torture-cases.js';

const cases = tortureCases();

/** The status we expect a request to get, or undefined for "some final response that is not a syntax error". */
function expected(c: TortureCase): number | undefined {
  return c.expectAccept ? c.appStatus : c.expectStatus;
}

function statusesOf(peer: Peer): number[] {
  return peer.raw.flatMap((r) => [...r.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map((m) => Number(m[1])));
}

async function optionsStillAnswered(peer: Peer, transport: string): Promise<void> {
  peer.send(request('OPTIONS', { port: peer.port, transport }));
  const res = (await peer.waitFor(isResponse(200, 'OPTIONS'))) as SipResponse;
  assert.equal(res.status, 200);
}

/** Wait until the peer got a status line (up to 1.5 s), or a fixed 150 ms when none is expected. */
async function settle(peer: Peer, expectAnswer: boolean): Promise<void> {
  if (!expectAnswer) {
    await new Promise((r) => setTimeout(r, 150));
    return;
  }
  for (let i = 0; i < 30 && statusesOf(peer).length === 0 && !peer.closed; i++) await new Promise((r) => setTimeout(r, 50));
}

function hasUsableContentLength(bytes: Buffer): boolean {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const cls = [...text.slice(0, end).matchAll(/^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/gim)].map((m) => Number(m[1]));
  return cls.length === 1 && cls[0]! <= bytes.length - end - 4;
}

describe('RFC 4475 torture messages', () => {
  const handled: string[] = [];
  // A fresh stack per message: many torture messages share branch and sent-by (`z9hG4bKkdjuw`), so
  // on one stack a later one would rightly be matched as a retransmission of an earlier one.
  let stack: SipStack;
  beforeEach(async () => {
    stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, forceRport: true, incompleteMessageTimeoutMs: 300 }, async (r) => {
      handled.push(`${r.request.method} ${r.source.protocol}`);
      return { status: 200 };
    });
    await stack.start();
  });
  afterEach(() => stack.stop());

  it('covers every file of the corpus', () => {
    assert.equal(cases.length, 49);
  });

  for (const c of cases) {
    it(`${c.file} over UDP`, async () => {
      const peer = await udpPeer(stack.ports().udp!);
      try {
        peer.send(c.bytes);
        await settle(peer, c.kind === 'request');
        const got = statusesOf(peer);
        if (c.kind === 'response') assert.deepEqual(got, [], 'a response is never answered');
        else {
          assert.ok(got.length >= 1, 'a request gets an answer');
          const want = expected(c);
          if (want !== undefined) assert.equal(got[0], want);
          else assert.ok(got[0]! >= 200 && got[0] !== 400 && got[0] !== 505, `status ${got[0]}`);
        }
        await optionsStillAnswered(peer, 'UDP');
      } finally {
        await peer.close();
      }
    });

    it(`${c.file} over TCP`, async () => {
      const peer = await tcpPeer(stack.ports().tcp!);
      try {
        peer.send(c.bytes);
        await settle(peer, c.kind === 'request');
        const got = statusesOf(peer);
        if (c.kind === 'response') assert.deepEqual(got, []);
        else if (hasUsableContentLength(c.bytes)) {
          const want = expected(c);
          assert.ok(got.length >= 1, 'a request gets an answer');
          if (want !== undefined) assert.equal(got[0], want);
          else assert.ok(got[0]! >= 200 && got[0] !== 400 && got[0] !== 505, `status ${got[0]}`);
        } else {
          // No (single, satisfiable) Content-Length: a stream cannot be framed (RFC 3261 §18.3). Either
          // a 400 and close, or (Content-Length larger than what was sent) closed after the timeout.
          if (got.length > 0) assert.equal(got[0], c.expectStatus === 505 ? 505 : 400);
          await new Promise((r) => setTimeout(r, 400));
          assert.ok(peer.closed, 'the unframeable connection is closed');
        }
        if (peer.closed) {
          const fresh = await tcpPeer(stack.ports().tcp!);
          try {
            await optionsStillAnswered(fresh, 'TCP');
          } finally {
            await fresh.close();
          }
        } else await optionsStillAnswered(peer, 'TCP');
      } finally {
        await peer.close();
      }
    });
  }

  it('handed only the one valid MESSAGE (mpart01) to the application, once per transport', () => {
    assert.deepEqual(handled.sort(), ['MESSAGE tcp', 'MESSAGE udp']);
  });
});
