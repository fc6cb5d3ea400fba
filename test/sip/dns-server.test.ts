/**
 * RFC 3263 resolution against a real (tiny) DNS server on 127.0.0.1, through node's own resolver:
 * checks that `node:dns/promises`' Resolver satisfies our DnsResolver interface and that NAPTR,
 * SRV, A and AAAA answers travel through the whole chain.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { resolveNextHops } from '../../src/sip/dns.js';

type RR =
  | { type: 'A'; address: string }
  | { type: 'AAAA'; address: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'NAPTR'; order: number; preference: number; flags: string; service: string; regexp: string; replacement: string };

const TYPE_CODES = { A: 1, AAAA: 28, SRV: 33, NAPTR: 35 } as const;

const ZONE: Record<string, RR[]> = {
  'example.test': [
    { type: 'NAPTR', order: 10, preference: 10, flags: 's', service: 'SIP+D2T', regexp: '', replacement: '_sip._tcp.example.test' },
    { type: 'NAPTR', order: 20, preference: 10, flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test' },
  ],
  '_sip._tcp.example.test': [{ type: 'SRV', priority: 10, weight: 0, port: 5070, target: 'tcp.example.test' }],
  '_sip._udp.example.test': [{ type: 'SRV', priority: 10, weight: 0, port: 5080, target: 'udp.example.test' }],
  'tcp.example.test': [{ type: 'A', address: '192.0.2.70' }, { type: 'AAAA', address: '2001:db8::70' }],
  'udp.example.test': [{ type: 'A', address: '192.0.2.80' }],
  'plain.test': [{ type: 'A', address: '192.0.2.99' }],
};

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function charString(s: string): Buffer {
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'ascii')]);
}

function u16(...ns: number[]): Buffer {
  const b = Buffer.alloc(ns.length * 2);
  ns.forEach((n, i) => b.writeUInt16BE(n, i * 2));
  return b;
}

function rdata(rr: RR): Buffer {
  switch (rr.type) {
    case 'A':
      return Buffer.from(rr.address.split('.').map(Number));
    case 'AAAA': {
      const [head, tail] = rr.address.split('::') as [string, string | undefined];
      const h = head ? head.split(':') : [];
      const t = tail ? tail.split(':') : [];
      const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
      return u16(...groups.map((g) => parseInt(g, 16)));
    }
    case 'SRV':
      return Buffer.concat([u16(rr.priority, rr.weight, rr.port), encodeName(rr.target)]);
    case 'NAPTR':
      return Buffer.concat([u16(rr.order, rr.preference), charString(rr.flags), charString(rr.service), charString(rr.regexp), encodeName(rr.replacement)]);
  }
}

/** Answer one query: echo the question, add the zone's records of the asked type. */
function answer(query: Buffer): Buffer {
  const id = query.readUInt16BE(0);
  const flags = query.readUInt16BE(2);
  let off = 12;
  const labels: string[] = [];
  while (query[off] !== 0) {
    const len = query[off]!;
    labels.push(query.toString('ascii', off + 1, off + 1 + len));
    off += len + 1;
  }
  off++;
  const qtype = query.readUInt16BE(off);
  const question = query.subarray(12, off + 4);
  const name = labels.join('.').toLowerCase();
  const records = ZONE[name];
  const matching = (records ?? []).filter((r) => TYPE_CODES[r.type] === qtype);
  const rcode = records ? 0 : 3;
  const header = u16(id, 0x8000 | (flags & 0x0100) | 0x0400 | 0x0080 | rcode, 1, matching.length, 0, 0);
  const answers = matching.map((r) => {
    const data = rdata(r);
    return Buffer.concat([Buffer.from([0xc0, 12]), u16(qtype, 1), Buffer.from([0, 0, 0, 60]), u16(data.length), data]);
  });
  return Buffer.concat([header, question, ...answers]);
}

let server: Socket;
let resolver: dns.Resolver;

before(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, rinfo) => {
    try {
      server.send(answer(msg), rinfo.port, rinfo.address);
    } catch {
      // malformed query: ignore
    }
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.address().port}`]);
});

after(() => {
  resolver?.cancel();
  server?.close();
});

test('NAPTR → SRV → A through a real resolver', async () => {
  const hops = await resolveNextHops('sip:bob@example.test', { resolver });
  assert.deepEqual(hops.map((h) => [h.transport, h.address, h.port, h.host]), [
    ['tcp', '192.0.2.70', 5070, 'tcp.example.test'],
    ['udp', '192.0.2.80', 5080, 'udp.example.test'],
  ]);
  const v6 = await resolveNextHops('sip:bob@example.test;transport=tcp', { resolver, families: [6] });
  assert.deepEqual(v6.map((h) => [h.address, h.port]), [['2001:db8::70', 5070]]);
});

test('no NAPTR, no SRV: falls back to A with UDP 5060; unknown names give no hops', async () => {
  const hops = await resolveNextHops('sip:carol@plain.test', { resolver });
  assert.deepEqual(hops.map((h) => [h.transport, h.address, h.port]), [['udp', '192.0.2.99', 5060]]);
  assert.deepEqual(await resolveNextHops('sip:x@nowhere.test', { resolver }), []);
});
