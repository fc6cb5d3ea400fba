/**
 * Test doubles for the sylkRTC unit tests: a WebSocket that records frames, a messaging service that
 * records calls and emits the events the real one would, an authenticator answering on demand.
 */
import type { WebSocket } from 'ws';
import { MessagingEvents, type JournalEntryJson } from '../../src/messaging/index.js';
import type {
  MessagingService,
  RemoveConversationResult,
  RemoveMessageResult,
  SendMessageResult,
  SyncConversationsArgs,
  SyncConversationsResult,
} from '../../src/messaging/index.js';
import type { PushToken } from '../../src/journal/types.js';
import type { AccountAuthenticator, AuthEvent, AuthSubject } from '../../src/sylkrtc/auth.js';
import { MemoryAddressBookStore } from '../../src/sylkrtc/addressbook.js';
import { Connection } from '../../src/sylkrtc/connection.js';
import type { SylkRtcContext } from '../../src/sylkrtc/context.js';
import { FanOut } from '../../src/sylkrtc/fanout.js';
import { ConnectionRegistry } from '../../src/sylkrtc/registry.js';

export class FakeWs {
  readyState = 1;
  bufferedAmount = 0;
  frames: Record<string, unknown>[] = [];
  send(data: string | Buffer): void {
    this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
  }
  terminate(): void {
    this.readyState = 3;
  }
  take(): Record<string, unknown>[] {
    return this.frames.splice(0);
  }
}

export class FakeService implements MessagingService {
  calls: Array<{ op: string; args: unknown }> = [];
  keys = new Map<string, string>();
  journal: JournalEntryJson[] = [];
  logins: string[] = [];
  constructor(readonly events: MessagingEvents) {}

  async sendMessage(args: Parameters<MessagingService['sendMessage']>[0]): Promise<SendMessageResult> {
    this.calls.push({ op: 'sendMessage', args });
    const { account, origin, transaction, uri, message_id, content, content_type, timestamp } = args;
    this.events.emit('sync-message-add', {
      account,
      ...(origin ? { origin } : {}),
      content: { sylkrtc: 'account-message', transaction, account, uri, message_id, content, content_type, timestamp },
    });
    return { stored: true, delivery: null };
  }
  async sendDispositionNotification(args: Parameters<MessagingService['sendDispositionNotification']>[0]): Promise<void> {
    this.calls.push({ op: 'sendDispositionNotification', args });
  }
  async markConversationRead(args: Parameters<MessagingService['markConversationRead']>[0]): Promise<void> {
    this.calls.push({ op: 'markConversationRead', args });
    this.events.emit('sync-conversation-read', { account: args.account, ...(args.origin ? { origin: args.origin } : {}), content: { contact: args.contact } });
  }
  async removeMessage(args: Parameters<MessagingService['removeMessage']>[0]): Promise<RemoveMessageResult> {
    this.calls.push({ op: 'removeMessage', args });
    return { removed: true, remoteRemoved: false };
  }
  async removeConversation(args: Parameters<MessagingService['removeConversation']>[0]): Promise<RemoveConversationResult> {
    this.calls.push({ op: 'removeConversation', args });
    return { removed: 0, timestamp: new Date().toISOString() };
  }
  async lookupPublicKey(uri: string): Promise<string | null> {
    return this.keys.get(uri) ?? null;
  }
  async syncConversations(args: SyncConversationsArgs): Promise<SyncConversationsResult> {
    this.calls.push({ op: 'syncConversations', args });
    let i = 0;
    if (args.message_id) {
      const k = this.journal.findIndex((e) => e.message_id === args.message_id);
      i = k + 1;
    }
    const messages = this.journal.slice(i, i + (args.limit ?? 5000));
    return { messages, more: i + messages.length < this.journal.length };
  }
  async recordLogin(account: string): Promise<void> {
    this.logins.push(account);
  }
}

/** Authenticator whose outcome is decided by the test: `ha1` maps AOR → accepted password. */
export class FakeAuthenticator implements AccountAuthenticator {
  started: AuthSubject[] = [];
  stopped = 0;
  constructor(private readonly passwords: Map<string, string>) {}
  start(subject: AuthSubject, onEvent: (event: AuthEvent) => void) {
    this.started.push(subject);
    queueMicrotask(() =>
      onEvent(this.passwords.get(subject.aor) === subject.password ? { state: 'registered' } : { state: 'failed', reason: '904 No matching challenge' }),
    );
    return {
      stop: async () => {
        this.stopped++;
      },
    };
  }
}

export class FakeTokens {
  tokens: PushToken[] = [];
  removed: Array<[string, string, string]> = [];
  async addPushToken(t: PushToken): Promise<void> {
    this.tokens.push(t);
  }
  async removePushToken(a: string, app: string, dev: string): Promise<boolean> {
    this.removed.push([a, app, dev]);
    return true;
  }
}

export function makeContext(passwords: Record<string, string> = {}) {
  const events = new MessagingEvents();
  const service = new FakeService(events);
  const registry = new ConnectionRegistry();
  const authenticator = new FakeAuthenticator(new Map(Object.entries(passwords)));
  const store = new FakeTokens();
  const ctx: SylkRtcContext = {
    service,
    events,
    store,
    authenticator,
    registry,
    addressBook: new MemoryAddressBookStore(),
    sipDomains: '*',
  };
  const fanout = new FanOut(registry, events);
  const connect = () => {
    const ws = new FakeWs();
    const conn = new Connection(ctx, ws as unknown as WebSocket, '127.0.0.1');
    return { ws, conn };
  };
  return { ctx, events, service, registry, authenticator, store, fanout, connect };
}

/** Let queued requests and microtasks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
