/**
 * Whether the journal can currently be written (issue 15 item 6): `/health` must turn red while
 * journal writes fail (disk full, read-only storage, a lost database) and green again once they work.
 * A read-only `ping()` cannot tell — a full disk still answers queries.
 *
 * `WriteHealth.store` is the store every part of the server uses, with its write methods observed:
 * each failure is remembered, each later success clears it. `check()` (the `journal_writes` health
 * check) passes when the last write outcome was a success; after a failure it runs a probe write
 * (adds and removes the reserved account `health-probe@health.invalid`, RFC 2606 `.invalid`) so the
 * check turns green on recovery even when no traffic writes, and it fails naming the error and since
 * when writes fail. Engine-agnostic: it only knows the `JournalStore` interface.
 */
import type { JournalStore } from './store.js';

/** The methods of `JournalStore` that write. */
const WRITE_METHODS: ReadonlySet<string> = new Set<keyof JournalStore>([
  'add',
  'addMany',
  'updateState',
  'removeMessage',
  'removeConversation',
  'removeJournal',
  'markConversationRead',
  'addAccount',
  'removeAccount',
  'setApiToken',
  'removeApiToken',
  'setPublicKey',
  'removePublicKey',
  'setPrivateKeyMessage',
  'removePrivateKeyMessage',
  'addPushToken',
  'removePushToken',
  'removePushTokensByToken',
  'removePushTokens',
  'expire',
]);

/** The account the probe write adds and removes (never a real user: `.invalid` is reserved). */
export const HEALTH_PROBE_ACCOUNT = 'health-probe@health.invalid';

export interface WriteFailure {
  since: Date;
  error: string;
}

export class WriteHealth {
  /** The observed store: use it instead of the original everywhere. */
  readonly store: JournalStore;
  private failure: WriteFailure | null = null;
  private probing: Promise<void> | null = null;

  constructor(
    private readonly inner: JournalStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    const bound = new Map<PropertyKey, unknown>();
    this.store = new Proxy(inner, {
      get: (target, prop) => {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        let fn = bound.get(prop);
        if (fn === undefined) {
          const method = value as (...args: unknown[]) => unknown;
          fn = WRITE_METHODS.has(String(prop))
            ? (...args: unknown[]) => this.observe(method.apply(target, args) as Promise<unknown>)
            : method.bind(target);
          bound.set(prop, fn);
        }
        return fn;
      },
    });
  }

  /** The current failure, or null when the last write succeeded. */
  get lastFailure(): WriteFailure | null {
    return this.failure;
  }

  /** The health check: resolves when writes work, rejects naming the failure otherwise. */
  async check(): Promise<void> {
    if (this.failure === null) return;
    this.probing ??= this.probe().finally(() => (this.probing = null));
    await this.probing;
    const f = this.failure as WriteFailure | null;
    if (f !== null) throw new Error(`journal writes failing since ${f.since.toISOString()}: ${f.error}`);
  }

  private async probe(): Promise<void> {
    try {
      await this.store.addAccount(HEALTH_PROBE_ACCOUNT);
      await this.store.removeAccount(HEALTH_PROBE_ACCOUNT);
    } catch {
      // recorded by observe()
    }
  }

  private observe<T>(p: Promise<T>): Promise<T> {
    return p.then(
      (v) => {
        this.failure = null;
        return v;
      },
      (err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        this.failure = { since: this.failure?.since ?? this.now(), error };
        throw err;
      },
    );
  }
}
