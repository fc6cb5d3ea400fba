/**
 * Address-book rules (`src/sylkrtc/addressbook.ts`, `sylkrtc-websocket.md` §11): changes, errors,
 * `groupMember`, the size limits (issue 15 item 3), compare-and-set across two stores sharing one
 * table, the import of the former JSON files, and the SQLite engine's table (write thread, reopen).
 * PostgreSQL and Cassandra: test/storage/*address-book*.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../../src/storage/index.js';
import {
  AddressBookError,
  MAX_BOOK_BYTES,
  MAX_OBJECT_BYTES,
  MemoryAddressBookStore,
  MemoryAddressBookTable,
  TableAddressBookStore,
} from '../../src/sylkrtc/addressbook.js';

const dir = mkdtempSync(join(tmpdir(), 'sylkrtc-ab-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const contact = (id: string, name = 'Bob', extra: Record<string, unknown> = {}) => ({ id, name, uris: [], attributes: { k: 'ü', ...extra } });
const A = 'alice@example.com';

test('address book: add, update, delete, errors; attributes kept; books per account', async () => {
  const s = new MemoryAddressBookStore();
  assert.deepEqual(await s.fetch(A), { contacts: [], groups: [], policies: [] });
  await s.apply(A, 'add', 'contact', contact('c1'));
  await s.apply(A, 'add', 'policy', { id: 'p1' });
  await assert.rejects(s.apply(A, 'add', 'contact', contact('c1')), { name: 'Error', message: 'contact c1 already exists', retryable: false });
  await s.apply(A, 'update', 'contact', contact('c1', 'Robert'));
  await assert.rejects(s.apply(A, 'update', 'group', { id: 'nope' }), AddressBookError);
  assert.deepEqual(await s.fetch(A), { contacts: [contact('c1', 'Robert')], groups: [], policies: [{ id: 'p1' }] });
  assert.deepEqual(await s.fetch('bob@example.com'), { contacts: [], groups: [], policies: [] });
  assert.deepEqual(await s.apply(A, 'delete', 'contact', { id: 'c1' }), contact('c1', 'Robert'));
  assert.deepEqual((await s.fetch(A)).contacts, []);
});

test('groupMember: add puts a copy of the contact in the group, delete takes it out; clear errors', async () => {
  const s = new MemoryAddressBookStore();
  await s.apply(A, 'add', 'contact', contact('c1'));
  await s.apply(A, 'add', 'group', { id: 'g1', name: 'Friends', attributes: {}, contacts: [] });
  const g = await s.apply(A, 'add', 'groupMember', { groupId: 'g1', contactId: 'c1' });
  assert.deepEqual(g, { id: 'g1', name: 'Friends', attributes: {}, contacts: [contact('c1')] });
  assert.deepEqual((await s.fetch(A)).groups, [g]);
  await assert.rejects(s.apply(A, 'add', 'groupMember', { groupId: 'g1', contactId: 'c1' }), /contact c1 is already in group g1/);
  await assert.rejects(s.apply(A, 'add', 'groupMember', { groupId: 'g2', contactId: 'c1' }), /group g2 not found/);
  await assert.rejects(s.apply(A, 'add', 'groupMember', { groupId: 'g1', contactId: 'c9' }), /contact c9 not found/);
  await s.apply(A, 'delete', 'groupMember', { groupId: 'g1', contactId: 'c1' });
  assert.deepEqual((await s.fetch(A)).groups[0], { id: 'g1', name: 'Friends', attributes: {}, contacts: [] });
  await assert.rejects(s.apply(A, 'delete', 'groupMember', { groupId: 'g1', contactId: 'c1' }), /contact c1 is not in group g1/);
});

test('limits: an object over MAX_OBJECT_BYTES is refused, the book is bounded, the fetch fits one 1 MiB frame', async () => {
  const s = new MemoryAddressBookStore();
  const big = contact('huge', 'Huge', { blob: 'x'.repeat(MAX_OBJECT_BYTES) });
  await assert.rejects(s.apply(A, 'add', 'contact', big), (err: AddressBookError) => {
    assert.match(err.message, new RegExp(`contact huge is \\d+ bytes: an address-book object may have at most ${MAX_OBJECT_BYTES}`));
    assert.equal(err.retryable, false);
    return true;
  });
  await s.apply(A, 'add', 'contact', contact('c0'));
  await assert.rejects(s.apply(A, 'update', 'contact', { ...big, id: 'c0' }), /at most 65536/);

  // Fill the book with objects just under the object limit until it refuses.
  const blob = 'y'.repeat(MAX_OBJECT_BYTES - 200);
  let added = 0;
  let refusal: AddressBookError | undefined;
  for (let i = 1; i < 40 && !refusal; i++) {
    try {
      await s.apply(A, 'add', 'contact', contact(`c${i}`, 'Filler', { blob }));
      added++;
    } catch (err) {
      refusal = err as AddressBookError;
    }
  }
  assert.ok(refusal, 'the book stops growing');
  assert.match(refusal.message, new RegExp(`address book full: it would take \\d+ bytes, at most ${MAX_BOOK_BYTES}`));
  assert.equal(refusal.retryable, false);
  assert.equal(added, 15, 'sixteen objects of ~64 KiB exceed the book limit of 960 KiB');
  const book = await s.fetch(A);
  const frame = JSON.stringify({ sylkrtc: 'account-event', account: A, event: 'addressbook-fetched', addressbook: book });
  assert.ok(Buffer.byteLength(frame) < 1024 * 1024, `fetch frame ${Buffer.byteLength(frame)} bytes < 1 MiB`);
  // A full book still accepts deletions.
  await s.apply(A, 'delete', 'contact', { id: 'c1' });
  await s.apply(A, 'add', 'contact', contact('c99', 'Fits again', { blob }));
});

test('a group that grows over the object limit through groupMember is refused', async () => {
  const s = new MemoryAddressBookStore();
  await s.apply(A, 'add', 'group', { id: 'g', name: 'G', attributes: {}, contacts: [] });
  const blob = 'z'.repeat(MAX_OBJECT_BYTES / 3);
  for (const id of ['a', 'b', 'c']) await s.apply(A, 'add', 'contact', contact(id, id, { blob }));
  await s.apply(A, 'add', 'groupMember', { groupId: 'g', contactId: 'a' });
  await s.apply(A, 'add', 'groupMember', { groupId: 'g', contactId: 'b' });
  await assert.rejects(s.apply(A, 'add', 'groupMember', { groupId: 'g', contactId: 'c' }), /group g is \d+ bytes: an address-book object may have at most/);
  assert.equal(((await s.fetch(A)).groups[0] as { contacts: unknown[] }).contacts.length, 2, 'the refused change left the group as it was');
});

test('two stores on one table (two servers): concurrent changes of one account are all kept', async () => {
  const table = new MemoryAddressBookTable();
  const s1 = new TableAddressBookStore(table);
  const s2 = new TableAddressBookStore(table);
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? s1 : s2).apply(A, 'add', 'contact', contact(`c${i}`))),
  );
  assert.equal((await s1.fetch(A)).contacts.length, 40);
  assert.equal((await s2.fetch(A)).contacts.length, 40);
});

test('a table that keeps losing the compare-and-set fails the change as retryable', async () => {
  const table = new MemoryAddressBookTable();
  const s = new TableAddressBookStore({ read: (a) => table.read(a), write: async () => false, remove: (a) => table.remove(a) });
  await assert.rejects(s.apply(A, 'add', 'contact', contact('c1')), { retryable: true, message: /try again/ });
});

test('the former JSON files are imported on first use (within the limits) and renamed', async () => {
  const legacyDir = join(dir, 'legacy');
  mkdirSync(legacyDir);
  const file = join(legacyDir, `${encodeURIComponent(A)}.json`);
  writeFileSync(file, JSON.stringify({ contacts: [contact('old1'), contact('old2')], groups: [], policies: [{ id: 'p' }] }));
  const bigFile = join(legacyDir, `${encodeURIComponent('big@example.com')}.json`);
  const blob = 'q'.repeat(MAX_OBJECT_BYTES - 200);
  const many = Array.from({ length: 20 }, (_, i) => contact(`b${i}`, 'B', { blob }));
  writeFileSync(bigFile, JSON.stringify({ contacts: [contact('toolarge', 'T', { blob: blob + blob }), ...many] }));

  const table = new MemoryAddressBookTable();
  const s = new TableAddressBookStore(table, { legacyDir });
  assert.deepEqual(await s.fetch(A), { contacts: [contact('old1'), contact('old2')], groups: [], policies: [{ id: 'p' }] });
  assert.ok(!existsSync(file) && existsSync(`${file}.migrated`), 'the file is renamed after the import');
  await s.apply(A, 'add', 'contact', contact('new'));
  // Another server (no files of its own) sees the imported book.
  assert.equal((await new TableAddressBookStore(table).fetch(A)).contacts.length, 3);

  const big = await s.fetch('big@example.com');
  assert.equal(big.contacts.length, 15, 'what fits the book limit, in order; the oversized object left out');
  assert.ok(!big.contacts.some((c) => (c as { id: string }).id === 'toolarge'));
  assert.deepEqual(readdirSync(legacyDir).sort(), [`${encodeURIComponent(A)}.json.migrated`, `${encodeURIComponent('big@example.com')}.json.migrated`].sort());
});

test('SQLite engine: the books live in the store file (write thread) and survive reopening', async () => {
  const path = join(dir, 'journal.sqlite');
  const s1 = await openStore({ engine: 'sqlite', path }, { retentionDays: 0 });
  try {
    const ab = new TableAddressBookStore(s1.addressBooks());
    await Promise.all(Array.from({ length: 10 }, (_, i) => ab.apply(A, 'add', 'contact', contact(`c${i}`))));
    await ab.apply(A, 'add', 'group', { id: 'g', name: 'G', attributes: {}, contacts: [] });
    await ab.apply(A, 'add', 'groupMember', { groupId: 'g', contactId: 'c3' });
  } finally {
    await s1.close();
  }
  const s2 = await openStore({ engine: 'sqlite', path }, { retentionDays: 0 });
  try {
    const book = await new TableAddressBookStore(s2.addressBooks()).fetch(A);
    assert.equal(book.contacts.length, 10);
    assert.deepEqual(book.groups, [{ id: 'g', name: 'G', attributes: {}, contacts: [contact('c3')] }]);
  } finally {
    await s2.close();
  }
});
