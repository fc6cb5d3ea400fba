/** `journal/content-types.ts`: the one table of content types and what is derived from it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTENT_TYPE_TABLE,
  DEFAULT_CONTENT_TYPE,
  contentTypeRow,
  contentTypesWith,
  mediaTypeRow,
} from '../../src/journal/content-types.js';
import { CONTENT_TYPES, UNREAD_CONTENT_TYPES, isUnread } from '../../src/journal/types.js';
import { PUSH_CONTENT_TYPES } from '../../src/push/types.js';
import { HANDLERS } from '../../src/messaging/handlers/index.js';

test('chat types are unread and pushed; the lists of journal/ and push/ are the table rows', () => {
  const chat = ['text/plain', 'text/html', 'application/sylk-file-transfer'];
  assert.deepEqual(contentTypesWith('unread'), chat);
  assert.deepEqual(contentTypesWith('pushed'), chat);
  assert.deepEqual(UNREAD_CONTENT_TYPES, chat);
  assert.deepEqual(PUSH_CONTENT_TYPES, chat);
});

test('no sender copy for is-composing, public keys and IMDN documents (§5.6.1); only is-composing is ephemeral', () => {
  assert.deepEqual(contentTypesWith('senderCopy').includes('text/plain'), true);
  const noCopy = Object.entries(CONTENT_TYPE_TABLE).filter(([, r]) => !r.senderCopy).map(([t]) => t);
  assert.deepEqual(noCopy.sort(), ['application/im-iscomposing+xml', 'message/imdn+xml', 'text/pgp-public-key']);
  assert.deepEqual(contentTypesWith('ephemeral'), ['application/im-iscomposing+xml']);
});

test('sync notices map to their events; the journal marker names are rows of the table', () => {
  assert.equal(contentTypeRow(CONTENT_TYPES.conversationRead).syncNotice, 'sync-conversation-read');
  assert.equal(contentTypeRow(CONTENT_TYPES.messageRemove).syncNotice, 'sync-message-remove');
  assert.equal(contentTypeRow(CONTENT_TYPES.conversationRemove).syncNotice, 'sync-conversation-remove');
  assert.equal(contentTypeRow('text/plain').syncNotice, null);
  for (const t of Object.values(CONTENT_TYPES)) assert.notEqual(contentTypeRow(t), DEFAULT_CONTENT_TYPE, t);
});

test('every handler the table names has its module; unknown types are opaque ordinary messages', () => {
  for (const [type, r] of Object.entries(CONTENT_TYPE_TABLE)) assert.equal(HANDLERS[r.handler].name, r.handler, type);
  assert.deepEqual(contentTypeRow('application/x-unknown'), { ...DEFAULT_CONTENT_TYPE });
  assert.equal(DEFAULT_CONTENT_TYPE.handler, 'message');
  assert.equal(DEFAULT_CONTENT_TYPE.unread || DEFAULT_CONTENT_TYPE.pushed, false);
});

test('contentTypeRow is exact (as stored); mediaTypeRow ignores case and blanks (as a client writes)', () => {
  assert.equal(contentTypeRow('Text/Plain'), DEFAULT_CONTENT_TYPE);
  assert.equal(mediaTypeRow(' Text/PGP-Public-Key ').handler, 'pgp-public-key');
  const base = { account: 'a@x', contact: 'b@x', direction: 'incoming' as const, disposition: ['display'] };
  assert.equal(isUnread({ ...base, contentType: 'text/html' }), true);
  assert.equal(isUnread({ ...base, contentType: 'TEXT/HTML' }), false, 'stored types compare exactly, as before');
});
