/**
 * "Is this AOR storage-enabled?" (`sip-messaging.md` §1: an account record exists, or in standalone
 * mode a local account that is not disabled), asked for both
 * parties of every incoming message. Positive answers are cached for a few seconds per store: account
 * records are created often (token requests, WS registrations) but removed only by `sylk-db`, so a
 * removal takes effect within the TTL; a new account is seen at once (negative answers are not cached).
 * `cachedStorageEnabled` answers from the cache alone, synchronously, so the per-message hot path needs
 * no promise when both parties are cached.
 */
import type { JournalStore } from '../journal/store.js';

const TTL_MS = 10_000;
const MAX_ENTRIES = 100_000;
const caches = new WeakMap<JournalStore, Map<string, number>>();

/** `true` when a positive answer for `aor` is cached and fresh; `undefined`: ask `isStorageEnabled`. */
export function cachedStorageEnabled(store: JournalStore, aor: string, now = Date.now()): true | undefined {
  const until = caches.get(store)?.get(aor);
  return until !== undefined && until > now ? true : undefined;
}

export async function isStorageEnabled(store: JournalStore, aor: string, now = Date.now()): Promise<boolean> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new Map()));
  const until = cache.get(aor);
  if (until !== undefined && until > now) return true;
  // A local account of standalone mode (`standalone.md` §2) is storage-enabled from its creation,
  // before any login: messages for it are kept for when its devices come.
  let exists = (await store.getAccount(aor)) !== null;
  if (!exists) {
    const local = await store.accounts.getAccount(aor);
    exists = local !== null && !local.disabled;
  }
  if (exists) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(aor, now + TTL_MS);
  } else cache.delete(aor);
  return exists;
}

/** Forget cached answers (tests, `sylk-db` in process). */
export function forgetAccounts(store: JournalStore): void {
  caches.delete(store);
}
