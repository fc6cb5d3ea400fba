import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderSrv, parseProxyAddress, pickNextHop, resolveNextHops, resolveProxy, targetOfUri, type DnsResolver, type NaptrAnswer, type SrvAnswer } from '../../src/sip/dns.js';

interface Zone {
  naptr?: Record<string, NaptrAnswer[]>;
  srv?: Record<string, SrvAnswer[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
}

/** A resolver answering from a fixed zone and recording the queries made. */
function fakeResolver(zone: Zone): DnsResolver & { queries: string[] } {
  const queries: string[] = [];
  const answer = <T>(kind: string, table: Record<string, T[]> | undefined, name: string): Promise<T[]> => {
    queries.push(`${kind} ${name}`);
    const v = table?.[name];
    return v ? Promise.resolve(v) : Promise.reject(Object.assign(new Error(`queryNotFound ${name}`), { code: 'ENOTFOUND' }));
  };
  return {
    queries,
    resolveNaptr: (n) => answer('NAPTR', zone.naptr, n),
    resolveSrv: (n) => answer('SRV', zone.srv, n),
    resolve4: (n) => answer('A', zone.a, n),
    resolve6: (n) => answer('AAAA', zone.aaaa, n),
  };
}

const naptr = (order: number, pref: number, service: string, replacement: string): NaptrAnswer => ({ flags: 's', service, regexp: '', replacement, order, preference: pref });
const srv = (name: string, port: number, priority = 10, weight = 0): SrvAnswer => ({ name, port, priority, weight });

const ZONE: Zone = {
  naptr: {
    'example.com': [naptr(50, 50, 'SIPS+D2T', '_sips._tcp.example.com'), naptr(90, 50, 'SIP+D2T', '_sip._tcp.example.com'), naptr(100, 50, 'SIP+D2U', '_sip._udp.example.com'), naptr(10, 10, 'SIP+D2S', '_sip._sctp.example.com')],
  },
  srv: {
    '_sips._tcp.example.com': [srv('tls1.example.com', 5061)],
    '_sip._tcp.example.com': [srv('tcp2.example.com', 5070, 20), srv('tcp1.example.com', 5060, 10)],
    '_sip._udp.example.com': [srv('udp1.example.com', 5060)],
    '_sip._udp.nonaptr.org': [srv('u.nonaptr.org', 5080)],
    '_sip._tcp.nonaptr.org': [srv('t.nonaptr.org', 5090)],
  },
  a: {
    'tls1.example.com': ['192.0.2.11'],
    'tcp1.example.com': ['192.0.2.21'],
    'tcp2.example.com': ['192.0.2.22'],
    'udp1.example.com': ['192.0.2.31', '192.0.2.32'],
    'u.nonaptr.org': ['198.51.100.1'],
    't.nonaptr.org': ['198.51.100.2'],
    'plain.net': ['203.0.113.5'],
    'proxy.example.com': ['192.0.2.99'],
  },
  aaaa: { 'plain.net': ['2001:db8::5'] },
};

test('numeric IP: no DNS; every enabled transport with its default port', async () => {
  const r = fakeResolver(ZONE);
  const hops = await resolveNextHops('sip:bob@192.0.2.7', { resolver: r });
  assert.deepEqual(hops.map((h) => [h.transport, h.address, h.port]), [['udp', '192.0.2.7', 5060], ['tcp', '192.0.2.7', 5060], ['tls', '192.0.2.7', 5061]]);
  assert.deepEqual(r.queries, []);
  const v6 = await resolveNextHops('sip:bob@[2001:db8::7]:5070;transport=tcp', { resolver: r });
  assert.deepEqual(v6.map((h) => [h.transport, h.address, h.port]), [['tcp', '2001:db8::7', 5070]]);
});

test('explicit port: A lookup only, no NAPTR/SRV', async () => {
  const r = fakeResolver(ZONE);
  const hops = await resolveNextHops('sip:bob@plain.net:5080', { resolver: r, transports: ['tcp'] });
  assert.deepEqual(hops.map((h) => [h.transport, h.address, h.port]), [['tcp', '203.0.113.5', 5080]]);
  assert.deepEqual(r.queries, ['A plain.net']);
});

test('NAPTR → SRV → A, ordered by NAPTR order, restricted to enabled transports', async () => {
  const r = fakeResolver(ZONE);
  const all = await resolveNextHops('sip:bob@example.com', { resolver: r });
  assert.deepEqual(all.map((h) => [h.transport, h.address, h.port]), [
    ['tls', '192.0.2.11', 5061],
    ['tcp', '192.0.2.21', 5060],
    ['tcp', '192.0.2.22', 5070],
    ['udp', '192.0.2.31', 5060],
    ['udp', '192.0.2.32', 5060],
  ]);
  const udpTcp = await resolveNextHops('sip:bob@example.com', { resolver: fakeResolver(ZONE), transports: ['udp', 'tcp'] });
  assert.equal(udpTcp[0]!.transport, 'tcp');
  assert.ok(udpTcp.every((h) => h.transport !== 'tls'));
  const udpOnly = await resolveNextHops('sip:bob@example.com', { resolver: fakeResolver(ZONE), transports: ['udp'] });
  assert.deepEqual(udpOnly.map((h) => h.address), ['192.0.2.31', '192.0.2.32']);
});

test('transport parameter skips NAPTR and queries that SRV only; sips → TLS only', async () => {
  const r = fakeResolver(ZONE);
  const hops = await resolveNextHops('sip:bob@example.com;transport=tcp', { resolver: r });
  assert.deepEqual(hops.map((h) => h.port), [5060, 5070]);
  assert.deepEqual(r.queries.filter((q) => !q.startsWith('A ')), ['SRV _sip._tcp.example.com']);
  const s = await resolveNextHops('sips:bob@example.com', { resolver: fakeResolver(ZONE) });
  assert.deepEqual(s.map((h) => [h.transport, h.port]), [['tls', 5061]]);
  assert.deepEqual(await resolveNextHops('sips:bob@example.com', { resolver: fakeResolver(ZONE), transports: ['udp', 'tcp'] }), []);
});

test('no NAPTR: SRV per enabled transport in preference order', async () => {
  const hops = await resolveNextHops('sip:alice@nonaptr.org', { resolver: fakeResolver(ZONE) });
  assert.deepEqual(hops.map((h) => [h.transport, h.address, h.port]), [['udp', '198.51.100.1', 5080], ['tcp', '198.51.100.2', 5090]]);
  const tcpFirst = await resolveNextHops('sip:alice@nonaptr.org', { resolver: fakeResolver(ZONE), transports: ['tcp', 'udp'] });
  assert.equal(tcpFirst[0]!.transport, 'tcp');
});

test('no NAPTR, no SRV: A records with UDP 5060 (AAAA only when asked)', async () => {
  const hops = await resolveNextHops('sip:carol@plain.net', { resolver: fakeResolver(ZONE) });
  assert.deepEqual(hops.map((h) => [h.transport, h.address, h.port]), [['udp', '203.0.113.5', 5060]]);
  const both = await resolveNextHops('sip:carol@plain.net', { resolver: fakeResolver(ZONE), families: [4, 6] });
  assert.deepEqual(both.map((h) => h.address), ['203.0.113.5', '2001:db8::5']);
  const tcpOnly = await resolveNextHops('sip:carol@plain.net', { resolver: fakeResolver(ZONE), transports: ['tcp'] });
  assert.deepEqual(tcpOnly.map((h) => [h.transport, h.port]), [['tcp', 5060]]);
});

test('DNS failure yields an empty list', async () => {
  assert.deepEqual(await resolveNextHops('sip:x@nowhere.invalid', { resolver: fakeResolver({}) }), []);
  assert.deepEqual(await resolveNextHops('mailto:x@y', { resolver: fakeResolver(ZONE) }), []);
});

test('pickNextHop keeps the first transport and picks among those at random', () => {
  const hops = [
    { transport: 'tcp' as const, address: 'a', port: 1, host: 'h' },
    { transport: 'tcp' as const, address: 'b', port: 1, host: 'h' },
    { transport: 'udp' as const, address: 'c', port: 1, host: 'h' },
  ];
  assert.equal(pickNextHop(hops, () => 0)!.address, 'a');
  assert.equal(pickNextHop(hops, () => 0.99)!.address, 'b');
  assert.equal(pickNextHop([]), undefined);
});

test('SRV ordering: priority first, weights drawn at random within a priority', () => {
  const recs = [srv('low', 1, 20, 0), srv('a', 1, 10, 90), srv('b', 1, 10, 10), srv('zero', 1, 10, 0)];
  assert.deepEqual(orderSrv(recs, () => 0).map((r) => r.name), ['b', 'a', 'zero', 'low']);
  assert.deepEqual(orderSrv(recs, () => 0.5).map((r) => r.name), ['a', 'b', 'zero', 'low']);
});

test('targetOfUri honours maddr, port, transport, sips', () => {
  assert.deepEqual(targetOfUri('sip:bob@example.com:5070;transport=TCP;maddr=192.0.2.1'), { host: '192.0.2.1', port: 5070, transport: 'tcp', secure: false });
  assert.deepEqual(targetOfUri('bob@example.com'), { host: 'example.com', secure: false });
  assert.equal(targetOfUri('tel:+123'), undefined);
});

test('parseProxyAddress with the original defaults', () => {
  assert.deepEqual(parseProxyAddress('proxy.example.com'), { host: 'proxy.example.com', port: 5060, transport: 'udp' });
  assert.deepEqual(parseProxyAddress('proxy.example.com:5080;transport=tcp'), { host: 'proxy.example.com', port: 5080, transport: 'tcp' });
  assert.deepEqual(parseProxyAddress('10.0.0.1;transport=tls'), { host: '10.0.0.1', port: 5060, transport: 'tls' });
  assert.deepEqual(parseProxyAddress('sip:[2001:db8::1]:5062;transport=TCP'), { host: '2001:db8::1', port: 5062, transport: 'tcp' });
  for (const bad of ['', 'host:abc', 'host:70000', 'host;transport=sctp', '[::1', 'ho st', 'host;foo=bar']) assert.equal(parseProxyAddress(bad), undefined, bad);
});

test('resolveProxy: IP directly, names with A lookups only', async () => {
  const r = fakeResolver(ZONE);
  assert.deepEqual(await resolveProxy({ host: '10.0.0.1', port: 5060, transport: 'udp' }, { resolver: r }), [{ transport: 'udp', address: '10.0.0.1', port: 5060, host: '10.0.0.1' }]);
  assert.deepEqual((await resolveProxy(parseProxyAddress('proxy.example.com:5070;transport=tcp')!, { resolver: r })).map((h) => [h.address, h.port, h.transport]), [['192.0.2.99', 5070, 'tcp']]);
  assert.deepEqual(r.queries, ['A proxy.example.com']);
});
