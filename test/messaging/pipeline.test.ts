import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { createMessagingPipeline } from '../../src/messaging/sip-ingress/request-handler.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import type { RequestHandler } from '../../src/sip/api.js';
import { registry } from '../../src/util/metrics.js';
import { cpimBody, incoming, makeFixture, sipRequest, type Fixture } from './helpers.js';

function pipelineOf(f: Fixture, extra: Partial<Parameters<typeof createMessagingPipeline>[0]> = {}): RequestHandler {
  return createMessagingPipeline({ ctx: f.ctx, defaultApplication: 'conference', applicationMap: {}, ...extra });
}

describe('messaging pipeline: source check, application selection, methods', () => {
  let f: Fixture;
  before(() => {
    f = makeFixture();
  });
  after(() => f.close());

  it('refuses an untrusted source with 403', async () => {
    const p = pipelineOf(f, { trustedPeers: { allows: (ip) => ip === '10.0.0.1' } });
    const r = await p(incoming(sipRequest({ body: 'hi' }), '192.0.2.9'));
    assert.equal(r.status, 403);
    assert.equal((await p(incoming(sipRequest({ body: 'hi' }), '10.0.0.1'))).status, 200);
  });

  it('selects the application by X-Sylk-App, application_map, default_application', async () => {
    const p = pipelineOf(f, { applicationMap: { 'example.com': 'webrtcgateway', 'carol@example.org': 'echo' } });
    assert.equal((await p(incoming(sipRequest({ body: 'x', app: false })))).status, 200, 'host key maps to us');
    assert.equal((await p(incoming(sipRequest({ body: 'x', app: false, to: '<sip:carol@example.org>' })))).status, 404, 'user@host → echo');
    assert.equal((await p(incoming(sipRequest({ body: 'x', app: false, to: '<sip:dan@other.org>' })))).status, 404, 'default conference');
    const q = pipelineOf(f, { defaultApplication: 'webrtcgateway' });
    assert.equal((await q(incoming(sipRequest({ body: 'x', app: false, to: '<sip:dan@other.org>' })))).status, 200);
    assert.equal((await q(incoming(sipRequest({ body: 'x', app: false, headers: [['X-Sylk-App', ' conference ']] })))).status, 404);
  });

  it('answers INVITE 488, SUBSCRIBE 405 with Allow', async () => {
    const p = pipelineOf(f);
    assert.equal((await p(incoming(sipRequest({ method: 'INVITE' })))).status, 488);
    const r = await p(incoming(sipRequest({ method: 'SUBSCRIBE' })));
    assert.equal(r.status, 405);
    assert.deepEqual(r.headers, [['Allow', 'MESSAGE']]);
  });

  it('validates: missing Content-Type, empty body, bad CPIM, bad UTF-8 → 400', async () => {
    const p = pipelineOf(f);
    assert.equal((await p(incoming(sipRequest({})))).status, 400);
    assert.equal((await p(incoming(sipRequest({ contentType: 'text/plain', body: '' })))).status, 400);
    assert.equal((await p(incoming(sipRequest({ contentType: 'message/cpim', body: 'From: <sip:a@b>\r\nno blank line' })))).status, 400);
    assert.equal((await p(incoming(sipRequest({ contentType: 'message/cpim', body: Buffer.from([0x46, 0x3a, 0xff, 13, 10, 13, 10, 0x41]) })))).status, 400);
    assert.equal((await p(incoming(sipRequest({ body: Buffer.from([0xc3, 0x28]) })))).status, 400);
  });
});

describe('messaging pipeline: ordinary messages and replication', () => {
  let f: Fixture;
  let p: RequestHandler;
  before(async () => {
    f = makeFixture();
    p = pipelineOf(f);
    await f.store.addAccount('alice@example.com');
    await f.store.addAccount('bob@example.com');
  });
  after(() => f.close());

  it('stores the receiver copy and, with X-Sylk-From-Sip, the sender copy; emits events and a push', async () => {
    const body = cpimBody({ id: 'm-1', disposition: 'positive-delivery, display', content: 'Hello Bob' });
    const r = await p(incoming(sipRequest({ contentType: 'message/cpim', body, headers: [['X-Sylk-From-Sip', 'yes']] })));
    assert.equal(r.status, 200);
    const bob = await f.store.getEntry('bob@example.com', 'm-1');
    assert.ok(bob);
    assert.equal(bob.direction, 'incoming');
    assert.equal(bob.contact, 'alice@example.com');
    assert.equal(bob.state, 'received');
    assert.equal(bob.content, 'Hello Bob');
    assert.equal(bob.contentType, 'text/plain');
    assert.deepEqual(bob.disposition, ['positive-delivery', 'display']);
    assert.equal(bob.msgTimestamp.toISOString(), '2024-05-01T10:00:00.000Z');
    const alice = await f.store.getEntry('alice@example.com', 'm-1');
    assert.ok(alice);
    assert.equal(alice.direction, 'outgoing');
    assert.equal(alice.contact, 'bob@example.com');
    assert.equal(alice.state, 'accepted');
    const msg = f.seen.find((s) => s.name === 'message');
    assert.deepEqual(
      { ...(msg?.event as object), entry: undefined },
      {
        account: 'bob@example.com',
        sender: { uri: 'alice@example.com', display_name: 'Alice' },
        timestamp: '2024-05-01T10:00:00+00:00',
        disposition_notification: ['positive-delivery', 'display'],
        message_id: 'm-1',
        content_type: 'text/plain',
        content: 'Hello Bob',
        entry: undefined,
      },
    );
    const sync = f.seen.find((s) => s.name === 'sync-message-add');
    assert.deepEqual(sync?.event, {
      account: 'alice@example.com',
      content: {
        sylkrtc: 'account-message',
        transaction: '1',
        account: 'alice@example.com',
        uri: 'bob@example.com',
        message_id: 'm-1',
        content: 'Hello Bob',
        content_type: 'text/plain',
        timestamp: '2024-05-01T10:00:00+00:00',
        server_generated: true,
      },
    });
    assert.equal(f.pushes.length, 1);
    assert.equal(f.pushes[0]!.account, 'bob@example.com');
    assert.equal(f.client.sent.length, 0, 'nothing goes out for an ordinary message');
  });

  it('a re-fork (same CPIM Message-ID, new transaction) gives no duplicate entry nor event', async () => {
    const before = f.seen.length;
    const body = cpimBody({ id: 'm-1', content: 'Hello Bob' });
    const r = await p(incoming(sipRequest({ contentType: 'message/cpim', body, headers: [['X-Sylk-From-Sip', 'yes']] })));
    assert.equal(r.status, 200);
    const page = await f.store.query('bob@example.com', { limit: 100 });
    assert.equal(page.entries.filter((e) => e.messageId === 'm-1').length, 1);
    assert.equal((await f.store.query('alice@example.com', { limit: 100 })).entries.filter((e) => e.messageId === 'm-1').length, 1);
    assert.equal(f.seen.length, before);
  });

  it('a non-CPIM copy with the same Call-ID/CSeq/From tag in a new transaction is stored once', async () => {
    const req = sipRequest({ body: 'plain hello', callId: 'same-call', cseq: 7 });
    const copy = sipRequest({ body: 'plain hello', callId: 'same-call', cseq: 7 });
    copy.headers.set('from', req.headers.get('from')!);
    const [a, b] = await Promise.all([p(incoming(req)), p(incoming(copy))]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const entries = (await f.store.query('bob@example.com', { limit: 100 })).entries.filter((e) => e.content === 'plain hello');
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.disposition, null);
  });

  it('decodes Content-Encoding: deflate', async () => {
    const body = deflateSync(Buffer.from('compressed ünïcode', 'utf8'));
    const r = await p(incoming(sipRequest({ body, headers: [['Content-Encoding', 'deflate']] })));
    assert.equal(r.status, 200);
    const e = (await f.store.query('bob@example.com', { limit: 100 })).entries.find((x) => x.content === 'compressed ünïcode');
    assert.ok(e, 'the decompressed text is stored');
  });

  it('ignores a MESSAGE carrying X-Sylk-To-Sip (loop prevention)', async () => {
    const n = (await f.store.countEntries('bob@example.com'));
    const r = await p(incoming(sipRequest({ body: 'looped', headers: [['X-Sylk-To-Sip', 'yes']] })));
    assert.equal(r.status, 200);
    assert.equal(await f.store.countEntries('bob@example.com'), n);
  });

  it('stores nothing for an account that is not storage-enabled', async () => {
    const r = await p(incoming(sipRequest({ body: 'to nobody', to: '<sip:zed@example.com>' })));
    assert.equal(r.status, 200);
    assert.equal(await f.store.countEntries('zed@example.com'), 0);
  });

  it('a note to self from a SIP device: one (outgoing) entry, the live message event still sent', async () => {
    const self = { from: '<sip:alice@example.com>', to: '<sip:alice@example.com>' };
    const body = cpimBody({ from: '<sip:alice@example.com>', to: '<sip:alice@example.com>', id: 'self-1', content: 'note' });
    assert.equal((await p(incoming(sipRequest({ ...self, contentType: 'message/cpim', body, headers: [['X-Sylk-From-Sip', 'yes']] })))).status, 200);
    const mine = (await f.store.query('alice@example.com', { limit: 100 })).entries.filter((e) => e.messageId === 'self-1');
    assert.deepEqual(mine.map((e) => e.direction), ['outgoing']);
    assert.ok(f.seen.some((s) => s.name === 'message' && (s.event as { message_id: string }).message_id === 'self-1'));
  });

  it('opaque application types are stored but not pushed', async () => {
    const pushes = f.pushes.length;
    const r = await p(incoming(sipRequest({ contentType: 'application/sylk-message-metadata', body: '{"x":1}' })));
    assert.equal(r.status, 200);
    const e = (await f.store.query('bob@example.com', { limit: 100 })).entries.find((x) => x.contentType === 'application/sylk-message-metadata');
    assert.ok(e);
    assert.equal(f.pushes.length, pushes);
  });
});

describe('messaging pipeline: durable before acknowledged', () => {
  it('store unavailable → 503 with Retry-After, nothing written; the retry is stored once', async () => {
    const f = makeFixture();
    const path = join(f.dir, 'journal.sqlite');
    await f.store.addAccount('bob@example.com');
    await f.store.close();
    const p = pipelineOf(f);
    const body = cpimBody({ id: 'durable-1', content: 'keep me' });
    const r = await p(incoming(sipRequest({ contentType: 'message/cpim', body })));
    assert.equal(r.status, 503);
    assert.deepEqual(r.headers, [['Retry-After', '5']]);
    assert.equal(f.seen.length, 0, 'no event for an uncommitted message');
    // Reopen the same file: nothing half-written; the sender's retry is stored exactly once.
    const store = openSqliteStore({ path });
    try {
      assert.equal(await store.getEntry('bob@example.com', 'durable-1'), null);
      const g = { ...f, ctx: { ...f.ctx, store } };
      const q = createMessagingPipeline({ ctx: g.ctx, defaultApplication: 'conference', applicationMap: {} });
      assert.equal((await q(incoming(sipRequest({ contentType: 'message/cpim', body })))).status, 200);
      assert.equal((await q(incoming(sipRequest({ contentType: 'message/cpim', body })))).status, 200);
      assert.equal((await store.query('bob@example.com', { limit: 10 })).entries.filter((e) => e.messageId === 'durable-1').length, 1);
    } finally {
      await store.close();
      await f.close();
    }
  });
});

describe('messaging pipeline: metrics', () => {
  it('counts requests by handler and status in sylk_messaging_sip_requests_total when scraped', async () => {
    const f = makeFixture();
    try {
      const p = pipelineOf(f);
      const value = async (handler: string, status: string): Promise<number> => {
        const metric = registry.getSingleMetric('sylk_messaging_sip_requests_total');
        assert.ok(metric, 'metric registered');
        const got = await metric.get();
        return got.values.find((v) => v.labels.handler === handler && v.labels.status === status)?.value ?? 0;
      };
      const ok0 = await value('message', '200');
      const bad0 = await value('parse', '400');
      for (let i = 0; i < 3; i++) assert.equal((await p(incoming(sipRequest({ body: `counted ${i}` })))).status, 200);
      assert.equal((await p(incoming(sipRequest({ contentType: 'text/plain', body: '' })))).status, 400);
      assert.equal(await value('message', '200'), ok0 + 3);
      assert.equal(await value('parse', '400'), bad0 + 1);
      assert.equal(await value('message', '200'), ok0 + 3, 'a second scrape adds nothing');
      assert.match(await registry.metrics(), /^sylk_messaging_sip_requests_total\{handler="message",status="200"\} \d+$/m);
    } finally {
      await f.close();
    }
  });
});
