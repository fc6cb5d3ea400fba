/**
 * Benchmark: `account-sync-conversations` of a 10k-entry journal over the WebSocket, paged as the
 * apps do (request, take the batch, request again from its last id until `[]`). Real SQLite store,
 * messaging service and gateway in this process, one `ws` client. Prints the time from the first
 * request to the last byte of the last non-empty batch, the number of batches and the largest frame
 * (must stay < 1 MiB, §1.7).
 *
 *   npx tsx bench/ws-sync.ts [entries=10000] [contentBytes=200]
 */
import { performance } from 'node:perf_hooks';
import type { NewJournalEntry } from '../src/journal/types.js';
import { Client, startHarness } from '../test/sylkrtc/harness.js';

const N = Number(process.argv[2] ?? 10_000);
const size = Number(process.argv[3] ?? 200);
const BOB = 'bob@example.com';

const h = await startHarness({ proxyPort: 15620 });
const text = 'ünïcödé ✓ '.repeat(Math.ceil(size / 12)).slice(0, size);
const entries: NewJournalEntry[] = Array.from({ length: N }, (_, i) => ({
  account: BOB,
  contact: `contact${i % 50}@example.com`,
  direction: i % 2 ? 'incoming' : 'outgoing',
  contentType: 'text/plain',
  content: `${i} ${text}`,
  messageId: `sync-${String(i).padStart(6, '0')}`,
  disposition: ['positive-delivery', 'display'],
  state: i % 2 ? 'received' : 'delivered',
  msgTimestamp: new Date(Date.UTC(2025, 0, 1) + i * 1000),
}));
for (let i = 0; i < N; i += 1000) await h.store.addMany(entries.slice(i, i + 1000));

const c = await Client.login(h.url, BOB);
c.ws.removeAllListeners('message');

async function run(limit?: number) {
  let cursor: string | null = null;
  let batches = 0;
  let received = 0;
  let maxFrame = 0;
  let lastByte = 0;
  const t0 = performance.now();
  for (;;) {
    const frame = await new Promise<string>((resolve) => {
      const on = (d: Buffer) => {
        const s = d.toString();
        if (s.includes('"sync-conversations"')) {
          c.ws.off('message', on);
          resolve(s);
        }
      };
      c.ws.on('message', on);
      c.ws.send(JSON.stringify({ sylkrtc: 'account-sync-conversations', account: BOB, message_id: cursor, ...(limit ? { limit } : {}), transaction: `s${batches}` }));
    });
    maxFrame = Math.max(maxFrame, Buffer.byteLength(frame));
    const messages = (JSON.parse(frame) as { messages: Array<{ message_id: string }> }).messages;
    if (messages.length === 0) break;
    lastByte = performance.now();
    batches++;
    received += messages.length;
    cursor = messages.at(-1)!.message_id;
  }
  const total = performance.now();
  return { batches, received, maxFrame, toLastByte: lastByte - t0, toEmpty: total - t0 };
}

await run(); // warm-up
for (const limit of [undefined, 1000]) {
  const r = await run(limit);
  console.log(
    `ws-sync: ${r.received}/${N} entries (${size} B content) limit ${limit ?? 'default'}: ${r.batches} batches, ` +
      `time to last byte ${r.toLastByte.toFixed(0)} ms, until [] ${r.toEmpty.toFixed(0)} ms, largest frame ${(r.maxFrame / 1024).toFixed(0)} KiB`,
  );
}
await c.close();
await h.close();
process.exit(0);
