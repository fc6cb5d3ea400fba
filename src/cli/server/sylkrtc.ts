/**
 * `[General]` (webrtcgateway.ini, `configuration.md` §3.1) → the sylkRTC gateway's options, in one
 * place. One meaning per key:
 *
 * - `sip_domains`: the domains WebSocket clients may add accounts for (`sylkrtc-websocket.md` §4.1).
 *   A list containing `*` allows any domain; otherwise only the listed ones (compared in lower
 *   case). An explicitly empty value is an empty list (`configuration.md` §1): nobody may add an
 *   account — as in SylkServer, whose check is `'*' in sip_domains or domain in sip_domains`.
 * - `web_origins`: the `Origin`s allowed to open the WebSocket (§1.3). `*` in the list allows any;
 *   an empty list allows only clients that send no `Origin` (apps).
 * - `websocket_ping_interval`: seconds between WebSocket pings (§1.6).
 *
 * Plus where the address books live (one JSON file per account beside the journal) and the SIP
 * registration authenticator's options (contact address from the SIP stack's listening ports).
 */
import { join } from 'node:path';
import { formatProxyAddress, type Config } from '../../config/index.js';
import type { SipRegistrationOptions } from '../../sylkrtc/index.js';

/** A configured list where `*` anywhere means "any". */
function wildcardList(list: readonly string[]): readonly string[] | '*' {
  return list.includes('*') ? '*' : list;
}

export interface SylkRtcSettings {
  sipDomains: readonly string[] | '*';
  webOrigins: readonly string[] | '*';
  pingIntervalSec: number;
  /** Directory of the file address book. */
  addressBookDir: string;
}

export function sylkRtcSettingsFromConfig(config: Pick<Config, 'General' | 'FileStorage'>): SylkRtcSettings {
  const g = config.General;
  return {
    sipDomains: wildcardList(g.sip_domains.map((d) => d.toLowerCase())),
    webOrigins: wildcardList(g.web_origins),
    pingIntervalSec: g.websocket_ping_interval,
    // Instances sharing a store do not share these files.
    addressBookDir: join(config.FileStorage.storage_dir, 'addressbook'),
  };
}

/** The SIP stack's listening ports, as `SipStack.ports()` reports them. */
export interface SipPorts {
  udp?: number;
  tcp?: number;
  tls?: number;
}

/** Options of the authenticator that registers accounts with the proxy on the client's behalf (§4.3). */
export function sipRegistrationSettings(config: Pick<Config, 'SIP' | 'General'>, ports: SipPorts): Omit<SipRegistrationOptions, 'sip'> {
  const transport = ports.udp !== undefined ? 'udp' : ports.tcp !== undefined ? 'tcp' : 'tls';
  const contactPort = ports[transport];
  return {
    contactHost: `${config.SIP.local_ip}${contactPort !== undefined ? `:${contactPort}` : ''}`,
    contactTransport: transport,
    ...(config.General.outbound_sip_proxy ? { nextHop: formatProxyAddress(config.General.outbound_sip_proxy) } : {}),
  };
}
