/**
 * Benchmark: SIP MESSAGE arriving at the SIP stack → `message` event received by each of 3 connected
 * WebSocket devices of the recipient, with the whole server in this process (SIP stack, pipeline,
 * SQLite journal with group commit, gateway) and the 3 `ws` clients too. MESSAGEs are sent over UDP
 * as the proxy forks them (`X-Sylk-App: webrtcgateway`), at a fixed rate.
 *
 *   npx tsx bench/ws-latency.ts [rate=1000] [seconds=10] [--fanout-only]
 *
 * The script re-runs itself with the daemon's Node flags (`daemon-flags.ts`), as the server runs
 * in this process.
 *
 * `--fanout-only` skips SIP and the journal: the messaging bus event is emitted directly, which
 * isolates this layer (fan-out, serialization, ws framing) from the pipeline and SQLite.
 *
 * Prints p50/p90/p99/max of the time until the LAST of the 3 devices got the event (issue 17's goal:
 * p99 < 5 ms at 1,000/s), and beside it, measured in the same run and process, the floor of this
 * machine: a plain `ws` server that sends each UDP datagram it receives to 3 connected `ws` clients
 * (no SIP, no journal, no sylkRTC), at the same rate.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { loadavg, cpus } from 'node:os';
import { WebSocket, WebSocketServer } from 'ws';
import { performance } from 'node:perf_hooks';
import { Client, startHarness } from '../test/sylkrtc/harness.js';
import { withDaemonFlags } from './daemon-flags.js';

// The server runs in this process: with the daemon's V8 flags (p99 4.4–4.7 ms with them against
// 6.4–24 ms without, at 1,000/s on the quiet 2-core VM).
withDaemonFlags();

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);
const BOB = 'bob@example.com';
const fanoutOnly = process.argv.includes('--fanout-only');

const h = await startHarness({ proxyPort: 0 });
const devices = [await Client.login(h.url, BOB), await Client.login(h.url, BOB), await Client.login(h.url, BOB)];

const sentAt = new Map<string, number>();
const busLatencies: number[] = [];
const busAt = new Map<string, number>();
const fanLatencies: number[] = [];
h.messaging.events.on('message', (e) => {
  const t0 = sentAt.get(e.message_id);
  busAt.set(e.message_id, performance.now());
  if (t0 !== undefined) busLatencies.push(performance.now() - t0);
});
const seen = new Map<string, number>();
const latencies: number[] = [];
for (const d of devices) {
  d.ws.removeAllListeners('message'); // the harness client's JSON.parse + frame log are not part of the measure
  d.ws.on('message', (data) => {
    const s = String(data);
    if (!s.includes('"event":"message"')) return;
    const id = /"message_id":"([^"]+)"/.exec(s)?.[1];
    if (!id) return;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n === devices.length) {
      const t0 = sentAt.get(id);
      if (t0 !== undefined) latencies.push(performance.now() - t0);
      const tb = busAt.get(id);
      if (t0 !== undefined && tb !== undefined) fanLatencies.push(performance.now() - tb);
      busAt.delete(id);
      seen.delete(id);
    }
  });
}

const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
const localPort = sock.address().port;
let answered = 0;
sock.on('message', (m) => {
  if (m.subarray(0, 11).toString() === 'SIP/2.0 200') answered++;
});

function message(i: number): { id: string; buf: Buffer } {
  const id = `bench-${i}-${randomBytes(4).toString('hex')}`;
  const body = Buffer.from(
    `From: <sip:alice@example.com>\r\nTo: <sip:${BOB}>\r\nDateTime: ${new Date().toISOString()}\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: ${id}\r\nimdn.Disposition-Notification: positive-delivery, display\r\n\r\nContent-Type: text/plain\r\n\r\nhello ${i} ✓`,
  );
  const head =
    `MESSAGE sip:${BOB} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK${randomBytes(8).toString('hex')};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=${randomBytes(4).toString('hex')}\r\nTo: <sip:${BOB}>\r\n` +
    `Call-ID: ${id}@bench\r\nCSeq: 1 MESSAGE\r\nX-Sylk-App: webrtcgateway\r\nContent-Type: message/cpim\r\nContent-Length: ${body.length}\r\n\r\n`;
  return { id, buf: Buffer.concat([Buffer.from(head), body]) };
}

function emitDirect(id: string, i: number): void {
  h.messaging.events.emit('message', {
    account: BOB,
    sender: { uri: 'alice@example.com', display_name: null },
    timestamp: new Date().toISOString(),
    disposition_notification: ['positive-delivery', 'display'],
    message_id: id,
    content_type: 'text/plain',
    content: `hello ${i} ✓`,
    entry: null,
  });
}

// warm-up
for (let i = 0; i < 200; i++) {
  const m = message(-i - 1);
  sock.send(m.buf, h.sipPort, '127.0.0.1');
}
await new Promise((r) => setTimeout(r, 1500));
latencies.length = 0;

const total = rate * seconds;
const interval = 1000 / rate;
const start = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
    while (sent < due) {
      const m = message(sent++);
      sentAt.set(m.id, performance.now());
      if (fanoutOnly) emitDirect(m.id, sent);
      else sock.send(m.buf, h.sipPort, '127.0.0.1');
    }
    if (sent >= total) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
const deadline = performance.now() + 10_000;
while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const elapsed = (performance.now() - start) / 1000;

latencies.sort((a, b) => a - b);
busLatencies.sort((a, b) => a - b);
fanLatencies.sort((a, b) => a - b);
const qf = (p: number) => fanLatencies[Math.min(fanLatencies.length - 1, Math.floor(p * fanLatencies.length))] ?? NaN;
const qb = (p: number) => busLatencies[Math.min(busLatencies.length - 1, Math.floor(p * busLatencies.length))] ?? NaN;
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
const load = loadavg()[0]!.toFixed(1);
console.log(`ws-latency${fanoutOnly ? ' --fanout-only' : ''} (load average ${load} on ${cpus().length} cores, ${process.execArgv.filter((f) => f.startsWith('--max')).join(' ') || 'no V8 flags'}): ${total} ${fanoutOnly ? 'bus events' : 'MESSAGEs'} at ${rate}/s over ${elapsed.toFixed(1)} s → 'message' on ${devices.length} devices`);
console.log(`  delivered to all devices: ${latencies.length}/${total}; SIP 200s: ${answered}`);
console.log(`  SIP arrival → bus 'message' event ms: p50 ${qb(0.5).toFixed(2)}  p99 ${qb(0.99).toFixed(2)}`);
console.log(`  bus 'message' event → last device (sylkRTC fan-out + ws) ms: p50 ${qf(0.5).toFixed(2)}  p99 ${qf(0.99).toFixed(2)}`);
console.log(`  latency (last device) ms: p50 ${q(0.5).toFixed(2)}  p90 ${q(0.9).toFixed(2)}  p99 ${q(0.99).toFixed(2)}  max ${latencies.at(-1)?.toFixed(2)}`);

sock.close();
for (const d of devices) await d.close();
await h.close();

const floor = await baseline(rate, seconds);
console.log(`  baseline (plain ws server relaying each UDP datagram to 3 ws clients, same run): p50 ${floor.p50.toFixed(2)}  p99 ${floor.p99.toFixed(2)} ms (${floor.n}/${total} delivered)`);
console.log(`goal: p99 < 5 ms at 1000/s → measured p99 ${q(0.99).toFixed(2)} ms at ${rate}/s: ${q(0.99) < 5 ? 'met' : 'NOT met'} (baseline p99 ${floor.p99.toFixed(2)} ms)`);
process.exit(0);

/** The machine's floor for the same shape: UDP datagram in → one text frame to each of 3 clients. */
async function baseline(rate: number, seconds: number): Promise<{ p50: number; p99: number; n: number }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  udp.on('message', (m) => {
    const frame = `{"sylkrtc":"account-event","account":"${BOB}","event":"message","data":${JSON.stringify(m.toString())}}`;
    for (const c of wss.clients) c.send(frame);
  });
  const clients = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const c = new WebSocket(`ws://127.0.0.1:${port}`);
          c.once('open', () => resolve(c));
          c.once('error', reject);
        }),
    ),
  );
  const at = new Map<string, number>();
  const got = new Map<string, number>();
  const lat: number[] = [];
  for (const c of clients) {
    c.on('message', (data) => {
      const id = /bench-(\d+)/.exec(String(data))?.[0];
      if (!id) return;
      const n = (got.get(id) ?? 0) + 1;
      got.set(id, n);
      if (n === clients.length) {
        lat.push(performance.now() - at.get(id)!);
        got.delete(id);
      }
    });
  }
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  const n = rate * seconds;
  const t0 = performance.now();
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(n, Math.floor((performance.now() - t0) / (1000 / rate)) + 1);
      while (k < due) {
        const m = message(k);
        at.set(`bench-${k}`, performance.now());
        k++;
        tx.send(m.buf, udp.address().port, '127.0.0.1');
      }
      if (k >= n) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const until = performance.now() + 5000;
  while (lat.length < n && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
  for (const c of clients) c.close();
  tx.close();
  udp.close();
  await new Promise<void>((r) => wss.close(() => r()));
  lat.sort((a, b) => a - b);
  const pick = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { p50: pick(0.5), p99: pick(0.99), n: lat.length };
}
