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
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Baresip } from '../helpers/baresip.js';
import { WsClient } from '../helpers/e2e-ws.js';
import { Device, startStandalone, type StandaloneServer } from '../helpers/standalone.js';

const PG_URL = process.env.SYLK_TEST_PG_URL;
if (!PG_URL) throw new Error('SYLK_TEST_PG_URL is not set: run through `npm test -- standalone-cluster` (scripts/test.mjs starts PostgreSQL)');

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('standalone: two instances sharing PostgreSQL', { timeout: 120_000 }, () => {
  const dbName = `sylk_standalone_${randomBytes(4).toString('hex')}`;
  let a: StandaloneServer;
  let b: StandaloneServer;
  let phone: Baresip | undefined;
  const devices: Device[] = [];

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
    const u = new URL(PG_URL!);
    u.pathname = `/${dbName}`;
    a = await startStandalone({ name: 'A', postgresUrl: u.toString(), accounts: ['digest_algorithms = MD5'] });
    b = await startStandalone({ name: 'B', postgresUrl: u.toString(), accounts: ['digest_algorithms = MD5'] });
    for (const user of ['alice', 'bob', 'carol']) await a.addAccount(`${user}@example.com`, `${user}-password`);
  });
  after(async () => {
    await phone?.stop();
    for (const d of devices) await d.stop();
    await b?.stop();
    await a?.stop();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
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
