import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { decodeBody, MAX_INFLATED_BYTES } from '../../src/payload/decode.js';

describe('payload/decode', () => {
  it('decodes UTF-8 as is, even with a deflate header (deflate only tried when UTF-8 fails)', () => {
    assert.equal(decodeBody(Buffer.from('héllo'), 'deflate'), 'héllo');
  });
  it('inflates zlib and raw deflate, then decodes UTF-8 (quirk 2 fixed)', () => {
    assert.equal(decodeBody(deflateSync(Buffer.from('Grüße aus Köln')), 'deflate'), 'Grüße aus Köln');
    assert.equal(decodeBody(deflateRawSync(Buffer.from('€€€')), 'Deflate'), '€€€');
  });
  it('drops invalid UTF-8 without deflate, failed inflation, and non-UTF-8 after inflation', () => {
    assert.equal(decodeBody(Buffer.from([0xff, 0xfe])), null);
    assert.equal(decodeBody(Buffer.from([0xff, 0xfe]), 'deflate'), null);
    assert.equal(decodeBody(deflateSync(Buffer.from([0xff, 0x00, 0xfe])), 'deflate'), null);
  });
  it('refuses a deflate bomb', () => {
    const bomb = deflateSync(Buffer.alloc(MAX_INFLATED_BYTES * 4, 0xff));
    assert.equal(decodeBody(bomb, 'deflate'), null);
  });
});
