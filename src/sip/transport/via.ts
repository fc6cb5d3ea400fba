/**
 * Via handling at the transport boundary (RFC 3261 §18.2.1, §18.2.2; RFC 3581):
 * - `stampReceived` adds `received` to the top Via of an incoming request when its sent-by host
 *   differs from the packet's source address, and fills in `rport` (adding `received` too) when the
 *   client asked for it — or always, with `forceRport`, for NAT'd clients that do not ask;
 * - `responseTarget` says where a response goes when it cannot use the request's connection.
 */
import { isIP } from 'node:net';
import { formatParams, splitCommaList, type Via } from '../grammar.js';
import { Headers, type TransportAddress, type TransportProtocol } from '../message.js';

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}${formatParams(via.params)}`;
}

/**
 * Returns the request's headers with the top Via stamped (a new `Headers`), or the same object
 * when nothing changed; `via` is updated in place.
 */
export function stampReceived(headers: Headers, via: Via, source: TransportAddress, forceRport: boolean): Headers {
  const srcHost = source.address;
  const hostDiffers = stripBrackets(via.host).toLowerCase() !== srcHost.toLowerCase();
  const wantsRport = via.rport === null || (forceRport && via.rport === undefined);
  if (!hostDiffers && !wantsRport) return headers;
  const params = new Map(via.params);
  if (hostDiffers || wantsRport) {
    const rec = isIP(srcHost) === 6 ? `[${srcHost}]` : srcHost;
    params.set('received', rec);
    via.received = rec;
  }
  if (wantsRport) {
    params.set('rport', String(source.port));
    via.rport = source.port;
  }
  via.params = params;
  const out: { name: string; value: string }[] = [];
  let done = false;
  for (const f of headers) {
    if (!done && f.name === 'via') {
      let value: string;
      if (f.value.indexOf(',') < 0) value = formatVia(via); // one via-parm: nothing to split
      else {
        const parts = splitCommaList(f.value);
        parts[0] = formatVia(via);
        value = parts.join(', ');
      }
      out.push({ name: 'via', value });
      done = true;
    } else out.push(f);
  }
  return new Headers(out);
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
