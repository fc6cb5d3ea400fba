/**
 * `src/messaging/local-delivery.ts`: which copy is a contact copy, the per-process (per event bus)
 * memory of what was announced, and — through the pipeline — the rule it serves: two instances sharing
 * one store (here one real SQLite `:memory:` journal, two event buses), the proxy's storage copy at one,
 * contact copies at both: each instance announces a message / an IMDN to its connections exactly once,
 * the push is sent only by the instance that inserted the entry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAnnouncements, isContactCopy } from '../../src/messaging/cluster/local-delivery.js';
import { MessagingEvents, type MessagingEventName } from '../../src/messaging/events.js';
import { parseMessageRequest } from '../../src/messaging/sip-ingress/parse.js';
import { Outbound } from '../../src/messaging/outbound.js';
import { StorageEnabledAccounts } from '../../src/messaging/accounts.js';
import type { MessagingContext } from '../../src/messaging/context.js';
import { createMessagingPipeline } from '../../src/messaging/sip-ingress/request-handler.js';
import type { IncomingMessagePush } from '../../src/messaging/push-hook.js';
import type { RequestHandler } from '../../src/sip/api.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';
import { DEFAULT_API_TOKEN_TTL_MS } from '../../src/journal/types.js';
import { buildImdn } from '../../src/payload/imdn.js';
import { logger } from '../../src/util/logger.js';
import { RecordingClient, cpimBody, incoming, sipRequest } from './helpers.js';

const parsed = (req: ReturnType<typeof sipRequest>) => {
  const r = parseMessageRequest(req);
  assert.ok(r.ok);
  return r.message;
};

describe('local-delivery: contact copies and the per-process memory', () => {
  it('a copy without X-Sylk-App (or with an empty one) is a contact copy; the storage copy is not', () => {
    assert.equal(isContactCopy(parsed(sipRequest({ body: 'x', app: false }))), true);
    assert.equal(isContactCopy(parsed(sipRequest({ body: 'x', app: false, headers: [['X-Sylk-App', ' ']] }))), true);
    assert.equal(isContactCopy(parsed(sipRequest({ body: 'x' }))), false);
  });

  it('LocalAnnouncements.first: true once per (kind, account, id) and memory (one per event bus)', () => {
    const a = new LocalAnnouncements();
    const b = new LocalAnnouncements();
    assert.equal(a.first('message', 'bob@example.com', 'm1'), true);
    assert.equal(a.first('message', 'bob@example.com', 'm1'), false);
    assert.equal(a.first('imdn', 'bob@example.com', 'm1'), true, 'another kind');
    assert.equal(a.first('message', 'carol@example.com', 'm1'), true, 'another account');
    assert.equal(b.first('message', 'bob@example.com', 'm1'), true, 'another process / server');
  });

  it('the memory is bounded: past 20 000 keys the oldest half is forgotten, recent ones kept', () => {
    const e = new LocalAnnouncements();
    for (let i = 0; i < 20_000; i++) e.first( 'k', 'a@x', String(i));
    assert.equal(e.first('k', 'a@x', '19999'), false);
    assert.equal(e.first('k', 'a@x', 'new'), true, 'evicts the oldest half');
    assert.equal(e.first('k', 'a@x', '0'), true, 'oldest forgotten');
    assert.equal(e.first('k', 'a@x', '19999'), false, 'recent kept');
  });
});

describe('local-delivery: two instances sharing one journal', () => {
  let store: SqliteStore;
  interface Instance {
    p: RequestHandler;
    seen: Array<{ name: MessagingEventName; event: unknown }>;
    pushes: IncomingMessagePush[];
  }
  let a: Instance;
  let b: Instance;

  function instance(): Instance {
    const log = logger.child({ module: 'test' });
    const events = new MessagingEvents();
    const seen: Instance['seen'] = [];
    const pushes: IncomingMessagePush[] = [];
    for (const name of ['message', 'disposition-notification', 'sync-message-add'] as const) events.on(name, (event) => seen.push({ name, event }));
    const ctx: MessagingContext = {
      store,
      events,
      accounts: new StorageEnabledAccounts(),
      announced: new LocalAnnouncements(),
      outbound: new Outbound({ client: new RecordingClient(), log, localIp: '127.0.0.1', localTcpPort: () => null, localSipMessages: false, outboundProxy: null }),
      log,
      onIncomingMessage: (m) => {
        pushes.push(m);
      },
      webBaseUrl: () => 'https://sylk.example.com',
      fileTransferDir: null,
      fileTransferExpireDays: 15,
      apiTokenTtlMs: DEFAULT_API_TOKEN_TTL_MS,
      now: () => new Date(),
    };
    return { p: createMessagingPipeline({ ctx, defaultApplication: 'webrtcgateway', applicationMap: {} }), seen, pushes };
  }

  before(async () => {
    store = openSqliteStore({ path: ':memory:' });
    await store.addAccount('alice@example.com');
    await store.addAccount('bob@example.com');
    a = instance();
    b = instance();
  });
  after(() => store.close());

  const count = (i: Instance, name: string, id: string) =>
    i.seen.filter((s) => s.name === name && (s.event as { message_id: string }).message_id === id).length;

  it('a message: A stores it (storage copy) and announces; contact copies at A and B announce once each; one push', async () => {
    const body = cpimBody({ id: 'ld-1', content: 'hello bob' });
    const storage = sipRequest({ contentType: 'message/cpim', body, headers: [['X-Sylk-From-Sip', 'yes']] });
    const contact = (conn: string) => sipRequest({ contentType: 'message/cpim', body, app: false, uri: `sip:bob@127.0.0.1:5070;sylk-ws=${conn}` });
    assert.equal((await a.p(incoming(storage))).status, 200);
    for (const [inst, conn] of [
      [a, 'a1'],
      [b, 'b1'],
      [b, 'b2'],
      [a, 'a2'],
    ] as const) {
      assert.equal((await inst.p(incoming(contact(conn)))).status, 200);
    }
    assert.equal(count(a, 'message', 'ld-1'), 1);
    assert.equal(count(b, 'message', 'ld-1'), 1);
    assert.equal(a.pushes.length + b.pushes.length, 1);
    assert.equal(a.pushes.length, 1, 'the push comes from the inserting instance');
    assert.equal((await store.query('bob@example.com', { limit: 100 })).entries.filter((e) => e.messageId === 'ld-1').length, 1);
    // The sender copy's sync event only where it was inserted.
    assert.equal(a.seen.filter((s) => s.name === 'sync-message-add').length, 1);
    assert.equal(b.seen.filter((s) => s.name === 'sync-message-add').length, 0);
  });

  it('a contact copy that arrives first, at B, stores and announces there (and pushes); A announces on its own contact copy', async () => {
    const body = cpimBody({ id: 'ld-2', content: 'second' });
    const pushes = a.pushes.length + b.pushes.length;
    await b.p(incoming(sipRequest({ contentType: 'message/cpim', body, app: false, uri: 'sip:bob@127.0.0.1:5071;sylk-ws=b1' })));
    assert.equal(count(b, 'message', 'ld-2'), 1);
    assert.equal(b.pushes.length + a.pushes.length, pushes + 1);
    await a.p(incoming(sipRequest({ contentType: 'message/cpim', body })));
    assert.equal(count(a, 'message', 'ld-2'), 0, 'the storage copy is a duplicate: A has no contact of bob to tell');
    await a.p(incoming(sipRequest({ contentType: 'message/cpim', body, app: false, uri: 'sip:bob@127.0.0.1:5070;sylk-ws=a1' })));
    assert.equal(count(a, 'message', 'ld-2'), 1);
    assert.equal(count(b, 'message', 'ld-2'), 1);
    assert.equal(b.pushes.length + a.pushes.length, pushes + 1, 'one push');
  });

  it('a second storage copy at another instance (a duplicate) announces nothing there', async () => {
    const body = cpimBody({ id: 'ld-3', content: 'third' });
    await a.p(incoming(sipRequest({ contentType: 'message/cpim', body })));
    await b.p(incoming(sipRequest({ contentType: 'message/cpim', body })));
    assert.equal(count(a, 'message', 'ld-3'), 1);
    assert.equal(count(b, 'message', 'ld-3'), 0, 'only contact copies announce what another instance stored');
  });

  it('an IMDN: the report reaches the original sender on both instances once each', async () => {
    const imdn = buildImdn({ messageId: 'ld-1', datetime: '2024-05-01T10:00:00Z', recipientUri: 'alice@example.com', state: 'displayed' });
    const body = cpimBody({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', id: 'imdn-ld-1', contentType: 'message/imdn+xml', content: imdn });
    const req = (app: boolean, uri?: string) =>
      sipRequest({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', contentType: 'message/cpim', body, app, ...(uri ? { uri } : {}) });
    await a.p(incoming(req(true)));
    await b.p(incoming(req(false, 'sip:alice@127.0.0.1:5071;sylk-ws=b3')));
    await b.p(incoming(req(false, 'sip:alice@127.0.0.1:5071;sylk-ws=b4')));
    await a.p(incoming(req(false, 'sip:alice@127.0.0.1:5070;sylk-ws=a3')));
    const reports = (i: Instance) => i.seen.filter((s) => s.name === 'disposition-notification' && (s.event as { message_id: string }).message_id === 'ld-1').length;
    assert.equal(reports(a), 1);
    assert.equal(reports(b), 1);
    assert.equal((await store.query('alice@example.com', { limit: 100 })).entries.filter((e) => e.messageId === 'imdn-ld-1').length, 1);
  });
});
