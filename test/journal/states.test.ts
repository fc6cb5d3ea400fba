/** State and disposition rules (`journal-storage.md` §2.2–§2.3, `sylkrtc-websocket.md` §7.2). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDisposition, nextState } from '../../src/journal/states.js';
import { isUnread, MESSAGE_STATES } from '../../src/journal/types.js';

test('received never changes, nothing becomes received', () => {
  for (const s of MESSAGE_STATES) assert.equal(nextState('received', s), 'received');
  assert.equal(nextState('pending', 'received'), 'pending');
});

test('states move forward only', () => {
  assert.equal(nextState('pending', 'accepted'), 'accepted');
  assert.equal(nextState('accepted', 'delivered'), 'delivered');
  assert.equal(nextState('delivered', 'displayed'), 'displayed');
  assert.equal(nextState('delivered', 'accepted'), 'delivered');
  assert.equal(nextState('displayed', 'delivered'), 'displayed');
  assert.equal(nextState('displayed', 'failed'), 'displayed');
  assert.equal(nextState('pending', 'pending'), 'pending');
});

test('failures: from pending/accepted; not over another failure; delivered/displayed win', () => {
  assert.equal(nextState('pending', 'failed'), 'failed');
  assert.equal(nextState('accepted', 'forbidden'), 'forbidden');
  assert.equal(nextState('failed', 'error'), 'failed');
  assert.equal(nextState('failed', 'accepted'), 'failed');
  assert.equal(nextState('error', 'delivered'), 'delivered');
  assert.equal(nextState('forbidden', 'displayed'), 'displayed');
  assert.equal(nextState(null, 'delivered'), 'delivered');
});

test('disposition edits by requested state', () => {
  const d = ['positive-delivery', 'display'];
  assert.deepEqual(applyDisposition(d, 'delivered'), ['display']);
  assert.deepEqual(applyDisposition(d, 'displayed'), []);
  assert.equal(applyDisposition(d, 'accepted'), d, 'unchanged is the same array');
  assert.deepEqual(applyDisposition(['display'], 'delivered'), ['display']);
  assert.equal(applyDisposition(null, 'displayed'), null);
  const empty: string[] = [];
  assert.equal(applyDisposition(empty, 'displayed'), empty);
});

test('isUnread follows §2.3', () => {
  const base = { account: 'a@x', contact: 'b@x', direction: 'incoming' as const, contentType: 'text/plain', disposition: ['display'] };
  assert.equal(isUnread(base), true);
  assert.equal(isUnread({ ...base, contentType: 'application/sylk-file-transfer' }), true);
  assert.equal(isUnread({ ...base, contentType: 'message/imdn' }), false);
  assert.equal(isUnread({ ...base, direction: 'outgoing' }), false);
  assert.equal(isUnread({ ...base, contact: 'a@x' }), false);
  assert.equal(isUnread({ ...base, disposition: ['positive-delivery'] }), false);
  assert.equal(isUnread({ ...base, disposition: null }), false);
});
