/**
 * Timer values of RFC 3261 §17.1.1.1 / Table 4 (T1, T2, T4 and the timers derived from them) and the
 * clock abstraction every transaction schedules through, so tests drive timers E, F, J, K with a
 * fake clock instead of waiting for real time.
 *
 * Owns: `TimerHost` (the injectable clock), `realTimers` (backed by Node's timers, unref'd so a
 * pending timer J never keeps the process alive) and `FakeClock` (a manual clock for tests).
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

/** The clock transactions use: schedule, cancel, and read the current time (ms). */
export interface TimerHost {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  now(): number;
}

/** Node's timers; unref'd because transaction timers must not keep a stopping process alive. */
export const realTimers: TimerHost = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
  now: () => Date.now(),
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
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

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return t;
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
      if (!next.cancelled) next.fn();
    }
    this.time = end;
  }
}

interface QueuedTimer {
  at: number;
  fn: () => void;
  cancelled: boolean;
  next: QueuedTimer | undefined;
}

interface TimerQueue {
  head: QueuedTimer | undefined;
  tail: QueuedTimer | undefined;
  armed: TimerHandle | undefined;
}

const noop = (): void => {};

/**
 * Timers of equal duration in one FIFO per duration, on one underlying timer each. Transactions
 * schedule a handful of distinct durations (T1·2ⁿ, T2, T4, 64·T1) in huge numbers — every finished
 * UDP transaction holds timer J for 32 s — and a queue entry costs a fraction of a Node `Timeout`.
 * Cancelled entries are unlinked lazily when they fall due (their callback is dropped at once).
 */
export class CoalescingTimers implements TimerHost {
  private readonly queues = new Map<number, TimerQueue>();

  constructor(private readonly base: TimerHost = realTimers) {}

  now(): number {
    return this.base.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Math.max(0, Math.round(ms));
    const entry: QueuedTimer = { at: this.base.now() + delay, fn, cancelled: false, next: undefined };
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
    e.cancelled = true;
    e.fn = noop;
  }

  private arm(q: TimerQueue): void {
    const head = q.head;
    if (!head) return;
    q.armed = this.base.setTimeout(() => this.fire(q), Math.max(0, head.at - this.base.now()));
  }

  private fire(q: TimerQueue): void {
    q.armed = undefined;
    const now = this.base.now();
    while (q.head && q.head.at <= now) {
      const e = q.head;
      q.head = e.next;
      if (!q.head) q.tail = undefined;
      e.next = undefined;
      if (!e.cancelled) {
        e.cancelled = true;
        try {
          e.fn();
        } catch {
          // a transaction callback must not stop the queue
        }
      }
    }
    if (q.head && !q.armed) this.arm(q);
  }
}
