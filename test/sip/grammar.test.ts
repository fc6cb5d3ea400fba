import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatNameAddr,
  isValidCallId,
  isValidNameAddr,
  parseContact,
  parseContacts,
  parseContentType,
  parseCSeq,
  parseMaxForwards,
  parseNameAddr,
  parseNameAddrList,
  parseParams,
  pushParams,
  quote,
  splitCommaList,
  tagOf,
  unquote,
} from '../../src/sip/message/grammar.js';
import { parseAuth } from '../../src/sip/message/auth-header.js';
import { isValidVia, parseVia } from '../../src/sip/message/via-header.js';

test('name-addr with quoted display name, escapes, parameters', () => {
  const na = parseNameAddr('"Alice \\"The\\" Liddell" <sip:alice@example.com;transport=tcp>;tag=abc;x="quoted, value"')!;
  assert.equal(na.displayName, 'Alice "The" Liddell');
  assert.equal(na.uri, 'sip:alice@example.com;transport=tcp');
  assert.deepEqual([...na.params], [['tag', 'abc'], ['x', 'quoted, value']]);
});

test('token display names, no display name, addr-spec form', () => {
  assert.equal(parseNameAddr('A. Bell <sip:a.g.bell@example.com>;tag=1')!.displayName, 'A. Bell');
  assert.equal(parseNameAddr('caller<sip:caller@example.com>')!.displayName, 'caller');
  assert.equal(parseNameAddr('<sip:x@y>')!.displayName, undefined);
  const spec = parseNameAddr('sip:bob@example.com;tag=9')!;
  assert.equal(spec.uri, 'sip:bob@example.com');
  assert.equal(spec.params.get('tag'), '9');
  assert.equal(parseNameAddr('"Ünïcødé 😀" <sip:u@example.com>')!.displayName, 'Ünïcødé 😀');
  assert.equal(parseNameAddr('<http://www.example.com>;tag=1')!.uri, 'http://www.example.com');
  assert.equal(tagOf('<sip:x@y>;TAG=Ab1'), 'Ab1');
});

test('malformed name-addr', () => {
  for (const v of ['"unterminated <sip:a@b>', 'Bell, Alexander <sip:a@b>', '< sip:a@b >', '<sip:a@b', '<>', 'sip:a@b;', 'sip:a@b;tag=', '<sip:a@b> junk', '"x" sip:a@b']) {
    assert.equal(parseNameAddr(v), undefined, v);
  }
});

test('formatNameAddr quotes display names and parameters as needed', () => {
  const v = formatNameAddr({ displayName: 'Bob "B" \\', uri: 'sip:bob@example.com', params: new Map([['tag', 'x1'], ['note', 'a b'], ['flag', null]]) });
  assert.equal(v, '"Bob \\"B\\" \\\\" <sip:bob@example.com>;tag=x1;note="a b";flag');
  assert.equal(parseNameAddr(v)!.displayName, 'Bob "B" \\');
  assert.equal(quote('a"b'), '"a\\"b"');
  assert.equal(unquote('"a\\"b"'), 'a"b');
  assert.equal(unquote('plain'), 'plain');
});

test('Contact: star, lists, expires, q, and push parameters in both spellings', () => {
  assert.deepEqual(parseContact(' * '), { star: true });
  const c = parseContact(
    '"Mobile" <sip:alice@10.0.0.1:5060;transport=tls;pn-provider=apns;pn-prid=ABC123;pn-param=TEAM.com.example.voip>;expires=600;q=0.7, <sip:alice@host2>;pn_tok=tok%3A1;pn_type=firebase;+sip.instance="<urn:uuid:1>"',
  );
  assert.ok(c && !c.star);
  assert.equal(c.contacts.length, 2);
  assert.equal(c.contacts[0]!.expires, 600);
  assert.equal(c.contacts[0]!.q, 0.7);
  assert.deepEqual(pushParams(c.contacts[0]!), { 'pn-provider': 'apns', 'pn-prid': 'ABC123', 'pn-param': 'TEAM.com.example.voip' });
  assert.deepEqual(pushParams(c.contacts[1]!), { 'pn-tok': 'tok%3A1', 'pn-type': 'firebase' });
  assert.equal(c.contacts[1]!.params.get('+sip.instance'), '<urn:uuid:1>');
  assert.equal(parseContacts(['<sip:a@b>', '<sip:c@d>, <sip:e@f>'])!.length, 3);
  assert.equal(parseContacts(['<sip:a@b>', '*']), '*');
  assert.equal(parseContact('<sip:a@b>;expires=1;;'), undefined);
});

test('Route list and comma split respecting quotes and brackets', () => {
  assert.deepEqual(parseNameAddrList('<sip:p1;lr>, <sip:p2;lr>,<sip:p3;lr>')!.map((r) => r.uri), ['sip:p1;lr', 'sip:p2;lr', 'sip:p3;lr']);
  assert.deepEqual(splitCommaList('"a, b" <sip:x@y>, <sip:z@w;p=1,2>, c,,'), ['"a, b" <sip:x@y>', '<sip:z@w;p=1,2>', 'c']);
  assert.deepEqual(splitCommaList('a,,b', true), ['a', '', 'b']);
  assert.deepEqual(splitCommaList('"\\",", x'), ['"\\","', 'x']);
});

test('Via: protocol, host, port, branch, received, rport, IPv6, lists', () => {
  const [v] = parseVia('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK776;received=198.51.100.7;rport=40000')!;
  assert.deepEqual([v!.protocol, v!.transport, v!.host, v!.port, v!.branch, v!.received, v!.rport], ['SIP/2.0', 'UDP', '192.0.2.1', 5070, 'z9hG4bK776', '198.51.100.7', 40000]);
  const [w] = parseVia('SIP/2.0/tcp [2001:db8::1];rport;branch=z9hG4bKx')!;
  assert.deepEqual([w!.transport, w!.host, w!.port, w!.rport], ['TCP', '[2001:db8::1]', undefined, null]);
  assert.equal(parseVia('SIP/2.0/TLS a.example.com;branch=z9hG4bK1, SIP/2.0/WSS b.example.com:443;branch=z9hG4bK2')!.length, 2);
  for (const bad of ['SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP host;branch', 'SIP/2.0/UDP host;received=notanip', 'SIP/2.0/UDP host:70000', 'SIP/2.0/UDP 192.0.2.15;;,;,,', 'SIP/2.0/UDP host,']) {
    assert.equal(parseVia(bad), undefined, bad);
  }
});

test('CSeq, Max-Forwards, Call-ID', () => {
  assert.deepEqual(parseCSeq('4711 MESSAGE'), { seq: 4711, method: 'MESSAGE' });
  assert.deepEqual(parseCSeq('0009\t INVITE'), { seq: 9, method: 'INVITE' });
  assert.equal(parseCSeq('4294967295 X')!.seq, 4294967295);
  for (const bad of ['4294967296 X', '36893488147419103232 REGISTER', '-1 X', '1', 'X 1', '1 A B']) assert.equal(parseCSeq(bad), undefined, bad);
  assert.equal(parseMaxForwards('70'), 70);
  assert.equal(parseMaxForwards('0068'), 68);
  assert.equal(parseMaxForwards('256'), undefined);
  assert.ok(isValidCallId('a84b4c76e66710@pc33.example.com'));
  assert.ok(isValidCallId('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{'));
  assert.ok(!isValidCallId('a b'));
  assert.ok(!isValidCallId('a@b@c'));
  assert.ok(!isValidCallId(''));
});

test('Content-Type with parameters', () => {
  const ct = parseContentType('Text/Plain ; charset="UTF-8";format=flowed')!;
  assert.equal(ct.mediaType, 'text/plain');
  assert.equal(ct.params.get('charset'), 'UTF-8');
  assert.equal(ct.params.get('format'), 'flowed');
  assert.equal(parseContentType('multipart/mixed;boundary=7a9cbec02ceef655')!.params.get('boundary'), '7a9cbec02ceef655');
  assert.equal(parseContentType('message/cpim')!.subtype, 'cpim');
  assert.equal(parseContentType('text'), undefined);
  assert.equal(parseContentType('text/plain; charset')!.params.get('charset'), null);
  assert.equal(parseContentType('text/ plain x'), undefined);
});

test('challenges and credentials', () => {
  const c = parseAuth('Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5')!;
  assert.equal(c.scheme, 'Digest');
  assert.equal(c.params.get('realm'), 'atlanta.com');
  assert.equal(c.params.get('opaque'), '');
  assert.equal(c.params.get('algorithm'), 'MD5');
  const r = parseAuth('NoOneKnowsThisScheme opaque-data=here')!;
  assert.equal(r.scheme, 'NoOneKnowsThisScheme');
  assert.equal(r.params.get('opaque-data'), 'here');
  assert.equal(parseAuth('Bearer abc.def-ghi')!.params.get(''), 'abc.def-ghi');
  assert.equal(parseAuth('Digest realm="unterminated'), undefined);
  assert.equal(parseAuth('Digest realm="a" nonce="b"'), undefined);
});

test('generic parameters with whitespace around ; and =', () => {
  assert.deepEqual([...parseParams(' ;  a = b ; c ;d="e;f"')!], [['a', 'b'], ['c', null], ['d', 'e;f']]);
  assert.equal(parseParams(';a=b c'), undefined);
});

test('validation-only scanners agree with the building parsers', () => {
  const viaPieces = ['SIP', '/', '2.0', 'UDP', 'tcp', ' ', '\t', 'host.example.com', '192.0.2.1', '[::1]', ':', '5060', ';', 'branch', '=', 'z9hG4bK1', 'received', '10.0.0.1', 'rport', 'ttl', '300', 'maddr', ',', '"q"', 'x'];
  const naPieces = ['"A \\" b"', 'Alice', ' ', '<', '>', 'sip:', 'alice', '@', 'example.com', ';', 'tag', '=', '1', '"v"', ',', 'http://x', '%41', '[::1]', ':5060', '?', 'h=v'];
  const gen = (pieces: string[]) => fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((a) => a.join(''));
  fc.assert(
    fc.property(gen(viaPieces), (v) => assert.equal(isValidVia(v), parseVia(v) !== undefined, v)),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(gen(naPieces), (v) => assert.equal(isValidNameAddr(v), parseNameAddr(v) !== undefined, v)),
    { numRuns: 5000 },
  );
  assert.ok(isValidVia('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1'));
});
