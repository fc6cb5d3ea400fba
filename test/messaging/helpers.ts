/**
 * Test fixtures for the messaging layer: a real SQLite journal store in a temp directory, a SIP client
 * that records what the server sends and answers with a chosen status (the network edge only), the
 * messaging context, and a builder of incoming `SipRequest`s as the proxy forwards them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingRequest, OutgoingRequest, OutgoingResult, SipClient } from '../../src/sip/api.js';
import { Headers, type SipRequest } from '../../src/sip/message/message.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';
import { DEFAULT_API_TOKEN_TTL_MS } from '../../src/journal/types.js';
import { MessagingEvents, type MessagingEventMap, type MessagingEventName } from '../../src/messaging/events.js';
import { LocalAnnouncements } from '../../src/messaging/cluster/local-delivery.js';
import { Outbound } from '../../src/messaging/outbound.js';
import { StorageEnabledAccounts } from '../../src/messaging/accounts.js';
import type { MessagingContext } from '../../src/messaging/context.js';
import type { IncomingMessagePush } from '../../src/messaging/push-hook.js';
import { logger } from '../../src/util/logger.js';

export class RecordingClient implements SipClient {
  readonly sent: OutgoingRequest[] = [];
  status = 200;
  reason = 'OK';
  async send(request: OutgoingRequest): Promise<OutgoingResult> {
    this.sent.push(request);
    await new Promise((r) => setImmediate(r));
    return {
      response: { kind: 'response', version: 'SIP/2.0', status: this.status, reason: this.reason, headers: new Headers(), body: Buffer.alloc(0) },
      target: { protocol: 'udp', address: '127.0.0.1', port: 5060 },
      cseq: 1,
      callId: 'x',
    };
  }
}

export interface Fixture {
  dir: string;
  store: SqliteStore;
  events: MessagingEvents;
  client: RecordingClient;
  outbound: Outbound;
  ctx: MessagingContext;
  pushes: IncomingMessagePush[];
  /** Every event emitted, in order. */
  seen: Array<{ name: MessagingEventName; event: MessagingEventMap[MessagingEventName] }>;
  close(): Promise<void>;
}

export function makeFixture(opts: { localSipMessages?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-msg-'));
  const store = openSqliteStore({ path: join(dir, 'journal.sqlite') });
  const events = new MessagingEvents();
  const client = new RecordingClient();
  const log = logger.child({ module: 'test' });
  const outbound = new Outbound({
    client,
    log,
    localIp: '127.0.0.1',
    localTcpPort: () => 15360,
    localSipMessages: opts.localSipMessages ?? false,
    outboundProxy: null,
  });
  const pushes: IncomingMessagePush[] = [];
  const ctx: MessagingContext = {
    store,
    events,
    accounts: new StorageEnabledAccounts(),
    announced: new LocalAnnouncements(),
    outbound,
    log,
    onIncomingMessage: (m) => {
      pushes.push(m);
    },
    webBaseUrl: () => 'https://sylk.example.com:443',
    fileTransferDir: join(dir, 'ft'),
    fileTransferExpireDays: 15,
    apiTokenTtlMs: DEFAULT_API_TOKEN_TTL_MS,
    now: () => new Date(),
  };
  const seen: Fixture['seen'] = [];
  const names: MessagingEventName[] = [
    'message',
    'disposition-notification',
    'sync-message-add',
    'sync-message-remove',
    'sync-conversation-read',
    'sync-conversation-remove',
    'public-key-updated',
    'journal-appended',
  ];
  for (const name of names) events.on(name, (event) => seen.push({ name, event }));
  return {
    dir,
    store,
    events,
    client,
    outbound,
    ctx,
    pushes,
    seen,
    async close() {
      await outbound.idle();
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let callSeq = 0;

export interface RequestSpec {
  from?: string;
  to?: string;
  contentType?: string;
  body?: string | Buffer;
  headers?: Array<[string, string]>;
  callId?: string;
  cseq?: number;
  method?: string;
  uri?: string;
  /** Add `X-Sylk-App: webrtcgateway` (default true). */
  app?: boolean;
}

export function sipRequest(spec: RequestSpec): SipRequest {
  const headers = new Headers();
  const to = spec.to ?? '<sip:bob@example.com>';
  headers.append('via', 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK' + ++callSeq);
  headers.append('from', (spec.from ?? '"Alice" <sip:alice@example.com>') + ';tag=t' + callSeq);
  headers.append('to', to);
  headers.append('call-id', spec.callId ?? `call-${callSeq}-${Math.random()}`);
  headers.append('cseq', `${spec.cseq ?? 1} ${spec.method ?? 'MESSAGE'}`);
  if (spec.app ?? true) headers.append('x-sylk-app', 'webrtcgateway');
  for (const [k, v] of spec.headers ?? []) headers.append(k, v);
  if (spec.contentType !== undefined || spec.body !== undefined) headers.append('content-type', spec.contentType ?? 'text/plain');
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
  return {
    kind: 'request',
    method: spec.method ?? 'MESSAGE',
    uri: spec.uri ?? (/<([^>]+)>/.exec(to)?.[1] ?? 'sip:bob@example.com'),
    version: 'SIP/2.0',
    headers,
    body,
  };
}

export function incoming(request: SipRequest, address = '127.0.0.1'): IncomingRequest {
  return { request, source: { protocol: 'udp', address, port: 5060 } };
}

/** A CPIM body as the proxy forwards from a SIP client. */
export function cpimBody(o: { from?: string; to?: string; id?: string; disposition?: string; contentType?: string; content: string; dateTime?: string }): string {
  const lines = [
    `From: ${o.from ?? 'Alice <sip:alice@example.com>'}`,
    `To: ${o.to ?? '<sip:bob@example.com>'}`,
    `DateTime: ${o.dateTime ?? '2024-05-01T10:00:00.000Z'}`,
    'NS: imdn <urn:ietf:params:imdn>',
  ];
  if (o.id) lines.push(`imdn.Message-ID: ${o.id}`);
  if (o.disposition) lines.push(`imdn.Disposition-Notification: ${o.disposition}`);
  return `${lines.join('\r\n')}\r\n\r\nContent-Type: ${o.contentType ?? 'text/plain; charset=utf-8'}\r\n\r\n${o.content}`;
}
