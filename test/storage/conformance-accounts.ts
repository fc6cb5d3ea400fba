/**
 * Conformance of the local accounts (`src/accounts/types.ts` `AccountStore`, `standalone.md` §2),
 * part of the storage conformance suite (`conformance.ts` calls it for every engine): create once,
 * read back every field, password change, disable/enable, listing per domain in AOR order, removal,
 * and that each write answers whether it applied.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseAccountAor } from '../../src/accounts/aor.js';
import { ha1sFor } from '../../src/accounts/credentials.js';
import type { JournalStore } from '../../src/journal/store.js';

function fresh(label: string, domain = 'example.com'): { aor: string; user: string; domain: string } {
  const a = parseAccountAor(`${label}-${randomUUID().slice(0, 8)}@${domain}`);
  assert.ok(a);
  return a;
}

export function runAccountConformance(getStore: () => JournalStore): void {
  describe('local accounts', () => {
    test('add, get every field back; a second add of the same AOR changes nothing', async () => {
      const store = getStore();
      const a = fresh('alice');
      const ha1 = ha1sFor(a, 'correct horse');
      const createdAt = new Date('2026-01-02T03:04:05.678Z');
      assert.equal(await store.localAccounts.getAccount(a.aor), null);
      assert.equal(await store.localAccounts.addAccount({ aor: a.aor, ...ha1, displayName: 'Alice Ä', createdAt }), true);
      assert.deepEqual(await store.localAccounts.getAccount(a.aor), { aor: a.aor, ...ha1, displayName: 'Alice Ä', createdAt, disabled: false });
      const other = ha1sFor(a, 'another one');
      assert.equal(await store.localAccounts.addAccount({ aor: a.aor, ...other, displayName: 'Mallory' }), false);
      const got = await store.localAccounts.getAccount(a.aor);
      assert.equal(got?.ha1Md5, ha1.ha1Md5);
      assert.equal(got?.displayName, 'Alice Ä');
    });

    test('defaults: no display name, created now, enabled', async () => {
      const store = getStore();
      const a = fresh('bob');
      const before = Date.now();
      assert.equal(await store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, 'pw123456') }), true);
      const got = await store.localAccounts.getAccount(a.aor);
      assert.equal(got?.displayName, null);
      assert.equal(got?.disabled, false);
      assert.ok(got && got.createdAt.getTime() >= before - 1000 && got.createdAt.getTime() <= Date.now() + 1000);
    });

    test('setPassword replaces both HA1s; unknown account → false', async () => {
      const store = getStore();
      const a = fresh('carol');
      await store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, 'first password') });
      const next = ha1sFor(a, 'second password');
      assert.equal(await store.localAccounts.setPassword(a.aor, next), true);
      const got = await store.localAccounts.getAccount(a.aor);
      assert.equal(got?.ha1Md5, next.ha1Md5);
      assert.equal(got?.ha1Sha256, next.ha1Sha256);
      assert.equal(await store.localAccounts.setPassword(fresh('nobody').aor, next), false);
    });

    test('setDisabled toggles; unknown account → false', async () => {
      const store = getStore();
      const a = fresh('dave');
      await store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, 'pw123456') });
      assert.equal(await store.localAccounts.setDisabled(a.aor, true), true);
      assert.equal((await store.localAccounts.getAccount(a.aor))?.disabled, true);
      assert.equal(await store.localAccounts.setDisabled(a.aor, false), true);
      assert.equal((await store.localAccounts.getAccount(a.aor))?.disabled, false);
      assert.equal(await store.localAccounts.setDisabled(fresh('nobody').aor, true), false);
    });

    test('listAccounts: all, or one domain, sorted by AOR', async () => {
      const store = getStore();
      const domain = `d${randomUUID().slice(0, 8)}.example`;
      const names = ['zed', 'amy', 'Bea'.toLowerCase(), 'mid'];
      for (const n of names) {
        const a = parseAccountAor(`${n}@${domain}`)!;
        assert.equal(await store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, 'pw123456') }), true);
      }
      const outsider = fresh('out', `o${randomUUID().slice(0, 8)}.example`);
      await store.localAccounts.addAccount({ aor: outsider.aor, ...ha1sFor(outsider, 'pw123456') });
      const inDomain = await store.localAccounts.listAccounts({ domain: domain.toUpperCase() });
      assert.deepEqual(
        inDomain.map((x) => x.aor),
        ['amy', 'bea', 'mid', 'zed'].map((n) => `${n}@${domain}`),
      );
      const all = (await store.localAccounts.listAccounts()).map((x) => x.aor);
      for (const x of [...inDomain.map((y) => y.aor), outsider.aor]) assert.ok(all.includes(x), x);
      assert.deepEqual(all, [...all].sort());
    });

    test('removeAccount deletes the credentials only; unknown → false', async () => {
      const store = getStore();
      const a = fresh('erin');
      await store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, 'pw123456') });
      await store.addAccount(a.aor);
      assert.equal(await store.localAccounts.removeAccount(a.aor), true);
      assert.equal(await store.localAccounts.getAccount(a.aor), null);
      assert.equal(await store.localAccounts.removeAccount(a.aor), false);
      assert.ok(await store.getAccount(a.aor), 'the journal account record is separate');
      assert.equal(await store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, 'pw123456') }), true, 'can be created again');
    });
  });
}
