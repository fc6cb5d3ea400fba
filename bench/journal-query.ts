/**
 * Journal read paths on a large store: "after cursor" sync pages of 1,000 entries for an account of
 * 100k entries in a store of 1M (goal on SQLite: < 20 ms), `since` pages, unread counts of an account
 * with 1,000 conversations, and the export of a 100k-entry account (sylk-db export's reader).
 * Usage: npx tsx bench/journal-query.ts [sqlite|postgres|URL] [total entries, default 1000000]
 */
import { cpus, loadavg } from 'node:os';
import { accountRecords } from '../src/cli/db/transfer.js';
import type { NewJournalEntry } from '../src/journal/types.js';
import { benchEntry, fmt, openBenchStore, percentile } from './journal-common.js';

const { store, name, cleanup } = await openBenchStore(process.argv[2]);
const total = Number(process.argv[3] ?? 1_000_000);
const big = 'big@example.com';
const bigCount = Math.round(total / 10);

async function timeIt(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

const summary = (t: number[]): string =>
  `median ${percentile(t, 50).toFixed(2)} ms, p90 ${percentile(t, 90).toFixed(2)} ms, p99 ${percentile(t, 99).toFixed(2)} ms`;

try {
  console.log(`engine: ${name}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  // 1. Fill: the big account's entries interleaved with 9 others (10% of all writes are big's).
  let t = performance.now();
  const bigIds: string[] = [];
  const start = Date.now() - 30 * 86_400_000;
  for (let done = 0; done < total; ) {
    const batch: NewJournalEntry[] = [];
    for (let i = 0; i < 5000 && done < total; i++, done++) {
      const account = done % 10 === 0 ? big : `other${done % 10}@example.com`;
      const e = benchEntry(account, `c${done % 97}@example.com`, { createdAt: new Date(start + done * 2) });
      if (account === big) bigIds.push(e.messageId);
      batch.push(e);
    }
    await store.addMany(batch);
  }
  let s = (performance.now() - t) / 1000;
  console.log(`fill: ${fmt(total)} entries (${fmt(bigIds.length)} in ${big}) in ${s.toFixed(1)} s = ${fmt(total / s)}/s`);

  // 2. After-cursor pages of 1,000 from random positions.
  let times = await timeIt(200, async () => {
    const pos = Math.floor(Math.random() * (bigIds.length - 1000));
    const r = await store.query(big, { afterId: bigIds[pos]!, limit: 1000 });
    if (r.basis !== 'cursor' || r.entries.length !== 1000) throw new Error(`unexpected page: ${r.basis} ${r.entries.length}`);
  });
  console.log(`after-cursor page of 1,000 (account of ${fmt(bigCount)}, store of ${fmt(total)}): ${summary(times)}`);

  // 3. Since pages of 1,000.
  times = await timeIt(100, async () => {
    const pos = Math.floor(Math.random() * (total - 20_000));
    await store.query(big, { since: new Date(start + pos * 2), limit: 1000 });
  });
  console.log(`since page of 1,000: ${summary(times)}`);

  // 4. Unread counts: an account with 1,000 conversations × 10 unread incoming messages.
  const u = 'unread@example.com';
  const ue: NewJournalEntry[] = [];
  for (let c = 0; c < 1000; c++) {
    for (let k = 0; k < 10; k++) ue.push(benchEntry(u, `contact${c}@example.com`, { direction: 'incoming', state: 'received' }));
  }
  for (let i = 0; i < ue.length; i += 5000) await store.addMany(ue.slice(i, i + 5000));
  times = await timeIt(50, async () => {
    const r = await store.unreadCounts(u);
    if (r.byContact.size !== 1000 || r.total !== 10_000) throw new Error(`unexpected counts ${r.total}`);
  });
  console.log(`unread counts (1,000 conversations, 10,000 unread): ${summary(times)}`);
  times = await timeIt(20, async (i) => store.markConversationRead(u, `contact${i}@example.com`));
  console.log(`mark conversation read (10 entries): ${summary(times)}`);

  // 5. Export of the 100k-entry account through the JournalStore interface.
  t = performance.now();
  let lines = 0;
  let bytes = 0;
  for await (const rec of accountRecords(store, big)) {
    bytes += JSON.stringify(rec).length + 1;
    lines++;
  }
  s = (performance.now() - t) / 1000;
  console.log(`export of ${fmt(bigCount)}-entry account: ${s.toFixed(2)} s (${fmt(lines)} lines, ${fmt(bytes / 1e6)} MB, ${fmt(lines / s)} lines/s)`);
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await cleanup();
}
