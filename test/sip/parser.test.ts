import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type ParseResult } from '../../src/sip/message/parser.js';
import { parseContact, parseCSeq, parseNameAddr } from '../../src/sip/message/grammar.js';
import { parseVia } from '../../src/sip/message/via-header.js';
import { tortureCases } from './torture-cases.js';

const cases = tortureCases();

test('the torture table covers all 49 RFC 4475 messages', () => {
  assert.equal(cases.length, 49);
});

for (const c of cases) {
  test(`RFC 4475 ${c.section} ${c.file}: ${c.expectAccept ? 'accepted' : `rejected${c.expectStatus ? ` with ${c.expectStatus}` : ' (dropped)'}`}`, () => {
    const r = parseMessage(c.bytes);
    assert.equal(r.ok, c.expectAccept, r.ok ? 'accepted' : r.error);
    if (!r.ok) {
      assert.equal(r.status, c.expectStatus);
      assert.equal(r.partial?.kind, c.kind);
      if (c.kind === 'request') assert.ok(r.partial?.headers?.has('via') || r.partial?.headers?.has('cseq'), 'partial headers to build a 400');
    } else assert.equal(r.message.kind, c.kind);
  });
}

function ok(r: ParseResult) {
  if (!r.ok) assert.fail(`expected a message, got error: ${r.error}`);
  return r.message;
}

function torture(name: string) {
  return ok(parseMessage(cases.find((c) => c.file === `${name}.dat`)!.bytes));
}

test('wsinv: folding, odd spacing, compact names, case-insensitive names', () => {
  const m = torture('wsinv');
  assert.equal(m.kind, 'request');
  if (m.kind !== 'request') return;
  assert.equal(m.method, 'INVITE');
  assert.equal(m.headers.get('to'), 'sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
  assert.equal(parseNameAddr(m.headers.get('To')!)!.params.get('tag'), '1918181833n');
  const from = parseNameAddr(m.headers.get('from')!)!;
  assert.equal(from.displayName, 'J Rosenberg \\"');
  assert.equal(from.params.get('tag'), '98asjd8');
  assert.equal(m.headers.get('max-forwards'), '0068');
  assert.deepEqual(parseCSeq(m.headers.get('cseq')!), { seq: 9, method: 'INVITE' });
  const vias = m.headers.getAll('via').flatMap((v) => parseVia(v)!);
  assert.deepEqual(vias.map((v) => [v.transport, v.host, v.branch]), [
    ['UDP', '192.0.2.2', '390skdjuw'],
    ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
    ['UDP', '192.168.255.111', 'z9hG4bK30239'],
  ]);
  assert.equal(m.headers.get('subject'), '');
  assert.equal(m.headers.get('newfangledheader'), 'newfangled value continued newfangled value');
  const contact = parseContact(m.headers.get('contact')!);
  assert.ok(contact && !contact.star);
  assert.equal(contact.contacts[0]!.displayName, 'Quoted string ""');
  assert.equal(contact.contacts[0]!.q, 0.33);
  assert.equal(contact.contacts[0]!.params.get('newparam'), 'newvalue');
  assert.equal(m.body.length, 150);
});

test('dblreq: trailing octets after Content-Length are ignored on a datagram', () => {
  const c = cases.find((x) => x.file === 'dblreq.dat')!;
  const r = parseMessage(c.bytes);
  assert.ok(r.ok);
  assert.equal(r.message.kind === 'request' && r.message.method, 'REGISTER');
  assert.equal(r.message.body.length, 0);
  assert.ok(r.length < c.bytes.length);
  assert.equal(c.bytes.subarray(r.length).toString('latin1').trimStart().slice(0, 6), 'INVITE');
});

test('mpart01: binary body kept byte for byte', () => {
  const c = cases.find((x) => x.file === 'mpart01.dat')!;
  const m = torture('mpart01');
  assert.equal(m.body.length, 553);
  assert.deepEqual(m.body, c.bytes.subarray(c.bytes.length - 553));
});

test('unreason / intmeth: UTF-8 in reason phrase and header values is decoded', () => {
  const r = torture('unreason');
  assert.equal(r.kind === 'response' && r.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
  const m = torture('intmeth');
  assert.equal(m.kind === 'request' && m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  assert.match(m.headers.get("extensionHeader-!.%*+_`'~")!, /^\uFEFF大停電$/);
});

test('esc02: a header name with an escape is just an unknown header', () => {
  const m = torture('esc02');
  assert.equal(m.headers.getAll('contact').length, 2);
  assert.equal(m.headers.get('c%6fntact'), '<sip:alias2@host2.example.com>');
});

const BASE = [
  'MESSAGE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1',
  'Max-Forwards: 70',
  'From: <sip:alice@example.com>;tag=a',
  'To: <sip:bob@example.com>',
  'Call-ID: c1',
  'CSeq: 1 MESSAGE',
];

function msg(lines: string[], body = ''): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);
}

test('a minimal MESSAGE parses; no Content-Length on UDP means the rest is the body', () => {
  const m = ok(parseMessage(msg(BASE, 'hi')));
  assert.equal(m.body.toString(), 'hi');
  assert.equal(m.headers.get('Content-Length'), undefined);
});

test('Content-Length counts bytes, not characters', () => {
  const body = 'grüße 👋';
  const m = ok(parseMessage(msg([...BASE, `Content-Length: ${Buffer.byteLength(body)}`], body)));
  assert.equal(m.body.toString('utf8'), body);
  const short = parseMessage(msg([...BASE, `Content-Length: ${body.length + 10}`], body));
  assert.equal(short.ok, false);
});

test('compact forms expand to canonical names', () => {
  const m = ok(
    parseMessage(
      msg([
        'MESSAGE sip:bob@example.com SIP/2.0',
        'v: SIP/2.0/TCP h;branch=z9hG4bK2',
        'f: <sip:a@b>;tag=1',
        't: <sip:b@c>',
        'i: x@y',
        'CSeq: 2 MESSAGE',
        'c: text/plain',
        'l: 0',
        'm: <sip:a@1.2.3.4>',
        'e: gzip',
        's: hi',
        'k: path',
        'o: presence',
        'u: refer',
        'r: <sip:x@y>',
        'b: <sip:z@y>',
        'x: 90',
        'a: *;audio',
        'y: abc',
      ]),
    ),
  );
  assert.deepEqual(
    [...m.headers].map((f) => f.name),
    ['via', 'from', 'to', 'call-id', 'cseq', 'content-type', 'content-length', 'contact', 'content-encoding', 'subject', 'supported', 'event', 'allow-events', 'refer-to', 'referred-by', 'session-expires', 'accept-contact', 'identity'],
  );
});

test('multiple fields of one header keep their order', () => {
  const m = ok(parseMessage(msg([...BASE, 'Route: <sip:p1;lr>', 'X-A: 1', 'route: <sip:p2;lr>, <sip:p3;lr>'])));
  assert.deepEqual(m.headers.getAll('Route'), ['<sip:p1;lr>', '<sip:p2;lr>, <sip:p3;lr>']);
});

const rejects: Array<[string, Buffer, number | undefined]> = [
  ['missing CSeq', msg(BASE.filter((l) => !l.startsWith('CSeq'))), 400],
  ['CSeq method mismatch', msg(BASE.map((l) => (l.startsWith('CSeq') ? 'CSeq: 1 INVITE' : l))), 400],
  ['CSeq too large', msg(BASE.map((l) => (l.startsWith('CSeq') ? 'CSeq: 4294967296 MESSAGE' : l))), 400],
  ['bad Via', msg(BASE.map((l) => (l.startsWith('Via') ? 'Via: SIP/2.0 192.0.2.1' : l))), 400],
  ['Max-Forwards 256', msg([...BASE, 'Max-Forwards: 256'].filter((l, i) => i !== 2)), 400],
  ['header line without colon', msg([...BASE, 'Oops']), 400],
  ['bare LF inside a header', Buffer.from(BASE.join('\r\n') + '\r\nX-A: 1\nX-B: 2\r\n\r\n'), 400],
  ['continuation before the first header', msg([BASE[0]!, ' folded', ...BASE.slice(1)]), 400],
  ['SIP/3.0', msg(BASE.map((l, i) => (i === 0 ? 'MESSAGE sip:bob@example.com SIP/3.0' : l))), 505],
  ['garbage version', msg(BASE.map((l, i) => (i === 0 ? 'MESSAGE sip:bob@example.com HTTP/1.1' : l))), 400],
  ['no empty line', Buffer.from(BASE.join('\r\n')), 400],
  ['status 99', Buffer.from('SIP/2.0 099 Odd\r\n' + BASE.slice(1).join('\r\n') + '\r\n\r\n'), undefined],
];
for (const [name, bytes, status] of rejects) {
  test(`rejects: ${name}`, () => {
    const r = parseMessage(bytes);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.status, status, r.error);
  });
}

test('limits: header count, header bytes, datagram size, body size', () => {
  const many = msg([...BASE, ...Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`)]);
  const r1 = parseMessage(many);
  assert.ok(!r1.ok && r1.status === 513);
  const r1b = parseMessage(many, { maxHeaderCount: 300 });
  assert.ok(r1b.ok);
  const big = msg([...BASE, `X-Big: ${'a'.repeat(20000)}`]);
  const r2 = parseMessage(big);
  assert.ok(!r2.ok && r2.status === 513);
  const r3 = parseMessage(msg([...BASE, 'Content-Length: 70000'], 'x'.repeat(70000)));
  assert.ok(!r3.ok && r3.status === 513);
  const r4 = parseMessage(msg([...BASE, 'Content-Length: 2000'], 'x'.repeat(2000)), { maxBodyBytes: 1000 });
  assert.ok(!r4.ok && r4.status === 413);
  assert.ok(r4.partial?.headers?.get('call-id') === 'c1');
});

test('leading CRLFs before the start line are ignored', () => {
  ok(parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), msg(BASE)])));
});

test('never throws on hostile inputs', () => {
  for (const s of ['', '\r\n', 'SIP/2.0', 'SIP/2.0 200', ' \r\n\r\n', ':\r\n\r\n', 'A B C\r\n:\r\n\r\n', 'INVITE sip:[::1 SIP/2.0\r\n\r\n', '\u0000\u0001\r\n\r\n']) {
    const r = parseMessage(Buffer.from(s));
    assert.equal(r.ok, false);
  }
});
