/**
 * A short-lived memory of local accounts read for credential checks (`standalone.md` §3, §4): a
 * device re-registering, or answering a challenge right after the first REGISTER, is checked
 * against the account read a moment ago instead of reading the store again (issue 14's REGISTER
 * rate). Only existing accounts are kept (guesses at unknown names must not fill the memory); an
 * entry is used for `ttlMs` (default 2 s), so a password change, disabling or removal — made by
 * `sylk-db` in another process — takes effect within that time. At most `maxEntries` are kept
 * (the oldest go first).
 */
import type { AccountStore, LocalAccount } from './types.js';

export interface AccountLookupCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class AccountLookupCache {
  private readonly entries = new Map<string, { account: LocalAccount; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<AccountStore, 'getAccount'>,
    options: AccountLookupCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 2000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The account as the store had it at most `ttlMs` ago, or null when it does not exist. */
  async getAccount(aor: string): Promise<LocalAccount | null> {
    const now = this.now();
    const hit = this.entries.get(aor);
    if (hit && hit.until > now) return hit.account;
    const account = await this.store.getAccount(aor);
    this.entries.delete(aor);
    if (account) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(aor, { account, until: now + this.ttlMs });
    }
    return account;
  }
}
