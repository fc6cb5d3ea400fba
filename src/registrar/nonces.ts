/**
 * Digest nonces of the registrar (`standalone.md` §3, RFC 7616 §3.3, §5.4): a nonce says when it was
 * issued and is signed with a key of this process, so any nonce can be checked without storing it
 * and one we did not issue is refused; it expires after `lifetimeMs` (the client is challenged again
 * with `stale=true` and keeps its password); and it cannot be replayed: with `qop=auth` every use
 * must carry a nonce count higher than the last one accepted for that nonce (remembered until the
 * nonce expires), so a captured request sent again is refused.
 *
 * The key is random per process: a nonce issued by another instance (a client that moved) is stale,
 * not wrong, and the client retries with a fresh one.
 */
import { createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

export interface NonceOptions {
  /** How long a nonce may be used (default 5 minutes). */
  lifetimeMs?: number;
  /** The clock (tests). */
  now?: () => number;
  /** Signing key (default: 32 random bytes). */
  key?: Buffer;
  /** Most nonces whose counts are remembered (default 200 000); see `rotate`. */
  maxTracked?: number;
}

export type NonceCheck = 'ok' | 'stale' | 'invalid' | 'replayed';

const TAG_BYTES = 12;

export class NonceManager {
  readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly key: Buffer;
  /** nonce → highest nonce count accepted; two generations, each as old as one lifetime at most. */
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private rotatedAt: number;
  /** Nonces issued before this are stale: their counts may have been forgotten. */
  private minIssued = 0;
  private readonly maxTracked: number;
  private readonly pool = Buffer.alloc(4096);
  private poolOffset = 4096;

  constructor(options: NonceOptions = {}) {
    this.lifetimeMs = options.lifetimeMs ?? 300_000;
    this.now = options.now ?? Date.now;
    this.key = options.key ?? randomBytes(32);
    this.maxTracked = options.maxTracked ?? 200_000;
    this.rotatedAt = this.now();
  }

  /** A fresh nonce: issue time (ms, base 36), 8 random bytes, truncated HMAC of both. */
  issue(): string {
    const body = `${this.now().toString(36)}.${this.random8()}`;
    return `${body}.${this.sign(body)}`;
  }

  /** 8 random bytes (base64url), from a pool refilled 512 nonces at a time (one system call, not one each). */
  private random8(): string {
    if (this.poolOffset + 8 > this.pool.length) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    const s = this.pool.toString('base64url', this.poolOffset, this.poolOffset + 8);
    this.poolOffset += 8;
    return s;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES).toString('base64url');
  }

  /** Is the nonce ours and fresh (no use recorded)? */
  check(nonce: string): NonceCheck {
    const parts = nonce.split('.');
    if (parts.length !== 3) return 'invalid';
    const body = `${parts[0]}.${parts[1]}`;
    const got = Buffer.from(parts[2]!);
    const want = Buffer.from(this.sign(body));
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
    const issued = parseInt(parts[0]!, 36);
    const age = this.now() - issued;
    if (!Number.isFinite(issued) || age < -5_000) return 'invalid';
    if (age > this.lifetimeMs || issued < this.minIssued) return 'stale';
    return 'ok';
  }

  /**
   * Record a use of a valid nonce with nonce count `nc` (qop=auth) or `undefined` (no qop: the nonce
   * is good once). False when it is a replay (a count not above the last accepted one).
   */
  use(nonce: string, nc: number | undefined): boolean {
    this.rotate();
    const last = this.current.get(nonce) ?? this.previous.get(nonce);
    const count = nc ?? Number.MAX_SAFE_INTEGER;
    if (last !== undefined && (nc === undefined || count <= last)) return false;
    this.current.set(nonce, count);
    return true;
  }

  /**
   * Forget the older generation of counts once the current one is a lifetime old (its nonces have
   * expired anyway) or holds half of `maxTracked` (a burst). The counts forgotten were recorded
   * before the current generation began, so every nonce issued before then is from now on stale —
   * it can no longer be replayed, and its client is simply challenged again.
   */
  private rotate(): void {
    const now = this.now();
    if (now - this.rotatedAt < this.lifetimeMs && this.current.size < this.maxTracked / 2) return;
    this.minIssued = this.rotatedAt;
    this.previous = this.current;
    this.current = new Map();
    this.rotatedAt = now;
  }

  /** Nonces with a recorded use (for tests and metrics). */
  get tracked(): number {
    return this.current.size + this.previous.size;
  }
}
