/**
 * Group commit (DESIGN.md decision 1): write operations submitted during one event-loop turn are
 * committed in one transaction, and each submitter's promise resolves only after that commit.
 *
 * The engine supplies `commit(ops)`, which must apply all ops in order inside one transaction and
 * return one result per op (or throw, rolling everything back). Batches run one at a time, in
 * submission order, so operations issued in sequence are applied in sequence (§3 of
 * journal-storage.md). While a batch is committing (asynchronous engines), new submissions queue up
 * and form the next batch, so batches grow with load and commits per second stay bounded; an optional
 * minimum interval between commits does the same for synchronous engines and tiny batches.
 *
 * If a batch fails, its ops are retried one per transaction so that one bad op (e.g. a constraint
 * violation) fails only its own promise (unless the engine says the error is not op-specific). Written by hand because it is 80 lines and engine-agnostic.
 */

export interface GroupCommitOptions<Op, R> {
  /** Apply `ops` in order in one transaction; resolve one result per op; throw to roll back. */
  commit(ops: Op[]): R[] | Promise<R[]>;
  /** Largest batch per transaction (default 5000). */
  maxBatch?: number;
  /**
   * Shortest time between the starts of two commits, in ms (default 0). A commit costs about the
   * same for 10 operations as for 100 (its pages are written once), so under a steady load a short
   * interval turns many small commits into fewer larger ones and saves most of their cost. It applies
   * only after a batch of at least `intervalAfterBatch` operations: a lightly loaded or idle store
   * still commits every write at once, so the interval adds latency (at most its length) only when
   * commits are both frequent and full.
   */
  minIntervalMs?: number;
  /** Smallest batch after which `minIntervalMs` applies to the next commit (default 8). */
  intervalAfterBatch?: number;
  /**
   * Whether a failed batch should be retried op by op (default: always). Engines answer false for
   * errors that would fail every op again (connection lost), so a batch fails at once.
   */
  retryIndividually?: (err: unknown) => boolean;
}

interface Pending<Op, R> {
  op: Op;
  resolve(value: R): void;
  reject(err: unknown): void;
}

export class GroupCommitter<Op, R> {
  private queue: Pending<Op, R>[] = [];
  private scheduled = false;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly maxBatch: number;
  private readonly minIntervalMs: number;
  private readonly intervalAfterBatch: number;
  /** `performance.now()` when the last batch started committing, and its size. */
  private lastStart = -Infinity;
  private lastSize = 0;

  constructor(private readonly options: GroupCommitOptions<Op, R>) {
    this.maxBatch = options.maxBatch ?? 5000;
    this.minIntervalMs = Math.max(0, options.minIntervalMs ?? 0);
    this.intervalAfterBatch = Math.max(1, options.intervalAfterBatch ?? 8);
  }

  /** Queue one operation; resolves with its result after its transaction committed. */
  submit(op: Op): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.schedule();
    });
  }

  /** Number of operations waiting (not yet in a committing batch). */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolve once everything submitted so far has been committed (or failed). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.running || this.scheduled) {
      if (this.running) await this.running;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Commit what is queued, then refuse further submissions. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    const start = (): void => {
      this.scheduled = false;
      this.lastStart = performance.now();
      this.running = this.drain().finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.schedule();
      });
    };
    const wait = this.lastSize >= this.intervalAfterBatch ? this.lastStart + this.minIntervalMs - performance.now() : 0;
    // Below 1 ms a timer would round up to 1 ms anyway: the next turn is as good.
    if (wait >= 1 && this.queue.length < this.maxBatch) setTimeout(start, wait);
    else setImmediate(start);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.lastSize = batch.length;
      await this.run(batch);
      // With an interval, `schedule` decides when what was queued meanwhile commits.
      if (this.minIntervalMs > 0) return;
    }
  }

  private async run(batch: Pending<Op, R>[]): Promise<void> {
    try {
      const results = await this.options.commit(batch.map((p) => p.op));
      batch.forEach((p, i) => p.resolve(results[i] as R));
    } catch (err) {
      if (batch.length === 1 || (this.options.retryIndividually && !this.options.retryIndividually(err))) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          const [result] = await this.options.commit([p.op]);
          p.resolve(result as R);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }
}
