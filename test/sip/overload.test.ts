// Load shedding (issue 15 item 9): the whole server with `max_pending_requests = 20` (and the UDP
// receive-queue bound off: `overload-queue.test.ts` has it) gets a burst of
// 1500 MESSAGEs over UDP on loopback, far above what it commits at once, while OPTIONS pings run
// beside it. Requests over the bound are answered 503 at once, with Retry-After and a reason naming
// the limit; OPTIONS keep being answered quickly; every MESSAGE answered 200 is in the journal.
// The sustained-rate figures (OPTIONS p99, RSS) are `bench/overload.ts`'s.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { parseMessage } from '../../src/sip/message/parser.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process-server.js';

let s: InProcessServer;
before(async () => {
  s = await startInProcess({ config: { SIP: ['max_pending_requests = 20', 'max_loop_lag = 60000', 'max_udp_queue = 0', 'overload_retry_after = 7'] } });
  await s.server.messaging.service.recordLogin('bob@example.com');
});
after(() => s.stop());

const N = 1500;

function message(port: number, i: number): Buffer {
  const body = `From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: burst-${i}\r\n\r\nContent-Type: text/plain\r\n\r\nmessage ${i}`;
  return Buffer.from(
    `MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKburst${i};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:alice@example.com>;tag=b${i}\r\nTo: <sip:bob@example.com>\r\nCall-ID: burst-${i}\r\nCSeq: 1 MESSAGE\r\n` +
      `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function options(port: number, i: number): Buffer {
  return Buffer.from(
    `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKping${i};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:monitor@example.com>;tag=p${i}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ping-${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

async function bind(): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(8 * 1024 * 1024);
  return sock;
}

test('a burst far above the sustainable rate: early 503 + Retry-After, OPTIONS answered, nothing acknowledged lost', async (t) => {
  const load = await bind();
  const ping = await bind();
  t.after(() => {
    load.close();
    ping.close();
  });
  const finals = new Map<string, { status: number; reason: string; retryAfter: string | undefined }>();
  load.on('message', (m) => {
    const r = parseMessage(m);
    if (!r.ok || r.message.kind !== 'response' || r.message.status < 200) return;
    finals.set(r.message.headers.get('call-id')!, { status: r.message.status, reason: r.message.reason, retryAfter: r.message.headers.get('retry-after') });
  });
  const sentAt = new Map<string, number>();
  const rtts: number[] = [];
  ping.on('message', (m) => {
    const r = parseMessage(m);
    if (!r.ok || r.message.kind !== 'response') return;
    const t0 = sentAt.get(r.message.headers.get('call-id')!);
    if (t0 !== undefined && r.message.status === 200) rtts.push(performance.now() - t0);
  });
  const loadPort = load.address().port;
  const pingPort = ping.address().port;
  let pings = 0;
  const pinger = setInterval(() => {
    const i = pings++;
    sentAt.set(`ping-${i}`, performance.now());
    ping.send(options(pingPort, i), s.udpPort, '127.0.0.1');
  }, 20);
  try {
    for (let i = 0; i < N; i += 100) {
      for (let j = i; j < Math.min(N, i + 100); j++) load.send(message(loadPort, j), s.udpPort, '127.0.0.1');
      await new Promise((r) => setImmediate(r));
    }
    for (let t = 0; t < 15_000 && finals.size < N; t += 100) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    clearInterval(pinger);
  }
  // The last OPTIONS may have left just before the pinger stopped: give its answer time to come back.
  for (let t = 0; t < 2_000 && rtts.length < pings; t += 50) await new Promise((r) => setTimeout(r, 50));

  const byStatus = new Map<number, number>();
  for (const f of finals.values()) byStatus.set(f.status, (byStatus.get(f.status) ?? 0) + 1);
  const shed = [...finals.values()].filter((f) => f.status === 503);
  assert.ok(shed.length > 0, `some requests shed (statuses: ${JSON.stringify([...byStatus])})`);
  for (const f of shed) {
    assert.equal(f.retryAfter, '7');
    assert.equal(f.reason, 'Service Unavailable (overloaded: 20 requests pending)');
  }
  assert.ok((byStatus.get(200) ?? 0) > 0, 'some were taken');
  assert.deepEqual([...byStatus.keys()].filter((k) => k !== 200 && k !== 503), [], 'only 200 or 503');

  // Nothing acknowledged is lost: every 200 has its journal entry.
  const acked = [...finals].filter(([, f]) => f.status === 200).map(([callId]) => callId);
  for (const id of acked) assert.notEqual(await s.server.store.getEntry('bob@example.com', id), null, `${id} acknowledged but not stored`);

  // OPTIONS kept being answered during the burst (their latency under sustained overload is the bench's).
  assert.equal(rtts.length, pings, `${rtts.length} of ${pings} OPTIONS answered 200`);
});

test('requests read while the event loop is behind are shed with the lag limit named', async () => {
  const { SipStack } = await import('../../src/sip/stack.js');
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, maxLoopLagMs: 100, overloadRetryAfterSec: 3 }, async () => ({ status: 200 }));
  await stack.start();
  const sock = await bind();
  const finals: Array<{ status: number; reason: string; retryAfter: string | undefined }> = [];
  sock.on('message', (m) => {
    const r = parseMessage(m);
    if (r.ok && r.message.kind === 'response' && r.message.status >= 200) finals.push({ status: r.message.status, reason: r.message.reason, retryAfter: r.message.headers.get('retry-after') });
  });
  try {
    // Block the loop for 400 ms right after the datagrams were sent: they are read late.
    for (let i = 0; i < 10; i++) sock.send(message(sock.address().port, 10_000 + i), stack.ports().udp!, '127.0.0.1');
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // busy: the event loop is behind
    }
    for (let t = 0; t < 100 && finals.length < 10; t++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(finals.length, 10);
    assert.ok(finals.every((f) => f.status === 503 && f.retryAfter === '3'), JSON.stringify(finals));
    assert.match(finals[0]!.reason, /^Service Unavailable \(overloaded: event loop 100 ms behind\)$/);
    // Caught up: the next one is handled.
    finals.length = 0;
    await new Promise((r) => setTimeout(r, 50));
    sock.send(message(sock.address().port, 20_000), stack.ports().udp!, '127.0.0.1');
    for (let t = 0; t < 100 && finals.length < 1; t++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(finals[0]?.status, 200);
  } finally {
    sock.close();
    await stack.stop();
  }
});
