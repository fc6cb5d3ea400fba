/**
 * Address book of WebSocket accounts (`sylkrtc-websocket.md` §11): the rules behind
 * `account-fetch-addressbook` and `account-update-addressbook`, kept in the journal store so every
 * server sharing a store shares the books (each engine's `address-book.ts` table, see
 * `src/journal/address-book.ts`). `attributes` are kept intact and all three object types persisted
 * (quirk 18 fixed); `groupMember` changes (react-native-sylkrtc 2.0: `data` is `{groupId,
 * contactId}`) add or remove a copy of the contact in the group.
 *
 * Limits (issue 15): an object may take at most {@link MAX_OBJECT_BYTES} and a whole book
 * {@link MAX_BOOK_BYTES} of JSON, so the `addressbook-fetched` event always fits in one WebSocket
 * frame under the 1 MiB that Node clients accept (§1.7). Every change rewrites the account's book
 * (bounded by that limit) with compare-and-set on its version; the JSON work per change is therefore
 * bounded too, and the I/O is the engine's (asynchronous, or on SQLite's write thread).
 *
 * Books written by the former file store (one JSON file per account under
 * `<storage_dir>/addressbook/`) are imported on an account's first use when `legacyDir` is given; the
 * file is then renamed `*.json.migrated` (kept, never read again).
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressBookTable, StoredAddressBook } from '../journal/address-book.js';
import { logger } from '../util/logger.js';
import type { AddressBook } from './protocol.js';

const log = logger.child({ module: 'sylkrtc.addressbook' });

export type AddressBookType = 'contact' | 'group' | 'policy' | 'groupMember';
export type AddressBookAction = 'add' | 'update' | 'delete';

export interface AddressBookObject {
  id: string;
  [member: string]: unknown;
}

/** `data` of a `groupMember` change. */
export interface GroupMember {
  groupId: string;
  contactId: string;
}

/** Largest JSON of one contact, group or policy (UTF-8 bytes). */
export const MAX_OBJECT_BYTES = 64 * 1024;
/** Largest JSON of a whole book: 1 MiB frame (§1.7) minus room for the event envelope. */
export const MAX_BOOK_BYTES = 1024 * 1024 - 64 * 1024;
/** Compare-and-set attempts of one change before it fails as retryable. */
const MAX_ATTEMPTS = 20;

export interface AddressBookStore {
  fetch(account: string): Promise<AddressBook>;
  /**
   * Apply a change; resolves the stored object (for `delete`, the removed one; for `groupMember`,
   * the group as it now is). Rejects with {@link AddressBookError} when the change cannot be made.
   */
  apply(account: string, action: AddressBookAction, type: AddressBookType, object: AddressBookObject | GroupMember): Promise<AddressBookObject>;
}

/** A change that cannot be made; `retryable` says whether the same change may succeed later. */
export class AddressBookError extends Error {
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

type ObjectType = Exclude<AddressBookType, 'groupMember'>;
const LIST: Record<ObjectType, keyof AddressBook> = { contact: 'contacts', group: 'groups', policy: 'policies' };

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
const empty = (): AddressBook => ({ contacts: [], groups: [], policies: [] });
const list = (book: AddressBook, type: ObjectType): AddressBookObject[] => book[LIST[type]] as AddressBookObject[];

function checkObjectSize(type: ObjectType, object: AddressBookObject): void {
  const n = bytes(object);
  if (n > MAX_OBJECT_BYTES) throw new AddressBookError(`${type} ${object.id} is ${n} bytes: an address-book object may have at most ${MAX_OBJECT_BYTES}`);
}

function applyMember(book: AddressBook, action: AddressBookAction, m: GroupMember): AddressBookObject {
  const group = list(book, 'group').find((g) => g.id === m.groupId);
  if (!group) throw new AddressBookError(`group ${m.groupId} not found`);
  const members = Array.isArray(group.contacts) ? (group.contacts as AddressBookObject[]) : (group.contacts = []);
  const i = members.findIndex((c) => c.id === m.contactId);
  if (action === 'delete') {
    if (i < 0) throw new AddressBookError(`contact ${m.contactId} is not in group ${m.groupId}`);
    members.splice(i, 1);
  } else {
    if (action !== 'add') throw new AddressBookError(`groupMember supports add and delete, not ${action}`);
    if (i >= 0) throw new AddressBookError(`contact ${m.contactId} is already in group ${m.groupId}`);
    const contact = list(book, 'contact').find((c) => c.id === m.contactId);
    if (!contact) throw new AddressBookError(`contact ${m.contactId} not found`);
    members.push(structuredClone(contact));
    checkObjectSize('group', group);
  }
  return group;
}

/** Apply one change to `book` in place; returns the stored (or removed) object. */
export function applyChange(book: AddressBook, action: AddressBookAction, type: AddressBookType, object: AddressBookObject | GroupMember): AddressBookObject {
  if (type === 'groupMember') return applyMember(book, action, object as GroupMember);
  const o = object as AddressBookObject;
  const l = list(book, type);
  const i = l.findIndex((x) => x.id === o.id);
  switch (action) {
    case 'add':
      if (i >= 0) throw new AddressBookError(`${type} ${o.id} already exists`);
      checkObjectSize(type, o);
      l.push(structuredClone(o));
      return o;
    case 'update':
      if (i < 0) throw new AddressBookError(`${type} ${o.id} not found`);
      checkObjectSize(type, o);
      l[i] = structuredClone(o);
      return o;
    case 'delete': {
      if (i < 0) throw new AddressBookError(`${type} ${o.id} not found`);
      const [removed] = l.splice(i, 1);
      return removed ?? o;
    }
  }
}

function parseBook(json: string): AddressBook {
  const parsed = JSON.parse(json) as Partial<AddressBook> | null;
  return { contacts: parsed?.contacts ?? [], groups: parsed?.groups ?? [], policies: parsed?.policies ?? [] };
}

/**
 * Keep what fits the limits of a book read from elsewhere (an old file): objects in order, each at
 * most {@link MAX_OBJECT_BYTES}, the whole at most {@link MAX_BOOK_BYTES}. Returns the kept book and
 * how many objects were left out.
 */
export function fitToLimits(book: AddressBook): { book: AddressBook; dropped: number } {
  const out = empty();
  let total = bytes(out);
  let dropped = 0;
  for (const type of ['contact', 'policy', 'group'] as const) {
    for (const o of list(book, type)) {
      const n = bytes(o) + 1; // and a comma
      if (n - 1 > MAX_OBJECT_BYTES || total + n > MAX_BOOK_BYTES) dropped++;
      else {
        list(out, type).push(o);
        total += n;
      }
    }
  }
  return { book: out, dropped };
}

export interface TableAddressBookStoreOptions {
  /** Directory of the former one-file-per-account books to import on first use. */
  legacyDir?: string | undefined;
}

/** The address books on an engine's {@link AddressBookTable}. */
export class TableAddressBookStore implements AddressBookStore {
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Accounts whose legacy file was looked for already (by this process). */
  private readonly imported = new Set<string>();

  constructor(
    private readonly table: AddressBookTable,
    private readonly options: TableAddressBookStoreOptions = {},
  ) {}

  fetch(account: string): Promise<AddressBook> {
    const key = account.toLowerCase();
    return this.serialize(key, async () => {
      const row = await this.read(key);
      if (!row) return empty();
      const n = Buffer.byteLength(row.json);
      if (n > MAX_BOOK_BYTES) throw new AddressBookError(`the address book is ${n} bytes, over the ${MAX_BOOK_BYTES}-byte limit of one frame`);
      return parseBook(row.json);
    });
  }

  apply(account: string, action: AddressBookAction, type: AddressBookType, object: AddressBookObject | GroupMember): Promise<AddressBookObject> {
    const key = account.toLowerCase();
    return this.serialize(key, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const row = await this.read(key);
        const book = row ? parseBook(row.json) : empty();
        const result = applyChange(book, action, type, object);
        const json = JSON.stringify(book);
        const n = Buffer.byteLength(json);
        if (n > MAX_BOOK_BYTES && action !== 'delete') {
          throw new AddressBookError(`address book full: it would take ${n} bytes, at most ${MAX_BOOK_BYTES} (one WebSocket frame); remove something first`);
        }
        if (await this.table.write(key, json, row?.version ?? 0)) return result;
        // Another server wrote first: back off a random while, growing, so that one of two servers
        // writing the same book in a loop does not lose every time.
        await new Promise((r) => setTimeout(r, Math.random() * 4 * (attempt + 1)));
      }
      throw new AddressBookError('the address book kept changing on other servers; try again', true);
    });
  }

  private async read(key: string): Promise<StoredAddressBook | null> {
    const row = await this.table.read(key);
    if (row || this.options.legacyDir === undefined || this.imported.has(key)) return row;
    this.imported.add(key);
    await this.importFile(key, this.options.legacyDir);
    return this.table.read(key);
  }

  /** Import the account's former JSON file, if any, into an empty book. */
  private async importFile(key: string, dir: string): Promise<void> {
    const file = join(dir, `${encodeURIComponent(key)}.json`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let book: AddressBook;
    try {
      book = parseBook(text);
    } catch (err) {
      log.warn({ err, file }, 'address book file is not JSON; not imported (left in place)');
      return;
    }
    const fitted = fitToLimits(book);
    if (fitted.dropped > 0) log.warn({ file, dropped: fitted.dropped }, 'address book file over the limits: objects left out of the import (the file keeps them)');
    await this.table.write(key, JSON.stringify(fitted.book), 0); // false: another server imported it first
    await rename(file, `${file}.migrated`);
    log.info({ account: key, file }, 'address book file imported into the store');
  }

  /** Run `fn` after every earlier operation of this process on the same account. */
  private serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }
}

/** An {@link AddressBookTable} in memory (tests, and a gateway started without a store). */
export class MemoryAddressBookTable implements AddressBookTable {
  private readonly rows = new Map<string, StoredAddressBook>();

  async read(account: string): Promise<StoredAddressBook | null> {
    return this.rows.get(account) ?? null;
  }

  async write(account: string, json: string, expected: number): Promise<boolean> {
    if ((this.rows.get(account)?.version ?? 0) !== expected) return false;
    this.rows.set(account, { json, version: expected + 1 });
    return true;
  }

  async remove(account: string): Promise<boolean> {
    return this.rows.delete(account);
  }
}

/** Address books for the life of the process. */
export class MemoryAddressBookStore extends TableAddressBookStore {
  constructor() {
    super(new MemoryAddressBookTable());
  }
}
