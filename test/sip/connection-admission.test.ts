// Untrusted hosts cannot take the SIP TCP slots the proxy and the server's own loop-back TCP need
// (issue 15 item 1, `sip/transport/admission.ts`). The whole server from a configuration with
// `max_connections = 20`, `trusted_reserved_connections = 4`, `max_connections_per_address = 8`,
// `trusted_peers = 127.0.0.1, 127.0.0.2` (127.0.0.2 plays the proxy) and `local_sip_messages = yes`;
// "outsiders" connect from other loopback addresses (127.0.0.3 …). Real sockets throughout.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseMessage } from '../../src/sip/message/parser.js';
import { startInProcess, metricValue, type InProcessServer } from '../helpers/in-process-server.js';
import { request } from './stack-peer.js';

interface Conn {
  socket: Socket;
  closed: boolean;
  data: string;
}

function open(port: number, localAddress: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const c: Conn = { socket, closed: false, data: '' };
    socket.on('data', (d) => (c.data += d.toString('latin1')));
    socket.on('close', () => (c.closed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(c));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statusOf(c: Conn, ms = 5000): Promise<number> {
  for (let t = 0; t < ms && !/^SIP\/2\.0 \d{3} /m.test(c.data); t += 20) await sleep(20);
  const r = parseMessage(Buffer.from(c.data, 'latin1'));
  if (!r.ok || r.message.kind !== 'response') throw new Error(`no response: ${JSON.stringify(c.data)}`);
  return r.message.status;
}

describe('SIP connection admission', () => {
  let s: InProcessServer;
  const conns: Conn[] = [];
  before(async () => {
    s = await startInProcess({
      trustedPeers: '127.0.0.1, 127.0.0.2',
      config: { SIP: ['max_connections = 20', 'trusted_reserved_connections = 4', 'max_connections_per_address = 8', 'untrusted_idle_timeout = 60'] },
      gateway: { General: ['local_sip_messages = yes'] },
    });
  });
  after(async () => {
    for (const c of conns) c.socket.destroy();
    await s.stop();
  });

  it('outsiders get 8 connections per address and 16 in all; the proxy and the loop-back TCP still work', async () => {
    const byAddress: Record<string, Conn[]> = {};
    for (const host of ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']) {
      byAddress[host] = [];
      for (let i = 0; i < 10; i++) {
        const c = await open(s.tcpPort, host);
        conns.push(c);
        byAddress[host].push(c);
      }
    }
    await sleep(500);

    // The trusted proxy still gets a connection and an answer.
    const proxy = await open(s.tcpPort, '127.0.0.2');
    conns.push(proxy);
    proxy.socket.write(request('OPTIONS', { port: proxy.socket.localPort!, transport: 'TCP' }));
    assert.equal(await statusOf(proxy), 200);

    // The server's own loop-back TCP (local_sip_messages) still delivers.
    const { service } = s.server.messaging;
    await service.recordLogin('alice@example.com');
    await service.recordLogin('bob@example.com');
    const r = await service.sendMessage({
      account: 'alice@example.com',
      transaction: 't1',
      uri: 'bob@example.com',
      message_id: 'loopback-1',
      content: 'through our own TCP',
      content_type: 'text/plain',
      timestamp: '2024-05-01T10:00:00.000Z',
      displayName: 'Alice',
    });
    assert.deepEqual(await r.delivery, { state: 'accepted', code: 200, reason: 'OK' });
    assert.equal((await s.server.store.getEntry('bob@example.com', 'loopback-1'))?.content, 'through our own TCP');

    const openCount = (host: string) => byAddress[host]!.filter((c) => !c.closed).length;
    assert.deepEqual(
      ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map(openCount),
      [8, 8, 0, 0],
      'per-address cap 8, untrusted share 20 - 4 = 16',
    );
    assert.ok((await metricValue(s.httpUrl, 'sylk_sip_dropped_total', { reason: 'connection-limit-per-address' })) >= 2);
    assert.ok((await metricValue(s.httpUrl, 'sylk_sip_dropped_total', { reason: 'connection-limit-untrusted-share' })) >= 20);
  });

  it("an outsider's connection is closed after its first 403", async () => {
    const c = byAddressFirstOpen(conns);
    c.socket.write(request('OPTIONS', { port: c.socket.localPort!, transport: 'TCP' }));
    assert.equal(await statusOf(c), 403);
    for (let i = 0; i < 100 && !c.closed; i++) await sleep(20);
    assert.ok(c.closed, 'closed after the refused request');
  });
});

function byAddressFirstOpen(conns: Conn[]): Conn {
  const c = conns.find((x) => !x.closed && x.socket.localAddress === '127.0.0.3');
  if (!c) throw new Error('no open outsider connection');
  return c;
}

describe('SIP connections from outside trusted_peers: short idle timeout', () => {
  let s: InProcessServer;
  before(async () => {
    s = await startInProcess({ trustedPeers: '127.0.0.1', config: { SIP: ['untrusted_idle_timeout = 1'] } });
  });
  after(() => s.stop());

  it('an idle outsider is dropped after untrusted_idle_timeout; a trusted peer is kept', async () => {
    const outsider = await open(s.tcpPort, '127.0.0.3');
    const trusted = await open(s.tcpPort, '127.0.0.1');
    try {
      for (let i = 0; i < 250 && !outsider.closed; i++) await sleep(20);
      assert.ok(outsider.closed, 'outsider closed within 5 s');
      assert.equal(trusted.closed, false, 'trusted connection (tcp_idle_timeout 300 s) still open');
    } finally {
      outsider.socket.destroy();
      trusted.socket.destroy();
    }
  });
});
