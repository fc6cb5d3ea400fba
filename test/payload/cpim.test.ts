import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildCpim, CpimError, parseCpim, parseCpimIdentity, trimDisplayName } from '../../src/payload/cpim.js';

const SPEC_EXAMPLE =
  'From: Alice <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nDateTime: 2024-05-01T10:00:00.000Z\r\n' +
  'NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: 6d3f0c1e-3b41-4a55-9a6e-0f3b1c2d4e5f\r\n' +
  'imdn.Disposition-Notification: positive-delivery, display\r\n\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob';

describe('payload/cpim', () => {
  it('parses the spec example (§4.2)', () => {
    const m = parseCpim(SPEC_EXAMPLE);
    assert.deepEqual(m.from, { displayName: 'Alice', uri: 'sip:alice@example.com' });
    assert.deepEqual(m.to, [{ displayName: null, uri: 'sip:bob@example.com' }]);
    assert.equal(m.dateTime, '2024-05-01T10:00:00.000Z');
    assert.equal(m.messageId, '6d3f0c1e-3b41-4a55-9a6e-0f3b1c2d4e5f');
    assert.deepEqual(m.dispositionNotification, ['positive-delivery', 'display']);
    assert.equal(m.contentType, 'text/plain');
    assert.equal(m.contentTypeRaw, 'text/plain; charset=utf-8');
    assert.equal(m.content, 'Hello Bob');
  });

  it('ignores headers with an undeclared prefix, accepts unprefixed Message-ID', () => {
    const a = parseCpim('foo.Message-ID: nope\r\n\r\nContent-Type: text/plain\r\n\r\nx');
    assert.equal(a.messageId, null);
    const b = parseCpim('Message-ID: yes-1\r\n\r\nContent-Type: text/plain\r\n\r\nx');
    assert.equal(b.messageId, 'yes-1');
    const c = parseCpim('imdn.Message-ID: before-ns\r\nNS: imdn <urn:ietf:params:imdn>\r\n\r\nContent-Type: text/plain\r\n\r\nx');
    assert.equal(c.messageId, null, 'prefix used before its NS line is ignored');
  });

  it('ignores an unparseable From (no angle-bracket sip URI)', () => {
    const m = parseCpim('From: alice@example.com\r\n\r\nContent-Type: text/plain\r\n\r\nx');
    assert.equal(m.from, null);
  });

  it('defaults the inner type to text/plain, lower-cases it, keeps content verbatim (LF too)', () => {
    assert.equal(parseCpim('From: <sip:a@b.c>\n\nhello\r\n\r\nworld').content, 'hello\r\n\r\nworld');
    const m = parseCpim('From: <sip:a@b.c>\n\nContent-Type: Message/IMDN+XML\n\n<imdn/>\r\n');
    assert.equal(m.contentType, 'message/imdn+xml');
    assert.equal(m.content, '<imdn/>\r\n');
  });

  it('throws without a blank line', () => {
    assert.throws(() => parseCpim('From: <sip:a@b.c>\r\nContent-Type: text/plain'), CpimError);
  });

  it('parses quoted and unquoted display names, sips', () => {
    assert.deepEqual(parseCpimIdentity('"Alice Smith" <sips:alice@example.com>'), { displayName: 'Alice Smith', uri: 'sips:alice@example.com' });
    assert.deepEqual(parseCpimIdentity('<sip:bob@example.com>'), { displayName: null, uri: 'sip:bob@example.com' });
    assert.equal(parseCpimIdentity('<tel:+123>'), null);
  });

  it('builds what it parses (round trip)', () => {
    const body = buildCpim({
      from: { displayName: 'Alice', uri: 'sip:alice@example.com' },
      to: { displayName: null, uri: 'sip:bob@example.com' },
      dateTime: '2024-05-01T10:00:00+00:00',
      messageId: 'id-1',
      dispositionNotification: ['positive-delivery', 'display'],
      contentType: 'text/plain; charset="utf-8"',
      content: 'Grüße\r\n',
    });
    assert.match(body, /^From: Alice <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\n/);
    assert.match(body, /\r\n\r\nMIME-Version: 1.0\r\nContent-Type: text\/plain; charset="utf-8"\r\n\r\nGrüße\r\n$/);
    const m = parseCpim(body);
    assert.equal(m.messageId, 'id-1');
    assert.equal(m.content, 'Grüße\r\n');
    assert.deepEqual(m.dispositionNotification, ['positive-delivery', 'display']);
  });

  it('omits Disposition-Notification when there is none (IMDN bodies)', () => {
    const body = buildCpim({
      from: { displayName: null, uri: 'sip:a@b.c' },
      to: { displayName: null, uri: 'sip:d@e.f' },
      dateTime: 'x',
      messageId: 'i',
      contentType: 'message/imdn+xml',
      content: '<x/>',
    });
    assert.equal(body.includes('Disposition-Notification'), false);
  });
});

/**
 * The regular-expression rules `parseCpim` follows (§4.2), written the straightforward way: lines cut
 * by `split(/\r?\n/)`, each matched against one expression. The parser scans by hand for speed; it
 * must agree with this on any input.
 */
function referenceHeaderScan(body: string): { head: Array<[string | undefined, string, string]>; inner: Array<[string, string]>; content: string } | null {
  const blank = /\r?\n\r?\n/.exec(body);
  if (!blank) return null;
  const head: Array<[string | undefined, string, string]> = [];
  for (const line of body.slice(0, blank.index).split(/\r?\n/)) {
    const m = /^(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+):[ \t]*(.*)$/.exec(line);
    if (m) head.push([m[1], m[2]!, m[3]!.trim()]);
  }
  const entity = body.slice(blank.index + blank[0].length);
  const innerBlank = /\r?\n\r?\n/.exec(entity);
  if (!innerBlank || !/^[A-Za-z0-9-]+:/.test(entity)) return { head, inner: [], content: entity };
  const inner: Array<[string, string]> = [];
  for (const line of entity.slice(0, innerBlank.index).split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c > 0) inner.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
  }
  return { head, inner, content: entity.slice(innerBlank.index + innerBlank[0].length) };
}

describe('payload/cpim: hand-written scanning agrees with the regular-expression rules', () => {
  const odd = fc.constantFrom('', ' ', '\t', '\r', '\n', '\u2028', '\u2029', '\u00a0', '"', '.', ':', ',', '\\', '<', '>');
  const token = fc.oneof(
    fc.constantFrom('From', 'to', 'CC', 'NS', 'imdn', 'Message-ID', 'Disposition-Notification', 'DateTime', 'Subject', 'Content-Type', 'x_y'),
    fc.stringMatching(/^[A-Za-z0-9_.-]{0,5}$/),
  );
  const value = fc.oneof(
    fc.constantFrom('<sip:a@b>', '"A\\"b" <sips:c@d>', 'imdn <urn:ietf:params:imdn>', ' positive-delivery, ,display ', 'text/plain; charset=utf-8', ''),
    fc.string({ maxLength: 8 }),
  );
  const line = fc
    .tuple(fc.option(token), token, fc.constantFrom(':', ': ', ':\t ', ' :', '', '.'), odd, value, odd)
    .map(([p, n, sep, a, v, b]) => (p !== null ? p + '.' : '') + n + sep + a + v + b);
  const eol = fc.constantFrom('\r\n', '\n', '\r', '\r\r\n', '\n\r');
  const block = fc.array(fc.tuple(line, eol), { maxLength: 8 }).map((ls) => ls.map(([l, e]) => l + e).join(''));
  const blank = fc.constantFrom('\r\n\r\n', '\n\n', '\r\n\n', '\n\r\n', '\r\r\n\r\n', '');
  const body = fc
    .tuple(fc.constantFrom('', 'NS: imdn <urn:ietf:params:imdn>\r\n', 'NS: x <u>\nNS:<v>\n'), block, blank, block, blank, fc.string({ maxLength: 10 }))
    .map((parts) => parts.join(''));

  it('ignores inner header lines without a name or a colon', () => {
    const m = parseCpim('From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n: odd\r\nno colon\nX-A:1\r\n\r\nbody');
    assert.deepEqual(m.contentHeaders, [['Content-Type', 'text/plain'], ['X-A', '1']]);
    assert.equal(m.content, 'body');
  });

  it('finds the same headers, inner headers and content', () => {
    fc.assert(
      fc.property(body, (s) => {
        const ref = referenceHeaderScan(s);
        let msg;
        try {
          msg = parseCpim(s);
        } catch (err) {
          assert.ok(err instanceof CpimError);
          assert.equal(ref, null);
          return;
        }
        assert.ok(ref);
        assert.equal(msg.content, ref.content);
        assert.deepEqual(msg.contentHeaders, ref.inner);
        // Every header the parser reports (extra headers with their namespace resolved) is one the
        // rules accept, in order; the standard ones are accounted for by name.
        const accepted = ref.head.filter(([prefix]) => prefix === undefined || msg.namespaces.has(prefix));
        const extras = accepted.filter(([prefix, name]) => prefix !== undefined || !/^(from|to|cc|subject|datetime|ns|required)$/i.test(name));
        assert.deepEqual(
          msg.headers.map((h) => [h.name, h.value]),
          extras.map(([, name, v]) => [name, v]),
        );
        const dt = accepted.filter(([prefix, name]) => prefix === undefined && name.toLowerCase() === 'datetime').at(-1);
        assert.equal(msg.dateTime, dt ? dt[2] : null);
        const dn = extras.find(([, name]) => name.toLowerCase() === 'disposition-notification');
        assert.deepEqual(msg.dispositionNotification, dn ? dn[2].split(',').map((x) => x.trim()).filter((x) => x !== '') : null);
      }),
      { numRuns: 3000 },
    );
  });

  it('trims display names like /^[\\s"]+|[\\s"]+$/g for every UTF-16 code unit', () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const raw of [ch, `a${ch}`, `${ch}a`, `${ch}"${ch}`]) {
        assert.equal(trimDisplayName(raw), raw.replace(/^[\s"]+|[\s"]+$/g, ''), `U+${c.toString(16)}`);
      }
    }
  });
});
