/**
 * Timer values of RFC 3261 §17.1.1.1 / Table 4 (T1, T2, T4 and the timers derived from them) and the
 * clock abstraction every transaction schedules through, so tests drive timers E, F, J, K with a
 * fake clock instead of waiting for real time.
 *
 * Owns: `TimerHost` (the injectable clock), `realTimers` (backed by Node's timers, unref'd so a
 * pending timer J never keeps the process alive), `FakeClock` (a manual clock for tests) and
 * `CoalescingTimers` (the stack's clock: one underlying timer per duration, see below).
 */

/** RFC 3261 timer base values in milliseconds. */
export interface TimerValues {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum duration a message remains in the network, default 5 s. */
  T4: number;
}

export const DEFAULT_TIMERS: TimerValues = { T1: 500, T2: 4000, T4: 5000 };

export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * The clock transactions use: schedule, cancel, and read the current time (ms). `setTimeout` passes
 * `arg` to `fn`, so a caller can schedule a shared function for an object instead of allocating a
 * closure per timer (transactions start one or more timers each). `schedule` is a `setTimeout` that
 * cannot be cancelled (no handle), for callbacks that check their object's state themselves; a host
 * may run those without any allocation per timer.
 */
export interface TimerHost {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setTimeout<A>(fn: (arg: A) => void, ms: number, arg: A): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  schedule<A>(fn: (arg: A) => void, ms: number, arg: A): void;
  now(): number;
}

/** Node's timers; unref'd because transaction timers must not keep a stopping process alive. */
export const realTimers: TimerHost = {
  setTimeout<A>(fn: (arg: A) => void, ms: number, arg?: A) {
    const t = setTimeout(fn, ms, arg as A);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
  schedule<A>(fn: (arg: A) => void, ms: number, arg: A) {
    setTimeout(fn, ms, arg).unref();
  },
  now: () => Date.now(),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: (arg: unknown) => void;
  arg: unknown;
  cancelled: boolean;
}

/**
 * A manual clock: `advance(ms)` runs every timer that falls due, in due-time order, including timers
 * scheduled by the callbacks themselves while advancing.
 */
export class FakeClock implements TimerHost {
  private time = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];

  setTimeout<A>(fn: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    const t: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn: fn as (arg: unknown) => void, arg, cancelled: false };
    this.timers.push(t);
    return t;
  }

  schedule<A>(fn: (arg: A) => void, ms: number, arg: A): void {
    this.setTimeout(fn, ms, arg);
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as FakeTimer).cancelled = true;
    this.timers = this.timers.filter((t) => t !== handle);
  }

  now(): number {
    return this.time;
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      if (!next.cancelled) next.fn(next.arg);
    }
    this.time = end;
  }
}

interface QueuedTimer {
  /** Due time in whole ms after the epoch (a small integer, which V8 stores unboxed). */
  at: number;
  /** `noop` once fired or cancelled. */
  fn: (arg: unknown) => void;
  arg: unknown;
  next: QueuedTimer | undefined;
}

interface TimerQueue {
  head: QueuedTimer | undefined;
  tail: QueuedTimer | undefined;
  armed: TimerHandle | undefined;
}

/**
 * The handle-less timers of one duration: a ring buffer of callbacks, arguments and due times in
 * parallel arrays (nothing allocated per timer once the ring has grown to the load).
 */
interface TimerRing {
  fns: (((arg: unknown) => void) | undefined)[];
  args: unknown[];
  ats: Int32Array;
  /** Index of the oldest entry, and how many there are. */
  head: number;
  count: number;
  armed: TimerHandle | undefined;
}

const RING_MIN = 64;

const noop = (): void => {};

/** 2^30 ms (12.4 days): due times up to this stay small integers (V8 Smis). */
const MAX_SMALL_TIME = 0x40000000;

/**
 * Timers of equal duration in one FIFO per duration, on one underlying timer each. Transactions
 * schedule a handful of distinct durations (T1·2ⁿ, T2, T4, 64·T1) in huge numbers — every finished
 * UDP transaction holds timer J for 32 s — and a queue entry (four fields, no closure when the caller
 * passes `arg`) costs a fraction of a Node `Timeout`. A cancelled entry drops its callback and argument
 * at once and is unlinked lazily when it falls due. `schedule`d timers (timer J of every finished
 * UDP transaction) go into a ring buffer per duration instead, without an entry object each.
 * Due times are whole milliseconds (rounded up)
 * after an epoch that is moved forward every ~12 days, so that they stay small integers: V8 keeps
 * those in the entry itself, where a large time would need a heap number of its own per entry.
 */
export class CoalescingTimers implements TimerHost {
  private readonly queues = new Map<number, TimerQueue>();
  private readonly rings = new Map<number, TimerRing>();
  private epoch: number;

  constructor(private readonly base: TimerHost = realTimers) {
    this.epoch = base.now();
  }

  now(): number {
    return this.base.now();
  }

  /** Due time of a timer `delay` ms from now, after the epoch (see the class comment). */
  private dueIn(delay: number): number {
    let due = this.base.now() - this.epoch + delay;
    if (due > MAX_SMALL_TIME) {
      this.rebase();
      due = this.base.now() - this.epoch + delay;
    }
    // `| 0` makes it a small integer for V8; a delay of more than 12 days stays a (boxed) double.
    return due <= MAX_SMALL_TIME ? Math.ceil(due) | 0 : due;
  }

  setTimeout<A>(fn: (arg: A) => void, ms: number, arg?: A): TimerHandle {
    const delay = ms > 0 ? Math.round(ms) : 0;
    const at = this.dueIn(delay);
    const entry: QueuedTimer = { at, fn: fn as (arg: unknown) => void, arg, next: undefined };
    let q = this.queues.get(delay);
    if (!q) {
      q = { head: undefined, tail: undefined, armed: undefined };
      this.queues.set(delay, q);
    }
    if (q.tail) q.tail.next = entry;
    else q.head = entry;
    q.tail = entry;
    if (!q.armed) this.arm(q);
    return entry;
  }

  clearTimeout(handle: TimerHandle): void {
    const e = handle as QueuedTimer;
    e.fn = noop;
    e.arg = undefined;
  }

  schedule<A>(fn: (arg: A) => void, ms: number, arg: A): void {
    const delay = ms > 0 ? Math.round(ms) : 0;
    const at = this.dueIn(delay);
    if (at > MAX_SMALL_TIME) {
      this.setTimeout(fn, delay, arg); // more than 12 days: does not fit the ring's due times
      return;
    }
    let r = this.rings.get(delay);
    if (!r) {
      r = { fns: new Array<undefined>(RING_MIN).fill(undefined), args: new Array<unknown>(RING_MIN).fill(undefined), ats: new Int32Array(RING_MIN), head: 0, count: 0, armed: undefined };
      this.rings.set(delay, r);
    }
    if (r.count === r.ats.length) this.resizeRing(r, r.ats.length * 2);
    const i = (r.head + r.count) & (r.ats.length - 1);
    r.fns[i] = fn as (arg: unknown) => void;
    r.args[i] = arg;
    r.ats[i] = at;
    r.count++;
    if (!r.armed) this.armRing(r);
  }

  private resizeRing(r: TimerRing, capacity: number): void {
    const fns = new Array<((arg: unknown) => void) | undefined>(capacity).fill(undefined);
    const args = new Array<unknown>(capacity).fill(undefined);
    const ats = new Int32Array(capacity);
    const mask = r.ats.length - 1;
    for (let k = 0; k < r.count; k++) {
      const j = (r.head + k) & mask;
      fns[k] = r.fns[j];
      args[k] = r.args[j];
      ats[k] = r.ats[j]!;
    }
    r.fns = fns;
    r.args = args;
    r.ats = ats;
    r.head = 0;
  }

  private armRing(r: TimerRing): void {
    if (r.count === 0) return;
    r.armed = this.base.setTimeout(() => this.fireRing(r), Math.max(0, r.ats[r.head]! - (this.base.now() - this.epoch)));
  }

  private fireRing(r: TimerRing): void {
    r.armed = undefined;
    const now = this.base.now() - this.epoch;
    while (r.count > 0) {
      const i = r.head;
      if (r.ats[i]! > now) break;
      const fn = r.fns[i]!;
      const arg = r.args[i];
      r.fns[i] = undefined;
      r.args[i] = undefined;
      r.head = (i + 1) & (r.ats.length - 1);
      r.count--;
      try {
        fn(arg);
      } catch {
        // a transaction callback must not stop the ring
      }
    }
    // Give the memory of a burst back once the ring is mostly empty.
    if (r.ats.length > RING_MIN && r.count * 8 < r.ats.length) this.resizeRing(r, r.ats.length / 2);
    if (r.count > 0 && !r.armed) this.armRing(r);
  }

  /** Move the epoch to now, shifting every pending due time (once every ~12 days). */
  private rebase(): void {
    const shift = Math.floor(this.base.now() - this.epoch);
    this.epoch += shift;
    for (const q of this.queues.values()) for (let e = q.head; e; e = e.next) e.at -= shift;
    for (const r of this.rings.values()) {
      const mask = r.ats.length - 1;
      for (let k = 0; k < r.count; k++) r.ats[(r.head + k) & mask]! -= shift;
    }
  }

  private arm(q: TimerQueue): void {
    const head = q.head;
    if (!head) return;
    q.armed = this.base.setTimeout(() => this.fire(q), Math.max(0, head.at - (this.base.now() - this.epoch)));
  }

  /** Run every entry of `q` that is due, then re-arm for the next one. */
  private fire(q: TimerQueue): void {
    q.armed = undefined;
    const now = this.base.now() - this.epoch;
    while (q.head && q.head.at <= now) {
      const e = q.head;
      q.head = e.next;
      if (!q.head) q.tail = undefined;
      e.next = undefined;
      const fn = e.fn;
      if (fn !== noop) {
        const arg = e.arg;
        e.fn = noop;
        e.arg = undefined;
        try {
          fn(arg);
        } catch {
          // a transaction callback must not stop the queue
        }
      }
    }
    if (q.head && !q.armed) this.arm(q);
  }
}
