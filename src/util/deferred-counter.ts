/**
 * A Prometheus counter for hot paths (one per SIP request and more): `inc(a, b, c)` adds 1 to a plain
 * number found through one small `Map` per label value, with no string built and no label object
 * hashed; the counts are added to the prom-client `Counter` when the registry collects it (a scrape),
 * so `/metrics` shows the same values as with `counter.inc(labels)`. prom-client hashes the label
 * object on every `inc`, about a microsecond per call. Registered in the process-wide registry.
 */
import { Counter, type LabelValues } from 'prom-client';
import { registry } from './metrics.js';

type LabelValue = string | number;

interface Series<L extends string> {
  readonly labels: LabelValues<L>;
  /** Counted since the last scrape. */
  pending: number;
}

type Level = Map<LabelValue, unknown>;

export class DeferredCounter<L extends string> {
  /** The prom-client counter (for `get()`, `reset()`); count through `inc` of this object. */
  readonly counter: Counter<L>;
  private readonly root: Level = new Map();
  private readonly series: Series<L>[] = [];

  constructor(private readonly config: { name: string; help: string; labelNames: readonly L[] }) {
    if (config.labelNames.length < 1 || config.labelNames.length > 3) throw new Error('DeferredCounter: 1 to 3 labels');
    const series = this.series;
    this.counter = new Counter<L>({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames,
      registers: [registry],
      collect() {
        for (const s of series) {
          if (s.pending === 0) continue;
          this.inc(s.labels, s.pending);
          s.pending = 0;
        }
      },
    });
  }

  /** +1 for the series with these label values, given in `labelNames` order. */
  inc(a: LabelValue, b?: LabelValue, c?: LabelValue): void {
    const n = this.config.labelNames.length;
    let level = this.root;
    if (n > 1) level = this.next(level, a);
    if (n > 2) level = this.next(level, b!);
    const last = n === 1 ? a : n === 2 ? b! : c!;
    let s = level.get(last) as Series<L> | undefined;
    if (!s) {
      const values = [a, b, c];
      const labels: Partial<Record<L, string>> = {};
      this.config.labelNames.forEach((name, i) => (labels[name] = String(values[i])));
      s = { labels: labels as LabelValues<L>, pending: 0 };
      level.set(last, s);
      this.series.push(s);
    }
    s.pending++;
  }

  private next(level: Level, value: LabelValue): Level {
    let m = level.get(value) as Level | undefined;
    if (!m) level.set(value, (m = new Map()));
    return m;
  }
}
