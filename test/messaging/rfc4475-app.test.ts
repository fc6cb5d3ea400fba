// RFC 4475 at the application layer: the two valid requests the whole server used to answer `400`
// — `mpart01` (a valid multipart/mixed MESSAGE with a binary part) and `inv2543` (an RFC 2543 style
// INVITE, §3.4) — sent over UDP to the real server get a normal answer, never a syntax error.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startInProcess, metricValue, type InProcessServer } from '../helpers/in-process-server.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/rfc4475/${name}.dat`, import.meta.url));

describe('RFC 4475 valid requests through the whole server', () => {
  let s: InProcessServer;
  before(async () => {
    s = await startInProcess();
  });
  after(() => s.stop());

  it('mpart01 (binary multipart MESSAGE): 415 with Accept, not 400', async () => {
    const sock = createSocket('udp4');
    const got = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString('latin1'))));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.send(fixture('mpart01'), s.udpPort, '127.0.0.1');
    const text = await got;
    sock.close();
    assert.match(text, /^SIP\/2\.0 415 /);
    assert.match(text, /\r\nAccept: message\/cpim, text\/plain\r\n/);
  });

  it('inv2543 (RFC 2543 INVITE, answered at its Via: 127.0.0.1:5060): 488, not 400', async () => {
    // The Via has no rport and no port, so the answer goes to received=127.0.0.1 port 5060, which a
    // test may not bind: the server's own response counter says what it sent.
    const labels = { direction: 'sent', method: 'INVITE' };
    const before488 = await metricValue(s.httpUrl, 'sylk_sip_responses_total', { ...labels, status: '488' });
    const before400 = await metricValue(s.httpUrl, 'sylk_sip_responses_total', { ...labels, status: '400' });
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.send(fixture('inv2543'), s.udpPort, '127.0.0.1');
    let n488 = before488;
    for (let i = 0; i < 60 && n488 === before488; i++) {
      await new Promise((r) => setTimeout(r, 50));
      n488 = await metricValue(s.httpUrl, 'sylk_sip_responses_total', { ...labels, status: '488' });
    }
    sock.close();
    assert.equal(n488, before488 + 1);
    assert.equal(await metricValue(s.httpUrl, 'sylk_sip_responses_total', { ...labels, status: '400' }), before400);
  });
});
