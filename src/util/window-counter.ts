/**
 * Counting events per key in a sliding time window, with bounded memory: the one mechanism behind
 * the per-address limits of standalone mode (`standalone.md` §5 password guessing, §6 sign-up).
 * Each key keeps the times of its last `limit` events; `count` is how many are younger than the
 * window. When more than `maxKeys` keys are remembered, expired ones are dropped, then the keys that
 * saw an event least recently.
 */

export interface WindowCounterOptions {
  /** Events that matter per key (older ones beyond this are forgotten). */
  limit: number;
  windowMs: number;
  /** Most keys remembered (default 100 000). */
  maxKeys?: number;
  now?: () => number;
}

export class WindowCounter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** key → event times, oldest first (at most `limit`); Map order = least recent event first. */
  private readonly events = new Map<string, number[]>();

  constructor(options: WindowCounterOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  private recent(key: string, now: number): number[] | undefined {
    const times = this.events.get(key);
    if (!times) return undefined;
    while (times.length > 0 && now - times[0]! >= this.windowMs) times.shift();
    if (times.length === 0) {
      this.events.delete(key);
      return undefined;
    }
    return times;
  }

  /** Events of `key` inside the window. */
  count(key: string): number {
    return this.recent(key, this.now())?.length ?? 0;
  }

  /** Has `key` reached `limit` events inside the window? */
  full(key: string): boolean {
    return this.count(key) >= this.limit;
  }

  /** Milliseconds until `key` is below the limit again (0 when it is). */
  retryAfterMs(key: string): number {
    const now = this.now();
    const times = this.recent(key, now);
    if (!times || times.length < this.limit) return 0;
    return times[0]! + this.windowMs - now;
  }

  /** Record an event of `key`. */
  add(key: string): void {
    const now = this.now();
    const times = this.recent(key, now) ?? [];
    times.push(now);
    if (times.length > this.limit) times.shift();
    this.events.delete(key);
    this.events.set(key, times);
    if (this.events.size > this.maxKeys) this.evict(now);
  }

  /** Forget `key`. */
  clear(key: string): void {
    this.events.delete(key);
  }

  /** Keys remembered. */
  get size(): number {
    return this.events.size;
  }

  private evict(now: number): void {
    for (const key of this.events.keys()) {
      if (this.events.size <= this.maxKeys) return;
      this.recent(key, now);
    }
    for (const key of this.events.keys()) {
      if (this.events.size <= this.maxKeys) return;
      this.events.delete(key);
    }
  }
}
