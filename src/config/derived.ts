/**
 * Values computed from several configuration keys (`configuration.md` §2.2, §2.3; `http-api.md` §1):
 * the web base URL embedded in token replies and file-transfer URLs, and the set of enabled SIP
 * transports (which also restricts RFC 3263 lookups of outgoing MESSAGE targets).
 */
import { isIP } from 'node:net';
import type { Config } from './index.js';
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
