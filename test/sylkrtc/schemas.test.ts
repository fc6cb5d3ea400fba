import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeWireAor as normalizeAor, aorKey, splitAor } from '../../src/util/aor.js';
import { decodeFrame } from '../../src/sylkrtc/decode.js';
import { parseIsoInstant } from '../../src/sylkrtc/requests/fields.js';

const ok = (frame: unknown) => {
  const r = decodeFrame(JSON.stringify(frame));
  assert.equal(r.ok, true, JSON.stringify(r));
  return (r as Extract<typeof r, { ok: true }>).request;
};
const bad = (frame: unknown) => {
  const r = decodeFrame(typeof frame === 'string' ? frame : JSON.stringify(frame));
  assert.equal(r.ok, false);
  return r as Extract<typeof r, { ok: false }>;
};

test('AOR normalisation (§2.1)', () => {
  assert.equal(normalizeAor('sip:alice@example.com'), 'alice@example.com');
  assert.equal(normalizeAor('sips:alice@example.com'), 'alice@example.com');
  assert.equal(normalizeAor('Alice@Example.com'), 'Alice@Example.com');
  assert.equal(normalizeAor('example.com'), 'example.com');
  assert.equal(normalizeAor('bob@10.0.0.1:5070;transport=tcp'), 'bob@10.0.0.1:5070;transport=tcp');
  assert.equal(normalizeAor('bob@[::1]'), 'bob@[::1]');
  assert.equal(normalizeAor(''), null);
  assert.equal(normalizeAor('alice@'), null);
  assert.equal(normalizeAor('al ice@example.com'), null);
  assert.equal(normalizeAor('alice@exa mple.com'), null);
  assert.deepEqual(splitAor('alice@Example.com:5060;x=y'), { user: 'alice', domain: 'Example.com' });
  assert.equal(aorKey('Alice@EXAMPLE.com'), 'Alice@example.com');
});

test('ISO 8601 instants (§2.3)', () => {
  assert.equal(parseIsoInstant('2025-03-14T10:15:00.000Z')?.toISOString(), '2025-03-14T10:15:00.000Z');
  assert.equal(parseIsoInstant('2025-03-14T10:15:00.123456+01:00')?.toISOString(), '2025-03-14T09:15:00.123Z');
  assert.equal(parseIsoInstant('yesterday'), null);
  assert.equal(parseIsoInstant('2025-13-45T99:00:00Z'), null);
});

test('every request of the spec example session validates', () => {
  ok({ sylkrtc: 'ping', transaction: 't' });
  const add = ok({
    sylkrtc: 'account-add',
    account: 'sip:alice@example.com',
    password: '93dfce8dfebfae8af4a726982429d23a',
    display_name: 'Alice',
    user_agent: 'ua',
    incoming_header_prefixes: ['X-', 'X-', 'Y-'],
    previous_session_token: 'extra keys are ignored',
    transaction: 'a1-01',
  });
  assert.equal(add.sylkrtc, 'account-add');
  if (add.sylkrtc === 'account-add') {
    assert.equal(add.account, 'alice@example.com');
    assert.deepEqual(add.incoming_header_prefixes, ['X-', 'Y-']);
    assert.equal('previous_session_token' in add, false);
  }
  ok({ sylkrtc: 'account-devicetoken', account: 'a@b', token: 'x', platform: 'ios', device: 'd', app: 'app', transaction: 't' });
  ok({ sylkrtc: 'account-sync-conversations', account: 'a@b', message_id: null, since: '2025-03-13T22:00:00.000Z', limit: 10, transaction: 't' });
  ok({
    sylkrtc: 'account-message',
    account: 'a@b',
    uri: 'c@d',
    message_id: 'm',
    content: '😀 ünïcödé \u200b',
    content_type: 'application/sylk-message-metadata',
    timestamp: '2025-03-14T10:15:00.000Z',
    transaction: 't',
  });
  ok({ sylkrtc: 'account-update-addressbook', account: 'a@b', action: 'delete', type: 'contact', data: { id: 'x' }, transaction: 't' });
});

test('malformed frames get the recommended error texts (§1.11)', () => {
  assert.deepEqual(bad('this is not json'), { ok: false, error: 'Invalid request: the frame is not valid JSON' });
  assert.equal(bad('[1,2]').transaction, undefined);
  assert.match(bad('42').error, /JSON object/);
  assert.match(bad({ transaction: 'a1-26' }).error, /sylkrtc/);
  assert.deepEqual(bad({ sylkrtc: 'account-frobnicate', transaction: 'a1-25' }), {
    ok: false,
    error: 'Unknown request: account-frobnicate',
    transaction: 'a1-25',
  });
  assert.deepEqual(bad({ sylkrtc: 'session-create', transaction: 'x' }), { ok: false, error: 'Calls are not supported by this server', transaction: 'x' });
  assert.equal(bad({ sylkrtc: 'videoroom-join', transaction: 'x' }).error, 'Conferences are not supported by this server');
  // Known request without transaction: error without transaction (clients ignore it).
  const r = bad({ sylkrtc: 'ping' });
  assert.equal(r.transaction, undefined);
  assert.match(r.error, /'transaction'/);
  // transaction not a string: still answered, without transaction.
  assert.equal(bad({ sylkrtc: 'ping', transaction: 5 }).transaction, undefined);
});

test('validation errors name the field (Appendix A)', () => {
  assert.equal(
    bad({ sylkrtc: 'account-message', account: 'a@b', uri: 'c@d', content: 'x', content_type: 't', timestamp: 'x', transaction: 't' }).error,
    "Mandatory property 'message_id' of 'AccountMessageRequest' object is missing",
  );
  assert.equal(
    bad({ sylkrtc: 'account-message', account: 'a@b', uri: 'c@d', message_id: 'm', content: 5, content_type: 't', timestamp: 'x', transaction: 't' })
      .error,
    "Invalid value for 'content' property: 5",
  );
  assert.equal(
    bad({ sylkrtc: 'account-disposition-notification', account: 'a@b', uri: 'c@d', message_id: 'm', state: 'read', timestamp: 'x', transaction: 'b1-20' })
      .error,
    "Invalid value for 'state' property: 'read' (expected: delivered, displayed, error, failed or forbidden)",
  );
  assert.equal(bad({ sylkrtc: 'account-remove', account: 'not an aor', transaction: 't' }).error, 'invalid SIP URI: not an aor');
  assert.equal(
    bad({ sylkrtc: 'account-add', account: 'a@b', password: '', transaction: 't' }).error,
    "the value's length must be between 1 and 9999 inclusive",
  );
  // booleans are strict, integers reject booleans, mandatory fields reject null
  assert.match(bad({ sylkrtc: 'account-sync-conversations', account: 'a@b', limit: true, transaction: 't' }).error, /'limit'/);
  assert.match(bad({ sylkrtc: 'account-sync-conversations', account: 'a@b', limit: 1.5, transaction: 't' }).error, /'limit'/);
  assert.match(bad({ sylkrtc: 'account-devicetoken', account: 'a@b', token: 't', platform: 'p', device: 'd', app: 'a', silent: 1, transaction: 't' }).error, /'silent'/);
  assert.match(bad({ sylkrtc: 'account-remove', account: null, transaction: 't' }).error, /Mandatory property 'account'/);
  assert.equal(bad({ sylkrtc: 'account-remove', account: null, transaction: 't' }).transaction, 't');
});

test('no input throws: arbitrary JSON and strings always decode to a result', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => { try { return JSON.stringify(v) ?? ''; } catch { return ''; } })), (s) => {
      const r = decodeFrame(s);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.equal(typeof r.error, 'string');
    }),
    { numRuns: 2000 },
  );
});
