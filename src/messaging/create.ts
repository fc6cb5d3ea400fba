/**
 * Wiring of the messaging layer from the configuration (what `sylk-server` calls once): the event bus,
 * the outbound MESSAGE sender, the one dispatch, the SIP `RequestHandler` (SIP ingress) and the
 * `MessagingService` for the WebSocket layer, all sharing one context and one dispatch. Keys used: `[Server] default_application`,
 * `application_map`; `[SIP] local_ip`, `local_tcp_port`, `trusted_peers` (via the caller's
 * `TrustedPeers`); `[General] outbound_sip_proxy`, `local_sip_messages`, `file_transfer_dir`,
 * `filetransfer_expire_days`; the web base URL comes from the HTTP server (`webBaseUrl`).
 */
import type { Config } from '../config/index.js';
import { DEFAULT_API_TOKEN_TTL_MS } from '../journal/types.js';
import type { JournalStore } from '../journal/store.js';
import type { RequestHandler, SipClient } from '../sip/api.js';
import { logger } from '../util/logger.js';
import { StorageEnabledAccounts } from './accounts.js';
import { LocalAnnouncements } from './cluster/local-delivery.js';
import type { MessagingContext } from './context.js';
import { createDispatch, type Dispatch } from './dispatch.js';
import { MessagingEvents } from './events.js';
import { Outbound } from './outbound.js';
import type { OnIncomingMessage } from './push-hook.js';
import type { MessagingService } from './service/contract.js';
import { SylkMessagingService } from './service/sylk-service.js';
import { createMessagingPipeline } from './sip-ingress/request-handler.js';

export interface MessagingDeps {
  config: Pick<Config, 'Server' | 'SIP' | 'General'>;
  store: JournalStore;
  client: SipClient;
  /** `webBaseUrl(config, listeningPort)` once the HTTP server listens. */
  webBaseUrl: () => string;
  trustedPeers?: { allows(ip: string): boolean };
  onIncomingMessage?: OnIncomingMessage;
  events?: MessagingEvents;
  version?: string;
}

export interface Messaging {
  events: MessagingEvents;
  /**
   * The one dispatch (classify → handler → journal → events) for every message source: a new source
   * (file upload, server notice, registered SIP device) builds an `InboundMessage` and calls it.
   */
  dispatch: Dispatch;
  service: MessagingService;
  /** Give this to the SIP stack as its request handler. */
  handler: RequestHandler;
  outbound: Outbound;
  context: MessagingContext;
}

export function createMessaging(deps: MessagingDeps): Messaging {
  const log = logger.child({ module: 'messaging' });
  const events = deps.events ?? new MessagingEvents();
  const { config } = deps;
  const outbound = new Outbound({
    client: deps.client,
    log,
    localIp: config.SIP.local_ip,
    localTcpPort: config.SIP.local_tcp_port,
    localSipMessages: config.General.local_sip_messages,
    outboundProxy: config.General.outbound_sip_proxy,
    userAgent: `SylkServer-${deps.version ?? 'sylk-messaging'}`,
  });
  const context: MessagingContext = {
    store: deps.store,
    events,
    accounts: new StorageEnabledAccounts(),
    announced: new LocalAnnouncements(),
    outbound,
    log,
    ...(deps.onIncomingMessage ? { onIncomingMessage: deps.onIncomingMessage } : {}),
    webBaseUrl: deps.webBaseUrl,
    fileTransferDir: config.General.file_transfer_dir,
    fileTransferExpireDays: config.General.filetransfer_expire_days,
    apiTokenTtlMs: DEFAULT_API_TOKEN_TTL_MS,
    now: () => new Date(),
  };
  const dispatch = createDispatch(context);
  const handler = createMessagingPipeline({
    ctx: context,
    dispatch,
    ...(deps.trustedPeers ? { trustedPeers: deps.trustedPeers } : {}),
    defaultApplication: config.Server.default_application,
    applicationMap: config.Server.application_map,
  });
  return { events, dispatch, service: new SylkMessagingService(context, dispatch), handler, outbound, context };
}
