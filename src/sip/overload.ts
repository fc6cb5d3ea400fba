/**
 * Load shedding for requests handed to the application (issue 15 item 9; RFC 3261 §21.5.4 `503` with
 * `Retry-After`, RFC 7339's motivation): beyond the sustainable rate the server must refuse work early
 * — before a request costs a handler call and a journal write, and before it waits long enough in the
 * socket buffer for the client's retransmission timers (T1 = 500 ms) to multiply the load.
 *
 * Three signals, all checked per request and cheap:
 * - the UDP receive queue: bytes the kernel holds for the listening socket (`transport/udp-backlog.ts`,
 *   read at most every 2 ms) over `maxQueueBytes`. Beyond the sustainable rate this is where requests
 *   wait — the event loop reads a few dozen datagrams per turn and never looks late — so an OPTIONS
 *   behind them waits as long. Shed requests cost a fraction of a handled one (no transaction, no
 *   handler, no journal write; plain ones not even the full parse: `overload-datagram.ts`), so while the queue is over the bound the loop drains it several times
 *   faster than requests are handled, and the queue (the wait of everything in it) stays short.
 *   A queue over the bound after a calm spell is first given `QUEUE_GRACE_MS` to drain by itself: a
 *   stall of the process (a GC, a busy host) leaves a queue that is gone in a few milliseconds, and
 *   shedding it would refuse requests at any rate; once shedding, the guard sheds at once whenever the
 *   queue is over the bound until `QUEUE_HOLD_MS` have passed without it (sustained overload);
 * - pending requests: handler calls not yet answered ≥ `maxPending` (bounds memory, the store's queue,
 *   and the burst of work when one group commit completes them all at once);
 * - event-loop lag: a 10 ms interval timer stamps the loop's progress; if it has not run for more than
 *   `maxLagMs`, or its last run came that much late, the loop is busy with a backlog (e.g. a burst of
 *   stream data read in one go), and the requests read now waited about that long already.
 * A shed request gets `503` with `Retry-After` and a reason naming the limit; OPTIONS and everything
 * else the UAS core answers itself are never shed (they cost no handler call and show liveness).
 */
import type { ResponseSpec } from './api.js';

export interface OverloadOptions {
  maxPending: number;
  maxLagMs: number;
  /** Bytes in the UDP socket's kernel receive queue beyond which requests are shed (0: no limit). */
  maxQueueBytes: number;
  /** The bytes queued now (`TransportLayer.udpQueuedBytes`). */
  queuedBytes: () => number;
  retryAfterSec: number;
}

const TICK_MS = 10;
/** How long a queue over the bound may last after a calm spell before requests are shed. */
export const QUEUE_GRACE_MS = 30;
/** How long after the last request shed for the queue a queue over the bound is shed at once. */
export const QUEUE_HOLD_MS = 1000;

export class OverloadGuard {
  private lastTick = performance.now();
  /** How late the last tick fired (ms): the loop was blocked that long just before. */
  private lastLag = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Since when the queue has been over the bound (undefined: it is not). */
  private queueOverSince: number | undefined;
  private lastQueueShed = Number.NEGATIVE_INFINITY;
  private readonly pendingAnswer: ResponseSpec;
  private readonly lagAnswer: ResponseSpec;
  private readonly queueAnswer: ResponseSpec;
  /** Requests shed so far, by limit. */
  readonly shed = { pending: 0, lag: 0, queue: 0 };

  constructor(private readonly options: OverloadOptions) {
    const headers: Array<[string, string]> = [['Retry-After', String(options.retryAfterSec)]];
    this.pendingAnswer = { status: 503, reason: `Service Unavailable (overloaded: ${options.maxPending} requests pending)`, headers };
    this.lagAnswer = { status: 503, reason: `Service Unavailable (overloaded: event loop ${options.maxLagMs} ms behind)`, headers };
    this.queueAnswer = { status: 503, reason: `Service Unavailable (overloaded: UDP receive queue over ${options.maxQueueBytes} bytes)`, headers };
  }

  start(): void {
    if (!Number.isFinite(this.options.maxLagMs)) return; // no lag limit: no timer
    this.lastTick = performance.now();
    this.timer ??= setInterval(() => {
      const now = performance.now();
      this.lastLag = now - this.lastTick - TICK_MS;
      this.lastTick = now;
    }, TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The answer for a request that must be shed now, or undefined to handle it. */
  check(pending: number): ResponseSpec | undefined {
    const queue = this.checkQueue();
    if (queue) return queue;
    if (pending >= this.options.maxPending) {
      this.shed.pending++;
      return this.pendingAnswer;
    }
    if (this.timer !== undefined && Math.max(this.lastLag, performance.now() - this.lastTick - TICK_MS) > this.options.maxLagMs) {
      this.shed.lag++;
      return this.lagAnswer;
    }
    return undefined;
  }

  /** The UDP receive queue's answer alone (also asked before a datagram is parsed: `overload-datagram.ts`). */
  checkQueue(): ResponseSpec | undefined {
    if (this.options.maxQueueBytes <= 0) return undefined;
    if (this.options.queuedBytes() <= this.options.maxQueueBytes) {
      this.queueOverSince = undefined;
      return undefined;
    }
    const now = performance.now();
    this.queueOverSince ??= now;
    if (now - this.queueOverSince < QUEUE_GRACE_MS && now - this.lastQueueShed >= QUEUE_HOLD_MS) return undefined;
    this.lastQueueShed = now;
    this.shed.queue++;
    return this.queueAnswer;
  }
}
