import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Device, startStandalone, type StandaloneServer } from '../helpers/standalone.js';

let s: StandaloneServer;
before(async () => {
  s = await startStandalone();
  await s.addAccount('alice@example.com', 'alice-password');
  await s.addAccount('bob@example.com', 'bob-password');
});
after(async () => s.stop());

test('smoke', async () => {
  const alice = await new Device('alice@example.com', 'alice-password', 'tcp').start();
  const bob = await new Device('bob@example.com', 'bob-password', 'udp').start();
  const r = await alice.register(s.tcpPort);
  console.log(r.response.status, r.response.headers.getAll('contact'));
  const r2 = await bob.register(s.udpPort);
  console.log(r2.response.status, r2.response.headers.getAll('contact'));
  const m = await alice.message(s.tcpPort, 'bob@example.com', 'hello bob');
  console.log(m.response.status, m.response.reason);
  const got = await bob.waitFor(1);
  console.log(got[0]!.request.headers.get('from'), got[0]!.request.body.toString());
  assert.equal(m.response.status, 200);
  await alice.stop();
  await bob.stop();
});
