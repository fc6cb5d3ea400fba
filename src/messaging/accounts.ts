/**
 * "Is this AOR storage-enabled?" (`sip-messaging.md` §1: an account record exists, or in standalone
 * mode a local account that is not disabled), asked for both
 * parties of every incoming message. Positive answers are cached for a few seconds: account records
 * are created often (token requests, WS registrations) but removed only by `sylk-db`, so a removal
 * takes effect within the TTL; a new account is seen at once (negative answers are not cached).
 * `cached` answers from the cache alone, synchronously, so the per-message hot path needs no promise
 * when both parties are cached. Answers are kept per store, in one instance per messaging context
 * (no module state): `create.ts` makes it.
 */
import type { JournalStore } from '../journal/store.js';

const TTL_MS = 10_000;
const MAX_ENTRIES = 100_000;

export class StorageEnabledAccounts {
  /** Per store: aor → cached until (ms since the epoch). */
  private readonly caches = new WeakMap<JournalStore, Map<string, number>>();

  /** `true` when a positive answer for `aor` is cached and fresh; `undefined`: ask `check`. */
  cached(store: JournalStore, aor: string, now = Date.now()): true | undefined {
    const until = this.caches.get(store)?.get(aor);
    return until !== undefined && until > now ? true : undefined;
  }

  async check(store: JournalStore, aor: string, now = Date.now()): Promise<boolean> {
    let cache = this.caches.get(store);
    if (!cache) this.caches.set(store, (cache = new Map()));
    const until = cache.get(aor);
    if (until !== undefined && until > now) return true;
    // A local account of standalone mode (`standalone.md` §2) is storage-enabled from its creation,
    // before any login: messages for it are kept for when its devices come.
    let exists = (await store.getAccount(aor)) !== null;
    if (!exists) {
      const local = await store.localAccounts.getAccount(aor);
      exists = local !== null && !local.disabled;
    }
    if (exists) {
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(aor, now + TTL_MS);
    } else cache.delete(aor);
    return exists;
  }

  /** Forget cached answers about `store` (tests, `sylk-db` in process). */
  forget(store: JournalStore): void {
    this.caches.delete(store);
  }
}
