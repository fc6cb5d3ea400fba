import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeContext, settle, type FakeWs } from './fakes.js';
import type { Connection } from '../../src/sylkrtc/connection.js';
import { openStore } from '../../src/storage/index.js';
import { TableAddressBookStore } from '../../src/sylkrtc/addressbook.js';

const ALICE_HA1 = '93dfce8dfebfae8af4a726982429d23a';
const BOB_HA1 = '37593d991414f52c30246c60c7798431';

function req(conn: Connection, obj: Record<string, unknown>): void {
  conn.onText(JSON.stringify(obj));
}

async function login(conn: Connection, ws: FakeWs, account: string, password: string, tx = 'l') {
  req(conn, { sylkrtc: 'account-add', account, password, display_name: 'X', transaction: `${tx}-1` });
  req(conn, { sylkrtc: 'account-register', account, transaction: `${tx}-2` });
  await settle();
  return ws.take();
}

test('account-add / register: ack first, then registering and registered; login recorded', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const { ws, conn } = h.connect();
  const frames = await login(conn, ws, 'alice@example.com', ALICE_HA1);
  assert.deepEqual(frames, [
    { sylkrtc: 'ack', transaction: 'l-1' },
    { sylkrtc: 'ack', transaction: 'l-2' },
    { sylkrtc: 'account-event', account: 'alice@example.com', event: 'registration-state', state: 'registering' },
    { sylkrtc: 'account-event', account: 'alice@example.com', event: 'registration-state', state: 'registered' },
  ]);
  assert.deepEqual(h.service.logins, ['alice@example.com']);
  assert.equal(h.registry.size, 1);
  // a repeated register reports both states again
  req(conn, { sylkrtc: 'account-register', account: 'alice@example.com', transaction: 'r' });
  await settle();
  assert.deepEqual(
    ws.take().map((f) => f.state ?? f.sylkrtc),
    ['ack', 'registering', 'registered'],
  );
});

test('wrong password: failed with a string reason containing 904; messaging refused', async () => {
  const h = makeContext({ 'bob@example.com': BOB_HA1 });
  const { ws, conn } = h.connect();
  const frames = await login(conn, ws, 'bob@example.com', '86ca98661341029242ee1577c4c07bfc');
  const last = frames.at(-1)!;
  assert.equal(last.state, 'failed');
  assert.equal(typeof last.reason, 'string');
  assert.match(last.reason as string, /904/);
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'bob@example.com', transaction: 's' });
  await settle();
  assert.deepEqual(ws.take(), [{ sylkrtc: 'error', transaction: 's', error: 'Account not authenticated' }]);
  assert.equal(h.registry.size, 0);
});

test('account errors use the Appendix A texts', async () => {
  const h = makeContext();
  const { ws, conn } = h.connect();
  req(conn, { sylkrtc: 'account-add', account: 'alice@example.com', password: 'x', transaction: '1' });
  req(conn, { sylkrtc: 'account-add', account: 'alice@example.com', password: 'x', transaction: '2' });
  req(conn, { sylkrtc: 'account-remove', account: 'carol@example.com', transaction: '3' });
  req(conn, { sylkrtc: 'account-register', account: 'carol@example.com', transaction: '4' });
  req(conn, { sylkrtc: 'account-unregister', account: 'carol@example.com', transaction: '5' });
  req(conn, { sylkrtc: 'account-devicetoken', account: 'carol@example.com', token: 't', platform: 'ios', device: 'd', app: 'a', transaction: '6' });
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'carol@example.com', message_id: null, transaction: '7' });
  await settle();
  assert.deepEqual(ws.take(), [
    { sylkrtc: 'ack', transaction: '1' },
    { sylkrtc: 'error', transaction: '2', error: 'Account alice@example.com already added' },
    { sylkrtc: 'error', transaction: '3', error: 'Unknown account specified for remove: carol@example.com' },
    { sylkrtc: 'error', transaction: '4', error: 'Unknown account specified for register: carol@example.com' },
    { sylkrtc: 'error', transaction: '5', error: 'Unknown account specified for unregister: carol@example.com' },
    { sylkrtc: 'error', transaction: '6', error: 'Unknown account specified for token: carol@example.com' },
    { sylkrtc: 'error', transaction: '7', error: 'Unknown account specified: carol@example.com' },
  ]);
});

test('sip_domains restricts account-add', async () => {
  const h = makeContext();
  h.ctx.sipDomains = ['example.com'];
  const { ws, conn } = h.connect();
  req(conn, { sylkrtc: 'account-add', account: 'a@EXAMPLE.com', password: 'x', transaction: '1' });
  req(conn, { sylkrtc: 'account-add', account: 'a@other.org', password: 'x', transaction: '2' });
  await settle();
  assert.deepEqual(ws.take(), [
    { sylkrtc: 'ack', transaction: '1' },
    { sylkrtc: 'error', transaction: '2', error: 'SIP domain not allowed: other.org' },
  ]);
});

test('device token: stored on authentication, removed by unregister; isDeviceOnline', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const { ws, conn } = h.connect();
  req(conn, { sylkrtc: 'account-add', account: 'alice@example.com', password: ALICE_HA1, user_agent: 'UA', transaction: '1' });
  req(conn, {
    sylkrtc: 'account-devicetoken',
    account: 'alice@example.com',
    token: 'voip-bg',
    platform: 'ios',
    device: 'D1',
    app: 'com.app',
    transaction: '2',
  });
  await settle();
  assert.equal(h.store.tokens.length, 0, 'not stored before authentication');
  assert.equal(h.registry.isDeviceOnline('alice@example.com', 'D1'), false);
  req(conn, { sylkrtc: 'account-register', account: 'alice@example.com', transaction: '3' });
  await settle();
  assert.equal(h.store.tokens.length, 1);
  assert.equal(h.store.tokens[0]!.token, 'voip');
  assert.equal(h.store.tokens[0]!.backgroundToken, 'bg');
  assert.equal(h.store.tokens[0]!.userAgent, 'UA');
  assert.equal(h.registry.isDeviceOnline('alice@example.com', 'D1'), true);
  assert.equal(h.registry.isDeviceOnline('alice@example.com', 'D2'), false);
  req(conn, { sylkrtc: 'account-unregister', account: 'alice@example.com', transaction: '4' });
  await settle();
  assert.deepEqual(h.store.removed, [['alice@example.com', 'com.app', 'D1']]);
  // unregister keeps the binding authenticated (quirk 3) and emits no event
  const frames = ws.take();
  assert.deepEqual(frames.at(-1), { sylkrtc: 'ack', transaction: '4' });
  assert.equal(h.registry.size, 1);
  // registering again stores the token again
  req(conn, { sylkrtc: 'account-register', account: 'alice@example.com', transaction: '5' });
  await settle();
  assert.equal(h.store.tokens.length, 2);
  conn.onClose();
  assert.equal(h.registry.size, 0);
  assert.equal(h.registry.isDeviceOnline('alice@example.com', 'D1'), false);
});

test('account-message: sync fork to the other device before the sender ack; never back to the sender', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const a1 = h.connect();
  const a2 = h.connect();
  await login(a1.conn, a1.ws, 'alice@example.com', ALICE_HA1);
  await login(a2.conn, a2.ws, 'alice@example.com', ALICE_HA1);
  const msg = {
    sylkrtc: 'account-message',
    account: 'alice@example.com',
    uri: 'sip:bob@example.com',
    message_id: 'm-0201',
    content: 'Yes! 10:00 at the café ☕',
    content_type: 'text/plain',
    timestamp: '2025-03-14T10:15:00.000Z',
    transaction: 'a1-09',
  };
  req(a1.conn, msg);
  await settle();
  assert.deepEqual(a1.ws.take(), [{ sylkrtc: 'ack', transaction: 'a1-09' }]);
  assert.deepEqual(a2.ws.take(), [
    {
      sylkrtc: 'account-event',
      account: 'alice@example.com',
      event: 'sync',
      type: 'message',
      action: 'add',
      content: { ...msg, uri: 'bob@example.com' },
    },
  ]);
  const call = h.service.calls.find((c) => c.op === 'sendMessage')!.args as Record<string, unknown>;
  assert.equal(call.origin, a1.conn.id);
  assert.deepEqual(call.credentials, { username: 'alice', ha1: ALICE_HA1 });
});

test('account-message: bad timestamp and oversized content are errors; the connection stays usable', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const { ws, conn } = h.connect();
  await login(conn, ws, 'alice@example.com', ALICE_HA1);
  const base = { sylkrtc: 'account-message', account: 'alice@example.com', uri: 'bob@example.com', message_id: 'm', content_type: 'text/plain' };
  req(conn, { ...base, content: 'x', timestamp: 'now', transaction: '1' });
  req(conn, { ...base, content: 'x'.repeat(300 * 1024), timestamp: '2025-03-14T10:15:00Z', transaction: '2' });
  req(conn, { sylkrtc: 'ping', transaction: '3' });
  await settle();
  const f = ws.take();
  assert.deepEqual(f[0], { sylkrtc: 'ack', transaction: '3' }, 'ping is answered at once');
  assert.equal(f[1]!.sylkrtc, 'error');
  assert.match(f[1]!.error as string, /timestamp/);
  assert.match(f[2]!.error as string, /too large/);
});

test('sync-conversations: ack then exactly one event, also when empty; since/limit validated', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const { ws, conn } = h.connect();
  await login(conn, ws, 'alice@example.com', ALICE_HA1);
  const entry = (id: string) => ({
    contact: 'bob@example.com',
    timestamp: '2025-03-14T10:15:00.000Z',
    disposition: [],
    message_id: id,
    content_type: 'text/plain',
    content: 'hi',
    direction: 'incoming' as const,
    state: 'received' as const,
  });
  h.service.journal.push(entry('e1'), entry('e2'));
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'alice@example.com', message_id: 'e1', transaction: 's1' });
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'alice@example.com', message_id: 'e2', transaction: 's2' });
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'alice@example.com', since: 'garbage', transaction: 's3' });
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'alice@example.com', limit: 0, transaction: 's4' });
  await settle();
  const f = ws.take();
  assert.deepEqual(f[0], { sylkrtc: 'ack', transaction: 's1' });
  assert.deepEqual(f[1], { sylkrtc: 'account-event', account: 'alice@example.com', event: 'sync-conversations', messages: [entry('e2')] });
  assert.deepEqual(f[2], { sylkrtc: 'ack', transaction: 's2' });
  assert.deepEqual(f[3], { sylkrtc: 'account-event', account: 'alice@example.com', event: 'sync-conversations', messages: [] });
  assert.deepEqual(f[4], { sylkrtc: 'error', transaction: 's3', error: 'Invalid since: garbage' });
  assert.equal(f[5]!.sylkrtc, 'error');
  assert.equal(f.length, 6);
});

test('lookup-public-key needs no account; public_key null when absent; answered in order', async () => {
  const h = makeContext();
  h.service.keys.set('alice@example.com', '-----BEGIN PGP PUBLIC KEY BLOCK-----\n');
  const { ws, conn } = h.connect();
  req(conn, { sylkrtc: 'lookup-public-key', uri: 'sip:alice@example.com', transaction: '1' });
  req(conn, { sylkrtc: 'lookup-public-key', uri: 'bob@example.com', transaction: '2' });
  await settle();
  assert.deepEqual(ws.take(), [
    { sylkrtc: 'ack', transaction: '1' },
    { sylkrtc: 'lookup-public-key-event', uri: 'alice@example.com', public_key: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n' },
    { sylkrtc: 'ack', transaction: '2' },
    { sylkrtc: 'lookup-public-key-event', uri: 'bob@example.com', public_key: null },
  ]);
});

test('mark read / remove message / remove conversation call the service with the caller as origin', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const a1 = h.connect();
  const a2 = h.connect();
  await login(a1.conn, a1.ws, 'alice@example.com', ALICE_HA1);
  await login(a2.conn, a2.ws, 'alice@example.com', ALICE_HA1);
  req(a1.conn, { sylkrtc: 'account-mark-conversation-read', account: 'alice@example.com', contact: 'bob@example.com', transaction: '1' });
  req(a1.conn, { sylkrtc: 'account-remove-message', account: 'alice@example.com', contact: 'bob@example.com', message_id: 'm', transaction: '2' });
  req(a1.conn, { sylkrtc: 'account-remove-conversation', account: 'alice@example.com', contact: 'bob@example.com', transaction: '3' });
  await settle();
  assert.deepEqual(a1.ws.take().map((f) => f.transaction), ['1', '2', '3']);
  assert.deepEqual(a2.ws.take(), [
    { sylkrtc: 'account-event', account: 'alice@example.com', event: 'sync', type: 'conversation', action: 'read', content: { contact: 'bob@example.com' } },
  ]);
  assert.deepEqual(
    h.service.calls.filter((c) => c.op !== 'sendMessage').map((c) => [c.op, (c.args as { origin: string }).origin]),
    [
      ['markConversationRead', a1.conn.id],
      ['removeMessage', a1.conn.id],
      ['removeConversation', a1.conn.id],
    ],
  );
});

test('address book: fetch has all three arrays; update echoes the object to all devices; failures as event', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const a1 = h.connect();
  const a2 = h.connect();
  await login(a1.conn, a1.ws, 'alice@example.com', ALICE_HA1);
  await login(a2.conn, a2.ws, 'alice@example.com', ALICE_HA1);
  req(a1.conn, { sylkrtc: 'account-fetch-addressbook', account: 'alice@example.com', transaction: '1' });
  await settle();
  assert.deepEqual(a1.ws.take(), [
    { sylkrtc: 'ack', transaction: '1' },
    { sylkrtc: 'account-event', account: 'alice@example.com', event: 'addressbook-fetched', addressbook: { contacts: [], groups: [], policies: [] } },
  ]);
  const uri = { id: 'u', uri: 'bob@example.com', type: 'sip', default: true };
  const contact = { id: 'c', name: 'Bob', uris: [uri], dialog: { policy: 'allow', subscribe: false }, presence: { policy: 'allow', subscribe: false }, attributes: { k: 1 } };
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'add', type: 'contact', data: contact, transaction: '2' });
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'update', type: 'group', data: { id: 'g', name: 'G', contacts: [] }, transaction: '3' });
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'add', type: 'groupMember', data: {}, transaction: '4' });
  await settle();
  const f1 = a1.ws.take();
  const stored = { ...contact, defaultUri: uri };
  assert.deepEqual(f1[0], { sylkrtc: 'ack', transaction: '2' });
  assert.deepEqual(f1[1], { sylkrtc: 'account-event', account: 'alice@example.com', event: 'addressbook-updated', type: 'contact', action: 'add', contact: stored });
  assert.deepEqual(f1[2], { sylkrtc: 'ack', transaction: '3' });
  // `retryable` (react-native-sylkrtc 2.0.2): a missing object will not appear by trying again.
  assert.deepEqual(f1[3], {
    sylkrtc: 'account-event',
    account: 'alice@example.com',
    event: 'addressbook-update-failed',
    type: 'group',
    action: 'update',
    error: 'group g not found',
    id: 'g',
    retryable: false,
  });
  // groupMember is a known type now (react-native-sylkrtc 2.0); its data is validated like any object.
  assert.deepEqual(f1[4], { sylkrtc: 'error', transaction: '4', error: "Mandatory property 'groupId' of 'GroupMember' object is missing" });
  assert.equal(f1.length, 5);
  assert.deepEqual(a2.ws.take(), [f1[1]]);
  req(a2.conn, { sylkrtc: 'account-fetch-addressbook', account: 'alice@example.com', transaction: '5' });
  await settle();
  assert.deepEqual((a2.ws.take()[1]!.addressbook as { contacts: unknown[] }).contacts, [stored]);

  // groupMember add: the group's update goes to every device, the contact copied into the group.
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'add', type: 'group', data: { id: 'g', name: 'G', contacts: [] }, transaction: '6' });
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'add', type: 'groupMember', data: { groupId: 'g', contactId: 'c' }, transaction: '7' });
  await settle();
  const group = { id: 'g', name: 'G', attributes: {}, contacts: [stored] };
  const memberEvent = { sylkrtc: 'account-event', account: 'alice@example.com', event: 'addressbook-updated', type: 'group', action: 'update', group };
  assert.deepEqual(a1.ws.take().slice(2), [{ sylkrtc: 'ack', transaction: '7' }, memberEvent]);
  assert.deepEqual(a2.ws.take()[1], memberEvent);
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'add', type: 'groupMember', data: { groupId: 'g', contactId: 'c' }, transaction: '8' });
  await settle();
  assert.deepEqual(a1.ws.take(), [
    { sylkrtc: 'ack', transaction: '8' },
    {
      sylkrtc: 'account-event',
      account: 'alice@example.com',
      event: 'addressbook-update-failed',
      type: 'groupMember',
      action: 'add',
      error: 'contact c is already in group g',
      id: 'g',
      retryable: false,
    },
  ]);
});

test('address book: a storage failure is an update failure marked retryable', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const store = await openStore({ engine: 'sqlite', path: ':memory:' }, { retentionDays: 0 });
  h.ctx.addressBook = new TableAddressBookStore(store.addressBooks());
  await store.close(); // every read and write of the book now fails
  const a1 = h.connect();
  await login(a1.conn, a1.ws, 'alice@example.com', ALICE_HA1);
  req(a1.conn, { sylkrtc: 'account-update-addressbook', account: 'alice@example.com', action: 'add', type: 'policy', data: { id: 'p', name: 'P', uri: 'x@example.com', dialog: { policy: 'allow', subscribe: false }, presence: { policy: 'allow', subscribe: false } }, transaction: '1' });
  await settle();
  assert.deepEqual(a1.ws.take(), [
    { sylkrtc: 'ack', transaction: '1' },
    { sylkrtc: 'account-event', account: 'alice@example.com', event: 'addressbook-update-failed', type: 'policy', action: 'add', error: 'Internal error', id: 'p', retryable: true },
  ]);
});

test('fan-out: message to every authenticated device exactly once, with each binding\'s own account string', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1, 'alice@EXAMPLE.com': ALICE_HA1 });
  const a1 = h.connect();
  const a2 = h.connect();
  const x = h.connect();
  await login(a1.conn, a1.ws, 'alice@example.com', ALICE_HA1);
  await login(a2.conn, a2.ws, 'alice@EXAMPLE.com', ALICE_HA1);
  // bound but not authenticated: gets nothing
  req(x.conn, { sylkrtc: 'account-add', account: 'alice@example.com', password: 'wrong', transaction: 'x' });
  await settle();
  x.ws.take();
  const ev = {
    account: 'alice@example.com',
    sender: { uri: 'bob@example.com', display_name: 'Bob' },
    timestamp: '2025-03-14T10:16:30.250Z',
    disposition_notification: ['positive-delivery', 'display'],
    message_id: 'm-0202',
    content_type: 'text/plain',
    content: 'Great, see you there',
    entry: null,
  };
  h.events.emit('message', ev);
  h.events.emit('message', ev); // the proxy forked the same MESSAGE twice
  const { entry: _e, account: _a, ...members } = ev;
  assert.deepEqual(a1.ws.take(), [{ sylkrtc: 'account-event', account: 'alice@example.com', event: 'message', ...members }]);
  assert.deepEqual(a2.ws.take(), [{ sylkrtc: 'account-event', account: 'alice@EXAMPLE.com', event: 'message', ...members }]);
  assert.deepEqual(x.ws.take(), []);
  h.events.emit('disposition-notification', { account: 'alice@example.com', message_id: 'm', message_timestamp: 't', state: 'delivered', code: 200, reason: '' });
  assert.equal(a1.ws.take()[0]!.state, 'delivered');
  assert.equal(a2.ws.take()[0]!.state, 'delivered');
  assert.deepEqual(x.ws.take(), []);
  // removed accounts get nothing more
  req(a2.conn, { sylkrtc: 'account-remove', account: 'alice@EXAMPLE.com', transaction: 'rm' });
  await settle();
  a2.ws.take();
  h.events.emit('message', { ...ev, message_id: 'm-0203' });
  assert.equal(a1.ws.take().length, 1);
  assert.deepEqual(a2.ws.take(), []);
});

test('calls and binary frames are refused politely; the connection keeps working', async () => {
  const h = makeContext();
  const { ws, conn } = h.connect();
  req(conn, { sylkrtc: 'session-create', account: 'a@b', session: 's', uri: 'b@c', sdp: 'v=0', transaction: 'c' });
  conn.onBinary();
  req(conn, { sylkrtc: 'ping', transaction: 'p' });
  await settle();
  assert.deepEqual(ws.take(), [
    { sylkrtc: 'error', transaction: 'c', error: 'Calls are not supported by this server' },
    { sylkrtc: 'error', error: 'Invalid request: binary frames are not supported' },
    { sylkrtc: 'ack', transaction: 'p' },
  ]);
});

test('a slow request does not delay a later ping; acks of queued requests stay in FIFO order', async () => {
  const h = makeContext({ 'alice@example.com': ALICE_HA1 });
  const { ws, conn } = h.connect();
  await login(conn, ws, 'alice@example.com', ALICE_HA1);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const orig = h.service.syncConversations.bind(h.service);
  h.service.syncConversations = async (args) => {
    await gate;
    return orig(args);
  };
  req(conn, { sylkrtc: 'account-sync-conversations', account: 'alice@example.com', transaction: 'slow' });
  req(conn, { sylkrtc: 'lookup-public-key', uri: 'bob@example.com', transaction: 'after' });
  req(conn, { sylkrtc: 'ping', transaction: 'p' });
  await settle();
  assert.deepEqual(ws.take(), [{ sylkrtc: 'ack', transaction: 'p' }]);
  release();
  await settle();
  assert.deepEqual(
    ws.take().map((f) => f.transaction ?? f.sylkrtc),
    ['slow', 'account-event', 'after', 'lookup-public-key-event'],
  );
});
