/**
 * The `[SIP] trusted_peers` source filter (sip-messaging.md §3.2, configuration.md §2.2): incoming
 * requests whose source IP is outside the list get `403`. Elements: a CIDR network, an IP address
 * (/32 or /128), a hostname (resolved once by `resolve()`, each address /32), `any` (everything) or
 * `none` (nothing). Unlike the original (a quirk: IPv4 only), IPv6 sources and networks work too, and
 * an IPv4-mapped IPv6 source (`::ffff:192.0.2.1`) is checked as the IPv4 address.
 *
 * `lists()` says whether an address is named by the list (an address or a network other than `/0`):
 * such peers get reserved connection slots (`transport/admission.ts`).
 *
 * Matching uses Node's `net.BlockList` (subnet matching is not written by hand).
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export class TrustedPeers {
  private readonly list = new BlockList();
  private anyAllowed = false;
  /** Families opened by a `/0` network: allowed, but not "listed" (they name nobody in particular). */
  private readonly openFamilies = new Set<4 | 6>();
  private readonly hostnames: string[] = [];

  /** `spec`: comma/space separated string or an array of elements; empty → `any` (the default). */
  constructor(spec: string | readonly string[] = 'any') {
    const items = (typeof spec === 'string' ? spec.split(/[\s,]+/) : [...spec]).map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) items.push('any');
    for (const item of items) this.add(item);
  }

  private add(item: string): void {
    const lower = item.toLowerCase();
    if (lower === 'any') {
      this.anyAllowed = true;
      return;
    }
    if (lower === 'none') return;
    const slash = item.indexOf('/');
    if (slash >= 0) {
      const net = item.slice(0, slash);
      const prefix = Number(item.slice(slash + 1));
      const v = isIP(net);
      const max = v === 4 ? 32 : 128;
      if (v === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`invalid trusted_peers network: ${item}`);
      if (prefix === 0) this.openFamilies.add(v === 4 ? 4 : 6);
      else this.list.addSubnet(net, prefix, v === 4 ? 'ipv4' : 'ipv6');
      return;
    }
    const v = isIP(item);
    if (v === 4) this.list.addAddress(item, 'ipv4');
    else if (v === 6) this.list.addAddress(item, 'ipv6');
    else if (/^[A-Za-z0-9.-]+$/.test(item)) this.hostnames.push(item);
    else throw new Error(`invalid trusted_peers element: ${item}`);
  }

  /** Resolve hostname elements to addresses (call once at start-up). */
  async resolve(): Promise<void> {
    for (const host of this.hostnames) {
      const addrs = await lookup(host, { all: true });
      for (const a of addrs) this.list.addAddress(a.address, a.family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  allows(ip: string): boolean {
    if (this.anyAllowed) return true;
    const addr = unmapped(ip);
    const v = isIP(addr);
    if (v === 0) return false;
    return this.openFamilies.has(v as 4 | 6) || this.list.check(addr, v === 4 ? 'ipv4' : 'ipv6');
  }

  /** Is `ip` named by an address or a network of the list (`any` and `/0` networks do not count)? */
  lists(ip: string): boolean {
    const addr = unmapped(ip);
    const v = isIP(addr);
    if (v === 0) return false;
    return this.list.check(addr, v === 4 ? 'ipv4' : 'ipv6');
  }
}

function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}
