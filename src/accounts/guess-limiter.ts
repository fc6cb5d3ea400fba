/**
 * Limits password guessing (`standalone.md` §5): per account and client address, after
 * `maxFailures` (5) failed credential checks within `windowMs` (60 s), further attempts for that
 * account from that address are refused without being checked — the caller gives the same answer as
 * for a wrong password (`403` on SIP, `904` on the WebSocket) — until the oldest of those failures
 * has left the window. Refused attempts do not count as failures (so the block ends on time); a
 * success clears the pair's failures and is never delayed. Counters live in this process (per
 * instance), bounded by `maxKeys` (the oldest pairs are forgotten first), in a `WindowCounter`.
 *
 * One limiter serves every credential check of an instance: REGISTER and MESSAGE digest checks,
 * the WebSocket `account-register` (standalone: checked locally; proxy mode: before the REGISTER is
 * relayed from the server's own address, where the proxy can no longer tell guessers apart).
 */
import { logger } from '../util/logger.js';
import { WindowCounter } from '../util/window-counter.js';
import { authFailures, authRefused } from './metrics.js';

const log = logger.child({ module: 'accounts.guess-limiter' });

export interface GuessLimiterOptions {
  /** Failures allowed within the window (default 5). */
  maxFailures?: number;
  /** Window in ms (default 60 000). */
  windowMs?: number;
  /** Most (account, address) pairs remembered (default 100 000). */
  maxKeys?: number;
  /** Clock (tests). */
  now?: () => number;
}

export const DEFAULT_GUESS_MAX_FAILURES = 5;
export const DEFAULT_GUESS_WINDOW_MS = 60_000;

export class GuessLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly failures: WindowCounter;
  /** Attempts refused without a check, since start (metrics, tests). */
  refused = 0;

  constructor(options: GuessLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? DEFAULT_GUESS_MAX_FAILURES;
    this.windowMs = options.windowMs ?? DEFAULT_GUESS_WINDOW_MS;
    this.failures = new WindowCounter({
      limit: this.maxFailures,
      windowMs: this.windowMs,
      maxKeys: options.maxKeys ?? 100_000,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  private static key(account: string, address: string): string {
    return `${account.toLowerCase()}\n${address}`;
  }

  /** Is the pair blocked now (a check must not be made)? Counts the refusal when it is. */
  blocked(account: string, address: string): boolean {
    if (!this.failures.full(GuessLimiter.key(account, address))) return false;
    this.refused++;
    authRefused.inc();
    return true;
  }

  /** Record a failed check. */
  failure(account: string, address: string): void {
    const key = GuessLimiter.key(account, address);
    this.failures.add(key);
    authFailures.inc();
    if (this.failures.count(key) === this.maxFailures) {
      log.warn({ account, address, seconds: Math.round(this.windowMs / 1000) }, 'too many failed logins: further attempts from this address are refused');
    }
  }

  /** Record a successful check: the pair's failures are forgotten. */
  success(account: string, address: string): void {
    this.failures.clear(GuessLimiter.key(account, address));
  }

  /**
   * Run `check` unless the pair is blocked; record its outcome. Resolves false without calling
   * `check` when blocked — the caller answers exactly as for a failed check.
   */
  async attempt(account: string, address: string, check: () => boolean | Promise<boolean>): Promise<boolean> {
    if (this.blocked(account, address)) return false;
    const ok = await check();
    if (ok) this.success(account, address);
    else this.failure(account, address);
    return ok;
  }

  /** Number of pairs remembered. */
  get size(): number {
    return this.failures.size;
  }
}
