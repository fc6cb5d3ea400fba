import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import {
  ConfigValueError,
  appMap,
  endpoint,
  int,
  ip,
  optPort,
  optProxy,
  optUrl,
  parseBool,
  parseList,
  parseNetworkList,
  parseProxyAddress,
  path,
  port,
  oneOf,
} from '../../src/config/values.js';
import { networkListContains, resolveNetworkList } from '../../src/config/network.js';

const invalid = (fn: () => unknown): void => assert.throws(fn, ConfigValueError);

test('booleans: yes/true/on/1 and no/false/off/0, any case; anything else is invalid', () => {
  for (const v of ['yes', 'TRUE', 'On', '1', ' yes ']) assert.equal(parseBool(v), true, v);
  for (const v of ['no', 'False', 'OFF', '0']) assert.equal(parseBool(v), false, v);
  for (const v of ['', 'y', '2', 'enabled']) invalid(() => parseBool(v));
});

test('lists: comma separated, whitespace ignored, none/empty → []', () => {
  assert.deepEqual(parseList(' a , b,c ,, '), ['a', 'b', 'c']);
  assert.deepEqual(parseList('none'), []);
  assert.deepEqual(parseList('None'), []);
  assert.deepEqual(parseList(''), []);
  assert.deepEqual(parseList('*'), ['*']);
  assert.deepEqual(parseList('a,\nb'), ['a', 'b']);
});

test('integers and ports', () => {
  assert.equal(port(1).parse('5060'), 5060);
  assert.equal(port(1).parse('0'), 0);
  invalid(() => port(1).parse('65536'));
  invalid(() => port(1).parse(''));
  invalid(() => port(1).parse('50a'));
  assert.equal(optPort(5060).parse(''), null);
  assert.equal(optPort(5060).parse(' 5070 '), 5070);
  invalid(() => optPort(5060).parse('-1'));
  assert.equal(int(1, 1, 10).parse('+7'), 7);
  invalid(() => int(1, 1, 10).parse('11'));
  invalid(() => int(1, 1, 10).parse('1.5'));
});

test('IP addresses, paths, URLs, enums', () => {
  assert.equal(ip('1.2.3.4', 4).parse(' 10.0.0.1 '), '10.0.0.1');
  invalid(() => ip('1.2.3.4', 4).parse('::1'));
  invalid(() => ip('1.2.3.4', 4).parse('example.com'));
  assert.equal(ip('::').parse('::1'), '::1');
  assert.equal(path('/x').parse('~/sylk'), resolve(homedir(), 'sylk'));
  assert.equal(path('/x').parse('rel/dir'), resolve(process.cwd(), 'rel/dir'));
  assert.equal(path('/x').parse('/a/../b'), '/b');
  invalid(() => path('/x').parse(''));
  assert.equal(optUrl().parse(''), null);
  assert.equal(optUrl().parse('https://push.example.com:8400/push'), 'https://push.example.com:8400/push');
  invalid(() => optUrl().parse('push.example.com'));
  invalid(() => optUrl().parse('ftp://x/'));
  const level = oneOf(['debug', 'info'] as const, 'info');
  assert.equal(level.parse('DEBUG'), 'debug');
  invalid(() => level.parse('verbose'));
});

test('application_map: key:application pairs', () => {
  const f = appMap({});
  assert.deepEqual(f.parse('echo:echo, playback:playback, alice@example.com:webrtcgateway'), {
    echo: 'echo',
    playback: 'playback',
    'alice@example.com': 'webrtcgateway',
  });
  assert.deepEqual(f.parse('none'), {});
  invalid(() => f.parse('echo'));
  invalid(() => f.parse(':echo'));
  assert.equal(f.format(f.parse('a:b,c:d')), 'a:b, c:d');
});

test('network lists: CIDR, IP, hostname, any, none', () => {
  assert.deepEqual(parseNetworkList('any'), [{ kind: 'cidr', address: '0.0.0.0', prefix: 0, family: 4 }]);
  assert.deepEqual(parseNetworkList('none'), []);
  assert.deepEqual(parseNetworkList(''), []);
  assert.deepEqual(parseNetworkList('10.0.0.0/8, 192.0.2.7, proxy.example.com, 2001:db8::/32'), [
    { kind: 'cidr', address: '10.0.0.0', prefix: 8, family: 4 },
    { kind: 'cidr', address: '192.0.2.7', prefix: 32, family: 4 },
    { kind: 'host', host: 'proxy.example.com' },
    { kind: 'cidr', address: '2001:db8::', prefix: 32, family: 6 },
  ]);
  invalid(() => parseNetworkList('10.0.0.0/33'));
  invalid(() => parseNetworkList('10.0.0/8'));
  invalid(() => parseNetworkList('300.1.1.1'));
  invalid(() => parseNetworkList('bad_host!'));
});

test('network list matching, incl. IPv4-mapped IPv6 and resolved hostnames', async () => {
  const list = await resolveNetworkList(parseNetworkList('10.1.0.0/16, 192.0.2.7, localhost, 2001:db8::/32'));
  assert.ok(networkListContains(list, '10.1.200.3'));
  assert.ok(!networkListContains(list, '10.2.0.1'));
  assert.ok(networkListContains(list, '192.0.2.7'));
  assert.ok(!networkListContains(list, '192.0.2.8'));
  assert.ok(networkListContains(list, '::ffff:10.1.0.1'));
  assert.ok(networkListContains(list, '127.0.0.1'), 'localhost resolved to /32');
  assert.ok(networkListContains(list, '2001:db8:1::5'));
  assert.ok(!networkListContains(list, '2001:db9::5'));
  assert.ok(!networkListContains(list, 'garbage'));
  const any = await resolveNetworkList(parseNetworkList('any'));
  assert.ok(networkListContains(any, '203.0.113.9'));
  assert.ok(!networkListContains([], '203.0.113.9'));
  const failed: string[] = [];
  const r = await resolveNetworkList([{ kind: 'host', host: 'no-such-host.invalid' }], (h) => failed.push(h));
  assert.deepEqual(r, []);
  assert.deepEqual(failed, ['no-such-host.invalid']);
});

test('SIP proxy addresses: host[:port][;transport=], port 5060 and udp by default', () => {
  assert.deepEqual(parseProxyAddress('proxy.example.com'), { host: 'proxy.example.com', port: 5060, transport: 'udp' });
  assert.deepEqual(parseProxyAddress('10.0.0.1:5070'), { host: '10.0.0.1', port: 5070, transport: 'udp' });
  assert.deepEqual(parseProxyAddress('proxy.example.com;transport=TCP'), { host: 'proxy.example.com', port: 5060, transport: 'tcp' });
  assert.deepEqual(parseProxyAddress('proxy.example.com;transport=tls'), { host: 'proxy.example.com', port: 5060, transport: 'tls' });
  assert.deepEqual(parseProxyAddress('[2001:db8::1]:5061;transport=tls'), { host: '2001:db8::1', port: 5061, transport: 'tls' });
  invalid(() => parseProxyAddress('proxy.example.com;transport=sctp'));
  invalid(() => parseProxyAddress('proxy.example.com:0'));
  invalid(() => parseProxyAddress('proxy.example.com:abc'));
  invalid(() => parseProxyAddress('sip:proxy.example.com'));
  const f = optProxy();
  assert.equal(f.parse(''), null);
  assert.equal(f.format(f.parse('p.example.com:5080;transport=tcp')), 'p.example.com:5080;transport=tcp');
});

test('IP[:PORT] endpoints keep the default port when none is given', () => {
  const f = endpoint({ host: '127.0.0.1', port: 20888 });
  assert.deepEqual(f.parse('10.0.0.1'), { host: '10.0.0.1', port: 20888 });
  assert.deepEqual(f.parse('10.0.0.1:9000'), { host: '10.0.0.1', port: 9000 });
  assert.deepEqual(f.parse('[::1]:9000'), { host: '::1', port: 9000 });
  invalid(() => f.parse('localhost:9000'));
  invalid(() => f.parse('10.0.0.1:70000'));
});
