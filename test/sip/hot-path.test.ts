/**
 * The pieces the stack's per-request path was made cheaper with, checked against the plain
 * implementations they replace: the transaction table against a Map, the direct response writer
 * against buildResponse + serializeMessage, in-place Via stamping, argument-passing coalesced
 * timers, the scrape-time metrics, and the UDP socket buffer options.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ResponseSpec } from '../../src/sip/api.js';
import { parseVia } from '../../src/sip/message/via-header.js';
import { Headers, type SipRequest } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/message/parser.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { SipStack } from '../../src/sip/stack.js';
import { countRequest, countResponse, observeHandling } from '../../src/sip/stack-metrics.js';
import { hashKey, TransactionTable } from '../../src/sip/transaction/table.js';
import { CoalescingTimers, FakeClock } from '../../src/sip/transaction/timers.js';
import { formatVia, stampReceived } from '../../src/sip/transport/via.js';
import { buildResponse, buildResponseBytes } from '../../src/sip/uas-rules.js';
import { registry } from '../../src/util/metrics.js';
import { tortureCases } from './torture-cases.js';

const RUNS = Math.max(1, Math.floor(Number(process.env.SYLK_FC_RUNS ?? 300)));

describe('TransactionTable', () => {
  interface Tx {
    readonly key: string;
    readonly id: number;
  }

  it('behaves like a Map keyed by tx.key, through growth, shrinking and deletions', () => {
    // Few distinct keys so that operations hit existing entries; many entries to force resizes.
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`), fc.integer({ min: 0, max: 3000 }).map((i) => `z9hG4bK${i}\x00h:1\x00MESSAGE`));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key }),
      fc.record({ kind: fc.constant('get' as const), key }),
      fc.record({ kind: fc.constant('delete' as const), key, stale: fc.boolean() }),
      fc.record({ kind: fc.constant('bulk' as const), n: fc.integer({ min: 0, max: 1500 }), drop: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const table = new TransactionTable<Tx>();
        const model = new Map<string, Tx>();
        let id = 0;
        for (const o of ops) {
          if (o.kind === 'set') {
            const tx = { key: o.key, id: id++ };
            table.set(tx);
            model.set(o.key, tx);
          } else if (o.kind === 'get') {
            assert.equal(table.get(o.key), model.get(o.key));
          } else if (o.kind === 'delete') {
            // delete(value) removes only the value stored under its key, not another one with the same key.
            const current = model.get(o.key);
            const victim = o.stale || !current ? { key: o.key, id: -1 } : current;
            const removed = table.delete(victim);
            assert.equal(removed, victim === current);
            if (removed) model.delete(o.key);
          } else {
            const added: Tx[] = [];
            for (let i = 0; i < o.n; i++) {
              const tx = { key: `bulk${id}`, id: id++ };
              table.set(tx);
              model.set(tx.key, tx);
              added.push(tx);
            }
            if (o.drop) {
              for (const tx of added) {
                assert.ok(table.delete(tx));
                model.delete(tx.key);
              }
            }
          }
          assert.equal(table.size, model.size);
        }
        for (const [k, v] of model) assert.equal(table.get(k), v);
        assert.deepEqual(new Set(table.values()), new Set(model.values()));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('keeps probe runs intact when entries with colliding home slots are deleted', () => {
    // Keys whose hashes share the low bits land in one probe run; delete from its middle.
    const table = new TransactionTable<Tx>();
    const byHome = new Map<number, string[]>();
    for (let i = 0; byHome.size === 0 || [...byHome.values()].every((l) => l.length < 6); i++) {
      const k = `c${i}`;
      const home = hashKey(k) & 1023;
      byHome.set(home, [...(byHome.get(home) ?? []), k]);
    }
    const run = [...byHome.values()].find((l) => l.length >= 6)!;
    const txs = run.map((key, id) => ({ key, id }));
    for (const tx of txs) table.set(tx);
    assert.ok(table.delete(txs[2]!));
    assert.ok(table.delete(txs[0]!));
    for (const tx of txs) assert.equal(table.get(tx.key), tx === txs[0] || tx === txs[2] ? undefined : tx);
    assert.equal(table.size, txs.length - 2);
  });

  it('hashes are never 0 and spread', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10000; i++) {
      const h = hashKey(`z9hG4bK${i}\x00127.0.0.1:5060\x00MESSAGE`);
      assert.notEqual(h, 0);
      seen.add(h & 1023);
    }
    assert.ok(seen.size > 1000, `low bits take ${seen.size} of 1024 values`);
  });
});

describe('buildResponseBytes', () => {
  const requests: SipRequest[] = [];
  for (const c of tortureCases()) {
    const r = parseMessage(c.bytes);
    if (r.ok && r.message.kind === 'request') requests.push(r.message);
  }
  const crlf = '\r\n';
  const sample = (extra: string, to = 'To: <sip:bob@example.com>'): SipRequest => {
    const r = parseMessage(
      Buffer.from(
        `MESSAGE sip:bob@example.com SIP/2.0${crlf}v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport${crlf}Via: SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKb, SIP/2.0/UDP h${crlf}` +
          `f: "A \\"x\\"" <sip:a@example.com>;tag=1${crlf}${to}${crlf}i: abc@def${crlf}CSeq: 7 MESSAGE${crlf}Timestamp: 54 0.5${crlf}${extra}Content-Length: 0${crlf}${crlf}`,
      ),
    );
    assert.ok(r.ok, r.ok ? '' : r.error);
    return r.message as SipRequest;
  };
  requests.push(sample(''), sample('X-Foo: bar\r\n', 'To: Bob <sip:bob@example.com>;TAG=xyz'), sample('', 'To: <sip:tagged@example.com>;vtag=1'), sample('Content-Type: text/plain\r\n'));

  const spec: fc.Arbitrary<ResponseSpec> = fc.record(
    {
      status: fc.oneof(fc.constantFrom(100, 180, 200, 202, 400, 481, 488, 500, 503), fc.integer({ min: 100, max: 699 })),
      reason: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      headers: fc.array(
        fc.tuple(fc.constantFrom('Retry-After', 'content-length', 'Content-Length', 'X-Sylk-App', 'WWW-Authenticate', 'call-id', 'allow'), fc.string({ maxLength: 20 })),
        { maxLength: 4 },
      ),
      contentType: fc.option(fc.constantFrom('text/plain', 'application/sdp\r\nX: y'), { nil: undefined }),
      body: fc.option(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a))), { nil: undefined }),
    },
    { requiredKeys: ['status'] },
  );

  it('writes the same bytes as serializeMessage(buildResponse(...)) for every request the parser accepts', () => {
    assert.ok(requests.length > 10);
    fc.assert(
      fc.property(fc.constantFrom(...requests), spec, fc.constantFrom('', 'abcd1234'), fc.option(fc.constantFrom('sylk', 'bad\r\nServer'), { nil: undefined }), (req, s, toTag, server) => {
        const expected = serializeMessage(buildResponse(req, s, toTag, server));
        assert.deepEqual(buildResponseBytes(req, s, toTag, server), expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('carves responses out of shared slabs without overlapping them', () => {
    const req = requests[0]!;
    const out = Array.from({ length: 600 }, (_, i) => buildResponseBytes(req, { status: 200, body: 'x'.repeat(i % 50) }, `t${i}`));
    const copies = out.map((b) => Buffer.from(b));
    for (let i = 0; i < out.length; i++) assert.deepEqual(out[i], copies[i]);
    const big = buildResponseBytes(req, { status: 200, body: 'y'.repeat(40000) }, 't');
    assert.ok(big.toString().endsWith('y'.repeat(40000)));
  });
});

describe('stampReceived', () => {
  const headersOf = (vias: string[]): Headers => new Headers([{ name: 'from', value: '<sip:a@b>' }, ...vias.map((value) => ({ name: 'via', value })), { name: 'to', value: '<sip:c@d>' }]);

  it('rewrites only the first via-parm of the first Via field, in place', () => {
    const h = headersOf(['SIP/2.0/UDP host.example:5060;branch=z9hG4bK1;rport, SIP/2.0/UDP other;branch=z9hG4bK0', 'SIP/2.0/TCP third;branch=z9hG4bKt']);
    const via = parseVia(h.get('via')!)![0]!;
    const out = stampReceived(h, via, { protocol: 'udp', address: '192.0.2.9', port: 40000 }, false);
    assert.equal(out, h);
    assert.deepEqual(h.getAll('via'), ['SIP/2.0/UDP host.example:5060;branch=z9hG4bK1;rport=40000;received=192.0.2.9, SIP/2.0/UDP other;branch=z9hG4bK0', 'SIP/2.0/TCP third;branch=z9hG4bKt']);
    assert.deepEqual([h.get('from'), h.get('to')], ['<sip:a@b>', '<sip:c@d>']);
    assert.equal(via.received, '192.0.2.9');
    assert.equal(via.rport, 40000);
  });

  it('brackets an IPv6 source, honours forceRport, and leaves a matching Via alone', () => {
    const h = headersOf(['SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK1;received=192.0.2.1']);
    const via = parseVia(h.get('via')!)![0]!;
    stampReceived(h, via, { protocol: 'udp', address: '2001:db8::3', port: 5062 }, true);
    assert.equal(h.get('via'), 'SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bK1;received=[2001:db8::3];rport=5062');
    const same = headersOf(['SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1']);
    const v2 = parseVia(same.get('via')!)![0]!;
    const before = same.get('via');
    stampReceived(same, v2, { protocol: 'udp', address: '192.0.2.4', port: 5060 }, false);
    assert.equal(same.get('via'), before);
    assert.equal(formatVia(v2), before);
  });
});

describe('CoalescingTimers', () => {
  it('passes the argument, drops cancelled entries, and keeps due times across an epoch move', () => {
    const base = new FakeClock();
    const timers = new CoalescingTimers(base);
    const fired: string[] = [];
    const record = (s: string): void => {
      fired.push(s);
    };
    timers.setTimeout(record, 100, 'a');
    const b = timers.setTimeout(record, 100, 'b');
    timers.setTimeout(() => fired.push('c'), 50);
    timers.clearTimeout(b);
    base.advance(99);
    assert.deepEqual(fired, ['c']);
    base.advance(1);
    assert.deepEqual(fired, ['c', 'a']);
    // 13 days later the epoch moves; a pending timer still fires on time.
    timers.setTimeout(record, 5000, 'd');
    base.advance(13 * 86400_000 - 1000);
    timers.setTimeout(record, 2000, 'e');
    assert.deepEqual(fired, ['c', 'a', 'd']);
    base.advance(1999);
    assert.deepEqual(fired, ['c', 'a', 'd']);
    base.advance(1);
    assert.deepEqual(fired, ['c', 'a', 'd', 'e']);
  });
});

describe('CoalescingTimers.schedule (handle-less ring)', () => {
  it('fires in due order through growth, shrinking and an epoch move, mixed with setTimeout', () => {
    const base = new FakeClock();
    const timers = new CoalescingTimers(base);
    const fired: number[] = [];
    const record = (n: number): void => {
      fired.push(n);
    };
    // 1000 timers of one duration scheduled 1 ms apart: the ring grows from 64 slots.
    for (let i = 0; i < 1000; i++) {
      timers.schedule(record, 500, i);
      base.advance(1);
    }
    // Timer i was scheduled at i ms and is due at i + 500; the clock is at 1000.
    assert.deepEqual(fired, Array.from({ length: 501 }, (_, i) => i));
    timers.setTimeout(record, 250, -1);
    base.advance(249);
    assert.equal(fired.at(-1), 749);
    base.advance(1);
    assert.deepEqual(fired.slice(-2), [-1, 750]);
    base.advance(250);
    assert.equal(fired.length, 1001);
    // Mostly empty now (the ring shrinks); more timers, across a 13-day epoch move.
    timers.schedule(record, 1000, 2000);
    base.advance(13 * 86400_000);
    assert.equal(fired.at(-1), 2000);
    timers.schedule(record, 10, 2001);
    timers.schedule(record, 10, 2002);
    base.advance(9);
    assert.equal(fired.at(-1), 2000);
    base.advance(1);
    assert.deepEqual(fired.slice(-2), [2001, 2002]);
  });
});

describe('stack metrics published at scrape time', () => {
  it('exports counters and the handling histogram in the Prometheus text format', async () => {
    countRequest('in', 'PUBLISH');
    countRequest('in', 'PUBLISH');
    countResponse('sent', 'PUBLISH', 412);
    observeHandling('PUBLISH', 0.0007);
    observeHandling('PUBLISH', 3);
    observeHandling('PUBLISH', 10);
    const text = await registry.metrics();
    assert.match(text, /^sylk_sip_requests_total\{direction="in",method="PUBLISH"\} 2$/m);
    assert.match(text, /^sylk_sip_responses_total\{direction="sent",method="PUBLISH",status="412"\} 1$/m);
    assert.match(text, /^# TYPE sylk_sip_request_handling_seconds histogram$/m);
    assert.match(text, /^sylk_sip_request_handling_seconds_bucket\{le="0.0005",method="PUBLISH"\} 0$/m);
    assert.match(text, /^sylk_sip_request_handling_seconds_bucket\{le="0.001",method="PUBLISH"\} 1$/m);
    assert.match(text, /^sylk_sip_request_handling_seconds_bucket\{le="5",method="PUBLISH"\} 2$/m);
    assert.match(text, /^sylk_sip_request_handling_seconds_bucket\{le="\+Inf",method="PUBLISH"\} 3$/m);
    assert.match(text, /^sylk_sip_request_handling_seconds_sum\{method="PUBLISH"\} 13.0007$/m);
    assert.match(text, /^sylk_sip_request_handling_seconds_count\{method="PUBLISH"\} 3$/m);
    // A second scrape publishes only what was counted since.
    countRequest('in', 'PUBLISH');
    assert.match(await registry.metrics(), /^sylk_sip_requests_total\{direction="in",method="PUBLISH"\} 3$/m);
  });
});

describe('UDP socket buffer options', () => {
  it('asks for the configured sizes and starts even when the kernel caps or refuses them', async () => {
    for (const [rcv, snd] of [
      [256 * 1024, 128 * 1024],
      [2 ** 31 - 1, 2 ** 31 - 1],
      [2 ** 33, 2 ** 33],
      [0, 0],
    ] as const) {
      const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, udpReceiveBufferBytes: rcv, udpSendBufferBytes: snd });
      await stack.start();
      try {
        const sizes = stack.transport.udpBufferSizes();
        assert.ok(sizes);
        if (rcv === 256 * 1024) {
          // Linux doubles the value asked for (bookkeeping overhead); others report it as set.
          assert.ok(sizes.receive >= rcv && sizes.send >= snd, JSON.stringify(sizes));
        } else assert.ok(sizes.receive > 0 && sizes.send > 0);
      } finally {
        await stack.stop();
      }
    }
  });
});
