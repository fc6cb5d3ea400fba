/**
 * The table of live transactions by key (RFC 3261 §17.1.3 / §17.2.3 matching: the keys come from
 * `keys.ts`): an open-addressing hash table with linear probing and backward-shift deletion, the
 * 32-bit hashes of the keys in an `Int32Array` and the transactions in a parallel array.
 *
 * Written by hand instead of using a `Map` because of its size: a server under load keeps every
 * finished UDP transaction for timer J (32 s), hundreds of thousands of them, and every new request
 * looks its key up first and misses. A `Map` miss follows bucket → entry → key-string pointers
 * through memory that is no longer in cache; here a miss usually reads one cache line of hashes
 * (load factor at most 1/2), and a hit compares one key. The hash is seeded per process so that
 * nobody can choose keys that collide.
 */
import { randomBytes } from 'node:crypto';

const SEED = randomBytes(4).readInt32LE(0);
const MIN_CAPACITY = 1024;

/** Seeded 32-bit hash of a string (FNV-1a over UTF-16 code units, then murmur3's finalizer); never 0. */
export function hashKey(s: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}

export class TransactionTable<T extends { readonly key: string }> {
  /** Hash of the key in each slot; 0 = empty. */
  private hashes = new Int32Array(MIN_CAPACITY);
  private slots: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  /** The last key hashed and its hash: a miss (`get`) is usually followed by `set` of the same key. */
  private memoKey = '';
  private memoHash = 0;

  get size(): number {
    return this.count;
  }

  private hashOf(key: string): number {
    if (key === this.memoKey) return this.memoHash;
    const h = hashKey(key);
    this.memoKey = key;
    this.memoHash = h;
    return h;
  }

  get(key: string): T | undefined {
    const h = this.hashOf(key);
    const hashes = this.hashes;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = hashes[i]!;
      if (s === 0) return undefined;
      if (s === h) {
        const v = this.slots[i]!;
        if (v.key === key) return v;
      }
    }
  }

  /** Add `value` under `value.key`, replacing a value with the same key. */
  set(value: T): void {
    const key = value.key;
    const h = this.hashOf(key);
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const s = hashes[i]!;
      if (s === 0) break;
      if (s === h && this.slots[i]!.key === key) {
        this.slots[i] = value;
        return;
      }
    }
    hashes[i] = h;
    this.slots[i] = value;
    this.count++;
    if (this.count * 2 > hashes.length) this.resize(hashes.length * 2);
  }

  /** Remove `value` if it is the one stored under its key; returns whether it was. */
  delete(value: T): boolean {
    const h = hashKey(value.key);
    const hashes = this.hashes;
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const s = hashes[i]!;
      if (s === 0) return false;
      if (s === h && slots[i] === value) break;
    }
    // Backward-shift deletion: move later members of the probe run into the hole, so that no
    // tombstones are needed and every run stays contiguous.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = hashes[j]!;
      if (s === 0) break;
      const home = s & mask;
      // Entry j may move to the hole if its home slot is not in the cyclic range (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        hashes[hole] = s;
        slots[hole] = slots[j];
        hole = j;
      }
    }
    hashes[hole] = 0;
    slots[hole] = undefined;
    this.count--;
    if (hashes.length > MIN_CAPACITY && this.count * 8 < hashes.length) this.resize(hashes.length / 2);
    return true;
  }

  *values(): IterableIterator<T> {
    const hashes = this.hashes;
    const slots = this.slots;
    for (let i = 0; i < hashes.length; i++) if (hashes[i] !== 0) yield slots[i]!;
  }

  private resize(capacity: number): void {
    const oldHashes = this.hashes;
    const oldSlots = this.slots;
    this.hashes = new Int32Array(capacity);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    const hashes = this.hashes;
    const slots = this.slots;
    const mask = this.mask;
    for (let k = 0; k < oldHashes.length; k++) {
      const h = oldHashes[k]!;
      if (h === 0) continue;
      let i = h & mask;
      while (hashes[i] !== 0) i = (i + 1) & mask;
      hashes[i] = h;
      slots[i] = oldSlots[k];
    }
  }
}
