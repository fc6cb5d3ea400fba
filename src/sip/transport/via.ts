/**
 * Via handling at the transport boundary (RFC 3261 §18.2.1, §18.2.2; RFC 3581):
 * - `stampReceived` adds `received` to the top Via of an incoming request when its sent-by host
 *   differs from the packet's source address, and fills in `rport` (adding `received` too) when the
 *   client asked for it — or always, with `forceRport`, for NAT'd clients that do not ask;
 * - `responseTarget` says where a response goes when it cannot use the request's connection.
 */
import { formatParams, splitCommaList } from '../message/grammar.js';
import type { Via } from '../message/via-header.js';
import type { Headers, TransportAddress, TransportProtocol } from '../message/message.js';

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}${formatParams(via.params)}`;
}

/**
 * Stamps the top Via of `headers` in place and returns `headers`; `via` (the parsed top via-parm,
 * owned by this message) is updated to match. Other fields and Via values are left as they are.
 */
export function stampReceived(headers: Headers, via: Via, source: TransportAddress, forceRport: boolean): Headers {
  const srcHost = source.address;
  const hostDiffers = stripBrackets(via.host).toLowerCase() !== srcHost.toLowerCase();
  const wantsRport = via.rport === null || (forceRport && via.rport === undefined);
  if (!hostDiffers && !wantsRport) return headers;
  const params = via.params;
  // A transport source address is an IP literal: a colon means IPv6.
  const rec = srcHost.indexOf(':') >= 0 ? `[${srcHost}]` : srcHost;
  params.set('received', rec);
  via.received = rec;
  if (wantsRport) {
    params.set('rport', String(source.port));
    via.rport = source.port;
  }
  const top = headers.get('via');
  if (top === undefined) return headers;
  let value: string;
  if (top.indexOf(',') < 0) value = formatVia(via); // one via-parm: nothing to split
  else {
    const parts = splitCommaList(top);
    parts[0] = formatVia(via);
    value = parts.join(', ');
  }
  headers.replaceFirst('via', value);
  return headers;
}

/** Default port of a transport (RFC 3261 §19.1.2, RFC 7118). */
export function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' ? 5061 : protocol === 'wss' ? 443 : protocol === 'ws' ? 80 : 5060;
}

/**
 * Where to send a response over `protocol` when the request's connection is gone (streams) or for
 * UDP (§18.2.2): `received` (or the sent-by host) and `rport` (or the sent-by port, or the default).
 * `maddr` (multicast) is not supported and ignored.
 */
export function responseTarget(via: Via, protocol: TransportProtocol): TransportAddress {
  const address = stripBrackets(via.received ?? via.host);
  const port = typeof via.rport === 'number' ? via.rport : (via.port ?? defaultPort(protocol));
  return { protocol, address, port };
}
