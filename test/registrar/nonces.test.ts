/** Digest nonces of the registrar (`registrar/nonces.ts`, standalone.md §3): signed, expiring, not replayable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NonceManager } from '../../src/registrar/nonces.js';

test('a nonce we issued is ok until its lifetime has passed, then stale', () => {
  let now = 1_000_000;
  const n = new NonceManager({ lifetimeMs: 60_000, now: () => now });
  const nonce = n.issue();
  assert.equal(n.check(nonce), 'ok');
  now += 59_999;
  assert.equal(n.check(nonce), 'ok');
  now += 2;
  assert.equal(n.check(nonce), 'stale');
});

test('a forged or altered nonce is invalid; one signed with another key too', () => {
  const n = new NonceManager();
  const nonce = n.issue();
  const [t, r, tag] = nonce.split('.');
  assert.equal(n.check(`${t}.${r}x.${tag}`), 'invalid');
  assert.equal(n.check(`${(parseInt(t!, 36) + 1).toString(36)}.${r}.${tag}`), 'invalid');
  assert.equal(n.check('abc'), 'invalid');
  assert.equal(new NonceManager().check(nonce), 'invalid');
});

test('each nonce count is accepted once and only rising; without qop a nonce is good once', () => {
  const n = new NonceManager();
  const nonce = n.issue();
  assert.equal(n.use(nonce, 1), true);
  assert.equal(n.use(nonce, 1), false);
  assert.equal(n.use(nonce, 3), true);
  assert.equal(n.use(nonce, 2), false);
  const other = n.issue();
  assert.equal(n.use(other, undefined), true);
  assert.equal(n.use(other, undefined), false);
  assert.equal(n.use(other, 5), false);
});

test('when the counts of a burst are forgotten, the nonces they belong to become stale (no replay)', () => {
  let now = 5_000_000;
  const n = new NonceManager({ lifetimeMs: 300_000, now: () => now, maxTracked: 4 });
  const early = n.issue();
  assert.equal(n.use(early, 1), true);
  now += 1;
  for (let i = 0; i < 6; i++) {
    now += 1;
    assert.equal(n.use(n.issue(), 1), true);
  }
  assert.ok(n.tracked <= 4);
  // `early`'s count may be forgotten: it must not be usable again.
  assert.equal(n.check(early), 'stale');
  const fresh = n.issue();
  assert.equal(n.check(fresh), 'ok');
});
