/**
 * A signed-in account on one connection: the sylkRTC conversation flow of a client
 * (sylkrtc-websocket.md §13.1): `account-add` with the HA1, `account-register` and its
 * `registration-state` events, then `account-sync-conversations` paged from the last entry seen
 * (§7.3, §13.2) — after every (re)connection, so a dropped connection catches up from the journal;
 * ids already known are skipped, so nothing shows twice. Live `message`, `disposition-notification`
 * and `sync` events (§6), and the requests of what a person does: send, report delivered/displayed,
 * mark read, remove a message or a conversation, upload a file (http-api.md §3). Encryption is
 * delegated to e2e.ts when present.
 */
import { Connection, type ConnectionState, type Frame } from './connection.js';
import { uuid } from './ids.js';
import { Model, ownState, type ChatMessage, type FileInfo } from './model.js';
import { parseFileTransfer, plainText, previewOf, sameOrigin, SHOWN_TYPES } from './content.js';
import type { E2E } from './e2e.js';

export type Status = 'connecting' | 'online' | 'offline' | 'failed';

const SYNC_LIMIT = 500;
const PGP_MESSAGE = '-----BEGIN PGP MESSAGE-----';

interface Entry {
  contact: string;
  timestamp: string;
  disposition: string[] | null;
  message_id: string;
  content_type: string;
  content: string;
  direction: string;
  state: string | null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface SessionEvents {
  /** First registration answered: null = signed in, else the text to show. */
  signedIn(error: string | null): void;
}

export class Session {
  readonly model = new Model();
  status: Status = 'connecting';
  /** Why the server refused a later sign-in (status `failed`). */
  failure: string | null = null;
  retryInMs: number | null = null;
  active: string | null = null;
  e2e: E2E | null = null;
  private conn: Connection;
  private cursor: string | null = null;
  private syncWaiter: ((n: number) => void) | null = null;
  private firstLogin = true;
  private readonly hidden: Set<string>;
  private readonly undecrypted = new Map<string, string>();
  private readonly decrypting = new Set<string>();

  constructor(
    wsUrl: string,
    readonly account: string,
    private readonly ha1: string,
    private readonly events: SessionEvents,
  ) {
    this.hidden = new Set(JSON.parse(localStorage.getItem(this.hiddenKey()) ?? '[]') as string[]);
    this.conn = new Connection(wsUrl, {
      state: (s, retry) => this.connectionState(s, retry),
      event: (f) => this.event(f),
    });
  }

  start(): void {
    this.conn.open();
  }

  stop(): void {
    this.conn.close();
  }

  /** Retry a dropped connection at once (the browser is online again). */
  retryNow(): void {
    this.conn.retryNow();
  }

  request(body: Frame): Promise<void> {
    return this.conn.request({ account: this.account, ...body });
  }

  // ------------------------------------------------------------------------------------------ login

  private connectionState(s: ConnectionState, retry: number | null): void {
    if (this.status === 'failed') return;
    this.retryInMs = retry;
    if (s === 'ready') void this.login();
    else if (s === 'disconnected') this.status = 'offline';
    this.model.changed();
  }

  private async login(): Promise<void> {
    try {
      await this.conn.request({ sylkrtc: 'account-add', account: this.account, password: this.ha1, user_agent: `Sylk web client (${navigator.userAgent})` });
      await this.request({ sylkrtc: 'account-register' });
    } catch (err) {
      if (this.firstLogin) this.finishFirstLogin((err as Error).message);
    }
  }

  private finishFirstLogin(error: string | null): void {
    if (!this.firstLogin) return;
    this.firstLogin = false;
    this.events.signedIn(error);
  }

  private async registered(): Promise<void> {
    this.status = 'online';
    this.model.changed();
    this.finishFirstLogin(null);
    this.e2e?.connected();
    try {
      // Page through the journal from the last entry seen until an empty batch (§13.2).
      for (;;) {
        const n = await this.syncOnce();
        if (n === 0) break;
      }
    } catch {
      return; // the connection dropped; the next registration syncs again
    }
    if (this.active) this.markRead(this.active);
  }

  private syncOnce(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.syncWaiter = resolve;
      const body: Frame = { sylkrtc: 'account-sync-conversations', limit: SYNC_LIMIT };
      if (this.cursor) body.message_id = this.cursor;
      this.request(body).catch((e: unknown) => {
        this.syncWaiter = null;
        reject(e as Error);
      });
    });
  }

  // ----------------------------------------------------------------------------------------- events

  private event(f: Frame): void {
    if (f.sylkrtc === 'lookup-public-key-event') {
      this.e2e?.lookupAnswer(str(f.uri), typeof f.public_key === 'string' ? f.public_key : null);
      return;
    }
    if (f.sylkrtc !== 'account-event' || f.account !== this.account) return;
    switch (f.event) {
      case 'registration-state':
        if (f.state === 'registered') void this.registered();
        else if (f.state === 'failed') {
          const reason = str(f.reason);
          const text = reason.includes('904') ? 'Wrong account or password' : `Sign-in failed: ${reason}`;
          if (this.firstLogin) this.finishFirstLogin(text);
          else {
            // Refused on a reconnection (e.g. the password changed): say so, stop retrying.
            this.status = 'failed';
            this.failure = text;
            this.conn.close();
            this.model.changed();
          }
        }
        return;
      case 'sync-conversations': {
        const entries = Array.isArray(f.messages) ? (f.messages as Entry[]) : [];
        for (const e of entries) this.applyEntry(e);
        if (entries.length > 0) this.cursor = entries[entries.length - 1]!.message_id;
        const w = this.syncWaiter;
        this.syncWaiter = null;
        w?.(entries.length);
        return;
      }
      case 'message':
        this.liveMessage(f);
        return;
      case 'disposition-notification': {
        const s = ownState(str(f.state));
        if (s) this.model.advance(str(f.message_id), s);
        return;
      }
      case 'sync':
        this.syncEvent(f);
        return;
    }
  }

  /** One journal entry from a sync batch (§6.4, markers applied in order, §13.2). */
  private applyEntry(e: Entry): void {
    switch (e.content_type) {
      case 'message/imdn': {
        const r = safeJson(e.content);
        const s = ownState(str(r?.state));
        if (r && s) this.model.advance(str(r.message_id), s);
        return;
      }
      case 'application/sylk-message-remove': {
        const r = safeJson(e.content);
        if (r) this.model.remove(str(r.message_id));
        return;
      }
      case 'application/sylk-conversation-read':
        this.model.markRead(e.content);
        return;
      case 'application/sylk-conversation-remove':
        this.model.removeConversation(e.content);
        if (this.active === e.content) this.model.ensureConversation(e.content);
        return;
      case 'text/pgp-public-key':
        this.e2e?.publicKeyOf(e.contact, e.content);
        return;
    }
    if (!SHOWN_TYPES.has(e.content_type) || this.hidden.has(e.message_id)) return;
    const outgoing = e.direction === 'outgoing';
    const disposition = e.disposition ?? [];
    const added = this.addMessage({
      id: e.message_id,
      contact: e.contact,
      direction: outgoing ? 'outgoing' : 'incoming',
      timestamp: e.timestamp,
      contentType: e.content_type,
      content: e.content,
      state: outgoing ? (ownState(e.state ?? '') ?? 'pending') : 'received',
      unread: !outgoing && disposition.includes('display'),
    });
    if (added && !outgoing && disposition.includes('positive-delivery')) this.report(e.contact, e.message_id, e.timestamp, 'delivered');
  }

  private liveMessage(f: Frame): void {
    const sender = (f.sender ?? {}) as { uri?: unknown };
    const contact = str(sender.uri);
    const type = str(f.content_type);
    const id = str(f.message_id);
    const content = str(f.content);
    if (type === 'text/pgp-public-key') {
      this.e2e?.publicKeyOf(contact, content);
      return;
    }
    if (type === 'text/pgp-private-key') return; // own devices get it as a sync add
    if (!SHOWN_TYPES.has(type) || contact === this.account) return;
    const disposition = Array.isArray(f.disposition_notification) ? (f.disposition_notification as string[]) : [];
    const seen = this.active === contact && document.visibilityState === 'visible';
    const added = this.addMessage({
      id,
      contact,
      direction: 'incoming',
      timestamp: str(f.timestamp),
      contentType: type,
      content,
      state: 'received',
      unread: disposition.includes('display') && !seen,
    });
    if (!added) return;
    if (disposition.includes('positive-delivery')) this.report(contact, id, str(f.timestamp), 'delivered');
    if (seen && disposition.includes('display')) {
      this.report(contact, id, str(f.timestamp), 'displayed');
      this.request({ sylkrtc: 'account-mark-conversation-read', contact }).catch(() => undefined);
    }
  }

  private syncEvent(f: Frame): void {
    const c = (f.content ?? {}) as Frame;
    if (f.type === 'message' && f.action === 'add') {
      const type = str(c.content_type);
      if (type === 'text/pgp-private-key') {
        this.e2e?.privateKeyFromOtherDevice(str(c.content));
        return;
      }
      if (!SHOWN_TYPES.has(type)) return;
      const id = str(c.message_id);
      const state = c.server_generated === true || c.uri === this.account ? 'sent' : 'pending';
      const existing = this.model.byId.get(id);
      if (existing) {
        // Our own upload: the server's descriptor replaces the placeholder.
        const file = type === 'application/sylk-file-transfer' ? parseFileTransfer(str(c.content)) : undefined;
        if (file) this.model.update(id, { file: { ...existing.file, ...file }, text: previewOf(type, file.filename) });
        this.model.advance(id, state);
        return;
      }
      this.addMessage({ id, contact: str(c.uri), direction: 'outgoing', timestamp: str(c.timestamp), contentType: type, content: str(c.content), state, unread: false });
    } else if (f.type === 'message' && f.action === 'remove') {
      this.model.remove(str(c.message_id));
    } else if (f.type === 'conversation' && f.action === 'read') {
      this.model.markRead(str(c.contact));
    } else if (f.type === 'conversation' && f.action === 'remove') {
      this.model.removeConversation(str(c.contact));
      if (this.active === str(c.contact)) this.active = null;
    }
  }

  /** Turn wire content into a model message; encrypted text is decrypted in the background. */
  private addMessage(m: Omit<ChatMessage, 'time' | 'text' | 'encrypted'> & { content: string }): boolean {
    const encrypted = m.content.trimStart().startsWith(PGP_MESSAGE);
    const file = m.contentType === 'application/sylk-file-transfer' ? parseFileTransfer(m.content) : undefined;
    const { content, ...rest } = m;
    const time = Date.parse(m.timestamp);
    const msg: ChatMessage = {
      ...rest,
      time: Number.isNaN(time) ? Date.now() : time,
      text: encrypted ? 'Encrypted message' : file ? previewOf(m.contentType, file.filename) : plainText(m.contentType, content),
      encrypted: encrypted || Boolean(file?.filename.endsWith('.asc')),
      ...(file ? { file } : {}),
    };
    const added = this.model.add(msg);
    if (added && encrypted) void this.decrypt(msg.id, content);
    return added;
  }

  private async decrypt(id: string, armored: string): Promise<void> {
    if (!this.e2e) {
      this.undecrypted.set(id, armored); // decrypted when OpenPGP has loaded
      return;
    }
    const text = await this.e2e.decrypt(armored).catch(() => null);
    const m = this.model.byId.get(id);
    if (!m) return;
    if (text === null) {
      this.undecrypted.set(id, armored); // tried again when the keys change
      this.model.update(id, { undecryptable: true, text: 'Encrypted message (cannot be decrypted here)' });
    } else {
      this.undecrypted.delete(id);
      this.model.update(id, { text: plainText(m.contentType, text), undecryptable: false });
    }
  }

  /** Plug in end-to-end encryption (loaded after sign-in). */
  attachE2E(e2e: E2E): void {
    this.e2e = e2e;
    if (this.status === 'online') e2e.connected();
    this.keysChanged();
  }

  /** The keys changed: try again what could not be decrypted. */
  keysChanged(): void {
    for (const m of this.model.byId.values()) if (m.file?.failed) m.file.failed = false;
    for (const [id, armored] of [...this.undecrypted]) {
      this.undecrypted.delete(id);
      if (this.model.byId.has(id)) void this.decrypt(id, armored);
    }
    this.model.changed();
  }

  private report(contact: string, id: string, timestamp: string, state: 'delivered' | 'displayed'): void {
    this.request({ sylkrtc: 'account-disposition-notification', uri: contact, message_id: id, state, timestamp }).catch(() => undefined);
  }

  // ---------------------------------------------------------------------------------------- actions

  /** Open a conversation (null: none) and mark it read on every device. */
  open(contact: string | null): void {
    this.active = contact;
    if (contact) {
      this.model.ensureConversation(contact);
      this.markRead(contact);
      this.e2e?.lookup(contact);
    }
    this.model.changed();
  }

  markRead(contact: string): void {
    const unread = this.model.markRead(contact);
    if (unread.length === 0 || this.status !== 'online') return;
    for (const m of unread) this.report(contact, m.id, m.timestamp, 'displayed');
    this.request({ sylkrtc: 'account-mark-conversation-read', contact }).catch(() => undefined);
  }

  async send(contact: string, text: string): Promise<void> {
    const id = uuid();
    const timestamp = new Date().toISOString();
    const encrypt = this.e2e?.canEncryptTo(contact) ?? false;
    this.model.add({ id, contact, direction: 'outgoing', timestamp, time: Date.parse(timestamp), contentType: 'text/plain', text, state: 'pending', unread: false, encrypted: encrypt });
    try {
      const content = encrypt && this.e2e ? await this.e2e.encrypt(contact, text) : text;
      await this.request({ sylkrtc: 'account-message', uri: contact, message_id: id, content, content_type: 'text/plain', timestamp });
    } catch {
      this.model.advance(id, 'failed');
    }
  }

  /**
   * Upload a file through the file-transfer route (http-api.md §3) with progress; encrypted (and
   * named `<name>.asc`) when the contact's key is known, as Sylk's clients do.
   */
  async sendFile(contact: string, blob: Blob, filename: string): Promise<void> {
    const id = uuid();
    const timestamp = new Date().toISOString();
    const encrypt = this.e2e?.canEncryptTo(contact) ?? false;
    const file: FileInfo = { filename, filesize: blob.size, filetype: blob.type || 'application/octet-stream', ...(encrypt ? { localUrl: URL.createObjectURL(blob) } : {}) };
    this.model.add({ id, contact, direction: 'outgoing', timestamp, time: Date.parse(timestamp), contentType: 'application/sylk-file-transfer', text: previewOf('application/sylk-file-transfer', filename), state: 'pending', unread: false, encrypted: encrypt, file, progress: 0 });
    let body: Blob = blob;
    let name = filename;
    if (encrypt && this.e2e) {
      try {
        body = new Blob([await this.e2e.encryptFile(contact, new Uint8Array(await blob.arrayBuffer()))], { type: file.filetype });
        name = `${filename}.asc`;
      } catch {
        this.model.update(id, { progress: undefined });
        this.model.advance(id, 'failed');
        return;
      }
    }
    const enc = encodeURIComponent;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/webrtcgateway/filetransfer/${enc(this.account)}/${enc(contact)}/${id}/${enc(name)}`);
    xhr.setRequestHeader('Content-Type', file.filetype);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) this.model.update(id, { progress: e.loaded / e.total });
    };
    xhr.onload = () => {
      this.model.update(id, { progress: undefined });
      if (xhr.status !== 200) this.model.advance(id, 'failed');
    };
    xhr.onerror = () => {
      this.model.update(id, { progress: undefined });
      this.model.advance(id, 'failed');
    };
    xhr.send(body);
  }

  /** Download and decrypt an encrypted (`.asc`) file for showing it; the result is an object URL. */
  async decryptFile(id: string): Promise<void> {
    const m = this.model.byId.get(id);
    const f = m?.file;
    if (!f?.url || f.localUrl || f.failed || !this.e2e || this.decrypting.has(id)) return;
    this.decrypting.add(id);
    try {
      const r = await fetch(sameOrigin(f.url));
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const plain = await this.e2e.decryptFile(new Uint8Array(await r.arrayBuffer()));
      this.model.update(id, { file: { ...f, localUrl: URL.createObjectURL(new Blob([plain as BlobPart], { type: f.filetype })) } });
    } catch {
      this.model.update(id, { file: { ...f, failed: true } });
    } finally {
      this.decrypting.delete(id);
    }
  }

  /** Delete a message: for both (own message, unsent on the server) or for me. */
  removeMessage(m: ChatMessage, forBoth: boolean): void {
    this.model.remove(m.id);
    if (m.direction === 'outgoing' && !forBoth) {
      // The server's remove unsends an own message; "for me" is kept in this browser only.
      this.hidden.add(m.id);
      localStorage.setItem(this.hiddenKey(), JSON.stringify([...this.hidden]));
      return;
    }
    this.request({ sylkrtc: 'account-remove-message', message_id: m.id, contact: m.contact }).catch(() => undefined);
  }

  removeConversation(contact: string): void {
    this.model.removeConversation(contact);
    if (this.active === contact) this.active = null;
    this.request({ sylkrtc: 'account-remove-conversation', contact }).catch(() => undefined);
  }

  private hiddenKey(): string {
    return `sylk.hidden.${this.account}`;
  }
}

function safeJson(s: string): Frame | null {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' ? (v as Frame) : null;
  } catch {
    return null;
  }
}
