// Graceful stop (requests in flight still answered, new ones refused with 503, sockets closed
// afterwards) and the stack's Prometheus metrics.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { SipResponse } from '../../src/sip/message/message.js';
import { SipStack } from '../../src/sip/stack.js';
import { registry } from '../../src/util/metrics.js';
import { isResponse, request, tcpPeer, udpPeer } from './stack-peer.js';

describe('SIP stack lifecycle', () => {
  it('stop() lets a request in flight finish, refuses new ones with 503, then closes the sockets', async () => {
    const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0 }, () => new Promise((r) => setTimeout(() => r({ status: 200, reason: 'Late' }), 400)));
    await stack.start();
    const { udp, tcp } = stack.ports();
    const peer = await tcpPeer(tcp!);
    const late = await udpPeer(udp!);
    try {
      peer.send(request('MESSAGE', { port: peer.port, transport: 'TCP', body: 'in flight' }));
      await new Promise((r) => setTimeout(r, 50));
      const stopping = stack.stop();
      late.send(request('MESSAGE', { port: late.port, body: 'too late' }));
      const refused = (await late.waitFor(isResponse())) as SipResponse;
      assert.equal(refused.status, 503);
      const res = (await peer.waitFor(isResponse())) as SipResponse;
      assert.equal(res.status, 200);
      assert.equal(res.reason, 'Late');
      await stopping;
      const err = await new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: tcp! });
        s.on('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      assert.equal(err, 'ECONNREFUSED');
    } finally {
      await peer.close();
      await late.close();
      await stack.stop();
    }
  });

  it('counts requests, responses and live transactions in the metrics registry', async () => {
    const stack = new SipStack({ host: '127.0.0.1', udpPort: 0 }, async () => ({ status: 202 }));
    await stack.start();
    const peer = await udpPeer(stack.ports().udp!);
    const value = async (name: string, labels: Record<string, string>): Promise<number> => {
      const base = name.replace(/_count$/, '');
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === base);
      const w = (m?.values ?? []).find(
        (x) =>
          (base === name || (x as { metricName?: string }).metricName === name) &&
          Object.entries(labels).every(([k, l]) => (x.labels as Record<string, unknown>)[k] === l),
      );
      return w ? Number(w.value) : 0;
    };
    try {
      const reqBefore = await value('sylk_sip_requests_total', { direction: 'in', method: 'MESSAGE' });
      const resBefore = await value('sylk_sip_responses_total', { direction: 'sent', method: 'MESSAGE', status: '202' });
      const txBefore = await value('sylk_sip_transactions', { kind: 'server' });
      const histBefore = await value('sylk_sip_request_handling_seconds_count', { method: 'MESSAGE' });
      peer.send(request('MESSAGE', { port: peer.port, body: 'count me' }));
      await peer.waitFor(isResponse(202));
      assert.equal(await value('sylk_sip_requests_total', { direction: 'in', method: 'MESSAGE' }), reqBefore + 1);
      assert.equal(await value('sylk_sip_responses_total', { direction: 'sent', method: 'MESSAGE', status: '202' }), resBefore + 1);
      assert.equal(await value('sylk_sip_transactions', { kind: 'server' }), txBefore + 1, 'the transaction lives on in Completed (timer J)');
      assert.equal(await value('sylk_sip_request_handling_seconds_count', { method: 'MESSAGE' }), histBefore + 1);
      await stack.stop();
      assert.equal(await value('sylk_sip_transactions', { kind: 'server' }), txBefore);
    } finally {
      await peer.close();
      await stack.stop();
    }
  });
});
