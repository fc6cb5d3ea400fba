/**
 * Wiring of the messaging layer from its typed options (what `sylk-server` calls once): the event bus,
 * the outbound MESSAGE sender, the one dispatch, the SIP `RequestHandler` (SIP ingress) and the
 * `MessagingService` for the WebSocket layer, all sharing one context and one dispatch. The options
 * are made from the configuration by the composition root (`cli/server/messaging.ts`); the web base
 * URL comes from the HTTP server (`webBaseUrl`).
 */
import type { ProxyAddress } from '../config/values.js';
import { DEFAULT_API_TOKEN_TTL_MS } from '../journal/types.js';
import type { JournalStore } from '../journal/store.js';
import type { RequestHandler, SipClient } from '../sip/api.js';
import { logger } from '../util/logger.js';
import { StorageEnabledAccounts } from './accounts.js';
import { LocalAnnouncements } from './cluster/local-delivery.js';
import type { MessagingContext } from './context.js';
import { createDispatch, type Dispatch } from './dispatch.js';
import { MessagingEvents } from './events.js';
import { announceFileTransfer, type FileTransferDescriptor } from './file-transfer.js';
import { Outbound } from './outbound.js';
import type { OnIncomingMessage } from './push-hook.js';
import type { MessagingService } from './service/contract.js';
import { SylkMessagingService } from './service/sylk-service.js';
import { createMessagingPipeline } from './sip-ingress/request-handler.js';

/** What the messaging layer is configured with (from `[Server]`, `[SIP]`, `[General]`). */
export interface MessagingOptions {
  /** Our address and TCP port for `local_sip_messages` (`[SIP] local_ip`, `local_tcp_port`). */
  localIp: string;
  /** The TCP port actually listening (asked when sending: `local_tcp_port = 0` binds an ephemeral one); null = TCP disabled. */
  localTcpPort: () => number | null;
  /** Send outgoing MESSAGEs over our own loopback TCP (`[General] local_sip_messages`). */
  localSipMessages: boolean;
  /** Next hop of outgoing MESSAGEs (`[General] outbound_sip_proxy`). */
  outboundProxy: ProxyAddress | null;
  /** Where transferred files live and for how long (`[General] file_transfer_dir`, `filetransfer_expire_days`). */
  fileTransferDir: string;
  fileTransferExpireDays: number;
  /** Request-URI user → application (`[Server] default_application`, `application_map`). */
  defaultApplication: string;
  applicationMap: Readonly<Record<string, string>>;
}

export interface MessagingDeps {
  options: MessagingOptions;
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
  /**
   * A file was uploaded (`sip-messaging.md` §9.1 step 5): its descriptor message through the dispatch
   * (both journals, events, push), then the FT-HTTP and text notices to the SIP devices. Resolves once
   * the journal writes committed.
   */
  announceFileTransfer(descriptor: FileTransferDescriptor): Promise<void>;
}

export function createMessaging(deps: MessagingDeps): Messaging {
  const log = logger.child({ module: 'messaging' });
  const events = deps.events ?? new MessagingEvents();
  const { options } = deps;
  const outbound = new Outbound({
    client: deps.client,
    log,
    localIp: options.localIp,
    localTcpPort: options.localTcpPort,
    localSipMessages: options.localSipMessages,
    outboundProxy: options.outboundProxy,
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
    fileTransferDir: options.fileTransferDir,
    fileTransferExpireDays: options.fileTransferExpireDays,
    apiTokenTtlMs: DEFAULT_API_TOKEN_TTL_MS,
    now: () => new Date(),
  };
  const dispatch = createDispatch(context);
  const handler = createMessagingPipeline({
    ctx: context,
    dispatch,
    ...(deps.trustedPeers ? { trustedPeers: deps.trustedPeers } : {}),
    defaultApplication: options.defaultApplication,
    applicationMap: options.applicationMap,
  });
  return {
    events,
    dispatch,
    service: new SylkMessagingService(context, dispatch),
    handler,
    outbound,
    context,
    announceFileTransfer: (descriptor) => announceFileTransfer(context, dispatch, descriptor),
  };
}
