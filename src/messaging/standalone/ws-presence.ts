/**
 * The sylkRTC WebSocket connections of this instance as bindings in the shared store (`standalone.md`
 * §3: with several instances, what is stored on one reaches the devices connected to another; the
 * instances play for each other the part the proxy plays in proxy mode, DESIGN.md decision 3).
 *
 * While at least one connection of an account is authenticated here, the account has one binding
 * of this instance: contact `sip:<user>@<our hop>;sylk-ws=<instance>` (a WebSocket contact,
 * `cluster/sync-relay.ts`), flow = the registrar's `hubToken`, path = this instance. Every instance
 * sends what it sends to an account's devices to that binding too (`device-sender.ts`, `delivery.ts`,
 * `router.ts`): it arrives here routed to `hubToken`, and the registrar gives it to the messaging
 * pipeline as the copy for our WebSocket contact — a message becomes the live `message` event, a
 * replica `sync-message-add`, a sync notice its sync event, an IMDN its `disposition-notification`,
 * each once per process (`cluster/local-delivery.ts`). Our own binding is skipped by the sender: our
 * connections were told by the messaging events already.
 *
 * The binding is written when the first connection of the account authenticates, refreshed every
 * `refreshMs` while any is, and removed when the last one goes (or on stop). A binding left by an
 * instance that died expires (`expiresSeconds`), or goes at once when another instance gets `410`
 * for it from the instance now on that address.
 */
import type { Binding, BindingStore } from '../../journal/bindings.js';
import type { InstanceAddress } from '../../registrar/index.js';
import { aorKey } from '../../util/aor.js';
import type { Logger } from '../../util/logger.js';
import { WS_CONTACT_PARAM } from '../cluster/sync-relay.js';

export interface WsPresenceOptions {
  bindings: BindingStore;
  /** The registrar's instance id and WebSocket flow token. */
  instanceId: string;
  hubToken: string;
  /** `host:port;transport=x` where the other instances reach this one, and the same as parts. */
  instanceHop: () => string;
  instanceAddress: () => InstanceAddress;
  log: Logger;
  /** Lifetime of the binding (default 600 s) and period of its refresh (default half of it). */
  expiresSeconds?: number;
  refreshMs?: number;
  now?: () => Date;
}

/** What the WebSocket layer is given: `join` when a connection's account authenticates; call the returned function when it goes. */
export interface WsPresenceHandle {
  join(aor: string): () => void;
}

export class WsPresence implements WsPresenceHandle {
  private readonly present = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private cseq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly expires: number;

  constructor(private readonly o: WsPresenceOptions) {
    this.expires = o.expiresSeconds ?? 600;
    this.timer = setInterval(() => {
      for (const aor of this.present.keys()) this.put(aor);
    }, o.refreshMs ?? (this.expires * 1000) / 2);
    this.timer.unref();
  }

  join(aor: string): () => void {
    const key = aorKey(aor);
    const n = this.present.get(key) ?? 0;
    this.present.set(key, n + 1);
    if (n === 0) this.put(key);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const m = (this.present.get(key) ?? 1) - 1;
      if (m > 0) {
        this.present.set(key, m);
        return;
      }
      this.present.delete(key);
      this.serially(() => this.o.bindings.removeBinding(key, this.key()), key, 'could not remove a WebSocket binding');
    };
  }

  /** Remove every binding of this instance's WebSocket connections (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.present.clear();
    await this.queue;
    await this.o.bindings.removeFlow(this.o.instanceId, this.o.hubToken);
  }

  private key(): string {
    return `${WS_CONTACT_PARAM};instance=${this.o.instanceId}`;
  }

  private put(aor: string): void {
    const hop = this.o.instanceHop();
    const address = this.o.instanceAddress();
    const now = this.o.now?.() ?? new Date();
    const binding: Binding = {
      aor,
      key: this.key(),
      contact: `sip:${aor.slice(0, aor.lastIndexOf('@'))}@${hop};${WS_CONTACT_PARAM}=${this.o.instanceId}`,
      callId: `${WS_CONTACT_PARAM}-${this.o.instanceId}`,
      cseq: ++this.cseq,
      expiresAt: new Date(now.getTime() + this.expires * 1000),
      instanceId: this.o.instanceId,
      flow: this.o.hubToken,
      path: `sip:${this.o.hubToken}@${hop};lr`,
      transport: address.transport,
      sourceAddress: address.host,
      sourcePort: address.port,
      sipInstance: null,
      regId: null,
      q: null,
      userAgent: 'sylk-server (WebSocket connections)',
    };
    this.serially(() => this.o.bindings.putBinding(binding), aor, 'could not write a WebSocket binding');
  }

  /** Store writes in the order made (a join and a leave in quick succession). */
  private serially(write: () => Promise<unknown>, aor: string, failure: string): void {
    this.queue = this.queue.then(write).catch((err: unknown) => this.o.log.warn({ err, aor }, failure));
  }

  /** Resolves when the writes made so far are done (tests). */
  async idle(): Promise<void> {
    await this.queue;
  }
}
