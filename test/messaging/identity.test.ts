/** AOR helpers of the messaging layer (`sip-messaging.md` §1): the cached `aorOfUri` is `aorOf`. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aorOfUri, cleanDisplayName, parseNameAddr } from '../../src/messaging/identity.js';
import { aorOf } from '../../src/sip/message/uri.js';

describe('messaging/identity', () => {
  it('aorOfUri answers what aorOf answers, first time and from its cache', () => {
    const uri = fc.oneof(
      fc.constantFrom('sip:alice@Example.COM', 'sips:bob@example.com:5061;transport=tls', 'sip:example.com', 'tel:+123', 'alice@example.com', 'sip:@x', ''),
      fc.tuple(fc.constantFrom('sip:', 'sips:', 'SIP:', ''), fc.stringMatching(/^[a-z0-9.%@:;=-]{0,20}$/)).map(([a, b]) => a + b),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(uri, (u) => {
        const expected = aorOf(u);
        assert.equal(aorOfUri(u), expected);
        assert.equal(aorOfUri(u), expected, 'cached');
      }),
      { numRuns: 3000 },
    );
    const long = `sip:${'a'.repeat(400)}@Example.com`;
    assert.equal(aorOfUri(long), `${'a'.repeat(400)}@example.com`);
  });

  it('splits name-addr headers and cleans display names', () => {
    assert.deepEqual(parseNameAddr('"Alice \\"A\\"" <sip:alice@example.com>;tag=1'), { displayName: 'Alice "A', uri: 'sip:alice@example.com' });
    assert.deepEqual(parseNameAddr('sip:bob@example.com;tag=2'), { displayName: null, uri: 'sip:bob@example.com' });
    assert.equal(cleanDisplayName('  " "  '), null);
    assert.equal(cleanDisplayName('\u00a0Bob\u3000'), 'Bob');
  });
});
