/**
 * `accounts/lookup-cache.ts`: an existing account is read from the store once per TTL, a change in
 * the store (a new password, disabled) is seen once the TTL has passed, an unknown account is read
 * every time (never remembered), and the memory keeps at most `maxEntries`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountLookupCache } from '../../src/accounts/lookup-cache.js';
import type { LocalAccount } from '../../src/accounts/types.js';

function account(aor: string, ha1Md5: string, disabled = false): LocalAccount {
  return { aor, ha1Md5, ha1Sha256: 'x'.repeat(64), displayName: null, createdAt: new Date(0), disabled };
}

test('reads an account once per TTL, sees changes after it, never remembers unknown accounts, stays bounded', async () => {
  const rows = new Map<string, LocalAccount>([['a@example.com', account('a@example.com', 'old')]]);
  const reads: string[] = [];
  let now = 1_000;
  const cache = new AccountLookupCache(
    { getAccount: async (aor) => (reads.push(aor), rows.get(aor) ?? null) },
    { ttlMs: 2_000, maxEntries: 2, now: () => now },
  );
  assert.equal((await cache.getAccount('a@example.com'))!.ha1Md5, 'old');
  rows.set('a@example.com', account('a@example.com', 'new', true));
  now += 1_999;
  assert.equal((await cache.getAccount('a@example.com'))!.ha1Md5, 'old');
  assert.equal(reads.length, 1);
  now += 1;
  const fresh = (await cache.getAccount('a@example.com'))!;
  assert.equal(fresh.ha1Md5, 'new');
  assert.equal(fresh.disabled, true);
  assert.equal(reads.length, 2);
  assert.equal(await cache.getAccount('ghost@example.com'), null);
  assert.equal(await cache.getAccount('ghost@example.com'), null);
  assert.equal(reads.filter((r) => r === 'ghost@example.com').length, 2);
  // Bounded: with room for 2, a third account pushes the oldest out (it is read again).
  rows.set('b@example.com', account('b@example.com', 'b'));
  rows.set('c@example.com', account('c@example.com', 'c'));
  await cache.getAccount('b@example.com');
  await cache.getAccount('c@example.com');
  const before = reads.length;
  await cache.getAccount('a@example.com');
  assert.equal(reads.length, before + 1);
  rows.delete('c@example.com');
  assert.equal((await cache.getAccount('c@example.com'))!.ha1Md5, 'c'); // still within its TTL
});
