/**
 * Values computed from several configuration keys (`configuration.md` §2.2, §2.3; `http-api.md` §1):
 * the web base URL embedded in token replies and file-transfer URLs, and the set of enabled SIP
 * transports (which also restricts RFC 3263 lookups of outgoing MESSAGE targets).
 */
import { isIP } from 'node:net';
import type { Config } from './types.js';
import type { SipTransportName } from './values.js';

/**
 * `<http|https>://<hostname or local_ip>:<public_port or listening port>`; the port is always
 * included. `listeningPort` is the actual port (matters when `local_port = 0`).
 */
export function webBaseUrl(config: Pick<Config, 'WebServer'>, listeningPort: number): string {
  const ws = config.WebServer;
  const scheme = ws.certificate ? 'https' : 'http';
  const host = ws.hostname !== '' ? ws.hostname : ws.local_ip;
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return `${scheme}://${h}:${ws.public_port ?? listeningPort}`;
}

/** Enabled SIP transports in preference order udp, tcp, tls; TLS needs `[Server] ca_file` and `certificate`. */
export function enabledSipTransports(config: Pick<Config, 'SIP' | 'Server'>): SipTransportName[] {
  const out: SipTransportName[] = [];
  if (config.SIP.local_udp_port !== null) out.push('udp');
  if (config.SIP.local_tcp_port !== null) out.push('tcp');
  if (config.SIP.local_tls_port !== null && config.Server.ca_file !== null && config.Server.certificate !== null) out.push('tls');
  return out;
}

/**
 * Combinations of values that are each valid but do not work together (`configuration.md` §2–§3),
 * as readable sentences: `sylk-server` logs them as warnings at start-up and `--print-config` lists
 * them. Nothing here stops the server; the affected feature just does not work as configured.
 */
export function configAdvice(config: Pick<Config, 'Server' | 'SIP' | 'WebServer' | 'General' | 'Storage' | 'Cassandra' | 'ThorNetwork'>): string[] {
  const out: string[] = [];
  if (config.ThorNetwork.enabled) out.push('[ThorNetwork] enabled is not supported; [SIP] trusted_peers applies');
  if (config.Server.disabled_applications.includes('webrtcgateway')) {
    out.push('[Server] disabled_applications lists webrtcgateway; this server is that application, the setting is ignored');
  }
  if (config.General.local_sip_messages && config.SIP.local_tcp_port === null) {
    out.push('[General] local_sip_messages needs SIP over TCP, but [SIP] local_tcp_port is empty');
  }
  if (config.SIP.local_udp_port === null && config.SIP.local_tcp_port === null && !enabledSipTransports(config).includes('tls')) {
    out.push('no SIP transport is enabled ([SIP] local_udp_port and local_tcp_port are empty, TLS is not configured)');
  }
  if (config.SIP.local_tls_port !== null && (config.Server.ca_file === null) !== (config.Server.certificate === null)) {
    out.push('SIP over TLS needs both [Server] ca_file and certificate; TLS stays disabled');
  }
  if (config.WebServer.certificate_chain !== null && config.WebServer.certificate === null) {
    out.push('[WebServer] certificate_chain is set without certificate; the web server uses plain HTTP');
  }
  if (config.Storage.backend === 'cassandra' && config.Cassandra.cluster_contact_points.length === 0) {
    out.push('[Storage] backend = cassandra needs [Cassandra] cluster_contact_points');
  }
  if (config.Storage.backend === 'cassandra' && config.Cassandra.keyspace === '') {
    out.push('the Cassandra back end needs [Cassandra] keyspace');
  }
  return out;
}
