import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildImdn, ImdnError, parseImdn } from '../../src/payload/imdn.js';

const DOC = `<?xml version='1.0' encoding='UTF-8'?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
  <message-id>6d3f0c1e</message-id>
  <datetime>2024-05-01T10:00:00.000Z</datetime>
  <recipient-uri>alice@example.com</recipient-uri>
  <original-recipient-uri>alice@example.com</original-recipient-uri>
  <delivery-notification><status><delivered/></status></delivery-notification>
</imdn>`;

describe('payload/imdn', () => {
  it('parses the spec example (§6.3.2)', () => {
    assert.deepEqual(parseImdn(DOC), {
      messageId: '6d3f0c1e',
      datetime: '2024-05-01T10:00:00.000Z',
      recipientUri: 'alice@example.com',
      originalRecipientUri: 'alice@example.com',
      kind: 'delivery',
      status: 'delivered',
    });
  });
  it('matches by namespace, not prefix', () => {
    const doc = `<i:imdn xmlns:i="urn:ietf:params:xml:ns:imdn"><i:message-id>x</i:message-id><i:datetime>d</i:datetime>
      <i:display-notification><i:status><i:displayed/></i:status></i:display-notification></i:imdn>`;
    assert.equal(parseImdn(doc).status, 'displayed');
    assert.throws(() => parseImdn(doc.replace('urn:ietf:params:xml:ns:imdn', 'urn:other')), ImdnError);
  });
  it('rejects invalid documents', () => {
    assert.throws(() => parseImdn('<imdn'), ImdnError);
    assert.throws(() => parseImdn(DOC.replace('<message-id>6d3f0c1e</message-id>', '')), /message-id/);
    assert.throws(() => parseImdn(DOC.replace('<delivered/>', '<displayed/>')), /status/);
    assert.throws(() => parseImdn('<!DOCTYPE x [<!ENTITY a "b">]>' + DOC.replace(/^<\?xml[^>]*>/, '')), ImdnError);
  });
  it('builds documents for every WS state (failed/forbidden forwarded, quirk 7)', () => {
    for (const [state, kind] of [
      ['delivered', 'delivery'],
      ['failed', 'delivery'],
      ['forbidden', 'delivery'],
      ['displayed', 'display'],
      ['error', 'display'],
    ] as const) {
      const doc = parseImdn(buildImdn({ messageId: 'm<&>', datetime: '2024', recipientUri: 'a@b.c', state }));
      assert.equal(doc.status, state);
      assert.equal(doc.kind, kind);
      assert.equal(doc.messageId, 'm<&>');
    }
  });
});
