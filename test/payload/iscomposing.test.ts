import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildIsComposing, IsComposingError, parseIsComposing } from '../../src/payload/iscomposing.js';

describe('payload/iscomposing', () => {
  it('parses RFC 3994 §4 example and round-trips', () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>
      <isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <state>active</state><contenttype>text/plain</contenttype><refresh>90</refresh>
      </isComposing>`;
    assert.deepEqual(parseIsComposing(doc), { state: 'active', lastActive: null, contentType: 'text/plain', refresh: 90 });
    const built = buildIsComposing({ state: 'idle', lastActive: '2024-05-01T10:00:00Z' });
    assert.deepEqual(parseIsComposing(built), { state: 'idle', lastActive: '2024-05-01T10:00:00Z', contentType: null, refresh: null });
  });
  it('rejects bad state, bad refresh, wrong namespace', () => {
    const ns = 'urn:ietf:params:xml:ns:im-iscomposing';
    assert.throws(() => parseIsComposing(`<isComposing xmlns="${ns}"><state>typing</state></isComposing>`), IsComposingError);
    assert.throws(() => parseIsComposing(`<isComposing xmlns="${ns}"><state>active</state><refresh>-1</refresh></isComposing>`), IsComposingError);
    assert.throws(() => parseIsComposing(`<isComposing><state>active</state></isComposing>`), IsComposingError);
  });
});
