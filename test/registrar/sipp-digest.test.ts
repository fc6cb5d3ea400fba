/**
 * The registrar's digest server side against sipp's authenticating scenarios
 * (`test/fixtures/sipp/standalone/`, standalone.md §3): sipp registers several accounts (401 →
 * credentials → 200 listing the contact), sends MESSAGEs (407 → credentials → 200, stored), and a
 * wrong password is refused with 403. sipp computes its answers itself, so this checks our
 * challenges against an independent implementation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSipp } from '../helpers/sipp.js';
import { startStandalone, type StandaloneServer } from '../helpers/standalone.js';
import { freeUdpPort } from '../helpers/free-port.js';

let s: StandaloneServer;
const USERS = ['u1', 'u2', 'u3', 'u4'];

before(async () => {
  s = await startStandalone({ name: 'sipp' });
  for (const u of USERS) await s.addAccount(`${u}@example.com`, `${u}-secret-pw`);
});
after(async () => s.stop());

test('sipp REGISTER with digest: 401, then 200 with the binding', async () => {
  for (const u of USERS.slice(0, 2)) {
    const r = await runSipp({
      scenario: 'standalone/register-auth.xml',
      target: `127.0.0.1:${s.udpPort}`,
      localPort: await freeUdpPort(),
      fields: [[u, 'example.com']],
      auth: { username: u, password: `${u}-secret-pw` },
    });
    assert.equal(r.code, 0, r.output.slice(-3000));
  }
  for (const u of USERS.slice(0, 2)) {
    const b = await s.server.store.registrations!.listBindings(`${u}@example.com`, new Date());
    assert.equal(b.length, 1, u);
    assert.equal(b[0]!.transport, 'udp');
  }
});

test('sipp MESSAGE with digest: 407, then 200, and the message is in both journals', async () => {
  const r = await runSipp({
    scenario: 'standalone/message-auth.xml',
    target: `127.0.0.1:${s.udpPort}`,
    localPort: await freeUdpPort(),
    fields: [['u1', 'example.com', 'u2']],
    auth: { username: 'u1', password: 'u1-secret-pw' },
  });
  assert.equal(r.code, 0, r.output.slice(-3000));
  const inbox = await s.server.store.query('u2@example.com', { afterId: null, since: null, limit: 10 });
  assert.ok(inbox.entries.some((e) => e.content.startsWith('sipp message') && e.direction === 'incoming' && e.contact === 'u1@example.com'));
  const outbox = await s.server.store.query('u1@example.com', { afterId: null, since: null, limit: 10 });
  assert.ok(outbox.entries.some((e) => e.content.startsWith('sipp message') && e.direction === 'outgoing'));
});

test('sipp REGISTER with a wrong password: 403, no binding', async () => {
  const r = await runSipp({
    scenario: 'standalone/register-wrong.xml',
    target: `127.0.0.1:${s.udpPort}`,
    localPort: await freeUdpPort(),
    fields: [['u3', 'example.com']],
    auth: { username: 'u3', password: 'not-the-password' },
  });
  assert.equal(r.code, 0, r.output.slice(-3000));
  const b = await s.server.store.registrations!.listBindings('u3@example.com', new Date());
  assert.deepEqual(b, []);
});
