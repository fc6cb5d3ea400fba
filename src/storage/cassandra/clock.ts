/**
 * Cassandra journal order (`journal-storage.md` §4.4): journal rows cluster by (`created_at`,
 * `message_id`), so the store allocates `created_at` strictly increasing per account (≥ 1 ms apart;
 * cached per account, the newest row is read once on a cache miss). Explicit `createdAt` (import) is
 * kept, except that ties inside one import stream are spread by 1 ms so that insertion order
 * survives; a second copy of a known id reuses the global map's value when that does not place it
 * before the account's newest entry. The cache is per process.
 */
import { dateOrNull, LATEST_CACHE_MAX, type CqlDb } from './db.js';

export class CreatedAtClock {
  /** account → newest `created_at` (ms) allocated or seen, for per-account monotonic allocation. */
  private readonly latest = new Map<string, number>();
  /** account → last explicit createdAt (original ms, assigned ms), to spread ties of an import. */
  private readonly lastExplicit = new Map<string, { orig: number; assigned: number }>();

  constructor(private readonly db: CqlDb) {}

  /** The newest `created_at` (ms) of `account`, 0 for an empty journal. */
  async newestCreatedAt(account: string): Promise<number> {
    const cached = this.latest.get(account);
    if (cached !== undefined) return cached;
    const rs = await this.db.exec(
      `SELECT created_at FROM ${this.db.t.journal} WHERE account = ? ORDER BY created_at DESC, message_id DESC LIMIT 1`,
      [account],
    );
    const d = dateOrNull(rs.first()?.get('created_at'));
    const v = d ? d.getTime() : 0;
    if (!this.latest.has(account)) this.rememberLatest(account, v);
    return this.latest.get(account)!;
  }

  private rememberLatest(account: string, ms: number): void {
    if (this.latest.size >= LATEST_CACHE_MAX && !this.latest.has(account)) this.latest.clear();
    const cur = this.latest.get(account);
    if (cur === undefined || ms > cur) this.latest.set(account, ms);
  }

  /** Allocate `created_at` for a new entry of `account` (see the module comment). */
  allocate(account: string, latest: number, explicit: Date | undefined, shared: number | null): number {
    let c: number;
    if (explicit) {
      const orig = explicit.getTime();
      const prev = this.lastExplicit.get(account);
      c = prev && orig >= prev.orig && orig <= prev.assigned ? prev.assigned + 1 : orig;
      this.lastExplicit.set(account, { orig, assigned: c });
    } else if (shared !== null && shared > latest) {
      c = shared;
    } else {
      c = Math.max(this.db.now(), latest + 1);
    }
    this.rememberLatest(account, c);
    return c;
  }
}
