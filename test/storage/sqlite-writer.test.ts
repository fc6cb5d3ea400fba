/**
 * Where the SQLite engine writes (`src/storage/sqlite/writer.ts`) and checkpoints
 * (`checkpointer.ts`): the conformance suite with the inline writer (the thread writer, the default
 * for a file, runs it in sqlite.test.ts), data written by one writer read and deduplicated by the
 * other, every acknowledged write visible to reads at once, a bad op failing alone inside the
 * thread, close flushing queued writes, a dead write thread failing writes and the health check
 * (never an acknowledgement), and the checkpointer thread keeping the WAL from growing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import type { NewJournalEntry } from '../../src/journal/types.js';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { runConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'sylk-sqlite-writer-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runConformance('sqlite (inline writer)', async () => new SqliteStore({ path: join(dir, `inline${++n}.sqlite`), writer: 'inline' }));

const entry = (messageId: string, extra: Partial<NewJournalEntry> = {}): NewJournalEntry => ({
  account: 'a@x.org',
  contact: 'b@x.org',
  direction: 'incoming',
  contentType: 'text/plain',
  content: `c-${messageId}`,
  messageId,
  disposition: ['display'],
  state: 'received',
  msgTimestamp: new Date(1000),
  ...extra,
});

describe('sqlite writers', () => {
  test('data written by one writer is read and deduplicated by the other', async () => {
    const path = join(dir, 'reopen.sqlite');
    const s1 = new SqliteStore({ path });
    await s1.ready();
    assert.equal(await s1.add(entry('m1')), true);
    await s1.close();
    const s2 = new SqliteStore({ path, writer: 'inline' });
    assert.equal((await s2.getEntry('a@x.org', 'm1'))?.content, 'c-m1');
    assert.equal(await s2.add(entry('m2')), true);
    await s2.close();
    const s3 = new SqliteStore({ path });
    assert.equal((await s3.getEntry('a@x.org', 'm2'))?.content, 'c-m2');
    assert.equal(await s3.add(entry('m1')), false, 'idempotent across writers');
    assert.deepEqual((await s3.query('a@x.org', { limit: 10 })).entries.map((e) => e.messageId), ['m1', 'm2']);
    await s3.close();
  });

  test('thread writer: every acknowledged write is visible to reads at once, in submission order', async () => {
    const s = new SqliteStore({ path: join(dir, 'batch.sqlite') });
    try {
      const ids = Array.from({ length: 500 }, (_, i) => `b${i}`);
      const seen = await Promise.all(
        ids.map(async (id) => {
          const ok = await s.add(entry(id));
          return ok && (await s.getEntry('a@x.org', id))?.messageId === id;
        }),
      );
      assert.ok(seen.every(Boolean));
      const q = await s.query('a@x.org', { limit: 1000 });
      assert.deepEqual(q.entries.map((e) => e.messageId), ids);
      assert.ok(q.entries[0]!.createdAt instanceof Date && q.entries[0]!.msgTimestamp.getTime() === 1000);
      const upd = await s.updateState('a@x.org', 'b0', 'displayed');
      assert.ok(upd && upd.entry.msgTimestamp instanceof Date && upd.dispositionChanged && upd.entry.disposition?.length === 0);
    } finally {
      await s.close();
    }
  });

  test('thread writer: an op failing with a data error rejects alone; the rest of its batch commits', async () => {
    const s = new SqliteStore({ path: join(dir, 'error.sqlite') });
    try {
      const bad = entry('bad', { content: null as unknown as string }); // content is NOT NULL
      const [a, b, c] = await Promise.allSettled([s.add(entry('ok1')), s.add(bad), s.add(entry('ok2'))]);
      assert.deepEqual(a, { status: 'fulfilled', value: true });
      assert.equal(b.status, 'rejected');
      assert.match(String((b as PromiseRejectedResult).reason.code), /^SQLITE_CONSTRAINT/);
      assert.deepEqual(c, { status: 'fulfilled', value: true });
      assert.equal(await s.countEntries('a@x.org'), 2);
      assert.equal(await s.getEntry('a@x.org', 'bad'), null);
    } finally {
      await s.close();
    }
  });

  test('close commits queued writes; later writes reject', async () => {
    const path = join(dir, 'close.sqlite');
    const s = new SqliteStore({ path });
    const pending = [s.add(entry('c1')), s.add(entry('c2'))];
    await s.close();
    assert.deepEqual(await Promise.all(pending), [true, true]);
    await assert.rejects(s.add(entry('c3')), /closed/);
    const r = new SqliteStore({ path, writer: 'inline' });
    assert.equal(await r.countEntries('a@x.org'), 2);
    await r.close();
  });

  test('a dead write thread: writes reject (never acknowledged), ping fails, reads go on', async () => {
    const s = new SqliteStore({ path: join(dir, 'dead.sqlite') });
    try {
      assert.equal(await s.add(entry('d1')), true);
      const worker = (s as unknown as { writer: { worker: Worker } }).writer.worker;
      await worker.terminate();
      await assert.rejects(s.add(entry('d2')), /write thread exited/);
      await assert.rejects(s.ping(), /write thread exited/);
      assert.equal((await s.getEntry('a@x.org', 'd1'))?.content, 'c-d1');
      assert.equal(await s.getEntry('a@x.org', 'd2'), null);
    } finally {
      await s.close();
    }
  });

  test('the checkpointer thread lets the WAL restart instead of growing', async () => {
    const round = async (s: SqliteStore, tag: string): Promise<void> => {
      for (let b = 0; b < 10; b++) {
        await Promise.all(Array.from({ length: 200 }, (_, i) => s.add(entry(`${tag}-${b}-${i}`, { content: 'x'.repeat(400) }))));
      }
    };
    const walAfterTwoRounds = async (checkpointMs: number): Promise<number> => {
      const path = join(dir, `wal-${checkpointMs}.sqlite`);
      // No automatic checkpoint in COMMIT: only the checkpointer thread (if any) moves the WAL.
      const s = new SqliteStore({ path, checkpointMs, walAutocheckpointPages: 0 });
      try {
        await round(s, 'a');
        await new Promise((r) => setTimeout(r, 400)); // a few checkpointer periods
        await round(s, 'b');
        return statSync(`${path}-wal`).size;
      } finally {
        await s.close();
      }
    };
    const without = await walAfterTwoRounds(0);
    const withCheckpointer = await walAfterTwoRounds(50);
    assert.ok(without > 2_000_000, `two rounds without checkpoints fill ${without} bytes of WAL`);
    assert.ok(withCheckpointer < without * 0.7, `WAL ${withCheckpointer} bytes with the checkpointer, ${without} without`);
  });

  for (const writer of ['thread', 'inline'] as const) {
    test(`under writes without a pause, the ${writer} writer copies the rest itself and the WAL still restarts`, async () => {
      // A checkpoint on the checkpointer thread never catches up while commits keep coming, so SQLite
      // never rewinds the WAL; with `walRewindFrames` the writer copies the remainder between two
      // batches and its next transaction starts the WAL over (checkpointer.ts, "Rewinding the WAL").
      const walAfterSteadyWrites = async (walRewindFrames: number): Promise<number> => {
        const path = join(dir, `rewind-${writer}-${walRewindFrames}.sqlite`);
        const s = new SqliteStore({ path, writer, checkpointMs: 10, walRewindFrames, walAutocheckpointPages: 0, commitIntervalMs: 0 });
        try {
          await s.ready();
          await new Promise((r) => setTimeout(r, 150)); // the checkpointer thread is up
          let next = 0;
          const worker = async (): Promise<void> => {
            while (next < 6000) await s.add(entry(`w${walRewindFrames}-${next++}`, { content: 'x'.repeat(400) }));
          };
          await Promise.all(Array.from({ length: 64 }, worker));
          return statSync(`${path}-wal`).size;
        } finally {
          await s.close();
        }
      };
      const never = await walAfterSteadyWrites(1e9);
      const rewound = await walAfterSteadyWrites(64);
      assert.ok(never > 3_000_000, `without the writer's help the WAL holds every frame: ${never} bytes`);
      assert.ok(rewound < never / 2, `WAL ${rewound} bytes with the writer's help, ${never} without`);
    });
  }
});
