/**
 * Composition of standalone mode's SIP side (`standalone.md` §3): the registrar (`src/registrar/`)
 * wrapping the messaging pipeline as the SIP stack's handler, the in-process router that plays the
 * proxy for the MESSAGEs the messaging layer originates (`messaging/standalone/router.ts`), and SIP
 * delivery to registered devices as a subscriber of the messaging events
 * (`messaging/standalone/delivery.ts`), and this instance's WebSocket connections as bindings for the
 * other instances (`messaging/standalone/ws-presence.ts`). Configuration → options happens here.
 */
import type { Config } from '../../config/index.js';
import type { GuessLimiter } from '../../accounts/guess-limiter.js';
import type { JournalStore } from '../../journal/store.js';
import { SipDelivery, StandaloneRouter, WsPresence, type Messaging } from '../../messaging/index.js';
import { DIGEST_ALGORITHMS, Registrar, type DigestAlgorithm } from '../../registrar/index.js';
import type { SipStack } from '../../sip/stack.js';
import type { Logger } from '../../util/logger.js';

/** `[Server] mode = standalone`. */
export function isStandalone(config: Pick<Config, 'Server'>): boolean {
  return config.Server.mode === 'standalone';
}

/** `[Accounts] digest_algorithms` → the registrar's list; an unknown or empty list stops the start. */
export function digestAlgorithms(values: readonly string[]): DigestAlgorithm[] {
  const out: DigestAlgorithm[] = [];
  for (const v of values) {
    const a = DIGEST_ALGORITHMS.find((x) => x.toLowerCase() === v.trim().toLowerCase());
    if (!a) throw new Error(`[Accounts] digest_algorithms: unknown algorithm ${JSON.stringify(v)} (expected ${DIGEST_ALGORITHMS.join(', ')})`);
    if (!out.includes(a)) out.push(a);
  }
  if (out.length === 0) throw new Error('[Accounts] digest_algorithms is empty');
  return out;
}

export interface StandaloneSip {
  registrar: Registrar;
  router: StandaloneRouter;
  delivery: SipDelivery | undefined;
  /** This instance's WebSocket connections as bindings, for the other instances (`ws-presence.ts`). */
  presence: WsPresence;
  /** Install the handlers once the messaging layer exists. */
  attach(messaging: Messaging): void;
  /** Once SIP listens: remove the bindings an earlier run at this address left. */
  listening(): Promise<void>;
  stop(): Promise<void>;
}

export function createStandaloneSip(deps: { config: Config; sip: SipStack; store: JournalStore; limiter: GuessLimiter; log: Logger }): StandaloneSip {
  const { config, sip, store, log } = deps;
  if (!store.registrations) throw new Error(`the ${store.engine} store keeps no registrations: standalone mode needs them`);
  const domains = config.General.sip_domains.map((d) => d.toLowerCase());
  const host = config.SIP.local_ip;
  const algorithms = digestAlgorithms(config.Accounts.digest_algorithms);
  const registrar = new Registrar({
    algorithms,
    accounts: store.localAccounts,
    bindings: store.registrations,
    limiter: deps.limiter,
    client: sip,
    onConnectionClosed: (l) => sip.transport.onConnectionClosed(l),
    sipDomains: domains.includes('*') ? '*' : domains,
    // Other instances reach our flows over TCP when we listen on it, else UDP.
    instanceAddress: () => {
      const ports = sip.ports();
      return ports.tcp !== undefined ? { host, port: ports.tcp, transport: 'tcp' } : { host, port: ports.udp ?? 5060, transport: 'udp' };
    },
    log,
  });
  const router = new StandaloneRouter({ stack: sip, devices: registrar.devices, servesDomain: (d) => registrar.serves(d), localHost: config.SIP.local_ip, log });
  const presence = new WsPresence({ bindings: store.registrations, instanceId: registrar.instanceId, hubToken: registrar.flows.hubToken, instanceHop: () => registrar.instanceHop(), instanceAddress: () => registrar.instanceAddress(), log });
  const out: StandaloneSip = {
    registrar,
    router,
    presence,
    delivery: undefined,
    attach(messaging) {
      router.setHandler(messaging.handler);
      sip.setHandler(registrar.handler(messaging.handler));
      out.delivery = new SipDelivery({ events: messaging.events, devices: registrar.devices, log });
      registrar.start();
    },
    listening: () => registrar.removeEarlierRuns(),
    async stop() {
      out.delivery?.close();
      registrar.stop();
      await presence.stop().catch((err: unknown) => log.warn({ err }, 'could not remove the WebSocket bindings'));
    },
  };
  return out;
}
