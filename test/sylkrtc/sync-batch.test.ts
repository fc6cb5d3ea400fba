import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JournalEntryJson } from '../../src/messaging/index.js';
import { BatchBuilder, cutBatch } from '../../src/sylkrtc/sync-batch.js';

const entry = (id: string, content: string, type = 'text/plain'): JournalEntryJson => ({
  contact: 'bob@example.com',
  timestamp: '2025-03-14T10:15:00.000Z',
  disposition: [],
  message_id: id,
  content_type: type,
  content,
  direction: 'incoming',
  state: 'received',
});

test('a batch stays below the byte budget and cuts on an entry boundary', () => {
  const big = 'ü'.repeat(100_000); // 200 kB of UTF-8
  const list = Array.from({ length: 10 }, (_, i) => entry(`m${i}`, big));
  const { count, json } = cutBatch(list, 768 * 1024);
  assert.equal(count, 3);
  assert.ok(Buffer.byteLength(json) <= 768 * 1024);
  assert.deepEqual(JSON.parse(json), list.slice(0, 3));
});

test('everything fits: all entries; empty list: []', () => {
  const list = [entry('a', 'x'), entry('b', 'y')];
  assert.deepEqual(JSON.parse(cutBatch(list).json), list);
  assert.deepEqual(cutBatch([]), { count: 0, json: '[]' });
});

test('a single entry larger than the budget still goes out alone (paging progresses)', () => {
  const { count } = cutBatch([entry('a', 'x'.repeat(2000)), entry('b', 'y')], 1000);
  assert.equal(count, 1);
});

test('chunked message pieces are not split across batches when avoidable', () => {
  const piece = (id: string) => entry(id, '\u2060\u200b\u200c\u2061' + 'p'.repeat(300));
  const list = [entry('x', 'q'.repeat(300)), piece('G'), piece('G-1'), piece('G-2'), entry('y', 'z')];
  const { count } = cutBatch(list, 1400);
  assert.equal(count, 1, 'cut before the chunk group');
});

test('BatchBuilder: add refuses the first entry past the budget and every later one; finish is cutBatch', () => {
  const list = Array.from({ length: 20 }, (_, i) => entry(`m${i}`, 'x'.repeat(100 + i)));
  const b = new BatchBuilder(2000);
  let accepted = 0;
  for (const e of list) {
    if (!b.add(e)) break;
    accepted++;
  }
  assert.ok(b.full);
  assert.equal(b.count, accepted);
  assert.ok(b.room >= 0 && b.room < Buffer.byteLength(JSON.stringify(list[accepted])) + 1, 'the refused entry did not fit');
  assert.equal(b.add(entry('small', '')), false, 'a full batch stays full');
  assert.ok(Math.abs(b.averageBytes - (2000 - b.room - 2) / accepted) < 1e-9);
  assert.deepEqual(b.finish(), cutBatch(list, 2000));
  assert.deepEqual(JSON.parse(b.finish().json), list.slice(0, accepted));
});
