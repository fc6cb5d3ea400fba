/**
 * Property tests (fast-check): serialize → parse round trips, the parser never throws, and the
 * stream framer yields the same messages whatever the chunking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Headers, type SipMessage } from '../../src/sip/message/message.js';
import { canonicalHeaderName } from '../../src/sip/message/header-names.js';
import { parseMessage } from '../../src/sip/message/parser.js';
import { StreamFramer, type FramerEvent } from '../../src/sip/transport/framer.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';
import { formatNameAddr, parseNameAddr } from '../../src/sip/message/grammar.js';
import { formatUri, type SipUri } from '../../src/sip/message/uri.js';

const RUNS = Math.max(1, Math.floor(Number(process.env.SYLK_FC_RUNS ?? 300)));

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
const token = (min = 1, max = 12) => fc.string({ unit: fc.constantFrom(...tokenChars), minLength: min, maxLength: max });
const alnum = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: min, maxLength: max });
const hostname = fc.array(alnum(1, 8), { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const host = fc.oneof(hostname, fc.ipV4(), fc.ipV6().map((a) => `[${a}]`));
/** Any Unicode text without CR/LF (graphemes, so no lone surrogates). */
const text = (max = 20) => fc.string({ unit: 'grapheme', maxLength: max }).map((s) => s.replace(/[\r\n]/g, ''));
const trimWs = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

const sipUri = fc
  .record({
    scheme: fc.constantFrom('sip' as const, 'sips' as const),
    user: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), { nil: undefined }),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    params: fc.array(fc.tuple(token(1, 6).map((s) => s.toLowerCase().replace(/[%`'!~*]/g, 'x')), fc.option(alnum(1, 6), { nil: null })), { maxLength: 3 }),
  })
  .map(({ scheme, user, host, port, params }): string => {
    const u: SipUri = { kind: 'sip', scheme, host, params: new Map(params), headers: [] };
    if (user !== undefined) u.user = user;
    if (port !== undefined) u.port = port;
    return formatUri(u);
  });

const nameAddr = (tag: boolean) =>
  fc
    .record({ displayName: fc.option(text(16), { nil: undefined }), uri: sipUri, tag: tag ? fc.option(token(1, 10), { nil: undefined }) : fc.constant(undefined) })
    .map(({ displayName, uri, tag }) => formatNameAddr({ displayName, uri, params: new Map(tag === undefined ? [] : [['tag', tag]]) }));

const via = fc
  .record({ transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS'), host, port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), branch: token(1, 20) })
  .map(({ transport, host, port, branch }) => `SIP/2.0/${transport} ${host}${port ? `:${port}` : ''};branch=z9hG4bK${branch}`);

const callIdChars = tokenChars + '()<>:\\"/[]?{}';
const callId = fc.string({ unit: fc.constantFrom(...callIdChars), minLength: 1, maxLength: 30 });

const VALIDATED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length']);
const extensionHeader = fc
  .tuple(token(1, 16).map((s) => s.toLowerCase()), text(40).map(trimWs))
  .filter(([n]) => n.length > 1 && canonicalHeaderName(n) === n && !VALIDATED.has(n));

const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'grapheme', maxLength: 100 }).map((s) => Buffer.from(s, 'utf8')),
);

const method = fc.oneof(fc.constantFrom('MESSAGE', 'OPTIONS', 'REGISTER', 'INVITE', 'ACK', 'BYE'), token(1, 10));

const message: fc.Arbitrary<SipMessage> = fc
  .record({
    request: fc.boolean(),
    method,
    uri: sipUri,
    status: fc.integer({ min: 100, max: 699 }),
    reason: text(30).map((s) => trimWs(s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''))),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr(true),
    to: nameAddr(true),
    callId,
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    maxForwards: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    extra: fc.array(extensionHeader, { maxLength: 6 }),
    body,
  })
  .chain((r) =>
    // shuffle the header order a little: mandatory headers need not come first
    fc.shuffledSubarray(
      [...r.vias.map((v): [string, string] => ['via', v]), ['from', r.from] as [string, string], ['to', r.to] as [string, string], ['call-id', r.callId] as [string, string], ...r.extra],
      { minLength: 3 + r.vias.length + r.extra.length },
    ).map((fields) => ({ r, fields })),
  )
  .map(({ r, fields }): SipMessage => {
    const cseqMethod = r.request ? r.method : 'MESSAGE';
    const all: [string, string][] = [...fields, ['cseq', `${r.seq} ${cseqMethod}`]];
    if (r.maxForwards !== undefined) all.push(['max-forwards', String(r.maxForwards)]);
    all.push(['content-length', String(r.body.length)]);
    const headers = new Headers(all.map(([name, value]) => ({ name, value })));
    return r.request
      ? { kind: 'request', method: r.method, uri: r.uri, version: 'SIP/2.0', headers, body: r.body }
      : { kind: 'response', version: 'SIP/2.0', status: r.status, reason: r.reason, headers, body: r.body };
  });

test('parseMessage(serializeMessage(m)) deep-equals m', () => {
  fc.assert(
    fc.property(message, (m) => {
      const wire = serializeMessage(m);
      const r = parseMessage(wire);
      if (!r.ok) throw new Error(`${r.error}\n${wire.toString()}`);
      assert.deepStrictEqual(r.message, m);
      assert.equal(r.length, wire.length);
    }),
    { numRuns: RUNS },
  );
});

test('serializer writes a correct Content-Length even when the model has none or a wrong one', () => {
  fc.assert(
    fc.property(message, fc.constantFrom('none', 'wrong'), (m, mode) => {
      if (mode === 'none') m.headers.remove('content-length');
      else m.headers.set('content-length', String(m.body.length + 7));
      const r = parseMessage(serializeMessage(m));
      assert.ok(r.ok);
      assert.equal(r.message.headers.get('content-length'), String(m.body.length));
      assert.deepEqual(r.message.body, m.body);
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
});

test('display names (any Unicode, quotes, backslashes, controls) survive formatNameAddr → parseNameAddr', () => {
  fc.assert(
    fc.property(text(30), sipUri, (dn, uri) => {
      const v = formatNameAddr({ displayName: dn, uri });
      const na = parseNameAddr(v);
      assert.ok(na, v);
      assert.equal(na.displayName ?? '', dn);
      assert.equal(na.uri, uri);
    }),
    { numRuns: RUNS },
  );
});

test('arbitrary bytes: the parser returns a value or an error, never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const r = parseMessage(Buffer.from(bytes));
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: RUNS * 3 },
  );
});

test('mutated valid messages: never throws, framer never throws', () => {
  fc.assert(
    fc.property(message, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 8 }), (m, edits) => {
      const bytes = [...serializeMessage(m)];
      for (const [pos, b, op] of edits) {
        const i = pos % (bytes.length + 1);
        if (op === 'set') bytes[i] = b;
        else if (op === 'insert') bytes.splice(i, 0, b);
        else bytes.splice(i, 1);
      }
      const buf = Buffer.from(bytes);
      const r = parseMessage(buf);
      assert.equal(typeof r.ok, 'boolean');
      const f = new StreamFramer();
      for (const e of f.push(buf)) assert.ok(['message', 'error', 'ping', 'pong'].includes(e.type));
    }),
    { numRuns: RUNS },
  );
});

/** Split `buf` at the given cut points. */
function chunk(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

test('framer: any chunking of N messages (with keep-alives between) yields the same N messages', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(message, fc.constantFrom('', '\r\n', '\r\n\r\n')), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 30 }), (items, cuts) => {
      const wire = Buffer.concat(items.flatMap(([m, ka]) => [Buffer.from(ka), serializeMessage(m)]));
      const framer = new StreamFramer();
      const events: FramerEvent[] = [];
      for (const c of chunk(wire, cuts)) events.push(...framer.push(c));
      const got = events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.message : undefined));
      assert.equal(events.filter((e) => e.type === 'error').length, 0);
      assert.deepStrictEqual(got, items.map(([m]) => m));
      assert.equal(events.filter((e) => e.type === 'ping').length, items.filter(([, ka]) => ka === '\r\n\r\n').length);
      assert.equal(framer.buffered, 0);
    }),
    { numRuns: RUNS },
  );
});
