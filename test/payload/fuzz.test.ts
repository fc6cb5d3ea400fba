/** Property tests: the payload parsers accept arbitrary input without crashing, and builders round-trip. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildCpim, CpimError, parseCpim } from '../../src/payload/cpim.js';
import { parseTimestamp } from '../../src/payload/datetime.js';
import { decodeBody } from '../../src/payload/decode.js';
import { buildFtHttp, FtHttpError, parseFtHttp } from '../../src/payload/ft-http.js';
import { buildImdn, ImdnError, parseImdn } from '../../src/payload/imdn.js';
import { IsComposingError, parseIsComposing } from '../../src/payload/iscomposing.js';
import { parseXml, XmlError } from '../../src/payload/xml.js';

const xmlish = fc.stringMatching(/^[<>/?!="' a-z:\-&#;x0-9[\]\n]{0,80}$/);

describe('payload parsers under arbitrary input', () => {
  it('throw only their own error types', () => {
    const cases: Array<[(s: string) => unknown, new (...a: never[]) => Error]> = [
      [parseXml, XmlError],
      [parseImdn, ImdnError],
      [parseIsComposing, IsComposingError],
      [parseFtHttp, FtHttpError],
      [parseCpim, CpimError],
    ];
    fc.assert(
      fc.property(fc.oneof(fc.string(), xmlish, fc.string({ unit: 'binary' })), (s) => {
        for (const [parse, E] of cases) {
          try {
            parse(s);
          } catch (err) {
            assert.ok(err instanceof E, `${parse.name}: ${String(err)}`);
          }
        }
        assert.doesNotThrow(() => parseTimestamp(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeBody never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const out = decodeBody(Buffer.from(b), 'deflate');
      assert.ok(out === null || typeof out === 'string');
    }));
  });

  it('CPIM, IMDN and FT-HTTP builders round-trip arbitrary values', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/);
    fc.assert(
      fc.property(id, fc.string({ unit: 'binary' }), fc.string({ maxLength: 20 }), (messageId, content, name) => {
        const cpim = parseCpim(
          buildCpim({ from: { displayName: null, uri: 'sip:a@b.c' }, to: { displayName: null, uri: 'sip:d@e.f' }, dateTime: 'x', messageId, contentType: 'text/plain', content }),
        );
        assert.equal(cpim.messageId, messageId);
        assert.equal(cpim.content, content);
        const text = name.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
        const imdn = parseImdn(buildImdn({ messageId: text.trim() || 'x', datetime: 'd', recipientUri: 'a@b.c', state: 'delivered' }));
        assert.equal(imdn.messageId, text.trim() || 'x');
        const f = { size: 1, name: text.trim() || 'f', contentType: 'a/b', url: 'https://h/' + encodeURIComponent(text), until: null, hash: null };
        assert.deepEqual(parseFtHttp(buildFtHttp(f)), f);
      }),
      { numRuns: 500 },
    );
  });
});
