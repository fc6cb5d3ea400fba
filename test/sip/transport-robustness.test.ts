// Hostile and broken input at the transport boundary: random bytes, truncated messages,
// Content-Length larger/smaller than the body, a 10 MB header line, a TCP peer that sends half a
// message and stalls. The stack answers what it can, drops or closes the rest, never crashes, keeps
// its memory bounded, and still answers OPTIONS afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { IncomingRequest } from '../../src/sip/api.js';
import type { SipResponse } from '../../src/sip/message/message.js';
import { SipStack } from '../../src/sip/stack.js';
import { isResponse, request, tcpPeer, udpPeer, type Peer } from './stack-peer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('transport robustness', () => {
  const seen: IncomingRequest[] = [];
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, incompleteMessageTimeoutMs: 300, idleTimeoutMs: 2000 }, async (r) => {
    seen.push(r);
    return { status: 200 };
  });
  before(() => stack.start());
  after(() => stack.stop());

  async function alive(transport: 'UDP' | 'TCP'): Promise<void> {
    const peer = transport === 'UDP' ? await udpPeer(stack.ports().udp!) : await tcpPeer(stack.ports().tcp!);
    try {
      peer.send(request('OPTIONS', { port: peer.port, transport }));
      assert.equal(((await peer.waitFor(isResponse(200, 'OPTIONS'))) as SipResponse).status, 200);
    } finally {
      await peer.close();
    }
  }

  it('survives 2000 random datagrams and random-prefixed SIP over UDP', async () => {
    const peer = await udpPeer(stack.ports().udp!);
    try {
      for (let i = 0; i < 2000; i++) {
        const len = 1 + Math.floor(Math.random() * 1400);
        const junk = randomBytes(len);
        peer.send(i % 2 === 0 ? junk : Buffer.concat([Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nVia: '), junk]));
        if (i % 200 === 0) await sleep(5);
      }
      await sleep(200);
    } finally {
      await peer.close();
    }
    await alive('UDP');
  });

  it('answers or drops every truncation of a valid MESSAGE over UDP, and never passes a broken one on', async () => {
    const full = request('MESSAGE', { port: 0, body: 'hello world', rport: true });
    const peer = await udpPeer(stack.ports().udp!);
    const before = seen.length;
    try {
      for (let n = 1; n < full.length; n += 3) peer.send(full.slice(0, n).replace('127.0.0.1:0;', `127.0.0.1:${peer.port};`));
      await sleep(300);
      // Only the cut that still holds the whole message can reach the handler (none of these do:
      // the body is cut or Content-Length is missing and the body shorter... at most the last few).
      for (const r of seen.slice(before)) assert.equal(r.request.body.toString(), 'hello world'.slice(0, r.request.body.length));
      const statuses = peer.received.filter(isResponse()).map((m) => (m as SipResponse).status);
      assert.ok(statuses.includes(400), 'some truncations are answered 400');
    } finally {
      await peer.close();
    }
    await alive('UDP');
  });

  it('rejects a Content-Length larger than the datagram with 400 and uses only Content-Length bytes when smaller', async () => {
    const peer = await udpPeer(stack.ports().udp!);
    try {
      const larger = request('MESSAGE', { port: peer.port, body: 'abc' }).replace('Content-Length: 3', 'Content-Length: 30');
      peer.send(larger);
      assert.equal(((await peer.waitFor(isResponse())) as SipResponse).status, 400);
      const before = seen.length;
      const smaller = request('MESSAGE', { port: peer.port, body: 'abcdef' }).replace('Content-Length: 6', 'Content-Length: 2');
      peer.send(smaller);
      await peer.waitFor(isResponse(200));
      assert.equal(seen.length, before + 1);
      assert.equal(seen.at(-1)!.request.body.toString(), 'ab');
    } finally {
      await peer.close();
    }
  });

  it('closes a TCP connection whose peer sends half a message and stalls', async () => {
    const peer = await tcpPeer(stack.ports().tcp!);
    const full = request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'hello' });
    peer.send(full.slice(0, full.length / 2));
    const t0 = Date.now();
    while (!peer.closed && Date.now() - t0 < 3000) await sleep(20);
    assert.ok(peer.closed, 'closed after the incomplete-message timeout');
    assert.ok(Date.now() - t0 >= 250);
    await alive('TCP');
  });

  it('closes a TCP connection with a Content-Length larger than what arrives (after the timeout)', async () => {
    const peer = await tcpPeer(stack.ports().tcp!);
    peer.send(request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'abc' }).replace('Content-Length: 3', 'Content-Length: 300'));
    const t0 = Date.now();
    while (!peer.closed && Date.now() - t0 < 3000) await sleep(20);
    assert.ok(peer.closed);
    assert.equal(peer.received.length, 0);
  });

  it('answers a 10 MB header line on TCP with 513 and closes, without buffering it', async () => {
    const peer = await tcpPeer(stack.ports().tcp!);
    const heapBefore = process.memoryUsage().heapUsed;
    const head = `MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${peer.port};branch=z9hG4bKbig\r\nX-Big: `;
    peer.send(head);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    for (let i = 0; i < 160 && !peer.closed; i++) {
      peer.socket.write(chunk);
      sent += chunk.length;
      if (i % 16 === 0) await sleep(1);
    }
    const t0 = Date.now();
    while (!peer.closed && Date.now() - t0 < 3000) await sleep(20);
    assert.ok(peer.closed, 'connection closed');
    assert.match(peer.raw.join(''), /^SIP\/2\.0 513 /);
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 8 * 1024 * 1024, `heap grew ${grown} bytes for ${sent} bytes sent`);
    await peer.close();
    await alive('TCP');
  });

  it('drops an over-large datagram header line over UDP with 513 or silence, and stays up', async () => {
    const peer = await udpPeer(stack.ports().udp!);
    try {
      const big = `MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKbigu;rport\r\nX-Big: ${'a'.repeat(60_000)}\r\n\r\n`;
      peer.send(big);
      await sleep(200);
      for (const r of peer.raw) assert.match(r, /^SIP\/2\.0 513 /);
    } finally {
      await peer.close();
    }
    await alive('UDP');
  });

  it('closes a TCP connection fed random bytes and keeps serving others', async () => {
    const peers: Peer[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await tcpPeer(stack.ports().tcp!);
      peers.push(p);
      p.send(randomBytes(20_000));
    }
    await sleep(600);
    for (const p of peers) {
      assert.ok(p.closed, 'garbage connection closed (unframeable or after the timeout)');
      await p.close();
    }
    await alive('TCP');
  });

  it('answers two requests and a keep-alive split at every byte boundary on TCP', async () => {
    const peer = await tcpPeer(stack.ports().tcp!);
    try {
      const data = Buffer.from(request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'one' }) + '\r\n\r\n' + request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'two' }));
      for (let i = 0; i < data.length; i += 7) {
        peer.socket.write(data.subarray(i, i + 7));
        await sleep(0);
      }
      await peer.waitFor(isResponse(200));
      for (let i = 0; i < 20 && peer.received.length < 2; i++) await sleep(20);
      assert.equal(peer.received.filter(isResponse(200)).length, 2);
    } finally {
      await peer.close();
    }
  });
});
