/**
 * Address book of WebSocket accounts (`sylkrtc-websocket.md` §11): `account-fetch-addressbook`
 * (sent by sylkrtc.js after every `registered`) and `account-update-addressbook`. Stored per account
 * with `attributes` kept intact and all three object types persisted (quirk 18 fixed).
 *
 * The store is an interface so a database-backed implementation can replace these two (the journal
 * store has no address-book tables yet): {@link MemoryAddressBookStore} keeps the books for the life
 * of the process, {@link FileAddressBookStore} keeps one JSON file per account (like the original's
 * file back end), written atomically (temporary file + rename), changes of one account serialized.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressBook } from './protocol.js';

export type AddressBookType = 'contact' | 'group' | 'policy';
export type AddressBookAction = 'add' | 'update' | 'delete';

export interface AddressBookObject {
  id: string;
  [member: string]: unknown;
}

export interface AddressBookStore {
  fetch(account: string): Promise<AddressBook>;
  /** Apply a change; resolves the stored object (for `delete`, the removed one or the request's). */
  apply(account: string, action: AddressBookAction, type: AddressBookType, object: AddressBookObject): Promise<AddressBookObject>;
}

const LIST: Record<AddressBookType, keyof AddressBook> = { contact: 'contacts', group: 'groups', policy: 'policies' };

export class AddressBookError extends Error {}

/** Apply one change to a book in place; resolves the stored (or removed) object. */
function applyTo(book: AddressBook, action: AddressBookAction, type: AddressBookType, object: AddressBookObject): AddressBookObject {
  const list = book[LIST[type]] as AddressBookObject[];
  const i = list.findIndex((o) => o.id === object.id);
  switch (action) {
    case 'add':
      if (i >= 0) throw new AddressBookError(`${type} ${object.id} already exists`);
      list.push(structuredClone(object));
      return object;
    case 'update':
      if (i < 0) throw new AddressBookError(`${type} ${object.id} not found`);
      list[i] = structuredClone(object);
      return object;
    case 'delete': {
      if (i < 0) throw new AddressBookError(`${type} ${object.id} not found`);
      const [removed] = list.splice(i, 1);
      return removed ?? object;
    }
  }
}

const empty = (): AddressBook => ({ contacts: [], groups: [], policies: [] });

export class MemoryAddressBookStore implements AddressBookStore {
  private readonly books = new Map<string, AddressBook>();

  async fetch(account: string): Promise<AddressBook> {
    const b = this.books.get(account);
    return b ? structuredClone(b) : empty();
  }

  async apply(account: string, action: AddressBookAction, type: AddressBookType, object: AddressBookObject): Promise<AddressBookObject> {
    let book = this.books.get(account);
    if (!book) {
      book = empty();
      this.books.set(account, book);
    }
    return applyTo(book, action, type, object);
  }
}

export class FileAddressBookStore implements AddressBookStore {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly dir: string) {}

  private file(account: string): string {
    return join(this.dir, `${encodeURIComponent(account.toLowerCase())}.json`);
  }

  private async read(account: string): Promise<AddressBook> {
    try {
      const parsed = JSON.parse(await readFile(this.file(account), 'utf8')) as Partial<AddressBook>;
      return { contacts: parsed.contacts ?? [], groups: parsed.groups ?? [], policies: parsed.policies ?? [] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw err;
    }
  }

  /** Run `fn` after every earlier operation on the same account. */
  private serialize<T>(account: string, fn: () => Promise<T>): Promise<T> {
    const key = account.toLowerCase();
    const run = (this.chains.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  fetch(account: string): Promise<AddressBook> {
    return this.serialize(account, () => this.read(account));
  }

  apply(account: string, action: AddressBookAction, type: AddressBookType, object: AddressBookObject): Promise<AddressBookObject> {
    return this.serialize(account, async () => {
      const book = await this.read(account);
      const result = applyTo(book, action, type, object);
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file(account)}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(book));
      await rename(tmp, this.file(account));
      return result;
    });
  }
}
