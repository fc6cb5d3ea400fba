// The UAC side of the stack (SipClient.send): request building, next hop from `nextHop`/outbound
// proxy, client transactions over UDP and TCP (with connection reuse), one digest retry on 401/407
// (password and HA1, checked with the digest verifier), synthesized 408 on timeout and 503 on a
// transport error.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { IncomingRequest, ResponseSpec } from '../../src/sip/api.js';
import { computeHa1, digestChallenge, verifyDigest } from '../../src/sip/digest.js';
import { parseVia } from '../../src/sip/message/via-header.js';
import { parseMessage } from '../../src/sip/message/parser.js';
import { SipStack } from '../../src/sip/stack.js';

describe('SIP stack as UAC', () => {
  const seen: IncomingRequest[] = [];
  let behaviour: (r: IncomingRequest) => ResponseSpec = () => ({ status: 200 });
  const server = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0 }, async (r) => {
    seen.push(r);
    return behaviour(r);
  });
  const client = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, timers: { T1: 10, T2: 40, T4: 50 } });
  let udp = 0;
  let tcp = 0;

  before(async () => {
    await server.start();
    await client.start();
    udp = server.ports().udp!;
    tcp = server.ports().tcp!;
  });
  after(async () => {
    await client.stop();
    await server.stop();
  });

  it('sends a MESSAGE over UDP with a well-formed request and returns the final response', async () => {
    behaviour = () => ({ status: 200, reason: 'Stored' });
    const res = await client.send({
      method: 'MESSAGE',
      uri: 'sip:bob@example.com',
      from: '"Alice" <sip:alice@example.com>',
      to: '<sip:bob@example.com>',
      contentType: 'text/plain',
      body: 'héllo',
      headers: [['X-Sylk-To-Sip', 'yes']],
      nextHop: `127.0.0.1:${udp}`,
    });
    assert.equal(res.response.status, 200);
    assert.equal(res.response.reason, 'Stored');
    assert.deepEqual(res.target && { p: res.target.protocol, port: res.target.port }, { p: 'udp', port: udp });
    const req = seen.at(-1)!.request;
    assert.equal(req.method, 'MESSAGE');
    assert.equal(req.body.toString('utf8'), 'héllo');
    assert.equal(req.headers.get('max-forwards'), '70');
    assert.match(req.headers.get('from')!, /^"Alice" <sip:alice@example.com>;tag=\w+$/);
    assert.equal(req.headers.get('call-id'), res.callId);
    assert.equal(req.headers.get('cseq'), '1 MESSAGE');
    assert.equal(req.headers.get('x-sylk-to-sip'), 'yes');
    assert.equal(req.headers.get('content-type'), 'text/plain');
    const via = parseVia(req.headers.get('via')!)![0]!;
    assert.match(via.branch!, /^z9hG4bK/);
    assert.equal(via.transport, 'UDP');
    assert.equal(via.port, client.ports().udp);
  });

  it('sends over TCP via the outbound-proxy syntax and reuses the connection', async () => {
    behaviour = () => ({ status: 200 });
    const before = server.transport.connectionCount;
    for (let i = 0; i < 3; i++) {
      const res = await client.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:a@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: `m${i}`, nextHop: `127.0.0.1:${tcp};transport=tcp` });
      assert.equal(res.response.status, 200);
      assert.equal(seen.at(-1)!.source.protocol, 'tcp');
    }
    assert.equal(server.transport.connectionCount, before + 1, 'one connection for three requests');
  });

  for (const [status, kind] of [
    [401, 'password'],
    [407, 'ha1'],
  ] as const) {
    it(`answers a ${status} challenge once with digest credentials (${kind})`, async () => {
      const realm = 'example.com';
      const attempts: string[] = [];
      behaviour = (r) => {
        const auth = r.request.headers.get(status === 401 ? 'authorization' : 'proxy-authorization');
        attempts.push(r.request.headers.get('cseq')!);
        if (!auth) return { status, headers: [[status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate', digestChallenge({ realm })]] };
        const v = verifyDigest(auth, { method: r.request.method, realm, lookup: (u) => (u === 'alice' ? { password: 'secret' } : undefined) });
        return v.ok ? { status: 200 } : { status: 403, reason: v.reason };
      };
      const credentials = kind === 'password' ? { username: 'alice', password: 'secret' } : { username: 'alice', ha1: computeHa1('alice', realm, 'secret') };
      const res = await client.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x', credentials, nextHop: `127.0.0.1:${udp}` });
      assert.equal(res.response.status, 200);
      assert.equal(res.cseq, 2);
      assert.deepEqual(attempts, ['1 MESSAGE', '2 MESSAGE']);
    });
  }

  it('does not loop on a challenge it cannot satisfy', async () => {
    let n = 0;
    behaviour = () => {
      n++;
      return { status: 401, headers: [['WWW-Authenticate', digestChallenge({ realm: 'x' })]] };
    };
    const res = await client.send({ method: 'OPTIONS', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', credentials: { username: 'alice', password: 'wrong' }, nextHop: `127.0.0.1:${udp}` });
    // OPTIONS is answered by the core (200), so use MESSAGE for the challenge loop check below.
    assert.equal(res.response.status, 200);
    const res2 = await client.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x', credentials: { username: 'alice', password: 'wrong' }, nextHop: `127.0.0.1:${udp}` });
    assert.equal(res2.response.status, 401);
    assert.equal(n, 2);
  });

  it('retransmits over UDP (timer E) and reports a timeout as 408 (timer F)', async () => {
    const silent = createSocket('udp4');
    const got: number[] = [];
    silent.on('message', (m) => {
      const r = parseMessage(m);
      if (r.ok) got.push(Date.now());
    });
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      const t0 = Date.now();
      const res = await client.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:a@example.com>', to: '<sip:b@example.com>', contentType: 'text/plain', body: 'x', nextHop: `127.0.0.1:${silent.address().port}` });
      assert.equal(res.response.status, 408);
      assert.ok(Date.now() - t0 >= 64 * 10 - 20);
      assert.ok(got.length >= 5, `retransmissions: ${got.length}`);
    } finally {
      silent.close();
    }
  });

  it('reports a transport error (TCP connection refused) as 503', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const res = await client.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:a@example.com>', to: '<sip:b@example.com>', contentType: 'text/plain', body: 'x', nextHop: `127.0.0.1:${port};transport=tcp` });
    assert.equal(res.response.status, 503);
  });

  it('resolves the Request-URI per RFC 3263 when there is no next hop (numeric host: no DNS)', async () => {
    behaviour = () => ({ status: 200, reason: 'Direct' });
    const res = await client.send({ method: 'MESSAGE', uri: `sip:bob@127.0.0.1:${tcp};transport=tcp`, from: '<sip:a@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x' });
    assert.equal(res.response.reason, 'Direct');
    assert.equal(res.target?.protocol, 'tcp');
    assert.equal(seen.at(-1)!.source.protocol, 'tcp');
  });

  it('sends every request to the configured outbound proxy', async () => {
    const viaProxy = new SipStack({ host: '127.0.0.1', udpPort: 0, outboundProxy: `127.0.0.1:${udp}` });
    await viaProxy.start();
    try {
      behaviour = () => ({ status: 200, reason: 'Proxied' });
      const res = await viaProxy.send({ method: 'MESSAGE', uri: 'sip:bob@unresolvable.invalid', from: '<sip:a@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x' });
      assert.equal(res.response.reason, 'Proxied');
      assert.equal(seen.at(-1)!.request.uri, 'sip:bob@unresolvable.invalid');
    } finally {
      await viaProxy.stop();
    }
  });

  it('sends over UDP from a client socket when it has no UDP listener, with that port in the Via', async () => {
    const tcpOnly = new SipStack({ host: '127.0.0.1', tcpPort: 0 });
    await tcpOnly.start();
    try {
      behaviour = () => ({ status: 200 });
      const res = await tcpOnly.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:a@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x', nextHop: `127.0.0.1:${udp}` });
      assert.equal(res.response.status, 200);
      const r = seen.at(-1)!;
      assert.equal(parseVia(r.request.headers.get('via')!)![0]!.port, r.source.port);
    } finally {
      await tcpOnly.stop();
    }
  });

  it('reports an unusable next hop as 503 without sending', async () => {
    const res = await client.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:a@example.com>', to: '<sip:b@example.com>', nextHop: 'not a host;transport=carrier-pigeon' });
    assert.equal(res.response.status, 503);
  });
});
