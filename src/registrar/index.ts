/**
 * The registrar of standalone mode (`standalone.md` §3), assembled: REGISTER (`register.ts`) with
 * digest (`digest-auth.ts`, `nonces.ts`, the guessing limiter of `accounts/`), the bindings in the
 * store (`bindings.ts`), this instance's flows (`flows.ts`), the gate for MESSAGEs from devices
 * (`message-gate.ts`), the relay of requests other instances send to our flows (`edge.ts`) and the
 * sender to devices (`device-sender.ts`).
 *
 * `handler(next)` wraps the messaging pipeline's SIP handler: REGISTER is answered here; a MESSAGE
 * routed to one of our flows is relayed, one routed to our WebSocket connections' flow (`hubToken`)
 * goes to `next` as the copy for them; any other MESSAGE passes the gate and then goes to `next`
 * inside the device's origin context (`origin.ts`). `start()` follows the transport's connections
 * (a closed one removes its bindings) and purges expired bindings every minute;
 * `removeEarlierRuns()`, once SIP listens, removes what an earlier run at our address left.
 */
import { randomBytes } from 'node:crypto';
import type { GuessLimiter } from '../accounts/guess-limiter.js';
import { AccountLookupCache } from '../accounts/lookup-cache.js';
import type { AccountStore } from '../accounts/types.js';
import type { RequestHandler, SipClient } from '../sip/api.js';
import type { Connection } from '../sip/transport/types.js';
import type { Logger } from '../util/logger.js';
import type { BindingStore } from '../journal/bindings.js';
import { DeviceSender } from './device-sender.js';
import { DigestAuthenticator, type DigestAlgorithm } from './digest-auth.js';
import { relayToFlow, routedFlowToken, withoutTopRoute } from './edge.js';
import { FlowTable } from './flows.js';
import { gateDeviceMessage } from './message-gate.js';
import { NonceManager } from './nonces.js';
import { runFromDevice } from './origin.js';
import { RegisterHandler } from './register.js';

export { MIN_EXPIRES, DEFAULT_EXPIRES, MAX_EXPIRES } from './register.js';
export type { Binding, BindingStore } from '../journal/bindings.js';
export { DeviceSender } from './device-sender.js';
export { DIGEST_ALGORITHMS, type DigestAlgorithm } from './digest-auth.js';

/** Where the other instances reach this one: our SIP address (no brackets), port and transport. */
export interface InstanceAddress {
  host: string;
  port: number;
  transport: 'tcp' | 'udp';
}

export interface RegistrarOptions {
  accounts: AccountStore;
  bindings: BindingStore;
  limiter: GuessLimiter;
  /** The SIP stack: sends to devices and relays. */
  client: SipClient;
  /** The transport's connection-close notices. */
  onConnectionClosed: (listener: (conn: Connection) => void) => () => void;
  /** `[General] sip_domains` (lower case), or `*`. */
  sipDomains: readonly string[] | '*';
  /** Where the other instances reach this one (known once SIP listens). */
  instanceAddress: () => InstanceAddress;
  log: Logger;
  /** Digest algorithms offered in challenges, in order (default MD5, SHA-256). */
  algorithms?: readonly DigestAlgorithm[];
  /** Nonce lifetime (default 5 min). */
  nonceLifetimeMs?: number;
  /** Period of the purge of expired bindings (default 60 s; 0 = none). */
  purgeIntervalMs?: number;
}

export class Registrar {
  readonly instanceId = randomBytes(9).toString('base64url');
  readonly flows = new FlowTable();
  readonly nonces: NonceManager;
  readonly auth: DigestAuthenticator;
  readonly devices: DeviceSender;
  private readonly register: RegisterHandler;
  private readonly servesDomain: (domain: string) => boolean;
  private stopListening: () => void = () => undefined;
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: RegistrarOptions) {
    const domains = o.sipDomains === '*' ? null : new Set(o.sipDomains.map((d) => d.toLowerCase()));
    this.servesDomain = (d) => domains === null || domains.has(d.toLowerCase());
    this.nonces = new NonceManager({ lifetimeMs: o.nonceLifetimeMs });
    this.auth = new DigestAuthenticator({ accounts: new AccountLookupCache(o.accounts),  nonces: this.nonces, limiter: o.limiter, ...(o.algorithms ? { algorithms: o.algorithms } : {}) });
    this.devices = new DeviceSender({ client: o.client, bindings: o.bindings, flows: this.flows, instanceId: this.instanceId, log: o.log });
    this.register = new RegisterHandler({
      bindings: o.bindings,
      auth: this.auth,
      flows: this.flows,
      instanceId: this.instanceId,
      instanceHop: () => this.instanceHop(),
      servesDomain: this.servesDomain,
    });
    this.flows.onFlowClosed = (token) => {
      o.bindings.removeFlow(this.instanceId, token).then(
        (n) => n > 0 && o.log.debug({ bindings: n }, 'connection closed: bindings removed'),
        (err: unknown) => o.log.warn({ err }, 'could not remove the bindings of a closed connection'),
      );
    };
  }

  /** Where the other instances reach this one. */
  instanceAddress(): InstanceAddress {
    return this.o.instanceAddress();
  }

  /** The same as a hop, `host:port;transport=x` (path, contacts). */
  instanceHop(): string {
    const a = this.o.instanceAddress();
    return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port};transport=${a.transport}`;
  }

  /** Is `domain` one we serve? */
  serves(domain: string): boolean {
    return this.servesDomain(domain);
  }

  /** Wrap the messaging pipeline's handler (see module comment). */
  handler(next: RequestHandler): RequestHandler {
    return async (incoming) => {
      const { request } = incoming;
      if (request.method === 'REGISTER') return this.register.handle(incoming);
      if (request.method !== 'MESSAGE') return next(incoming);
      const token = routedFlowToken(request);
      if (token === this.flows.hubToken) return next({ ...incoming, request: withoutTopRoute(request) });
      if (token !== undefined) return relayToFlow(request, token, this.flows, this.o.client);
      const gate = await gateDeviceMessage(incoming, this.auth, this.flows, this.servesDomain);
      if (!gate.ok) return gate.response;
      return runFromDevice(gate.origin, () => next({ ...incoming, request: gate.request }));
    };
  }

  start(): void {
    this.stopListening = this.o.onConnectionClosed((conn) => this.flows.connectionClosed(conn));
    const period = this.o.purgeIntervalMs ?? 60_000;
    if (period > 0) {
      this.purgeTimer = setInterval(() => {
        this.o.bindings.purgeExpiredBindings(new Date()).catch((err: unknown) => this.o.log.warn({ err }, 'purging expired bindings failed'));
      }, period);
      this.purgeTimer.unref();
    }
  }

  /**
   * Once SIP listens (our hop is known): remove the bindings an earlier run of this instance left
   * (it died with its connections; `BindingStore.removeEarlierRuns`). A failure is logged: they
   * expire, and a send to one gets `410` here and removes it.
   */
  async removeEarlierRuns(): Promise<void> {
    try {
      const n = await this.o.bindings.removeEarlierRuns(this.instanceHop(), this.instanceId);
      if (n > 0) this.o.log.info({ bindings: n }, 'bindings of an earlier run of this instance removed');
    } catch (err) {
      this.o.log.warn({ err }, 'could not remove the bindings of an earlier run');
    }
  }

  stop(): void {
    this.stopListening();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }
}
