/**
 * Benchmark: heap held by finished server transactions while their timers run. On UDP every
 * non-INVITE server transaction stays in Completed for timer J (64·T1 = 32 s) after its 200, keeping
 * the final response for retransmissions — at 40k requests/s that is 1.3 million transactions, so
 * the bytes each one holds matter.
 *
 *   node --expose-gc --import tsx bench/sip-transactions-memory.ts [count=10000]
 *
 * Feeds `count` distinct MESSAGEs through the stack's inbound path (parser → transaction → UAS core →
 * handler → 200; outbound datagrams are discarded), forces GC, and prints heap growth per
 * transaction.
 */
import type { ParseResult } from '../src/sip/message/parser.js';
import { parseMessage } from '../src/sip/message/parser.js';
import { SipStack } from '../src/sip/stack.js';
import type { Flow } from '../src/sip/transport/types.js';

const count = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc --import tsx bench/sip-transactions-memory.ts');
  process.exit(1);
}

process.env.SYLK_LOG_LEVEL ??= 'silent';
const body = 'Hello, this is a benchmark message.';
const request = (n: number): Buffer =>
  Buffer.from(
    `MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:4000;branch=z9hG4bKmem${n};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:alice@example.com>;tag=a${n}\r\nTo: <sip:bob@example.com>\r\nCall-ID: mem-${n}@127.0.0.1\r\nCSeq: 1 MESSAGE\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );

const stack = new SipStack({ host: '127.0.0.1', udpPort: 0 }, async () => ({ status: 200 }));
await stack.start();
// Discard outbound datagrams: only the transactions' own memory is measured.
stack.transport.send = () => {};
const inbound = (stack.transport as unknown as { onMessage: (r: ParseResult, f: Flow) => void }).onMessage;
const flow: Flow = { protocol: 'udp', remote: { protocol: 'udp', address: '127.0.0.1', port: 4000 } };

// Warm up code paths (and let their transactions be counted out of the baseline).
for (let i = 0; i < 1000; i++) inbound(parseMessage(request(-1 - i)), flow);
await new Promise((r) => setTimeout(r, 50));
const inputs = Array.from({ length: count }, (_, i) => request(i));
gc();
gc();
const before = process.memoryUsage().heapUsed;
const aliveBefore = stack.transactionCounts.server;
for (const b of inputs) inbound(parseMessage(b), flow);
await new Promise((r) => setTimeout(r, 200));
inputs.length = 0;
gc();
gc();
const after = process.memoryUsage().heapUsed;
const alive = stack.transactionCounts.server - aliveBefore;
console.log(`finished server transactions alive (timer J running): ${alive}`);
console.log(`heap growth: ${((after - before) / 1024 / 1024).toFixed(2)} MiB → ${Math.round((after - before) / alive)} bytes per transaction`);
await stack.stop();
