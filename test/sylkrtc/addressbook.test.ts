import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AddressBookError, FileAddressBookStore, MemoryAddressBookStore, type AddressBookStore } from '../../src/sylkrtc/addressbook.js';

const dir = mkdtempSync(join(tmpdir(), 'sylkrtc-ab-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const contact = (id: string, name = 'Bob') => ({ id, name, uris: [], attributes: { k: 'ü' } });

for (const [name, make] of [
  ['memory', () => new MemoryAddressBookStore()],
  ['file', () => new FileAddressBookStore(join(dir, 'books'))],
] as Array<[string, () => AddressBookStore]>) {
  test(`${name} address book: add, update, delete, errors; attributes kept; books per account`, async () => {
    const s = make();
    assert.deepEqual(await s.fetch('alice@example.com'), { contacts: [], groups: [], policies: [] });
    await s.apply('alice@example.com', 'add', 'contact', contact('c1'));
    await s.apply('alice@example.com', 'add', 'policy', { id: 'p1' });
    await assert.rejects(s.apply('alice@example.com', 'add', 'contact', contact('c1')), AddressBookError);
    await s.apply('alice@example.com', 'update', 'contact', contact('c1', 'Robert'));
    await assert.rejects(s.apply('alice@example.com', 'update', 'group', { id: 'nope' }), AddressBookError);
    assert.deepEqual(await s.fetch('alice@example.com'), { contacts: [contact('c1', 'Robert')], groups: [], policies: [{ id: 'p1' }] });
    assert.deepEqual(await s.fetch('bob@example.com'), { contacts: [], groups: [], policies: [] });
    assert.deepEqual(await s.apply('alice@example.com', 'delete', 'contact', { id: 'c1' }), contact('c1', 'Robert'));
    assert.deepEqual((await s.fetch('alice@example.com')).contacts, []);
  });
}

test('file address book: concurrent changes of one account are all kept; survives a new instance', async () => {
  const d = join(dir, 'concurrent');
  const s = new FileAddressBookStore(d);
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.apply('alice@example.com', 'add', 'contact', contact(`c${i}`))));
  const again = new FileAddressBookStore(d);
  assert.equal((await again.fetch('alice@example.com')).contacts.length, 20);
  assert.deepEqual(readdirSync(d), ['alice%40example.com.json']);
});
