/**
 * Which connections hold which accounts (`sylkrtc-websocket.md` §0 "account binding", §8.1): the
 * routing table the fan-out uses. Only authenticated bindings are routed to (quirk 8 fixed: the
 * original's forks skipped that check). Keys compare the domain case-insensitively (§2.1
 * recommendation); each binding keeps the exact AOR string its client used, echoed in events.
 *
 * Also answers the push layer's question "is this device online right now?" (`isDeviceOnline`). No
 * process-wide instance: the composition root creates one and hands it to the gateway and to push.
 */
import { aorKey } from '../util/aor.js';
import { wsBindings } from './metrics.js';

/** What the registry needs to know of a binding. */
export interface RoutedBinding {
  /** The normalised AOR exactly as the client added it. */
  readonly aor: string;
  /** Id of the connection holding it. */
  readonly connectionId: string;
  /** Device id given with `account-devicetoken`, if any. */
  readonly deviceId: string | null;
  /** Remote address of the binding's connection (file-transfer upload authorisation, `http-api.md` §3.2). */
  readonly remoteAddress?: string;
  /** Send one text frame (already serialized; a Buffer holds UTF-8) on the binding's connection. */
  sendRaw(json: string | Buffer): void;
}

export class ConnectionRegistry {
  private readonly byAccount = new Map<string, Set<RoutedBinding>>();
  private count = 0;

  /** Route events of `binding.aor` to it (call when the binding becomes authenticated). */
  add(binding: RoutedBinding): void {
    const key = aorKey(binding.aor);
    let set = this.byAccount.get(key);
    if (!set) {
      set = new Set();
      this.byAccount.set(key, set);
    }
    if (!set.has(binding)) {
      set.add(binding);
      this.count++;
      wsBindings.inc();
    }
  }

  delete(binding: RoutedBinding): void {
    const key = aorKey(binding.aor);
    const set = this.byAccount.get(key);
    if (!set || !set.delete(binding)) return;
    this.count--;
    wsBindings.dec();
    if (set.size === 0) this.byAccount.delete(key);
  }

  /** The authenticated bindings of an account (live view; do not mutate). */
  bindings(account: string): ReadonlySet<RoutedBinding> {
    return this.byAccount.get(aorKey(account)) ?? EMPTY;
  }

  /** Is a device (`account-devicetoken`'s `device`) of this account connected and authenticated? */
  isDeviceOnline(account: string, deviceId: string): boolean {
    for (const b of this.bindings(account)) if (b.deviceId === deviceId) return true;
    return false;
  }

  /** Remote addresses of the connections where the account is authenticated. */
  addressesOf(account: string): string[] {
    const out: string[] = [];
    for (const b of this.bindings(account)) if (b.remoteAddress !== undefined) out.push(b.remoteAddress);
    return out;
  }

  /** Number of authenticated bindings (metrics). */
  get size(): number {
    return this.count;
  }

  /** Number of accounts with at least one authenticated binding. */
  get accounts(): number {
    return this.byAccount.size;
  }
}

const EMPTY: ReadonlySet<RoutedBinding> = new Set();
