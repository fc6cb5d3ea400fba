import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildCpim, CpimError, parseCpim, parseCpimIdentity } from '../../src/payload/cpim.js';

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
