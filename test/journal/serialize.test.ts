/** Entries → client JSON (`journal-storage.md` §6). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTimestamp, serializeEntries, serializeEntry } from '../../src/journal/serialize.js';
import type { JournalEntry } from '../../src/journal/types.js';

const entry: JournalEntry = {
  account: 'alice@example.com',
  contact: 'sip:bob@example.com',
  direction: 'outgoing',
  contentType: 'text/plain',
  content: 'Hello Bob',
  createdAt: new Date('2024-05-01T10:00:00.200Z'),
  messageId: '6d3f0c1e-3b41-4a55-9a6e-0f3b1c2d4e5f',
  disposition: ['display', 'display', 'positive-delivery'],
  state: 'delivered',
  msgTimestamp: new Date('2024-05-01T10:00:00.000Z'),
};

test('exact keys in the original order; scheme stripped; duplicates removed', () => {
  const s = serializeEntry(entry);
  assert.ok(s);
  assert.deepEqual(Object.keys(s), ['contact', 'timestamp', 'disposition', 'message_id', 'content_type', 'content', 'direction', 'state']);
  assert.equal(
    JSON.stringify(s),
    '{"contact":"bob@example.com","timestamp":"2024-05-01T10:00:00+00:00","disposition":["display","positive-delivery"],' +
      '"message_id":"6d3f0c1e-3b41-4a55-9a6e-0f3b1c2d4e5f","content_type":"text/plain","content":"Hello Bob","direction":"outgoing","state":"delivered"}',
  );
});

test('timestamps: UTC, Python isoformat fraction only when non-zero', () => {
  assert.equal(isoTimestamp(new Date('2024-05-01T11:00:00.512Z')), '2024-05-01T11:00:00.512000+00:00');
  assert.equal(isoTimestamp(new Date('2024-05-01T11:00:00.005Z')), '2024-05-01T11:00:00.005000+00:00');
  assert.equal(isoTimestamp(new Date('2024-05-01T11:00:00Z')), '2024-05-01T11:00:00+00:00');
});

test('null disposition → [], markers keep direction "" and state null', () => {
  const s = serializeEntry({ ...entry, contact: 'carol@example.com', direction: '', disposition: null, state: null, contentType: 'application/sylk-conversation-read' });
  assert.deepEqual(s?.disposition, []);
  assert.equal(s?.direction, '');
  assert.equal(s?.state, null);
  assert.equal(serializeEntry({ ...entry, contact: 'SIPS:x@y' })?.contact, 'x@y');
});

test('invalid entries are skipped, not fatal for the batch', () => {
  const bad1 = { ...entry, messageId: 'bad1', contact: 'bob @example.com' };
  const bad2 = { ...entry, messageId: 'bad2', state: 'processed' as unknown as JournalEntry['state'] };
  const bad3 = { ...entry, messageId: 'bad3', contact: '' };
  const r = serializeEntries([entry, bad1, bad2, bad3, { ...entry, messageId: 'ok2' }]);
  assert.deepEqual(r.messages.map((m) => m.message_id), [entry.messageId, 'ok2']);
  assert.deepEqual(r.skipped, ['bad1', 'bad2', 'bad3']);
});

test('isoTimestamp writes what slicing toISOString() gives, for any date', () => {
  const reference = (d: Date): string => {
    const ms = d.getUTCMilliseconds();
    const base = d.toISOString().slice(0, 19);
    return ms === 0 ? `${base}+00:00` : `${base}.${String(ms).padStart(3, '0')}000+00:00`;
  };
  fc.assert(
    fc.property(fc.oneof(fc.date({ noInvalidDate: true }), fc.integer({ min: -1e14, max: 3e14 }).map((n) => new Date(n))), (d) => {
      assert.equal(isoTimestamp(d), reference(d));
    }),
    { numRuns: 5000 },
  );
  assert.equal(isoTimestamp(new Date('2024-05-01T11:00:00.050Z')), '2024-05-01T11:00:00.050000+00:00');
  assert.equal(isoTimestamp(new Date('0999-12-31T23:59:59.999Z')), '0999-12-31T23:59:59.999000+00:00');
});
