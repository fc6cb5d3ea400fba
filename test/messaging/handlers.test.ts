/**
 * One describe per content-type module: what it stores (real SQLite store), which MESSAGEs go out
 * (recorded at the SIP client edge) and which events it raises. Requests go through the pipeline,
 * as the SIP stack delivers them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { generateKey } from 'openpgp';
import { createMessagingPipeline } from '../../src/messaging/sip-ingress/request-handler.js';
import { transferDir } from '../../src/messaging/files.js';
import { buildImdn } from '../../src/payload/imdn.js';
import { buildIsComposing } from '../../src/payload/iscomposing.js';
import { buildFtHttp } from '../../src/payload/ft-http.js';
import type { RequestHandler } from '../../src/sip/api.js';
import { cpimBody, incoming, makeFixture, sipRequest, type Fixture } from './helpers.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

async function setup(): Promise<{ f: Fixture; p: RequestHandler }> {
  const f = makeFixture();
  await f.store.addAccount(ALICE);
  await f.store.addAccount(BOB);
  return { f, p: createMessagingPipeline({ ctx: f.ctx, defaultApplication: 'conference', applicationMap: {} }) };
}

const header = (req: { headers?: ReadonlyArray<readonly [string, string]> }, name: string): string | undefined =>
  req.headers?.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('handler message/imdn+xml', () => {
  let f: Fixture;
  let p: RequestHandler;
  before(async () => ({ f, p } = await setup()));
  after(() => f.close());

  it('updates both copies, records a message/imdn entry, emits disposition-notification once', async () => {
    // Alice → Bob, both copies stored (X-Sylk-From-Sip).
    await p(incoming(sipRequest({ contentType: 'message/cpim', body: cpimBody({ id: 'orig-1', disposition: 'positive-delivery, display', content: 'hi' }), headers: [['X-Sylk-From-Sip', 'yes']] })));
    const imdn = (state: 'delivered' | 'displayed', id: string) =>
      sipRequest({
        from: '<sip:bob@example.com>',
        to: '<sip:alice@example.com>',
        contentType: 'message/cpim',
        body: cpimBody({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', id, contentType: 'message/imdn+xml', content: buildImdn({ messageId: 'orig-1', datetime: '2024-05-01T10:00:00.000Z', recipientUri: ALICE, state }) }),
      });
    assert.equal((await p(incoming(imdn('delivered', 'imdn-1')))).status, 200);
    let a = await f.store.getEntry(ALICE, 'orig-1');
    let b = await f.store.getEntry(BOB, 'orig-1');
    assert.equal(a!.state, 'delivered');
    assert.deepEqual(a!.disposition, ['display']);
    assert.equal(b!.state, 'received', 'the incoming copy keeps its state');
    assert.deepEqual(b!.disposition, ['display']);
    const rec = await f.store.getEntry(ALICE, 'imdn-1');
    assert.equal(rec!.contentType, 'message/imdn');
    assert.equal(rec!.contact, BOB);
    assert.equal(rec!.direction, 'incoming');
    assert.deepEqual(JSON.parse(rec!.content), {
      sylkrtc: 'account-event', account: ALICE, event: 'disposition-notification', message_id: 'orig-1',
      message_timestamp: '2024-05-01T10:00:00.000Z', state: 'delivered', code: 200, reason: '',
    });
    assert.equal((await p(incoming(imdn('displayed', 'imdn-2')))).status, 200);
    a = await f.store.getEntry(ALICE, 'orig-1');
    b = await f.store.getEntry(BOB, 'orig-1');
    assert.equal(a!.state, 'displayed');
    assert.deepEqual(b!.disposition, [], 'read on the recipient side');
    // A re-fork of the second IMDN changes nothing and raises no second event.
    await p(incoming(imdn('displayed', 'imdn-2')));
    const dn = f.seen.filter((s) => s.name === 'disposition-notification');
    assert.deepEqual(dn.map((s) => (s.event as { state: string }).state), ['delivered', 'displayed']);
    assert.equal(f.client.sent.length, 0);
    assert.equal(f.pushes.length, 1, 'only the original message was pushed');
  });

  it('processed/stored reports do not touch states (quirk 6) and invalid XML gets 400', async () => {
    const doc = buildImdn({ messageId: 'orig-1', datetime: 'x', recipientUri: ALICE, state: 'delivered' }).replace(
      '<delivery-notification><status><delivered/></status></delivery-notification>',
      '<processing-notification><status><stored/></status></processing-notification>',
    );
    const r = await p(incoming(sipRequest({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', contentType: 'message/imdn+xml', body: doc })));
    assert.equal(r.status, 200);
    assert.equal((await f.store.getEntry(ALICE, 'orig-1'))!.state, 'displayed');
    const bad = await p(incoming(sipRequest({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', contentType: 'message/imdn+xml', body: '<imdn>' })));
    assert.equal(bad.status, 400);
  });
});

describe('handler application/im-iscomposing+xml', () => {
  it('stores nothing, raises nothing, sends nothing (exact type match)', async () => {
    const { f, p } = await setup();
    try {
      const r = await p(incoming(sipRequest({ contentType: 'application/im-iscomposing+xml', body: buildIsComposing({ state: 'active' }), headers: [['X-Sylk-From-Sip', 'yes']] })));
      assert.equal(r.status, 200);
      assert.equal(await f.store.countEntries(BOB), 0);
      assert.equal(await f.store.countEntries(ALICE), 0);
      assert.equal(f.seen.length, 0);
      // A substring of the type is an ordinary message (quirk 12 fixed).
      await p(incoming(sipRequest({ contentType: 'application/im', body: 'x' })));
      assert.equal(await f.store.countEntries(BOB), 1);
    } finally {
      await f.close();
    }
  });
});

describe('handler application/sylk-api-token', () => {
  it('creates the account, stores a 43-char token, sends it back with the history URL', async () => {
    const { f, p } = await setup();
    try {
      const r = await p(incoming(sipRequest({ from: '<sip:carol@example.org>', to: '<sip:carol@example.org>', contentType: 'application/sylk-api-token', body: 'I need a token' })));
      assert.equal(r.status, 200);
      assert.ok(await f.store.getAccount('carol@example.org'));
      const tok = await f.store.getApiToken('carol@example.org');
      assert.match(tok!.token, /^[A-Za-z0-9_-]{43}$/);
      const days = (tok!.expiresAt.getTime() - Date.now()) / 86_400_000;
      assert.ok(days > 30.9 && days <= 31, `31 days, got ${days}`);
      await f.outbound.idle();
      assert.equal(f.client.sent.length, 1);
      const out = f.client.sent[0]!;
      assert.equal(out.uri, 'sip:carol@example.org');
      assert.equal(out.to, '<sip:carol@example.org>');
      assert.equal(out.from, '<sip:sylkserver@127.0.0.1>');
      assert.equal(out.contentType, 'application/sylk-api-token');
      assert.equal(header(out, 'X-Sylk-To-Sip'), 'yes');
      assert.deepEqual(JSON.parse(String(out.body)), { token: tok!.token, url: 'https://sylk.example.com:443/webrtcgateway/messages/history/carol@example.org' });
      assert.equal(await f.store.countEntries('carol@example.org'), 0, 'requests are never stored as messages');
    } finally {
      await f.close();
    }
  });
});

describe('handlers text/pgp-public-key and application/sylk-api-pgp-key-lookup', () => {
  let f: Fixture;
  let p: RequestHandler;
  let publicKey: string;
  let privateKey: string;
  before(async () => {
    ({ f, p } = await setup());
    ({ publicKey, privateKey } = await generateKey({ userIDs: [{ email: ALICE }], format: 'armored' }));
  });
  after(() => f.close());

  it('refuses a non-key and a private key with 400 and the reason', async () => {
    const r = await p(incoming(sipRequest({ contentType: 'text/pgp-public-key', body: 'not a key' })));
    assert.equal(r.status, 400);
    assert.match(r.reason!, /not an OpenPGP public key/);
    const s = await p(incoming(sipRequest({ contentType: 'text/pgp-public-key', body: privateKey })));
    assert.equal(s.status, 400);
    assert.match(s.reason!, /private key/);
    assert.equal(await f.store.getPublicKey(ALICE), null);
  });

  it('refuses a key whose CPIM From is not the SIP From (only the owner publishes)', async () => {
    const body = cpimBody({ from: '<sip:mallory@example.com>', id: 'k0', contentType: 'text/pgp-public-key', content: publicKey });
    const r = await p(incoming(sipRequest({ contentType: 'message/cpim', body })));
    assert.equal(r.status, 403);
    assert.equal(await f.store.getPublicKey('mallory@example.com'), null);
  });

  it('stores the sender key without a journal entry, delivers it live, answers lookups', async () => {
    const r = await p(incoming(sipRequest({ contentType: 'text/pgp-public-key', body: publicKey, headers: [['X-Sylk-From-Sip', 'yes']] })));
    assert.equal(r.status, 200);
    assert.equal((await f.store.getPublicKey(ALICE))!.key, publicKey);
    assert.equal(await f.store.countEntries(BOB), 0);
    assert.equal(await f.store.countEntries(ALICE), 0);
    assert.ok(f.seen.some((s) => s.name === 'message' && (s.event as { content_type: string }).content_type === 'text/pgp-public-key'));
    assert.ok(f.seen.some((s) => s.name === 'public-key-updated'));
    // Bob asks for Alice's key.
    const q = await p(incoming(sipRequest({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', contentType: 'application/sylk-api-pgp-key-lookup', body: 'key?' })));
    assert.equal(q.status, 200);
    await f.outbound.idle();
    const out = f.client.sent.at(-1)!;
    assert.equal(out.uri, 'sip:bob@example.com');
    assert.equal(out.from, '<sip:alice@example.com>');
    assert.equal(out.contentType, 'text/pgp-public-key');
    assert.equal(String(out.body), publicKey);
    assert.equal(header(out, 'X-Sylk-To-Sip'), 'yes');
    // Unknown key: nothing sent.
    const n = f.client.sent.length;
    await p(incoming(sipRequest({ from: '<sip:bob@example.com>', to: '<sip:zed@example.com>', contentType: 'application/sylk-api-pgp-key-lookup', body: 'key?' })));
    await f.outbound.idle();
    assert.equal(f.client.sent.length, n);
  });
});

describe('handler text/pgp-private-key', () => {
  it('keeps it (no entry) only when sent to oneself; the id is a duplicate afterwards', async () => {
    const { f, p } = await setup();
    try {
      const self = { from: '<sip:alice@example.com>', to: '<sip:alice@example.com>' };
      const body = cpimBody({ ...self, id: 'pk-1', contentType: 'text/pgp-private-key', content: '-----BEGIN PGP PRIVATE KEY BLOCK-----' });
      assert.equal((await p(incoming(sipRequest({ ...self, contentType: 'message/cpim', body })))).status, 200);
      assert.equal((await f.store.getPrivateKeyMessage(ALICE))!.messageId, 'pk-1');
      assert.equal(await f.store.countEntries(ALICE), 0);
      await p(incoming(sipRequest({ ...self, contentType: 'message/cpim', body })));
      assert.equal(f.seen.filter((s) => s.name === 'message').length, 1);
      const other = await p(incoming(sipRequest({ contentType: 'text/pgp-private-key', body: 'x' })));
      assert.equal(other.status, 403);
      assert.equal(await f.store.getPrivateKeyMessage(BOB), null);
    } finally {
      await f.close();
    }
  });
});

describe('handlers sylk-api-conversation-read / -remove', () => {
  let f: Fixture;
  let p: RequestHandler;
  before(async () => ({ f, p } = await setup()));
  after(() => f.close());

  it('conversation-read clears dispositions, appends the marker, notifies devices and connections', async () => {
    await p(incoming(sipRequest({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', contentType: 'message/cpim', body: cpimBody({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', id: 'u1', disposition: 'positive-delivery, display', content: 'unread' }) })));
    assert.equal((await f.store.unreadCounts(ALICE)).total, 1);
    const r = await p(incoming(sipRequest({ from: '<sip:alice@example.com>', to: '<sip:alice@example.com>', contentType: 'application/sylk-api-conversation-read', body: '{"contact": "sip:bob@EXAMPLE.com"}' })));
    assert.equal(r.status, 200);
    assert.equal((await f.store.unreadCounts(ALICE)).total, 0);
    const page = await f.store.query(ALICE, { limit: 10 });
    const marker = page.entries.at(-1)!;
    assert.equal(marker.contentType, 'application/sylk-conversation-read');
    assert.equal(marker.content, BOB);
    assert.equal(marker.direction, '');
    await f.outbound.idle();
    const out = f.client.sent.at(-1)!;
    assert.equal(out.from, '<sip:alice@example.com>');
    assert.equal(out.to, '<sip:alice@example.com>');
    assert.equal(out.contentType, 'application/sylk-conversation-read');
    assert.deepEqual(JSON.parse(String(out.body)), { contact: BOB });
    assert.deepEqual(f.seen.find((s) => s.name === 'sync-conversation-read')?.event, { account: ALICE, content: { contact: BOB } });
    const bad = await p(incoming(sipRequest({ contentType: 'application/sylk-api-conversation-read', body: '{"nocontact":1}' })));
    assert.equal(bad.status, 400);
  });

  it('conversation-remove deletes the conversation (as the WS path) and appends the marker', async () => {
    const r = await p(incoming(sipRequest({ from: '<sip:alice@example.com>', to: '<sip:alice@example.com>', contentType: 'application/sylk-api-conversation-remove', body: '{"contact": "bob@example.com", "timestamp": "2024-06-01T00:00:00Z"}' })));
    assert.equal(r.status, 200);
    const page = await f.store.query(ALICE, { limit: 10 });
    assert.equal(page.entries.length, 1, 'only the marker remains');
    assert.equal(page.entries[0]!.contentType, 'application/sylk-conversation-remove');
    assert.equal(page.entries[0]!.msgTimestamp.toISOString(), '2024-06-01T00:00:00.000Z');
    await f.outbound.idle();
    assert.deepEqual(JSON.parse(String(f.client.sent.at(-1)!.body)), { contact: BOB, timestamp: '2024-06-01T00:00:00+00:00' });
    assert.ok(f.seen.some((s) => s.name === 'sync-conversation-remove'));
  });
});

describe('handler application/sylk-api-message-remove', () => {
  it('removes the sender copy and the recipient copy; only the sender may remove the recipient copy', async () => {
    const { f, p } = await setup();
    try {
      await p(incoming(sipRequest({ contentType: 'message/cpim', body: cpimBody({ id: 'rm-1', content: 'oops' }), headers: [['X-Sylk-From-Sip', 'yes']] })));
      // Bob (the recipient) cannot remove Alice's outgoing copy, and removing his own copy leaves Alice's.
      await p(incoming(sipRequest({ from: '<sip:bob@example.com>', to: '<sip:alice@example.com>', contentType: 'application/sylk-api-message-remove', body: 'rm-1' })));
      assert.equal(await f.store.getEntry(BOB, 'rm-1'), null);
      assert.ok(await f.store.getEntry(ALICE, 'rm-1'), 'the sender copy stays');
      // Re-deliver to Bob for the next step (a new id, same content).
      await p(incoming(sipRequest({ contentType: 'message/cpim', body: cpimBody({ id: 'rm-2', content: 'oops2' }), headers: [['X-Sylk-From-Sip', 'yes']] })));
      const r = await p(incoming(sipRequest({ from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'application/sylk-api-message-remove', body: 'rm-2\r\n' })));
      assert.equal(r.status, 200);
      assert.equal(await f.store.getEntry(ALICE, 'rm-2'), null);
      assert.equal(await f.store.getEntry(BOB, 'rm-2'), null);
      const aliceMarker = (await f.store.query(ALICE, { limit: 50 })).entries.at(-1)!;
      assert.equal(aliceMarker.contentType, 'application/sylk-message-remove');
      assert.deepEqual(JSON.parse(aliceMarker.content), { contact: BOB, message_id: 'rm-2', direction: 'outgoing' });
      const bobMarker = (await f.store.query(BOB, { limit: 50 })).entries.at(-1)!;
      assert.deepEqual(JSON.parse(bobMarker.content), { contact: ALICE, message_id: 'rm-2', direction: 'incoming' });
      const syncs = f.seen.filter((s) => s.name === 'sync-message-remove').map((s) => s.event);
      assert.deepEqual(syncs.slice(-2), [
        { account: ALICE, content: { contact: BOB, message_id: 'rm-2', direction: 'outgoing' } },
        { account: BOB, content: { contact: ALICE, message_id: 'rm-2', direction: 'incoming' } },
      ]);
      await f.outbound.idle();
      const out = f.client.sent.at(-1)!;
      assert.equal(out.uri, 'sip:alice@example.com');
      assert.equal(out.from, '<sip:bob@example.com>');
      assert.equal(out.contentType, 'application/sylk-message-remove');
      // Unknown id: nothing at all (§5.3 step 2).
      const n = f.seen.length;
      await p(incoming(sipRequest({ from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'application/sylk-api-message-remove', body: 'nope' })));
      assert.equal(f.seen.length, n);
    } finally {
      await f.close();
    }
  });

  it('removing a file-transfer entry deletes its directory', async () => {
    const { f, p } = await setup();
    try {
      await p(incoming(sipRequest({ contentType: 'message/cpim', body: cpimBody({ id: 'ft-9', contentType: 'application/sylk-file-transfer', content: '{}' }), headers: [['X-Sylk-From-Sip', 'yes']] })));
      const dir = transferDir(f.ctx.fileTransferDir!, ALICE, BOB, 'ft-9')!;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/f.txt`, 'x');
      await p(incoming(sipRequest({ from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'application/sylk-api-message-remove', body: 'ft-9' })));
      for (let i = 0; i < 50 && existsSync(dir); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(existsSync(dir), false);
    } finally {
      await f.close();
    }
  });
});

describe('handler application/vnd.gsma.rcs-ft-http+xml', () => {
  it('becomes an application/sylk-file-transfer message in both journals, pushed', async () => {
    const { f, p } = await setup();
    try {
      const xml = buildFtHttp({ size: 1234, name: 'photo.jpg', contentType: 'image/jpeg', url: 'https://files.example.com/x/photo.jpg', until: '2030-01-01T00:00:00Z', hash: null });
      const r = await p(incoming(sipRequest({ contentType: 'message/cpim', body: cpimBody({ id: 'ft-1', contentType: 'application/vnd.gsma.rcs-ft-http+xml', content: xml }), headers: [['X-Sylk-From-Sip', 'yes']] })));
      assert.equal(r.status, 200);
      const e = await f.store.getEntry(BOB, 'ft-1');
      assert.equal(e!.contentType, 'application/sylk-file-transfer');
      const d = JSON.parse(e!.content);
      assert.equal(d.filename, 'photo.jpg');
      assert.equal(d.filesize, 1234);
      assert.equal(d.url, 'https://files.example.com/x/photo.jpg');
      assert.equal(d.filetype, 'image/jpeg');
      assert.equal(d.transfer_id, 'ft-1');
      assert.deepEqual(d.sender, { uri: ALICE, display_name: '' });
      assert.deepEqual(d.receiver, { uri: BOB, display_name: '' });
      const until = Date.parse(d.until) - Date.parse(d.timestamp);
      assert.equal(Math.round(until / 86_400_000), 15);
      assert.ok(await f.store.getEntry(ALICE, 'ft-1'));
      assert.equal(f.pushes.at(-1)!.content_type, 'application/sylk-file-transfer');
      const bad = await p(incoming(sipRequest({ contentType: 'application/vnd.gsma.rcs-ft-http+xml', body: '<file/>' })));
      assert.equal(bad.status, 400);
    } finally {
      await f.close();
    }
  });
});
