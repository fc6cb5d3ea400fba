/** Group commit: one transaction per event-loop turn, order kept, failures isolated. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommitter } from '../../src/storage/group-commit.js';

test('writes submitted in one turn share one commit; results map back in order', async () => {
  const batches: number[][] = [];
  const gc = new GroupCommitter<number, number>({ commit: (ops) => (batches.push(ops), ops.map((x) => x * 2)) });
  const results = await Promise.all([1, 2, 3, 4].map((x) => gc.submit(x)));
  assert.deepEqual(results, [2, 4, 6, 8]);
  assert.deepEqual(batches, [[1, 2, 3, 4]]);
  await gc.submit(5);
  assert.equal(batches.length, 2);
});

test('a promise resolves only after its commit finished', async () => {
  let committed = false;
  const gc = new GroupCommitter<number, number>({
    commit: async (ops) => {
      await new Promise((r) => setTimeout(r, 20));
      committed = true;
      return ops;
    },
  });
  await gc.submit(1);
  assert.equal(committed, true);
});

test('batches run one at a time in order; writes queued during a commit form the next batch', async () => {
  const batches: number[][] = [];
  let running = 0;
  const gc = new GroupCommitter<number, number>({
    commit: async (ops) => {
      running++;
      assert.equal(running, 1, 'never two commits at once');
      batches.push(ops);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return ops;
    },
  });
  const first = gc.submit(1);
  await new Promise((r) => setImmediate(r));
  const rest = [2, 3, 4].map((x) => gc.submit(x));
  await Promise.all([first, ...rest]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
});

test('maxBatch splits large turns', async () => {
  const sizes: number[] = [];
  const gc = new GroupCommitter<number, number>({ commit: (ops) => (sizes.push(ops.length), ops), maxBatch: 3 });
  await Promise.all(Array.from({ length: 7 }, (_, i) => gc.submit(i)));
  assert.deepEqual(sizes, [3, 3, 1]);
});

test('a failing batch is retried op by op so only the bad op fails', async () => {
  const gc = new GroupCommitter<number, number>({
    commit: (ops) => {
      if (ops.includes(13)) throw new Error('bad op');
      return ops;
    },
  });
  const results = await Promise.allSettled([1, 13, 2].map((x) => gc.submit(x)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('an error the engine calls not op-specific fails the whole batch without retries', async () => {
  let calls = 0;
  const gc = new GroupCommitter<number, number>({
    commit: () => {
      calls++;
      throw new Error('connection lost');
    },
    retryIndividually: () => false,
  });
  const results = await Promise.allSettled([1, 2, 3].map((x) => gc.submit(x)));
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  assert.equal(calls, 1);
});

test('close flushes queued writes then rejects new ones', async () => {
  const seen: number[] = [];
  const gc = new GroupCommitter<number, number>({ commit: (ops) => (seen.push(...ops), ops) });
  const p = gc.submit(1);
  await gc.close();
  assert.equal(await p, 1);
  assert.deepEqual(seen, [1]);
  await assert.rejects(gc.submit(2), /closed/);
});

test('minIntervalMs: an idle committer commits at once; commits close together wait and merge into one batch', async () => {
  const starts: number[] = [];
  const batches: number[][] = [];
  const gc = new GroupCommitter<number, number>({
    minIntervalMs: 200,
    intervalAfterBatch: 1,
    commit: (ops) => (starts.push(performance.now()), batches.push(ops), ops),
  });
  const t0 = performance.now();
  await gc.submit(1);
  assert.ok(starts[0]! - t0 < 100, `first commit after ${starts[0]! - t0} ms`);
  // Submitted in three later turns, well within the interval: one commit, no earlier than 200 ms after the first.
  const later: Promise<number>[] = [];
  for (const x of [2, 3, 4]) {
    later.push(gc.submit(x));
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(later), [2, 3, 4]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
  assert.ok(starts[1]! - starts[0]! >= 185, // timers run off the loop's cached clock: a few ms early at worst
    `second commit ${starts[1]! - starts[0]!} ms after the first`);
  // After a pause longer than the interval, a write commits at once again.
  await new Promise((r) => setTimeout(r, 300));
  const t1 = performance.now();
  await gc.submit(5);
  assert.ok(starts[2]! - t1 < 100, `commit after an idle period took ${starts[2]! - t1} ms`);
});

test('minIntervalMs applies only after a full batch (intervalAfterBatch, default 8): light load commits at once', async () => {
  const starts: number[] = [];
  const gc = new GroupCommitter<number, number>({ minIntervalMs: 200, commit: (ops) => (starts.push(performance.now()), ops) });
  await gc.submit(1); // a batch of 1
  await gc.submit(2); // follows at once: the previous batch was small
  assert.ok(starts[1]! - starts[0]! < 30, `after a small batch: ${starts[1]! - starts[0]!} ms`);
  await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((x) => gc.submit(x))); // a batch of 8
  await gc.submit(9); // waits for the interval
  assert.ok(starts[3]! - starts[2]! >= 25, `after a full batch: ${starts[3]! - starts[2]!} ms`);
});
