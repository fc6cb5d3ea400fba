/**
 * The configuration tables: for each file, its sections; for each section, one line per key with its
 * syntax and default (`configuration.md` §2–§4, SylkServer's `configuration/__init__.py` and the
 * webrtcgateway application's `configuration.py`). The `Config` type is inferred from these tables,
 * so adding a key here is all it takes to have it read, validated, typed and printed.
 *
 * Keys resolve in table order, sections in file order (config.ini, webrtcgateway.ini, auth.ini), so a
 * derived default may read any key listed before it (`ctx.get(section, key)`).
 *
 * Our additions (marked below): `[Server] mode`, SIP limits in `[SIP]`, the `[Storage]`, `[Push]`
 * and `[Accounts]` sections of webrtcgateway.ini. The original reads only the keys it knows, so a file with our additions still
 * works with SylkServer.
 */
import { join } from 'node:path';
import { pushSection } from './push.js';
import {
  appMap,
  bool,
  byteSize,
  endpoint,
  int,
  ip,
  list,
  networkList,
  oneOf,
  optIp,
  optPath,
  optPort,
  optProxy,
  optStr,
  optUrl,
  path,
  port,
  str,
  type DefaultContext,
  type Field,
} from './values.js';

const at = (ctx: DefaultContext, section: string, key: string): string => String(ctx.get(section, key));

/** Applications of SylkServer; `[Server] default_application` must name one. */
export const APPLICATIONS = ['conference', 'echo', 'playback', 'ircconference', 'xmppgateway', 'webrtcgateway'] as const;

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

export const STORAGE_BACKENDS = ['sqlite', 'postgres', 'cassandra'] as const;

/** `[Server] mode` (`standalone.md` §1): behind a SIP proxy (SylkServer's way), or the whole service. */
export const SERVER_MODES = ['proxy', 'standalone'] as const;

// ------------------------------------------------------------------------------------------ config.ini

const Server = {
  // --- sylk-messaging addition (standalone.md §1): absent = proxy, as SylkServer ---
  mode: oneOf(SERVER_MODES, 'proxy'),
  /** Unknown application names are rejected (warning) and `conference` stays, as in the original. */
  default_application: oneOf(APPLICATIONS, 'conference'),
  application_map: appMap({ echo: 'echo' }),
  disabled_applications: list([]),
  extra_applications_dir: optPath(),
  spool_dir: path((c) => join(c.varDir, 'spool', 'sylkserver')),
  trace_dir: path((c) => join(c.varDir, 'log', 'sylkserver')),
  trace_sip: bool(false),
  trace_dns: bool(false),
  trace_msrp: bool(false),
  trace_core: bool(false),
  trace_notifications: bool(false),
  log_level: oneOf(LOG_LEVELS, 'info'),
  ca_file: optPath(),
  certificate: optPath(),
  verify_server: bool(false),
  enable_bonjour: bool(false),
};

const SIP = {
  local_ip: ip((c) => c.defaultIp, 4),
  /** Empty disables UDP. */
  local_udp_port: optPort(5060),
  /** Empty disables TCP (required for loop-back file-transfer messages and `local_sip_messages`). */
  local_tcp_port: optPort(5060),
  /** Enabled only when `[Server] ca_file` and `certificate` are configured. */
  local_tls_port: optPort(5061),
  advertised_ip: optIp(),
  outbound_proxy: optProxy(),
  trusted_peers: networkList([{ kind: 'cidr', address: '0.0.0.0', prefix: 0, family: 4 }]),
  enable_ice: bool(false),
  // --- sylk-messaging additions: limits of the SIP stack (src/sip/limits.ts, stack.ts) ---
  /** SIP over WebSocket (RFC 7118, subprotocol `sip`, path `/sip`) on its own listener; empty disables. */
  local_ws_port: optPort(null),
  /** Largest SIP message accepted on a stream transport (bytes, headers + body); larger → 513. */
  max_message_size: int(65536, 1024, 16 * 1024 * 1024),
  /** Largest body (Content-Length) accepted, in bytes; larger → 413. */
  max_body_size: int(65536, 1, 16 * 1024 * 1024),
  /** Most simultaneous inbound + outbound TCP/TLS connections. */
  max_connections: int(10000, 1, 1_000_000),
  /** Seconds a TCP/TLS connection without traffic is kept open. */
  tcp_idle_timeout: int(300, 1, 86400 * 7),
  /** Of `max_connections`, slots only for `trusted_peers` listed by address/network, our own address and loopback. */
  trusted_reserved_connections: int(100, 0, 1_000_000),
  /** Open TCP/TLS/WS connections per IP address not listed in `trusted_peers`. */
  max_connections_per_address: int(64, 1, 1_000_000),
  /** Seconds a connection from outside `trusted_peers` is kept without traffic (closed after its first 403 anyway). */
  untrusted_idle_timeout: int(10, 1, 86400),
  /**
   * Requests being processed at once; beyond it new ones get 503 + Retry-After at once (load shedding).
   * It also bounds the work one group commit's completion puts on the event loop at once (~30 µs each):
   * 500 keeps that stall short enough for OPTIONS to be answered within tens of milliseconds.
   */
  max_pending_requests: int(500, 1, 1_000_000),
  /**
   * Milliseconds the event loop may be behind before new requests get 503 + Retry-After too; the
   * default is T1 (500 ms): a request that waited that long has already been retransmitted.
   */
  max_loop_lag: int(500, 10, 60_000),
  /**
   * Bytes the kernel may hold in the UDP listener's receive queue before new requests get 503 +
   * Retry-After too (each datagram counts its size plus ~700 bytes; 131072 ≈ 100 MESSAGEs, tens of
   * milliseconds of work); 0 = no limit. Linux only (read from /proc/self/net/udp).
   */
  max_udp_queue: int(131072, 0, 1024 * 1024 * 1024),
  /** `Retry-After` seconds of that 503. */
  overload_retry_after: int(5, 1, 3600),
  /** Longest wait, in seconds, for SIP transactions in flight when the server stops. */
  stop_timeout: int(5, 0, 300),
  /**
   * UDP socket receive/send buffers in bytes (SO_RCVBUF/SO_SNDBUF; the kernel caps them at
   * net.core.rmem_max/wmem_max); 0 keeps the kernel default (~208 KiB), which drops datagrams in bursts.
   */
  udp_receive_buffer: int(4 * 1024 * 1024, 0, 1024 * 1024 * 1024),
  udp_send_buffer: int(4 * 1024 * 1024, 0, 1024 * 1024 * 1024),
};

const WebServer = {
  local_ip: ip((c) => c.defaultIp),
  /** 0 = any free port. */
  local_port: port(10888),
  public_port: optPort(null),
  /** Host advertised in generated URLs; empty → the listening IP. */
  hostname: str(''),
  /** PEM with certificate and unencrypted key; enables HTTPS. */
  certificate: optPath(),
  certificate_chain: optPath(),
  log_dir: path((c) => join(c.varDir, 'log', 'sylkserver', 'web')),
  /** Serve the built-in web client at `/` (`web-client.md`); `no`: `/` answers the welcome text. */
  web_client: bool(true),
};

const ThorNetwork = {
  enabled: bool(false),
};

const MSRP = {
  use_tls: bool(true),
};

// --------------------------------------------------------------------------------- webrtcgateway.ini

const General = {
  web_origins: list(['*']),
  sip_domains: list(['*']),
  outbound_sip_proxy: optProxy(),
  trace_client: bool(false),
  websocket_ping_interval: int(120, 1, 86400),
  application_dir: path((c) => join(c.varDir, 'lib', 'sylkserver', 'webrtcgateway')),
  file_transfer_dir: path((c) => join(at(c, 'General', 'application_dir'), 'file_transfers')),
  filetransfer_expire_days: int(15, 1, 36500),
  // --- sylk-messaging additions: limits of the HTTP file transfer (src/filetransfer) ---
  /** Largest upload accepted (Content-Length, and enforced while streaming); larger → 413. */
  filetransfer_max_size: byteSize(100 * 1024 ** 2, 1),
  /** Bytes of live (not yet expired) files per account; an upload beyond it → 413 with a JSON reason. */
  filetransfer_quota: byteSize(1024 ** 3, 0),
  local_sip_messages: bool(false),
  http_management_interface: endpoint({ host: '127.0.0.1', port: 20888 }),
  http_management_auth_secret: optStr(),
  sylk_push_url: optUrl(),
  xcap_url: optUrl(),
  // --- sylk-messaging additions: what a WebSocket client may hold before it authenticates (src/sylkrtc/limits.ts) ---
  /** Open WebSocket connections per client IP address; more → HTTP 503. */
  websocket_max_connections_per_address: int(100, 1, 1_000_000),
  /** Accounts added but not yet registered on one connection; more → `error`. */
  websocket_max_unauthenticated_accounts: int(4, 1, 20),
  /** Longest `account-add` password in characters; longer → `error`. */
  websocket_max_password_length: int(1024, 1, 9999),
  recording_dir: path((c) => join(at(c, 'Server', 'spool_dir'), 'videoconference', 'recordings')),
  filesharing_dir: path((c) => join(at(c, 'Server', 'spool_dir'), 'videoconference', 'files')),
};

const Janus = {
  api_url: str('ws://127.0.0.1:8188'),
  api_secret: optStr(),
  trace_janus: bool(false),
  max_bitrate: int(2016000, 0),
  video_codec: str('vp9'),
  decline_code: int(486, 400, 699),
};

const Cassandra = {
  /** Set → Cassandra back end (and our `[Storage] backend` defaults to `cassandra`). */
  cluster_contact_points: list([]),
  keyspace: str(''),
  /** Empty = `push_tokens`. */
  push_tokens_table: str(''),
  debug: bool(false),
};

const FileStorage = {
  storage_dir: path((c) => join(at(c, 'General', 'application_dir'), 'storage')),
};

/** sylk-messaging addition: which journal store to use and where. */
const Storage = {
  /** Default `sqlite`, or `cassandra` when `[Cassandra] cluster_contact_points` is set (compatibility). */
  backend: oneOf(STORAGE_BACKENDS, (c) => ((c.get('Cassandra', 'cluster_contact_points') as readonly string[]).length > 0 ? 'cassandra' : 'sqlite')),
  sqlite_path: path((c) => join(at(c, 'FileStorage', 'storage_dir'), 'journal.sqlite')),
  /** `postgres://user:pass@host:port/db`; empty → libpq environment variables (PGHOST, ...). */
  postgres_url: optStr(),
  /** Journal entries older than this are removed by housekeeping; 0 = keep forever. */
  retention_days: int(365, 0, 36500),
  /** Commit all writes queued in one event-loop turn in one transaction (DESIGN.md decision 1). */
  group_commit: bool(true),
};

/** sylk-messaging addition (`standalone.md` §6): local accounts of standalone mode. */
const Accounts = {
  /** `POST /webrtcgateway/accounts` creates accounts (rate-limited per client address). */
  allow_signup: bool(false),
  /**
   * Digest algorithms the registrar challenges with, in this order (`standalone.md` §3: MD5 and
   * SHA-256). Credentials of either are always accepted; `MD5` alone for clients that give up on a
   * challenge they cannot answer even beside one they can (baresip 1.x / libre, sipp 3.6).
   */
  digest_algorithms: list(['MD5', 'SHA-256']),
};

// ------------------------------------------------------------------------------------------- auth.ini

const ExternalAuth = {
  enable: bool(false),
  /** Empty → the system CA bundle. */
  imap_ca_cert_file: optPath(),
};

// ---------------------------------------------------------------------------------- dynamic sections

/** `[<domain>]` sections of auth.ini. */
export const authDomainSection = {
  auth_type: oneOf(['SIP', 'IMAP'] as const, 'SIP'),
  imap_server: str(''),
};

/** `[room@domain]` sections of webrtcgateway.ini (only the key that touches messaging/push). */
export const roomSection = {
  invite_participants: list([]),
};

/** Files, in reading order, and their fixed sections, in resolution order. */
export const SCHEMA = {
  'config.ini': { Server, SIP, WebServer, ThorNetwork, MSRP },
  'webrtcgateway.ini': { General, Janus, Cassandra, FileStorage, Storage, Push: pushSection, Accounts },
  'auth.ini': { ExternalAuth },
} satisfies Record<string, Record<string, Record<string, Field<unknown>>>>;

export type ConfigFileName = keyof typeof SCHEMA;

/** Sections of the original we accept without reading (media, video rooms): no unknown-section warning. */
export const IGNORED_SECTIONS: Readonly<Record<ConfigFileName, readonly string[]>> = {
  'config.ini': ['RTP', 'TLS', 'Bonjour'],
  'webrtcgateway.ini': [],
  'auth.ini': [],
};
