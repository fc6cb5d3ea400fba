/**
 * Wiring of the messaging layer from the configuration (what `sylk-server` calls once): the event bus,
 * the outbound MESSAGE sender, the SIP `RequestHandler` (pipeline) and the `MessagingService` for the
 * WebSocket layer, all sharing one context. Keys used: `[Server] default_application`,
 * `application_map`; `[SIP] local_ip`, `local_tcp_port`, `trusted_peers` (via the caller's
 * `TrustedPeers`); `[General] outbound_sip_proxy`, `local_sip_messages`, `file_transfer_dir`,
 * `filetransfer_expire_days`; the web base URL comes from the HTTP server (`webBaseUrl`).
 */
import type { Config } from '../config/index.js';
import { DEFAULT_API_TOKEN_TTL_MS } from '../journal/types.js';
import type { JournalStore } from '../journal/store.js';
import type { RequestHandler, SipClient } from '../sip/api.js';
import { logger } from '../util/logger.js';
import type { MessagingContext } from './context.js';
import { MessagingEvents } from './events.js';
import { announceFileTransfer, type FileTransferDescriptor, type LocalDispatch } from './file-transfer.js';
import { SylkMessagingService } from './messaging-service.js';
import { Outbound } from './outbound.js';
import { createMessagingPipeline } from './pipeline.js';
import type { OnIncomingMessage } from './push-hook.js';
import type { MessagingService } from './service.js';

export { MessagingEvents } from './events.js';
export type { MessagingService } from './service.js';
export type { OnIncomingMessage, IncomingMessagePush } from './push-hook.js';
export { formatFileSize, type FileTransferDescriptor } from './file-transfer.js';
export { isStorageEnabled } from './accounts.js';

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
  service: MessagingService;
  /** Give this to the SIP stack as its request handler. */
  handler: RequestHandler;
  outbound: Outbound;
  context: MessagingContext;
  /**
   * A file was uploaded (`sip-messaging.md` §9.1 step 5): its descriptor message goes through the
   * pipeline as the original's loop-back MESSAGE would (both journals, events, push), then the
   * FT-HTTP and text notices go to the SIP devices. Resolves once the journal writes committed.
   */
  announceFileTransfer(descriptor: FileTransferDescriptor): Promise<void>;
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
    outbound,
    log,
    ...(deps.onIncomingMessage ? { onIncomingMessage: deps.onIncomingMessage } : {}),
    webBaseUrl: deps.webBaseUrl,
    fileTransferDir: config.General.file_transfer_dir,
    fileTransferExpireDays: config.General.filetransfer_expire_days,
    apiTokenTtlMs: DEFAULT_API_TOKEN_TTL_MS,
    now: () => new Date(),
  };
  const handler = createMessagingPipeline({
    ctx: context,
    ...(deps.trustedPeers ? { trustedPeers: deps.trustedPeers } : {}),
    defaultApplication: config.Server.default_application,
    applicationMap: config.Server.application_map,
  });
  // The loop-back MESSAGE of §6.3.5, handed to the pipeline in process, as if from our own TCP port.
  const local: LocalDispatch = (request) =>
    handler({ request, source: { protocol: 'tcp', address: config.SIP.local_ip, port: config.SIP.local_tcp_port ?? 0 } });
  return {
    events,
    service: new SylkMessagingService(context),
    handler,
    outbound,
    context,
    announceFileTransfer: (descriptor) => announceFileTransfer(context, local, descriptor),
  };
}
