// `/health` reflects journal write failures (issue 15 item 6): the whole server with a real SQLite
// file; another connection holds the database's write lock (as `sylk-db` or a stuck writer would),
// so the server's writes fail after the busy timeout while reads (the `store` ping) still work. A
// MESSAGE is answered 503, /health turns 503 with the `journal_writes` check failing; once the lock is
// released /health is green again without any traffic (the probe write) and MESSAGEs are stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { SipResponse } from '../../src/sip/message/message.js';
import { udpPeer } from '../sip/stack-peer.js';
import { startInProcess, type InProcessServer } from '../helpers/in-process-server.js';

let s: InProcessServer;
before(async () => {
  s = await startInProcess();
  await s.server.messaging.service.recordLogin('bob@example.com');
});
after(() => s.stop());

function message(port: number, id: string): string {
  const body = `From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: ${id}\r\n\r\nContent-Type: text/plain\r\n\r\nhello`;
  const n = Math.random().toString(36).slice(2);
  return (
    `MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${n};rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:alice@example.com>;tag=${n}\r\nTo: <sip:bob@example.com>\r\nCall-ID: ${n}\r\nCSeq: 1 MESSAGE\r\n` +
    `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

async function send(id: string): Promise<number> {
  const peer = await udpPeer(s.udpPort);
  try {
    peer.send(message(peer.port, id));
    const res = (await peer.waitFor((m) => m.kind === 'response' && m.status >= 200, 20_000)) as SipResponse;
    return res.status;
  } finally {
    await peer.close();
  }
}

async function health(): Promise<{ status: number; body: { checks: Record<string, { status: string; error?: string }> } }> {
  const r = await fetch(`${s.httpUrl}/health`);
  return { status: r.status, body: (await r.json()) as { checks: Record<string, { status: string; error?: string }> } };
}

test('health is red while journal writes fail and green again after they work', async () => {
  assert.equal(await send('before-1'), 200);
  const h0 = await health();
  assert.equal(h0.status, 200);

  const locker = new Database(join(s.dir, 'journal.sqlite'));
  locker.pragma('busy_timeout = 5000');
  locker.prepare('BEGIN IMMEDIATE').run();
  try {
    assert.equal(await send('during-1'), 503, 'a MESSAGE that cannot be stored is not acknowledged');
    const h1 = await health();
    assert.equal(h1.status, 503);
    assert.equal(h1.body.checks.store?.status, 'ok', 'reads still work: the ping alone would say healthy');
    assert.equal(h1.body.checks.journal_writes?.status, 'error');
    assert.match(h1.body.checks.journal_writes?.error ?? '', /journal writes failing since .*: database is locked|no answer within/);
  } finally {
    locker.prepare('ROLLBACK').run();
    locker.close();
  }

  let h2 = await health();
  for (let i = 0; i < 100 && h2.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    h2 = await health();
  }
  assert.equal(h2.status, 200, JSON.stringify(h2.body));
  assert.equal(h2.body.checks.journal_writes?.status, 'ok');
  assert.equal(await send('after-1'), 200);
  assert.notEqual(await s.server.store.getEntry('bob@example.com', 'after-1'), null);
  assert.equal(await s.server.store.getAccount('health-probe@health.invalid'), null, 'the probe leaves nothing behind');
});
