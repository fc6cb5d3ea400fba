/**
 * The request list (`src/sylkrtc/requests/index.ts`): one module per request of the spec, each name
 * once, and decoding goes through the module of the frame's name (its schema, its Appendix A class).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame } from '../../src/sylkrtc/decode.js';
import { SPEC_REQUESTS } from '../../src/sylkrtc/protocol.js';
import { REQUESTS, requestModule } from '../../src/sylkrtc/requests/index.js';

test('the list serves each request of the spec exactly once', () => {
  const names = REQUESTS.map((m) => m.name);
  assert.equal(new Set(names).size, names.length, 'a request is registered twice');
  assert.deepEqual([...names].sort(), [...SPEC_REQUESTS].sort());
  for (const name of SPEC_REQUESTS) assert.equal(requestModule(name)?.name, name);
  assert.equal(requestModule('account-frobnicate'), undefined);
  assert.equal(requestModule('toString'), undefined);
});

test("a frame is validated by its module's schema and errors name its class", () => {
  for (const m of REQUESTS) {
    const missing = decodeFrame(JSON.stringify({ sylkrtc: m.name, transaction: 't' }));
    if (m.name === 'ping') {
      assert.deepEqual(missing, { ok: true, request: { sylkrtc: 'ping', transaction: 't' } });
      continue;
    }
    assert.equal(missing.ok, false, m.name);
    if (!missing.ok) {
      assert.equal(missing.transaction, 't');
      assert.match(missing.error, new RegExp(`^Mandatory property '\\w+' of '${m.className}' object is missing$`), m.name);
    }
  }
});
