/**
 * Standalone mode with two instances sharing PostgreSQL (`standalone.md` §3: bindings in the shared
 * store; "the instance that holds a contact's connection delivers to it", within 1 s): a phone
 * (baresip over TCP) registered on instance A receives, within a second, a message a sylkRTC client
 * sends through instance B — B finds the binding in the store and routes the request to A with the
 * flow token, A relays it over the phone's connection. And the other way: a SIP device on B (UDP)
 * gets what a device on A sends. Own database in the PostgreSQL of `SYLK_TEST_PG_URL`, dropped after.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Baresip } from '../helpers/baresip.js';
import { WsClient, type AccountEvent } from '../helpers/e2e-ws.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg-database.js';
import { Device, startStandalone, type StandaloneServer } from '../helpers/standalone.js';

const PG_URL = process.env.SYLK_TEST_PG_URL;
if (!PG_URL) throw new Error('SYLK_TEST_PG_URL is not set: run through `npm test -- standalone-cluster` (scripts/test.mjs starts PostgreSQL)');

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('standalone: two instances sharing PostgreSQL', { timeout: 120_000 }, () => {
  let db: TestDatabase | undefined;
  let a: StandaloneServer;
  let b: StandaloneServer;
  let pgUrl: string;
  let phone: Baresip | undefined;
  const devices: Device[] = [];

  before(async () => {
    db = await createTestDatabase(PG_URL, 'sylk_standalone');
    pgUrl = db.url;
    a = await startStandalone({ name: 'A', postgresUrl: pgUrl, accounts: ['digest_algorithms = MD5'] });
    b = await startStandalone({ name: 'B', postgresUrl: pgUrl, accounts: ['digest_algorithms = MD5'] });
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) await a.addAccount(`${user}@example.com`, `${user}-password`);
  });
  after(async () => {
    await phone?.stop();
    for (const d of devices) await d.stop();
    await b?.stop();
    await a?.stop();
    await db?.drop();
  });

  test('a phone registered on A receives within 1 s a message sent through B', async () => {
    phone = await Baresip.start({ aor: 'alice@example.com', password: 'alice-password', transport: 'tcp', contact: 'bob@example.com', server: `127.0.0.1:${a.tcpPort}` });
    // The binding is in the shared store, held by A; B sees it.
    await until('the binding', async () => (await b.server.store.registrations!.listBindings('alice@example.com', new Date())).length === 1);
    const [binding] = await b.server.store.registrations!.listBindings('alice@example.com', new Date());
    assert.equal(binding!.instanceId, a.server.standaloneSip!.registrar.instanceId);
    assert.notEqual(binding!.instanceId, b.server.standaloneSip!.registrar.instanceId);

    const bob = await WsClient.connect(b.wsUrl, 'bob@example.com');
    try {
      await bob.request({ sylkrtc: 'account-add', account: 'bob@example.com', password: 'bob-password' });
      await bob.request({ sylkrtc: 'account-register', account: 'bob@example.com' });
      await bob.waitFor((f) => f.event === 'registration-state' && f.state === 'registered');
      const from = phone.output().length;
      const t0 = Date.now();
      await bob.request({ sylkrtc: 'account-message', account: 'bob@example.com', uri: 'alice@example.com', message_id: randomUUID(), content: 'via instance B', content_type: 'text/plain', timestamp: new Date().toISOString() });
      const m = await phone.waitFor(/(sip:[^:\s]+): "via instance B"/, 5_000, from);
      const elapsed = Date.now() - t0;
      assert.equal(m[1], 'sip:bob@example.com');
      assert.ok(elapsed < 1000, `delivered after ${elapsed} ms`);
    } finally {
      bob.close();
    }
  });

  test('a device on B (UDP) receives what a device on A sends', async () => {
    const carol = await new Device('carol@example.com', 'carol-password', 'udp').start();
    const bobA = await new Device('bob@example.com', 'bob-password', 'tcp').start();
    devices.push(carol, bobA);
    assert.equal((await carol.register(b.udpPort)).response.status, 200);
    assert.equal((await bobA.register(a.tcpPort)).response.status, 200);
    const t0 = Date.now();
    assert.equal((await bobA.message(a.tcpPort, 'carol@example.com', 'from A to B')).response.status, 200);
    const [got] = await carol.waitFor(1, 5_000);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(got!.request.body.toString(), 'from A to B');
    assert.match(got!.request.headers.get('from')!, /<sip:bob@example\.com>/);
  });

  test('WebSocket connections on the other instance get messages, replicas and sync notices exactly once; the binding goes with them', async () => {
    const aor = (u: string) => `${u}@example.com`;
    const hubKey = (x: StandaloneServer) => `sylk-ws;instance=${x.server.standaloneSip!.registrar.instanceId}`;
    const hubOf = async (u: string, x: StandaloneServer) => (await a.server.store.registrations!.listBindings(aor(u), new Date())).some((bd) => bd.key === hubKey(x));
    const clients: WsClient[] = [];
    const connect = async (x: StandaloneServer, u: string, name: string) => {
      const c = await WsClient.connect(x.wsUrl, name);
      clients.push(c);
      await c.login(aor(u), `${u}-password`);
      return c;
    };
    const count = (c: WsClient, pred: (e: AccountEvent) => boolean) => c.events().filter(pred).length;
    const syncOf = (type: string, action: string, key: string, value: string) => (e: AccountEvent) =>
      e.event === 'sync' && e.type === type && e.action === action && (e.content as Record<string, string>)[key] === value;
    try {
      const daveA = await connect(a, 'dave', 'dave@A');
      const daveB = await connect(b, 'dave', 'dave@B');
      const erinA = await connect(a, 'erin', 'erin@A');
      await until('dave\'s WebSocket binding of B', () => hubOf('dave', b));
      // erin (A) → dave: dave's connection on B gets the message, once.
      const id1 = randomUUID();
      await erinA.request({ sylkrtc: 'account-message', account: aor('erin'), uri: aor('dave'), message_id: id1, content: 'erin to dave', content_type: 'text/plain', timestamp: new Date().toISOString() });
      await daveB.waitForEvent('message', (e) => e.message_id === id1, 1, 5000);
      await daveA.waitForEvent('message', (e) => e.message_id === id1, 1, 5000);
      // dave on B reports it displayed: erin's connection on A gets the report (the IMDN through A).
      await daveB.request({ sylkrtc: 'account-disposition-notification', account: aor('dave'), uri: aor('erin'), message_id: id1, state: 'displayed', timestamp: new Date().toISOString() });
      await erinA.waitForEvent('disposition-notification', (e) => e.message_id === id1 && e.state === 'displayed', 1, 5000);
      // dave (A) → erin: dave's connection on B is told (sync message add).
      const id2 = randomUUID();
      await daveA.request({ sylkrtc: 'account-message', account: aor('dave'), uri: aor('erin'), message_id: id2, content: 'dave to erin', content_type: 'text/plain', timestamp: new Date().toISOString() });
      await daveB.waitForEvent('sync', syncOf('message', 'add', 'message_id', id2), 1, 5000);
      // Sync notices: dave on A marks erin read and removes erin's message; dave on B hears both.
      await daveA.request({ sylkrtc: 'account-mark-conversation-read', account: aor('dave'), contact: aor('erin') });
      await daveA.request({ sylkrtc: 'account-remove-message', account: aor('dave'), message_id: id1, contact: aor('erin') });
      await daveB.waitForEvent('sync', syncOf('conversation', 'read', 'contact', aor('erin')), 1, 5000);
      await daveB.waitForEvent('sync', syncOf('message', 'remove', 'message_id', id1), 1, 5000);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(count(daveB, (e) => e.event === 'message' && e.message_id === id1), 1);
      assert.equal(count(daveA, (e) => e.event === 'message' && e.message_id === id1), 1);
      assert.equal(count(daveB, syncOf('message', 'add', 'message_id', id2)), 1);
      assert.equal(count(daveA, syncOf('message', 'add', 'message_id', id2)), 0);
      assert.equal(count(daveB, syncOf('conversation', 'read', 'contact', aor('erin'))), 1);
      assert.equal(count(daveB, syncOf('message', 'remove', 'message_id', id1)), 1);
      assert.equal(count(erinA, (e) => e.event === 'disposition-notification' && e.message_id === id1 && e.state === 'displayed'), 1);
      // The last connection of dave on B goes: so does B's binding for dave (A's stays).
      await daveB.close();
      await until('B\'s binding for dave to go', async () => !(await hubOf('dave', b)));
      assert.ok(await hubOf('dave', a));
    } finally {
      for (const c of clients) await c.close();
    }
  });

  test('an instance starting at the address of an earlier run removes the bindings that run left (it died with its connections)', async () => {
    // A free TCP port for the instance C, and what a run of C that died there would have left.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const hop = `127.0.0.1:${port};transport=tcp`;
    const store = a.server.store.registrations!;
    const left = (key: string, flow: string) => ({
      aor: 'carol@example.com', key, contact: key, callId: `c-${flow}`, cseq: 1, expiresAt: new Date(Date.now() + 3_600_000), instanceId: 'a-run-that-died',
      flow, path: `sip:${flow}@${hop};lr`, transport: 'tcp' as const, sourceAddress: '127.0.0.1', sourcePort: 40000, sipInstance: null, regId: null, q: null, userAgent: null,
    });
    await store.putBinding(left('sip:carol@127.0.0.1:40000;transport=tcp', 'AAAAAAAAAAAAAAAAAAAAAA'));
    await store.putBinding(left('sylk-ws;instance=a-run-that-died', 'BBBBBBBBBBBBBBBBBBBBBB'));
    const keys = async () => (await store.listBindings('carol@example.com', new Date())).filter((x) => x.instanceId === 'a-run-that-died').map((x) => x.key);
    assert.equal((await keys()).length, 2);
    const c = await startStandalone({ name: 'C', postgresUrl: pgUrl, accounts: ['digest_algorithms = MD5'], tcpPort: port });
    try {
      assert.equal(c.tcpPort, port);
      assert.deepEqual(await keys(), []);
    } finally {
      await c.stop();
    }
  });

  test('a binding whose instance lost the flow is removed when another instance tries it (410)', async () => {
    const dave = await new Device('bob@example.com', 'bob-password', 'tcp').start();
    assert.equal((await dave.register(b.tcpPort)).response.status, 200);
    const count = async () => (await a.server.store.registrations!.listBindings('bob@example.com', new Date())).filter((x) => x.instanceId === b.server.standaloneSip!.registrar.instanceId).length;
    assert.equal(await count(), 1);
    // B forgets the flow without the store hearing of it (as if B had restarted): the token is unknown there.
    const token = (await a.server.store.registrations!.listBindings('bob@example.com', new Date())).find((x) => x.instanceId === b.server.standaloneSip!.registrar.instanceId)!.flow;
    const flows = b.server.standaloneSip!.registrar.flows as unknown as { byToken: Map<string, unknown> };
    flows.byToken.delete(token);
    const sender = await new Device('carol@example.com', 'carol-password', 'udp').start();
    devices.push(dave, sender);
    assert.equal((await sender.message(a.udpPort, 'bob@example.com', 'to a lost flow')).response.status, 200);
    await until('the stale binding to go', async () => (await count()) === 0, 5_000);
  });
});
