// The SIP stack end to end over real UDP/TCP sockets on 127.0.0.1: UAS core answers, the
// application handler called once per transaction, retransmissions, 100 Trying, 500, CANCEL,
// INVITE/ACK, Via received/rport, and the UAC side (SipClient.send) against a second stack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IncomingRequest, ResponseSpec } from '../../src/sip/api.js';
import { parseVia } from '../../src/sip/message/via-header.js';
import type { SipResponse } from '../../src/sip/message/message.js';
import { SipStack } from '../../src/sip/stack.js';
import { isResponse, request, tcpPeer, udpPeer } from './stack-peer.js';

describe('SIP stack as UAS', () => {
  const calls: IncomingRequest[] = [];
  let behaviour: (req: IncomingRequest) => Promise<ResponseSpec> = async () => ({ status: 200 });
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0 }, (req) => {
    calls.push(req);
    return behaviour(req);
  });
  let udp = 0;
  let tcp = 0;

  before(async () => {
    await stack.start();
    udp = stack.ports().udp!;
    tcp = stack.ports().tcp!;
  });
  after(() => stack.stop());

  it('answers a MESSAGE over UDP through the handler, with a To tag, and stamps received/rport', async () => {
    const peer = await udpPeer(udp);
    try {
      const before = calls.length;
      behaviour = async () => ({ status: 200, reason: 'Delivered', headers: [['X-Test', 'yes']] });
      peer.send(request('MESSAGE', { port: 9, body: 'hello' })); // sent-by port 9: rport must win
      const res = (await peer.waitFor(isResponse(200, 'MESSAGE'))) as SipResponse;
      assert.equal(res.reason, 'Delivered');
      assert.equal(res.headers.get('x-test'), 'yes');
      assert.match(res.headers.get('to')!, /;tag=\w+/);
      const via = parseVia(res.headers.get('via')!)![0]!;
      assert.equal(via.rport, peer.port);
      assert.equal(calls.length, before + 1);
      const got = calls.at(-1)!;
      assert.equal(got.request.body.toString(), 'hello');
      assert.deepEqual(got.source, { protocol: 'udp', address: '127.0.0.1', port: peer.port });
    } finally {
      await peer.close();
    }
  });

  it('gives a retransmission the stored response and calls the handler once', async () => {
    const peer = await udpPeer(udp);
    try {
      const before = calls.length;
      let n = 0;
      behaviour = async () => ({ status: 202, reason: `Accepted ${++n}` });
      const msg = request('MESSAGE', { port: peer.port, body: 'x' });
      peer.send(msg);
      await peer.waitFor(isResponse(202));
      peer.send(msg);
      peer.send(msg);
      await new Promise((r) => setTimeout(r, 150));
      const finals = peer.received.filter(isResponse(202));
      assert.equal(finals.length, 3);
      assert.ok(finals.every((r) => r.reason === 'Accepted 1'));
      assert.equal(new Set(finals.map((r) => r.headers.get('to'))).size, 1, 'same To tag');
      assert.equal(calls.length, before + 1);
    } finally {
      await peer.close();
    }
  });

  it('sends 100 Trying for a slow handler on UDP and absorbs retransmissions meanwhile', async () => {
    const peer = await udpPeer(udp);
    try {
      const before = calls.length;
      behaviour = () => new Promise((r) => setTimeout(() => r({ status: 200 }), 400));
      const msg = request('MESSAGE', { port: peer.port, body: 'slow' });
      peer.send(msg);
      await peer.waitFor(isResponse(100));
      peer.send(msg);
      await peer.waitFor(isResponse(200));
      assert.equal(calls.length, before + 1);
      const statuses = peer.received.map((m) => (m as SipResponse).status);
      assert.equal(statuses[0], 100);
      assert.equal(statuses.at(-1), 200);
    } finally {
      await peer.close();
    }
  });

  it('does not send 100 Trying over TCP', async () => {
    const peer = await tcpPeer(tcp);
    try {
      behaviour = () => new Promise((r) => setTimeout(() => r({ status: 200 }), 300));
      peer.send(request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'slow' }));
      await peer.waitFor(isResponse(200));
      assert.deepEqual(peer.received.map((m) => (m as SipResponse).status), [200]);
    } finally {
      await peer.close();
    }
  });

  it('answers 500 when the handler throws or rejects', async () => {
    const peer = await udpPeer(udp);
    try {
      behaviour = () => {
        throw new Error('sync failure');
      };
      peer.send(request('MESSAGE', { port: peer.port, body: 'a' }));
      await peer.waitFor(isResponse(500));
      behaviour = async () => {
        throw new Error('async failure');
      };
      peer.send(request('MESSAGE', { port: peer.port, body: 'b' }));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.received.filter(isResponse(500)).length, 2);
    } finally {
      await peer.close();
    }
  });

  it('answers OPTIONS itself (200 with Allow and Accept), without the handler', async () => {
    const peer = await udpPeer(udp);
    try {
      const before = calls.length;
      peer.send(request('OPTIONS', { port: peer.port }));
      const res = (await peer.waitFor(isResponse(200, 'OPTIONS'))) as SipResponse;
      assert.match(res.headers.get('allow')!, /MESSAGE/);
      assert.match(res.headers.get('accept')!, /message\/cpim/);
      assert.equal(calls.length, before);
    } finally {
      await peer.close();
    }
  });

  const coreCases: [string, string, number, RegExp?][] = [
    ['SUBSCRIBE is known but not handled', request('SUBSCRIBE', { port: 0 }), 405],
    ['an unknown method', request('FOOBAR', { port: 0 }), 501],
    ['Max-Forwards 0', request('MESSAGE', { port: 0, body: 'x' }).replace('Max-Forwards: 70', 'Max-Forwards: 0'), 483],
    ['an unsupported Require', request('MESSAGE', { port: 0, body: 'x', extra: 'Require: foo\r\n' }), 420],
    ['an unknown URI scheme', request('MESSAGE', { port: 0, body: 'x', uri: 'isbn:1234' }), 416],
    ['an INVITE (messaging-only server)', request('INVITE', { port: 0 }), 488],
    ['a CANCEL for nothing', request('CANCEL', { port: 0 }), 481],
  ];
  for (const [name, raw, status] of coreCases) {
    it(`answers ${status} to ${name}`, async () => {
      const peer = await udpPeer(udp);
      try {
        const before = calls.length;
        peer.send(raw.replace('127.0.0.1:0;', `127.0.0.1:${peer.port};`));
        const res = (await peer.waitFor(isResponse())) as SipResponse;
        assert.equal(res.status, status);
        if (status === 405 || status === 501) assert.match(res.headers.get('allow')!, /MESSAGE/);
        if (status === 420) assert.equal(res.headers.get('unsupported'), 'foo');
        assert.equal(calls.length, before, 'handler not called');
      } finally {
        await peer.close();
      }
    });
  }

  it('answers 400 with a reason phrase to a request missing mandatory headers', async () => {
    const peer = await udpPeer(udp);
    try {
      // The response lacks From too (it copies the request's), so the peer's parser rejects it: read it raw.
      peer.send(request('MESSAGE', { port: peer.port, body: 'x' }).replace(/From: [^\r]*\r\n/, ''));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(peer.raw.length, 1);
      assert.match(peer.raw[0]!, /^SIP\/2\.0 400 [^\r]*From[^\r]*\r\n/);
    } finally {
      await peer.close();
    }
  });

  it('absorbs the ACK of an INVITE error and resends the 488 on an INVITE retransmission', async () => {
    const peer = await udpPeer(udp);
    try {
      const invite = request('INVITE', { port: peer.port, branch: 'z9hG4bKinv1' });
      peer.send(invite);
      const res = (await peer.waitFor(isResponse(488))) as SipResponse;
      peer.send(invite);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.received.filter(isResponse(488)).length, 2);
      const ack = invite.replace(/^INVITE/, 'ACK').replace(/CSeq: 1 INVITE/, 'CSeq: 1 ACK').replace(/To: [^\r]*/, `To: ${res.headers.get('to')}`);
      peer.send(ack);
      await new Promise((r) => setTimeout(r, 700)); // past timer G's first retransmission (T1)
      assert.equal(peer.received.filter(isResponse(488)).length, 2, 'no retransmission after ACK, no reply to ACK');
    } finally {
      await peer.close();
    }
  });

  it('answers 200 to a CANCEL matching a request in progress', async () => {
    const peer = await udpPeer(udp);
    try {
      let release: () => void = () => {};
      behaviour = () => new Promise((r) => (release = () => r({ status: 200 })));
      const msg = request('MESSAGE', { port: peer.port, branch: 'z9hG4bKcancelme', body: 'x' });
      peer.send(msg);
      await new Promise((r) => setTimeout(r, 50));
      const cancel = msg.replace(/^MESSAGE/, 'CANCEL').replace('CSeq: 1 MESSAGE', 'CSeq: 1 CANCEL').replace(/Content-Type[^]*$/, 'Content-Length: 0\r\n\r\n');
      peer.send(cancel);
      await peer.waitFor(isResponse(200, 'CANCEL'));
      release();
      await peer.waitFor(isResponse(200, 'MESSAGE'));
    } finally {
      await peer.close();
    }
  });

  it('answers over the same TCP connection and handles two requests in one segment', async () => {
    const peer = await tcpPeer(tcp);
    try {
      behaviour = async (r) => ({ status: 200, reason: r.request.body.toString() });
      peer.send(request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'one' }) + request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'two' }));
      await peer.waitFor((m) => m.kind === 'response' && m.reason === 'two');
      assert.deepEqual(peer.received.map((m) => (m as SipResponse).reason).sort(), ['one', 'two']);
      assert.equal(calls.at(-1)!.source.protocol, 'tcp');
    } finally {
      await peer.close();
    }
  });

  it('answers a CRLFCRLF keep-alive ping with a CRLF pong on TCP (RFC 5626)', async () => {
    const peer = await tcpPeer(tcp);
    try {
      const got: Buffer[] = [];
      peer.socket.on('data', (d: Buffer) => got.push(d));
      peer.send('\r\n\r\n');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(Buffer.concat(got).toString(), '\r\n');
    } finally {
      await peer.close();
    }
  });
});

describe('SIP stack trusted peers', () => {
  it('answers 403 to sources outside trusted_peers and serves the trusted ones', async () => {
    let called = 0;
    const denied = new SipStack({ host: '127.0.0.1', udpPort: 0, trustedPeers: '10.0.0.0/8, 192.0.2.1' }, async () => {
      called++;
      return { status: 200 };
    });
    const allowed = new SipStack({ host: '127.0.0.1', udpPort: 0, trustedPeers: '127.0.0.0/8' }, async () => {
      called++;
      return { status: 200 };
    });
    await denied.start();
    await allowed.start();
    const p1 = await udpPeer(denied.ports().udp!);
    const p2 = await udpPeer(allowed.ports().udp!);
    try {
      p1.send(request('MESSAGE', { port: p1.port, body: 'x' }));
      assert.equal(((await p1.waitFor(isResponse())) as SipResponse).status, 403);
      assert.equal(called, 0);
      p2.send(request('MESSAGE', { port: p2.port, body: 'x' }));
      assert.equal(((await p2.waitFor(isResponse())) as SipResponse).status, 200);
      assert.equal(called, 1);
    } finally {
      await p1.close();
      await p2.close();
      await denied.stop();
      await allowed.stop();
    }
  });
});
