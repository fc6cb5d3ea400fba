/**
 * The composition root of `sylk-server`: builds the subsystems from the configuration, starts them in
 * dependency order and stops them in reverse (DESIGN.md "Where data flows").
 *
 *   1. journal store       (src/storage: `[Storage]`, `[Cassandra]`, `[FileStorage]`)
 *   2. push                (src/push: `[Push]`, `[General]` sylk_push_url; management listener on
 *                           `[General]` http_management_interface)
 *   3. SIP stack           (src/sip: `[SIP]`), created, not yet listening
 *   4. messaging           (src/messaging): the SIP request handler and the service of the WebSocket API;
 *                           standalone mode: the registrar in front of it, the in-process router and
 *                           SIP delivery (`standalone-sip.ts`)
 *   5. SIP stack listening
 *   6. web server          (src/http: `[WebServer]`): /, /health, /metrics, the journal history API
 *                           (`http-api.md` §2), the sylkRTC WebSocket API on /webrtcgateway/ws
 *                           (login per `[Server] mode`, `accounts.ts`), sign-up when allowed, the
 *                           file transfer (src/filetransfer, `http-api.md` §3–§5: upload, download,
 *                           cancel; hourly housekeeping of `file_transfer_dir`), the web client at /
 *                           (src/webclient, `web-client.md`; `[WebServer] web_client`)
 *
 * Every started part registers how to stop it (`stack.onStop`); `stop()` runs those in reverse order,
 * so shutdown is: close WebSocket connections, stop listening for HTTP, stop SIP (no new requests,
 * transactions in flight finish, bounded by `[SIP] stop_timeout`), finish pending pushes, close the
 * store. A failing stop step is logged and the rest still run. If start-up fails half-way, what was
 * started is stopped again before the error is rethrown.
 *
 * To wire a subsystem: add a step at its place in the order, take what it needs from `parts`, put what
 * later steps need into `parts`, and register its stop with `stack.onStop`.
 */
import { webBaseUrl, type Config } from '../../config/index.js';
import { HealthChecks, registerHealthRoute } from '../../http/health.js';
import { registerHistoryRoutes } from '../../http/history.js';
import { registerMetricsRoute } from '../../http/metrics.js';
import { registerSignupRoute } from '../../http/signup.js';
import { createHttpServer, type HttpServer } from '../../http/server.js';
import { createFileTransfer, type FileTransfer } from '../../filetransfer/index.js';
import { registerWebClient } from '../../webclient/serve.js';
import type { JournalStore } from '../../journal/store.js';
import { WriteHealth } from '../../journal/write-health.js';
import { createMessaging, type Messaging } from '../../messaging/index.js';
import { GuessLimiter } from '../../accounts/guess-limiter.js';
import { PushNotifier, startManagementServer, type ManagementServer } from '../../push/index.js';
import { SipStack } from '../../sip/stack.js';
import { describeStore, openStore } from '../../storage/index.js';
import { storeOptionsFromConfig, storeSpecFromConfig } from '../store-config.js';
import { ConnectionRegistry, SylkRtcGateway, TableAddressBookStore } from '../../sylkrtc/index.js';
import { watchShm, type ShmWatch } from '../../storage/sqlite/shm-watch.js';
import { logger, type Logger } from '../../util/logger.js';
import { registry } from '../../util/metrics.js';
import { pushOptionsFromConfig } from './push.js';
import { messagingOptionsFromConfig } from './messaging.js';
import { accountsOptionsFromConfig, createAuthenticator, type AccountsOptions } from './accounts.js';
import { fileTransferOptionsFromConfig } from './filetransfer.js';
import { sipStackOptionsFromConfig } from './sip.js';
import { sipRegistrationSettings, sylkRtcSettingsFromConfig } from './sylkrtc.js';
import { createStandaloneSip, isStandalone, type StandaloneSip } from './standalone-sip.js';
import { webClientOptionsFromConfig } from './webclient.js';

export interface ComposeOptions {
  /** Program version (health report, User-Agent). */
  version: string;
  /** `Server` header value, e.g. `SylkServer/0.1.0`. */
  serverHeader: string;
  logger?: Logger;
  /** Replace the configured store (tests, benchmarks); it is closed on stop like an opened one. */
  store?: JournalStore;
  /** Where the web client's build is (default `dist/web/` of the package; tests build elsewhere). */
  webClientDir?: string;
  /**
   * The storage became unusable in a way that would kill the process without a word (the SQLite
   * `-shm` file unwritable: SIGBUS, `storage/sqlite/shm-watch.ts`): the daemon logs and exits at once,
   * without a graceful stop (which would touch the database). Default: logged only.
   */
  onFatal?: (reason: string) => void;
}

/** What the steps hand to each other. */
export interface Parts {
  readonly config: Config;
  /** The process logger (take a child with your own `module`). */
  readonly logger: Logger;
  /** The composition's own logger. */
  readonly log: Logger;
  readonly health: HealthChecks;
  /** `[Server] mode`, `[Accounts]`, served domains (`accounts.ts`). */
  readonly accountOptions: AccountsOptions;
  /** The instance's guessing limits (`standalone.md` §5), shared by every credential check. */
  readonly guessLimiter: GuessLimiter;
  /** Which WebSocket connections hold which accounts: one instance, read by push and the gateway. */
  readonly connections: ConnectionRegistry;
  store?: JournalStore;
  push?: PushNotifier;
  pushManagement?: ManagementServer;
  sip?: SipStack;
  messaging?: Messaging;
  /** Standalone mode: the registrar, the in-process router and SIP delivery (`standalone-sip.ts`). */
  standaloneSip?: StandaloneSip;
  http?: HttpServer;
  gateway?: SylkRtcGateway;
  fileTransfer?: FileTransfer;
}

export interface RunningServer {
  readonly config: Config;
  readonly store: JournalStore;
  readonly sip: SipStack;
  readonly messaging: Messaging;
  /** Standalone mode's registrar, router and SIP delivery; undefined in proxy mode. */
  readonly standaloneSip: StandaloneSip | undefined;
  readonly push: PushNotifier;
  readonly pushManagement: ManagementServer;
  readonly http: HttpServer;
  readonly gateway: SylkRtcGateway;
  readonly fileTransfer: FileTransfer;
  /** Where the web server listens (the real port when `local_port = 0`). */
  readonly web: { host: string; port: number };
  readonly health: HealthChecks;
  /** `[Server] mode`: `proxy` or `standalone`. */
  readonly mode: AccountsOptions['mode'];
  readonly guessLimiter: GuessLimiter;
  /** Stop everything in reverse start order; resolves when done (idempotent). */
  stop(): Promise<void>;
}

/** Stop actions in reverse registration order. */
class StopStack {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> }> = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  onStop(name: string, stop: () => Promise<void>): void {
    this.steps.push({ name, stop });
  }

  run(): Promise<void> {
    this.stopping ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        const t0 = Date.now();
        try {
          await step.stop();
          this.log.info({ part: step.name, ms: Date.now() - t0 }, 'stopped');
        } catch (err) {
          this.log.error({ part: step.name, err }, 'stopping failed');
        }
      }
    })();
    return this.stopping;
  }
}

// --------------------------------------------------------------------------------------------- steps

/** How often the SQLite `-shm` file's writability is checked (ms). */
const SHM_CHECK_MS = 100;

async function startStore(parts: Parts, stack: StopStack, given: JournalStore | undefined, onFatal?: (reason: string) => void): Promise<JournalStore> {
  let store = given;
  let watch: ShmWatch | undefined;
  if (!store) {
    const spec = storeSpecFromConfig(parts.config);
    parts.log.info({ store: describeStore(spec) }, 'opening journal store');
    store = await openStore(spec, storeOptionsFromConfig(parts.config));
    if (spec.engine === 'sqlite') {
      watch = watchShm(spec.path, SHM_CHECK_MS, (path, err) => {
        const reason = `SQLite shared-memory file ${path} is no longer writable (${err.code ?? err.message}); continuing would end in SIGBUS`;
        parts.log.fatal({ path, code: err.code }, reason);
        onFatal?.(reason);
      });
    }
  }
  const opened = store;
  stack.onStop('store', () => {
    watch?.stop();
    return opened.close();
  });
  parts.health.add('store', () => opened.ping());
  // Every part writes through the observed store, so /health turns red while writes fail.
  const writes = new WriteHealth(opened);
  parts.health.add('journal_writes', () => writes.check());
  parts.store = writes.store;
  return writes.store;
}

async function startPush(parts: Parts, stack: StopStack, store: JournalStore): Promise<PushNotifier> {
  const config = pushOptionsFromConfig(parts.config);
  const log = parts.logger.child({ module: 'push' });
  const { connections } = parts;
  const isDeviceOnline = (account: string, deviceId: string): boolean => connections.isDeviceOnline(account, deviceId);
  const push = await PushNotifier.fromConfig(config, store, { isDeviceOnline, log });
  stack.onStop('push', () => push.close());
  parts.push = push;
  const m = config.management;
  const management = await startManagementServer({ store, host: m.host, port: m.port, secret: m.secret, log });
  stack.onStop('push-management', () => management.close());
  parts.pushManagement = management;
  return push;
}

function createMessagingLayer(parts: Parts, stack: StopStack, sip: SipStack, store: JournalStore, push: PushNotifier, version: string): Messaging {
  const { config } = parts;
  // Standalone mode: this server is also the registrar and the proxy (standalone.md §3).
  const standalone = isStandalone(config)
    ? createStandaloneSip({ config, sip, store, limiter: parts.guessLimiter, log: parts.logger.child({ module: 'registrar' }) })
    : undefined;
  const messaging = createMessaging({
    options: messagingOptionsFromConfig(config, () => sip.ports().tcp),
    store,
    client: standalone?.router ?? sip,
    version,
    // Until the web server listens (a MESSAGE may come first), use the configured port.
    webBaseUrl: () => webBaseUrl(config, parts.http?.server.listening ? parts.http.port() : config.WebServer.local_port),
    onIncomingMessage: (m) =>
      push.onIncomingMessage({
        account: m.account,
        from: m.sender.uri,
        fromDisplayName: m.sender.display_name,
        contentType: m.content_type,
        content: m.content,
        messageId: m.message_id,
      }),
  });
  if (standalone) {
    standalone.attach(messaging);
    stack.onStop('registrar', async () => standalone.stop());
    parts.standaloneSip = standalone;
  } else sip.setHandler(messaging.handler);
  parts.messaging = messaging;
  return messaging;
}

async function startSip(parts: Parts, stack: StopStack, sip: SipStack): Promise<void> {
  stack.onStop('sip', () => sip.stop());
  await sip.start();
}

function createWeb(parts: Parts, options: ComposeOptions): HttpServer {
  const ws = parts.config.WebServer;
  const http = createHttpServer({
    welcome: !ws.web_client,
    host: ws.local_ip,
    port: ws.local_port,
    certificate: ws.certificate,
    certificateChain: ws.certificate_chain,
    serverHeader: options.serverHeader,
    logger: parts.logger,
  });
  registerHealthRoute(http.app, parts.health);
  registerMetricsRoute(http.app, registry);
  parts.http = http;
  return http;
}

/**
 * The sylkRTC WebSocket API; accounts authenticate against the local accounts (standalone) or by
 * registering with the SIP proxy on their behalf (proxy), behind the guessing limits either way.
 */
function attachGateway(parts: Parts, stack: StopStack, http: HttpServer, sip: SipStack, messaging: Messaging, store: JournalStore): SylkRtcGateway {
  const { sipDomains, webOrigins, pingIntervalSec, limits, addressBookDir } = sylkRtcSettingsFromConfig(parts.config);
  const authenticator = createAuthenticator(parts.accountOptions, { sip, accounts: store.localAccounts, limiter: parts.guessLimiter, sipRegistration: sipRegistrationSettings(parts.config, sip.ports()), ...(parts.standaloneSip ? { presence: parts.standaloneSip.presence } : {}) });
  const gateway = new SylkRtcGateway({
    service: messaging.service,
    events: messaging.events,
    store,
    authenticator,
    registry: parts.connections,
    sipDomains,
    webOrigins,
    pingIntervalSec,
    limits,
    // In the journal store (shared by every instance on it); the former per-account JSON files in
    // addressBookDir are imported on first use.
    addressBook: new TableAddressBookStore(store.addressBooks(), { legacyDir: addressBookDir }),
  });
  gateway.attach(http);
  stack.onStop('websocket', () => gateway.close());
  parts.gateway = gateway;
  return gateway;
}

/** Upload, download and cancel routes on the web server; housekeeping from start-up on. */
async function attachFileTransfer(parts: Parts, stack: StopStack, http: HttpServer, messaging: Messaging, store: JournalStore): Promise<FileTransfer> {
  const { config } = parts;
  const files = createFileTransfer(
    fileTransferOptionsFromConfig(config, {
      messaging,
      store,
      registry: parts.connections,
      webBaseUrl: () => webBaseUrl(config, http.port()),
      log: parts.logger.child({ module: 'filetransfer' }),
    }),
  );
  await files.register(http.app);
  files.start();
  stack.onStop('filetransfer', () => files.stop());
  parts.fileTransfer = files;
  return files;
}

// ------------------------------------------------------------------------------------------- compose

export async function startServer(config: Config, options: ComposeOptions): Promise<RunningServer> {
  const root = options.logger ?? logger;
  const log = root.child({ module: 'server' });
  const parts: Parts = {
    config,
    logger: root,
    log,
    health: new HealthChecks(options.version),
    connections: new ConnectionRegistry(),
    accountOptions: accountsOptionsFromConfig(config),
    guessLimiter: new GuessLimiter(),
  };
  const stack = new StopStack(log);
  try {
    // 1. Journal store.
    const store = await startStore(parts, stack, options.store, options.onFatal);
    // 2. Push notifications (fed by the messaging pipeline).
    const push = await startPush(parts, stack, store);
    // 3.–5. SIP stack and the messaging pipeline as its request handler.
    const sip = new SipStack(sipStackOptionsFromConfig(config, options.version));
    parts.sip = sip;
    const messaging = createMessagingLayer(parts, stack, sip, store, push, options.version);
    await startSip(parts, stack, sip);
    await parts.standaloneSip?.listening();
    // 6. Web server and the WebSocket API (stopped before the web server: registered after it).
    const http = createWeb(parts, options);
    stack.onStop('web', () => http.close());
    const gateway = attachGateway(parts, stack, http, sip, messaging, store);
    // Journal history for SIP devices; CORS for the origins allowed on the WebSocket API.
    await registerHistoryRoutes(http.app, { store, corsOrigins: config.General.web_origins, log: root.child({ module: 'http.history' }) });
    // Sign-up of local accounts, only when allowed (standalone.md §6).
    if (parts.accountOptions.allowSignup) {
      const a = parts.accountOptions;
      await registerSignupRoute(http.app, { accounts: store.localAccounts, domains: a.domains, defaultDomain: a.defaultDomain, corsOrigins: config.General.web_origins, log: root.child({ module: 'http.signup' }) });
    }
    // File transfer (http-api.md §3–§5), before listen().
    const fileTransfer = await attachFileTransfer(parts, stack, http, messaging, store);
    // The built-in web client at / (web-client.md), unless `[WebServer] web_client = no`.
    const webClient = webClientOptionsFromConfig(config, options.webClientDir);
    if (webClient.enabled) await registerWebClient(http.app, { dir: webClient.dir, log: root.child({ module: 'webclient' }) });
    const web = await http.listen();

    log.info({ mode: parts.accountOptions.mode, web: `${http.secure ? 'https' : 'http'}://${web.host}:${web.port}`, sip: sip.ports(), store: store.engine }, 'sylk-server started');
    return {
      config,
      store,
      sip,
      messaging,
      standaloneSip: parts.standaloneSip,
      push,
      pushManagement: parts.pushManagement!,
      http,
      gateway,
      fileTransfer,
      web,
      health: parts.health,
      mode: parts.accountOptions.mode,
      guessLimiter: parts.guessLimiter,
      stop: () => stack.run(),
    };
  } catch (err) {
    await stack.run();
    throw err;
  }
}
