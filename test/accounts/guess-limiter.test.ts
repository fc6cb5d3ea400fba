/**
 * The guessing limiter (`src/accounts/guess-limiter.ts`, `standalone.md` §5) on a fake clock: the
 * sixth attempt within 60 s is refused without a check, per account and address; the block ends
 * when the window passes; successes are never refused and clear the failures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GuessLimiter } from '../../src/accounts/guess-limiter.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('GuessLimiter', () => {
  test('after 5 failures in 60 s the next attempts are refused without checking', async () => {
    const c = clock();
    const lim = new GuessLimiter({ now: c.now });
    let checks = 0;
    const wrong = (): boolean => {
      checks++;
      return false;
    };
    for (let i = 0; i < 5; i++) {
      assert.equal(await lim.attempt('a@x.org', '10.0.0.1', wrong), false);
      c.advance(1000);
    }
    assert.equal(checks, 5);
    // Blocked: even the right password is not checked and fails.
    let rightChecked = false;
    assert.equal(
      await lim.attempt('a@x.org', '10.0.0.1', () => {
        rightChecked = true;
        return true;
      }),
      false,
    );
    assert.equal(rightChecked, false);
    assert.equal(lim.refused, 1);
  });

  test('per account and per address: other pairs are unaffected', async () => {
    const lim = new GuessLimiter({ now: clock().now });
    for (let i = 0; i < 5; i++) lim.failure('a@x.org', '10.0.0.1');
    assert.equal(lim.blocked('a@x.org', '10.0.0.1'), true);
    assert.equal(lim.blocked('A@X.org', '10.0.0.1'), true, 'account compared case-insensitively');
    assert.equal(lim.blocked('a@x.org', '10.0.0.2'), false);
    assert.equal(lim.blocked('b@x.org', '10.0.0.1'), false);
  });

  test('the block ends when the oldest failure leaves the window; refusals do not extend it', async () => {
    const c = clock();
    const lim = new GuessLimiter({ now: c.now });
    for (let i = 0; i < 5; i++) {
      lim.failure('a@x.org', '1.2.3.4');
      c.advance(1000); // failures at 0, 1, 2, 3, 4 s
    }
    c.advance(50_000); // 54 s after the first
    for (let i = 0; i < 10; i++) assert.equal(lim.blocked('a@x.org', '1.2.3.4'), true);
    c.advance(6_000); // 60 s after the first: 4 failures left in the window
    assert.equal(await lim.attempt('a@x.org', '1.2.3.4', () => true), true);
  });

  test('failures spread over more than the window never block', async () => {
    const c = clock();
    const lim = new GuessLimiter({ now: c.now });
    for (let i = 0; i < 20; i++) {
      assert.equal(lim.blocked('a@x.org', '1.2.3.4'), false, `attempt ${i}`);
      lim.failure('a@x.org', '1.2.3.4');
      c.advance(12_001);
    }
  });

  test('a success clears the failures and is never delayed', async () => {
    const lim = new GuessLimiter({ now: clock().now });
    for (let i = 0; i < 4; i++) lim.failure('a@x.org', '1.2.3.4');
    assert.equal(await lim.attempt('a@x.org', '1.2.3.4', () => true), true);
    for (let i = 0; i < 4; i++) lim.failure('a@x.org', '1.2.3.4');
    assert.equal(lim.blocked('a@x.org', '1.2.3.4'), false, 'counting restarted after the success');
    assert.equal(lim.size, 1);
  });

  test('memory is bounded: the least recently failing pairs are forgotten first', () => {
    const lim = new GuessLimiter({ now: clock().now, maxKeys: 100 });
    for (let i = 0; i < 5; i++) lim.failure('victim@x.org', '9.9.9.9');
    for (let i = 0; i < 99; i++) lim.failure(`u${i}@x.org`, '1.1.1.1');
    assert.equal(lim.size, 100);
    assert.equal(lim.blocked('victim@x.org', '9.9.9.9'), true);
    lim.failure('one-more@x.org', '1.1.1.1');
    assert.equal(lim.size, 100);
    assert.equal(lim.blocked('victim@x.org', '9.9.9.9'), false, 'oldest pair evicted');
  });
});
