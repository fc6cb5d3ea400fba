/**
 * The client's picture of an account's conversations: messages by id and by contact, the
 * forward-only state of own messages (pending → sent → delivered → read, or failed; the journal's
 * `pending`/`accepted`/`delivered`/`displayed`, sylkrtc-websocket.md §2.6, §7.2), unread incoming
 * messages (those still asking for a `display` report), and a change counter the UI renders from.
 * Knows nothing of the wire; session.ts feeds it.
 */

export type OwnState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface FileInfo {
  filename: string;
  filesize: number;
  filetype: string;
  /** Download URL (absent while uploading). */
  url?: string;
  /** An encrypted file (`.asc`) decrypted in the browser: an object URL of the plaintext. */
  localUrl?: string;
  /** Decrypting it failed. */
  failed?: boolean;
}

export interface ChatMessage {
  id: string;
  contact: string;
  direction: 'incoming' | 'outgoing';
  /** ISO 8601 as sent by the sender (also the timestamp of reports about it). */
  timestamp: string;
  time: number;
  contentType: string;
  /** The text shown (decrypted when it was encrypted). */
  text: string;
  state: OwnState | 'received';
  /** Incoming and not yet reported as displayed. */
  unread: boolean;
  /** End-to-end encrypted (OpenPGP). */
  encrypted: boolean;
  /** Encrypted and could not be decrypted (no key, wrong key). */
  undecryptable?: boolean;
  file?: FileInfo;
  /** Upload progress 0..1 while the file is being sent. */
  progress?: number;
}

const RANK: Record<OwnState, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** Journal and report states → the states a person sees. */
export function ownState(wire: string): OwnState | null {
  switch (wire) {
    case 'pending':
      return 'pending';
    case 'accepted':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'displayed':
      return 'read';
    case 'failed':
    case 'error':
    case 'forbidden':
      return 'failed';
    default:
      return null;
  }
}

export class Model {
  /** Contact → messages, oldest first. */
  readonly conversations = new Map<string, ChatMessage[]>();
  readonly byId = new Map<string, ChatMessage>();
  version = 0;
  private listeners = new Set<() => void>();
  private scheduled = false;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Note a change; listeners run once per task however many changes there were. */
  changed(): void {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    });
  }

  ensureConversation(contact: string): ChatMessage[] {
    let list = this.conversations.get(contact);
    if (!list) {
      list = [];
      this.conversations.set(contact, list);
      this.changed();
    }
    return list;
  }

  /** Add a message unless its id is known; returns whether it was added. */
  add(m: ChatMessage): boolean {
    if (this.byId.has(m.id)) return false;
    this.byId.set(m.id, m);
    const list = this.ensureConversation(m.contact);
    let i = list.length;
    while (i > 0 && list[i - 1]!.time > m.time) i--;
    list.splice(i, 0, m);
    this.changed();
    return true;
  }

  update(id: string, patch: Partial<ChatMessage>): void {
    const m = this.byId.get(id);
    if (!m) return;
    Object.assign(m, patch);
    this.changed();
  }

  /** Move an own message forward (never back; failed only from pending or sent). */
  advance(id: string, to: OwnState): void {
    const m = this.byId.get(id);
    if (!m || m.direction !== 'outgoing' || m.state === 'received') return;
    const from = m.state;
    if (from === 'failed' || from === to) return;
    if (to === 'failed' ? RANK[from] > RANK.sent : RANK[to] < RANK[from]) return;
    m.state = to;
    this.changed();
  }

  remove(id: string): void {
    const m = this.byId.get(id);
    if (!m) return;
    this.byId.delete(id);
    const list = this.conversations.get(m.contact);
    if (list) {
      const i = list.indexOf(m);
      if (i >= 0) list.splice(i, 1);
    }
    this.changed();
  }

  removeConversation(contact: string): void {
    for (const m of this.conversations.get(contact) ?? []) this.byId.delete(m.id);
    this.conversations.delete(contact);
    this.changed();
  }

  /** Mark every incoming message of `contact` read; returns those that were unread. */
  markRead(contact: string): ChatMessage[] {
    const was = (this.conversations.get(contact) ?? []).filter((m) => m.unread);
    for (const m of was) m.unread = false;
    if (was.length > 0) this.changed();
    return was;
  }

  unreadCount(contact: string): number {
    return (this.conversations.get(contact) ?? []).reduce((n, m) => n + (m.unread ? 1 : 0), 0);
  }

  /** Contacts, the one with the newest message first (empty new conversations on top). */
  contacts(): string[] {
    const last = (c: string) => {
      const l = this.conversations.get(c)!;
      return l.length ? l[l.length - 1]!.time : Number.MAX_SAFE_INTEGER;
    };
    return [...this.conversations.keys()].sort((a, b) => last(b) - last(a));
  }
}
