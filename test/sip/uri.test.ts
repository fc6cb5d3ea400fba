import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aorOf, checkUri, formatUri, parseSipUri, parseUri, uriEquals } from '../../src/sip/message/uri.js';

test('full SIP URI: user with escapes, password, host, port, params, headers', () => {
  const u = parseSipUri('sip:al%69ce:se%63ret@Example.COM:5070;transport=TCP;lr;x=%41b?subject=hi%20there&priority=urgent')!;
  assert.equal(u.scheme, 'sip');
  assert.equal(u.user, 'alice');
  assert.equal(u.password, 'secret');
  assert.equal(u.host, 'Example.COM');
  assert.equal(u.port, 5070);
  assert.deepEqual([...u.params], [['transport', 'TCP'], ['lr', null], ['x', 'Ab']]);
  assert.deepEqual(u.headers, [['subject', 'hi there'], ['priority', 'urgent']]);
  assert.equal(formatUri(u), 'sip:alice:secret@Example.COM:5070;transport=TCP;lr;x=Ab?subject=hi%20there&priority=urgent');
});

test('IPv6 references, sips, no user', () => {
  const u = parseSipUri('sips:[2001:db8::10]:5061;maddr=[2001:db8::1]')!;
  assert.equal(u.scheme, 'sips');
  assert.equal(u.host, '[2001:db8::10]');
  assert.equal(u.port, 5061);
  assert.equal(u.user, undefined);
  assert.equal(parseSipUri('sip:[2001:db8::10'), undefined);
  assert.equal(parseSipUri('sip:[not-ip]'), undefined);
});

test('torture URIs', () => {
  const weird = parseSipUri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com")!;
  assert.equal(weird.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(weird.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(parseSipUri('sip:sips%3Auser%40example.com@example.net')!.user, 'sips:user@example.com');
  assert.equal(parseSipUri('sip:null-%00-null@example.com')!.user, 'null-\u0000-null');
  assert.equal(parseSipUri('sip:user;par=u%40example.net@example.com')!.user, 'user;par=u@example.net');
  const esc = parseSipUri('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31')!;
  assert.deepEqual([...esc.params], [['lr', null], ['name', 'value%41']]);
});

test('invalid URIs', () => {
  for (const s of ['', 'sip:', 'sip:@host', 'sip:user@', 'sip:user@host:99999', 'sip:user@host:abc', 'sip:us er@host', 'sip:user@ho_st', '<sip:a@b>', 'sip:a@b;=x', 'sip:a@b;x=', 'sip:a@b?x', '1sip:a@b', 'sip:a@b;x=%4']) {
    assert.equal(parseUri(s), undefined, s);
  }
});

test('tel and other schemes', () => {
  const t = parseUri('tel:+1-201-555-0123;phone-context=example.com')!;
  assert.ok(t.kind === 'tel');
  assert.equal(t.number, '+1-201-555-0123');
  assert.equal(t.params.get('phone-context'), 'example.com');
  const o = parseUri('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6')!;
  assert.ok(o.kind === 'other' && o.scheme === 'urn');
  assert.equal(formatUri(o), 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
  assert.ok(parseUri('soap.beep://192.0.2.103:3002'));
  assert.equal(parseUri('http://exa mple.com'), undefined);
});

test('formatUri escapes what must be escaped and round-trips', () => {
  const u = parseSipUri('sip:a@b')!;
  u.user = 'I have spaces@and:colons';
  const s = formatUri(u);
  assert.equal(s, 'sip:I%20have%20spaces%40and%3Acolons@b');
  assert.equal(parseSipUri(s)!.user, 'I have spaces@and:colons');
  u.user = 'ünïcödé';
  assert.equal(parseSipUri(formatUri(u))!.user, 'ünïcödé');
});

test('aorOf: user@host, host lower-cased, no scheme/port/params', () => {
  assert.equal(aorOf('sip:Alice@Example.COM:5060;transport=tcp'), 'Alice@example.com');
  assert.equal(aorOf('sips:bob@example.com'), 'bob@example.com');
  assert.equal(aorOf('bob@Example.com'), 'bob@example.com');
  assert.equal(aorOf('sip:%75ser@example.com'), 'user@example.com');
  assert.equal(aorOf('sip:example.com'), 'example.com');
  assert.equal(aorOf(parseUri('sip:x@[::1]')!), 'x@[::1]');
  assert.equal(aorOf('http://example.com'), undefined);
  assert.equal(aorOf('not a uri'), undefined);
});

test('RFC 3261 §19.1.4 equivalent URIs', () => {
  const eq: Array<[string, string]> = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
    ['sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'],
  ];
  for (const [a, b] of eq) assert.ok(uriEquals(a, b), `${a} == ${b}`);
  const ne: Array<[string, string]> = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp;user=phone'.replace(';transport=udp', '')],
    ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;newparam=6'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:a@b', 'sips:a@b'],
  ];
  for (const [a, b] of ne) assert.ok(!uriEquals(a, b), `${a} != ${b}`);
});

test('checkUri (the parser fast path) agrees with parseUri', () => {
  const pieces = ['sip:', 'sips:', 'tel:', 'urn:', 'SIP:', 'a', 'b', '@', ':', ';', '?', '=', '&', '%', '%41', '%4', '[', ']', '::1', '.', '-', '5060', ' ', '<', '>', 'ü', 'user', 'host.example.com', 'lr', 'transport=tcp'];
  const uriLike = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((a) => a.join(''));
  fc.assert(
    fc.property(fc.oneof(uriLike, fc.string({ maxLength: 30 })), (s) => {
      const parsed = parseUri(s);
      const check = checkUri(s);
      assert.equal(check !== 0, parsed !== undefined, s);
      if (parsed && parsed.kind === 'sip') assert.equal(check === 2, parsed.headers.length > 0, s);
    }),
    { numRuns: 5000 },
  );
  assert.equal(parseUri('sip:a@b;'), undefined);
});
