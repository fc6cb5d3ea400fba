import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFramer, type FramerEvent } from '../../src/sip/transport/framer.js';
import { tortureCases } from './torture-cases.js';

function request(extra: string[] = [], body = '', cl: number | null = Buffer.byteLength(body)): string {
  const lines = [
    'MESSAGE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1',
    'From: <sip:alice@example.com>;tag=a',
    'To: <sip:bob@example.com>',
    'Call-ID: c1',
    'CSeq: 1 MESSAGE',
    ...extra,
  ];
  if (cl !== null) lines.push(`Content-Length: ${cl}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

function feed(f: StreamFramer, ...chunks: (string | Buffer)[]): FramerEvent[] {
  return chunks.flatMap((c) => f.push(typeof c === 'string' ? Buffer.from(c) : c));
}

const types = (ev: FramerEvent[]) => ev.map((e) => e.type);

test('two messages in one chunk, body framed by Content-Length', () => {
  const f = new StreamFramer();
  const ev = feed(f, request([], 'hello') + request([], 'wörld'));
  assert.deepEqual(types(ev), ['message', 'message']);
  const bodies = ev.map((e) => (e.type === 'message' ? e.message.body.toString() : ''));
  assert.deepEqual(bodies, ['hello', 'wörld']);
  assert.equal(f.buffered, 0);
});

test('byte-by-byte delivery', () => {
  const f = new StreamFramer();
  const wire = Buffer.from(request([], 'abc'));
  const ev: FramerEvent[] = [];
  for (let i = 0; i < wire.length; i++) ev.push(...f.push(wire.subarray(i, i + 1)));
  assert.deepEqual(types(ev), ['message']);
});

test('CRLFCRLF keep-alive is a ping; a lone CRLF before a message is a pong', () => {
  const f = new StreamFramer();
  assert.deepEqual(types(feed(f, '\r\n\r\n')), ['ping']);
  assert.deepEqual(types(feed(f, '\r\n', '\r\n')), ['ping']);
  assert.deepEqual(types(feed(f, '\r\n')), []);
  assert.deepEqual(types(feed(f, request())), ['pong', 'message']);
  assert.deepEqual(types(feed(f, '\r\n\r\n\r\n\r\n')), ['ping', 'ping']);
});

test('missing Content-Length on a stream is fatal (400 with partial headers), later input ignored', () => {
  const f = new StreamFramer();
  const ev = feed(f, request([], '', null));
  assert.equal(ev.length, 1);
  const e = ev[0]!;
  assert.ok(e.type === 'error' && e.fatal && e.error.status === 400);
  assert.equal(e.error.partial?.headers?.get('call-id'), 'c1');
  assert.ok(f.closed);
  assert.deepEqual(feed(f, request()), []);
});

test('negative Content-Length is fatal', () => {
  const f = new StreamFramer();
  const ev = feed(f, request(['Content-Length: -5']));
  assert.ok(ev[0]?.type === 'error' && ev[0].fatal);
});

test('an over-large body is skipped without buffering and reported (413), then framing continues', () => {
  const f = new StreamFramer({ maxBodyBytes: 1000 });
  const head = request([], '', 5000);
  const ev1 = feed(f, head);
  assert.equal(ev1.length, 1);
  assert.ok(ev1[0]!.type === 'error' && !ev1[0]!.fatal && ev1[0]!.error.status === 413);
  const ev2 = feed(f, Buffer.alloc(4000, 120));
  assert.deepEqual(ev2, []);
  assert.equal(f.buffered, 0);
  const ev3 = feed(f, Buffer.concat([Buffer.alloc(1000, 120), Buffer.from(request([], 'ok'))]));
  assert.deepEqual(types(ev3), ['message']);
});

test('message over maxStreamMessageBytes → 513, skipped', () => {
  const f = new StreamFramer({ maxStreamMessageBytes: 2000, maxBodyBytes: 10000 });
  const ev = feed(f, request([], 'x'.repeat(3000)) + request([], 'y'));
  assert.deepEqual(types(ev), ['error', 'message']);
  assert.ok(ev[0]!.type === 'error' && ev[0]!.error.status === 513 && !ev[0]!.fatal);
});

test('an endless header section is cut at maxHeaderBytes (fatal 513), memory stays bounded', () => {
  const f = new StreamFramer({ maxHeaderBytes: 4096 });
  const ev: FramerEvent[] = [];
  ev.push(...feed(f, 'MESSAGE sip:bob@example.com SIP/2.0\r\nCall-ID: x\r\n'));
  for (let i = 0; i < 100 && ev.length === 0; i++) {
    ev.push(...feed(f, `X-Filler-${i}: ${'z'.repeat(100)}\r\n`));
    assert.ok(f.buffered <= 4096 + 200);
  }
  assert.equal(ev.length, 1);
  assert.ok(ev[0]!.type === 'error' && ev[0]!.fatal && ev[0]!.error.status === 513);
  assert.equal(ev[0]!.error.partial?.headers?.get('call-id'), 'x');
});

test('too many headers → fatal 513', () => {
  const f = new StreamFramer({ maxHeaderCount: 10 });
  const ev = feed(f, request(Array.from({ length: 20 }, (_, i) => `X-${i}: v`)));
  assert.ok(ev[0]?.type === 'error' && ev[0].fatal && ev[0].error.status === 513);
});

test('a syntactically bad message with a usable Content-Length is reported but not fatal', () => {
  const f = new StreamFramer();
  const ev = feed(f, request(['CSeq: 2 MESSAGE']) + request());
  assert.deepEqual(types(ev), ['error', 'message']);
  assert.ok(ev[0]!.type === 'error' && ev[0]!.error.status === 400 && !ev[0]!.fatal);
});

test('CRLFCRLF split across chunks is found', () => {
  const f = new StreamFramer();
  const wire = request([], 'b');
  const cut = wire.indexOf('\r\n\r\n') + 2;
  assert.deepEqual(types(feed(f, wire.slice(0, cut), wire.slice(cut))), ['message']);
  const cut2 = wire.indexOf('\r\n\r\n') + 1;
  assert.deepEqual(types(feed(f, wire.slice(0, cut2), wire.slice(cut2, cut2 + 2), wire.slice(cut2 + 2))), ['message']);
});

test('RFC 4475 messages on a stream: first event matches the table', () => {
  for (const c of tortureCases()) {
    const f = new StreamFramer();
    const ev = f.push(c.bytes);
    const first = ev.find((e) => e.type !== 'pong' && e.type !== 'ping');
    const got = !first ? 'incomplete' : first.type === 'message' ? 'message' : first.type === 'error' && first.fatal ? 'fatal' : 'error';
    assert.equal(got, c.stream, c.file);
    if (first?.type === 'error' && c.kind === 'request') assert.ok(first.error.status !== undefined, c.file);
  }
});
