/**
 * The web client's conversation model (web/src/model.ts), without a browser: the journal and report
 * states mapped to what a person sees, own messages moving only forward (pending → sent → delivered
 * → read; failed only before delivery), ids never shown twice, unread counts, newest conversation
 * first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Model, ownState, type ChatMessage } from '../../web/src/model.js';

function msg(id: string, contact: string, time: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, contact, direction: 'outgoing', timestamp: new Date(time).toISOString(), time, contentType: 'text/plain', text: id, state: 'pending', unread: false, encrypted: false, ...extra };
}

test('wire states map to pending, sent, delivered, read, failed', () => {
  assert.deepEqual(
    ['pending', 'accepted', 'delivered', 'displayed', 'failed', 'error', 'forbidden', 'received', 'processed'].map(ownState),
    ['pending', 'sent', 'delivered', 'read', 'failed', 'failed', 'failed', null, null],
  );
});

test('own messages only move forward; failed only before delivery; received ones never change', () => {
  const m = new Model();
  m.add(msg('a', 'bob@x', 1));
  m.advance('a', 'delivered');
  m.advance('a', 'sent'); // a late "accepted"
  assert.equal(m.byId.get('a')!.state, 'delivered');
  m.advance('a', 'failed');
  assert.equal(m.byId.get('a')!.state, 'delivered');
  m.advance('a', 'read');
  assert.equal(m.byId.get('a')!.state, 'read');
  m.add(msg('b', 'bob@x', 2));
  m.advance('b', 'failed');
  m.advance('b', 'read');
  assert.equal(m.byId.get('b')!.state, 'failed');
  m.add(msg('c', 'bob@x', 3, { direction: 'incoming', state: 'received' }));
  m.advance('c', 'read');
  assert.equal(m.byId.get('c')!.state, 'received');
});

test('an id is shown once; messages are kept in time order; unread counts; newest conversation first', async () => {
  const m = new Model();
  let renders = 0;
  m.subscribe(() => renders++);
  assert.equal(m.add(msg('1', 'bob@x', 10)), true);
  assert.equal(m.add(msg('1', 'bob@x', 10)), false);
  m.add(msg('0', 'bob@x', 5));
  assert.deepEqual(m.conversations.get('bob@x')!.map((x) => x.id), ['0', '1']);
  m.add(msg('2', 'carol@x', 20, { direction: 'incoming', state: 'received', unread: true }));
  m.add(msg('3', 'carol@x', 21, { direction: 'incoming', state: 'received', unread: true }));
  assert.deepEqual(m.contacts(), ['carol@x', 'bob@x']);
  assert.equal(m.unreadCount('carol@x'), 2);
  assert.deepEqual(m.markRead('carol@x').map((x) => x.id), ['2', '3']);
  assert.equal(m.unreadCount('carol@x'), 0);
  m.ensureConversation('dave@x');
  assert.equal(m.contacts()[0], 'dave@x', 'a new, empty conversation is on top');
  m.remove('1');
  m.removeConversation('carol@x');
  assert.deepEqual([...m.byId.keys()].sort(), ['0']);
  await Promise.resolve();
  assert.equal(renders, 1, 'listeners run once per batch of changes');
});
