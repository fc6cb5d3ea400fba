/**
 * Address book of WebSocket accounts (`sylkrtc-websocket.md` §11): `account-fetch-addressbook`
 * (sent by sylkrtc.js after every `registered`) and `account-update-addressbook`. Stored per account
 * with `attributes` kept intact and all three object types persisted (quirk 18 fixed).
 *
 * The store is an interface so a database-backed implementation can replace
 * {@link MemoryAddressBookStore}, which keeps the books for the life of the process (the journal
 * store has no address-book tables yet).
 */
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

export class MemoryAddressBookStore implements AddressBookStore {
  private readonly books = new Map<string, AddressBook>();

  async fetch(account: string): Promise<AddressBook> {
    const b = this.books.get(account);
    return b ? structuredClone(b) : { contacts: [], groups: [], policies: [] };
  }

  async apply(account: string, action: AddressBookAction, type: AddressBookType, object: AddressBookObject): Promise<AddressBookObject> {
    let book = this.books.get(account);
    if (!book) {
      book = { contacts: [], groups: [], policies: [] };
      this.books.set(account, book);
    }
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
}
