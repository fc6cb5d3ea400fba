/**
 * Two `sylk-server` processes sharing one PostgreSQL journal behind one Kamailio (DESIGN.md decision 3:
 * the SIP proxy is the bus between instances). Instance A is the proxy's SYLK_PORT (it gets the
 * storage copies), instance B its SYLK_PORT2 (trusted like A). One WebSocket device on each.
 *   - alice on A ↔ bob on B: messages and reports reach the other instance's device exactly once;
 *   - alice on A + alice on B, carol a SIP device: incoming messages and the sync events of one
 *     device (sent message, read marker, removal) reach the device on the other instance exactly once;
 *   - either instance serves the journal over HTTP.
 * Own database in the PostgreSQL of `SYLK_TEST_PG_URL` (scripts/services/postgres.mjs), dropped after.
 *
 * Ports: Kamailio 16161, sylk-server A 16171 and B 16172, device contacts 16111–16119, sipp 16140–16159.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-database.js';
import { startKamailio, type KamailioHandle } from '../helpers/kamailio.js';
import { startSylk, type SylkInstance } from '../helpers/e2e-server.js';
import { SipDevice, cpim, unwrapCpim } from '../helpers/e2e-sip.js';
import { WsClient, type AccountEvent } from '../helpers/e2e-ws.js';
import type { RecordedRequest } from '../helpers/sip-recorder.js';

const DOMAIN = 'example.com';
const PROXY_PORT = 16161;
const A_PORT = 16171;
const B_PORT = 16172;
const USERS = ['alice', 'bob', 'carol'] as const;
const password = (user: string): string => `${user}-secret`;
const aor = (user: string): string => `${user}@${DOMAIN}`;

const PG_URL = process.env.SYLK_TEST_PG_URL;
if (!PG_URL) throw new Error('SYLK_TEST_PG_URL is not set: run through `npm test -- e2e` (scripts/test.mjs starts PostgreSQL)');

/** Before asserting "exactly once" (an absence cannot be waited for): far more than a loopback round trip. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 400));

describe('end to end behind Kamailio: two servers sharing PostgreSQL', { timeout: 120_000 }, () => {
  let db: TestDatabase | undefined;
  let dbUrl: string;
  let kamailio: KamailioHandle;
  let a: SylkInstance;
  let b: SylkInstance;
  let carol: SipDevice;
  let carolToken: string;
  let aliceA: WsClient | undefined;
  let aliceB: WsClient | undefined;
  /** Ids of the messages carol exchanged with alice (second and third tests). */
  const carolIds: { sent?: string; received?: string } = {};
  const clients: WsClient[] = [];

  before(async () => {
    db = await createTestDatabase(PG_URL, 'sylk_e2e');
    dbUrl = db.url;
    kamailio = await startKamailio({
      domain: DOMAIN,
      udpPort: PROXY_PORT,
      tcpPort: PROXY_PORT,
      sylkPort: A_PORT,
      sylkPort2: B_PORT,
      subscribers: USERS.map((u) => ({ username: u, password: password(u) })),
    });
    // A first: it creates the schema; then B on the same database.
    a = await startSylk({ name: 'A', sipPort: A_PORT, proxyPort: PROXY_PORT, storage: { postgresUrl: dbUrl } });
    b = await startSylk({ name: 'B', sipPort: B_PORT, proxyPort: PROXY_PORT, storage: { postgresUrl: dbUrl } });
    carol = await SipDevice.start({ user: 'carol', password: password('carol'), domain: DOMAIN, port: 16111, sippPort: 16140, proxyPort: PROXY_PORT });
    await carol.register();
    // carol's token request makes her storage-enabled (sip-messaging.md §1); the token reads her journal.
    const sent = await carol.message('carol', 'application/sylk-api-token', 'I need a token');
    assert.equal(sent.status, 200, sent.response);
    const [reply] = await carol.recorder.waitFor((q) => /^application\/sylk-api-token/.test(q.header('Content-Type') ?? ''));
    carolToken = (JSON.parse(reply!.body) as { token: string }).token;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await carol?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await kamailio?.stop();
    await db?.drop();
  });

  const diag = (): string => `\n--- A ---\n${a.log().slice(-4000)}\n--- B ---\n${b.log().slice(-4000)}\n--- kamailio ---\n${kamailio.log().slice(-2000)}`;

  async function ws(instance: SylkInstance, user: string): Promise<WsClient> {
    const c = await WsClient.connect(instance.wsUrl, `${user}@${instance.name}`);
    clients.push(c);
    await c.login(aor(user), password(user));
    return c;
  }

  const send = (c: WsClient, from: string, to: string, id: string, text: string): Promise<unknown> =>
    c.request({ sylkrtc: 'account-message', account: aor(from), uri: aor(to), message_id: id, content: text, content_type: 'text/plain', timestamp: new Date().toISOString() });
  const count = (c: WsClient, pred: (e: AccountEvent) => boolean): number => c.events().filter(pred).length;
  const syncOf = (type: string, action: string, key: string, value: string) => (e: AccountEvent) =>
    e.event === 'sync' && e.type === type && e.action === action && (e.content as Record<string, string>)[key] === value;

  async function history(instance: SylkInstance, account: string, token: string): Promise<Array<Record<string, string>>> {
    const res = await fetch(`${instance.httpUrl}/webrtcgateway/messages/history/${account}`, { headers: { Authorization: `Apikey ${token}` } });
    assert.equal(res.status, 200, `history on ${instance.name}: ${res.status}`);
    return ((await res.json()) as { messages: Array<Record<string, string>> }).messages;
  }

  test('alice on A and bob on B: messages and reports cross instances exactly once', async () => {
    const aliceA = await ws(a, 'alice');
    const bobB = await ws(b, 'bob');

    const id1 = randomUUID();
    await send(aliceA, 'alice', 'bob', id1, `alice to bob ${id1}`);
    const [m1] = await bobB.waitForEvent('message', (e) => e.message_id === id1).catch((err: Error) => {
      throw new Error(`${err.message}${diag()}`);
    });
    assert.equal(m1!.content, `alice to bob ${id1}`);
    await aliceA.waitForEvent('disposition-notification', (e) => e.message_id === id1 && e.state === 'accepted');
    await bobB.request({ sylkrtc: 'account-disposition-notification', account: aor('bob'), uri: aor('alice'), message_id: id1, state: 'displayed', timestamp: m1!.timestamp });
    await aliceA.waitForEvent('disposition-notification', (e) => e.message_id === id1 && e.state === 'displayed');

    const id2 = randomUUID();
    await send(bobB, 'bob', 'alice', id2, `bob to alice ${id2}`);
    const [m2] = await aliceA.waitForEvent('message', (e) => e.message_id === id2);
    await bobB.waitForEvent('disposition-notification', (e) => e.message_id === id2 && e.state === 'accepted');
    await aliceA.request({ sylkrtc: 'account-disposition-notification', account: aor('alice'), uri: aor('bob'), message_id: id2, state: 'displayed', timestamp: m2!.timestamp });
    await bobB.waitForEvent('disposition-notification', (e) => e.message_id === id2 && e.state === 'displayed');

    await settle();
    assert.equal(count(bobB, (e) => e.event === 'message' && e.message_id === id1), 1);
    assert.equal(count(aliceA, (e) => e.event === 'message' && e.message_id === id2), 1);
    assert.equal(count(aliceA, (e) => e.event === 'disposition-notification' && e.message_id === id1 && e.state === 'displayed'), 1);
    assert.equal(count(bobB, (e) => e.event === 'disposition-notification' && e.message_id === id2 && e.state === 'displayed'), 1);
    assert.equal(count(aliceA, (e) => e.event === 'disposition-notification' && e.message_id === id1 && e.state === 'accepted'), 1);
    await aliceA.close();
    await bobB.close();
  });

  test('alice on A and alice on B: a message to alice reaches the devices on both instances exactly once', async () => {
    aliceA = await ws(a, 'alice');
    aliceB = await ws(b, 'alice');
    const alice = aor('alice');
    // carol (SIP) → alice: the proxy forks to alice's contacts on A and on B, and the storage copy to A.
    const id1 = randomUUID();
    const t1 = `carol to alice ${id1}`;
    carolIds.sent = id1;
    const r = await carol.message('alice', 'message/cpim', cpim({ from: aor('carol'), to: alice, messageId: id1, contentType: 'text/plain', content: t1 }));
    assert.equal(r.status, 200, r.response);
    await aliceA.waitForEvent('message', (e) => e.message_id === id1);
    await aliceB.waitForEvent('message', (e) => e.message_id === id1).catch((err: Error) => {
      throw new Error(`${err.message}${diag()}`);
    });
    await settle();
    for (const c of [aliceA, aliceB]) assert.equal(count(c, (e) => e.event === 'message' && e.message_id === id1), 1, `${c.name}: message`);
  });

  test('alice on A and alice on B: the sync events of one device reach the device on the other instance exactly once', async () => {
    assert.ok(aliceA && aliceB && carolIds.sent, 'the previous test did not run');
    const alice = aor('alice');
    // alice on A → carol: the device on B is told.
    const id2 = randomUUID();
    const t2 = `alice(A) to carol ${id2}`;
    carolIds.received = id2;
    await send(aliceA, 'alice', 'carol', id2, t2);
    await carol.recorder.waitFor((q: RecordedRequest) => q.method === 'MESSAGE' && unwrapCpim(q).content === t2);
    // alice on B marks carol's conversation read; alice on A removes carol's message.
    const withDiag = (err: Error): never => {
      throw new Error(`${err.message}${diag()}`);
    };
    await aliceB.request({ sylkrtc: 'account-mark-conversation-read', account: alice, contact: aor('carol') }).catch(withDiag);
    await aliceA.request({ sylkrtc: 'account-remove-message', account: alice, message_id: carolIds.sent, contact: aor('carol') }).catch(withDiag);

    const waits = await Promise.allSettled([
      aliceB.waitForEvent('sync', syncOf('message', 'add', 'message_id', id2), 1, 5000),
      aliceA.waitForEvent('sync', syncOf('conversation', 'read', 'contact', aor('carol')), 1, 5000),
      aliceB.waitForEvent('sync', syncOf('message', 'remove', 'message_id', carolIds.sent), 1, 5000),
    ]);
    const missing = ['message add (A → B)', 'conversation read (B → A)', 'message remove (A → B)'].filter((_, i) => waits[i]!.status === 'rejected');
    assert.deepEqual(missing, [], `sync events that did not reach the other instance: ${missing.join(', ')}`);
    await settle();
    assert.equal(count(aliceA, syncOf('message', 'add', 'message_id', id2)), 0);
    assert.equal(count(aliceB, syncOf('message', 'add', 'message_id', id2)), 1);
    assert.equal(count(aliceA, syncOf('conversation', 'read', 'contact', aor('carol'))), 1);
    assert.equal(count(aliceB, syncOf('conversation', 'read', 'contact', aor('carol'))), 0);
    assert.equal(count(aliceA, syncOf('message', 'remove', 'message_id', carolIds.sent)), 0);
    assert.equal(count(aliceB, syncOf('message', 'remove', 'message_id', carolIds.sent)), 1);
  });

  test('alice on A and alice on B: a message from alice\'s SIP device reaches both instances\' devices as a sync exactly once', async () => {
    assert.ok(aliceA && aliceB, 'the previous tests did not run');
    const aliceSip = await SipDevice.start({ user: 'alice', password: password('alice'), domain: DOMAIN, port: 16112, sippPort: 16145, proxyPort: PROXY_PORT });
    try {
      await aliceSip.register();
      const id = randomUUID();
      const text = `alice(SIP) to carol ${id}`;
      const r = await aliceSip.message('carol', 'message/cpim', cpim({ from: aor('alice'), to: aor('carol'), messageId: id, contentType: 'text/plain', content: text }));
      assert.equal(r.status, 200, r.response);
      // A gets the storage copy (X-Sylk-From-Sip), B the proxy's replica at alice's contact there.
      await aliceA.waitForEvent('sync', syncOf('message', 'add', 'message_id', id));
      await aliceB.waitForEvent('sync', syncOf('message', 'add', 'message_id', id)).catch((err: Error) => {
        throw new Error(`${err.message}${diag()}`);
      });
      await settle();
      for (const c of [aliceA, aliceB]) {
        const events = c.events().filter(syncOf('message', 'add', 'message_id', id));
        assert.equal(events.length, 1, `${c.name}: sync message add`);
        const content = events[0]!.content as Record<string, unknown>;
        assert.equal(content.content, text);
        assert.equal(content.uri, aor('carol'));
        assert.equal(content.server_generated, true);
      }
    } finally {
      await aliceSip.register(0).catch(() => undefined);
      await aliceSip.close();
    }
  });

  test('either instance serves the journal over HTTP', async () => {
    const [fromA, fromB] = [await history(a, aor('carol'), carolToken), await history(b, aor('carol'), carolToken)];
    assert.deepEqual(fromA, fromB);
    const ids = fromA.map((m) => m.message_id);
    assert.equal(new Set(ids).size, ids.length, `duplicate journal entries: ${ids.join(' ')}`);
    assert.ok(carolIds.sent && carolIds.received, 'the previous tests did not run');
    // carol's outgoing copy (stored from A's storage copy) and alice(A)'s message, once each.
    assert.equal(fromA.filter((m) => m.message_id === carolIds.sent && m.direction === 'outgoing').length, 1);
    assert.equal(fromA.filter((m) => m.message_id === carolIds.received && m.direction === 'incoming').length, 1, `${JSON.stringify(fromA, null, 1)}${diag()}`);
  });
});
