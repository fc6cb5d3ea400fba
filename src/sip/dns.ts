/**
 * Next-hop resolution for outgoing requests: RFC 3263 §4 (NAPTR → SRV → A/AAAA) restricted to the
 * transports this server has enabled, as SylkServer does it (spec/sip-messaging.md §6.2), plus the
 * `outbound_sip_proxy` address format `host[:port][;transport=udp|tcp|tls]` (default port 5060 and
 * transport udp — even for tls, as the original does; documented quirk kept for compatibility).
 *
 * The resolver is an interface (`DnsResolver`) so tests can feed answers; the default is
 * `node:dns/promises`. Hand-written because the RFC 3263 selection logic is SIP-specific and small.
 */
import { promises as nodeDns } from 'node:dns';
import { isIP } from 'node:net';
import { parseUri, type SipUri } from './message/uri.js';

export type SipTransport = 'udp' | 'tcp' | 'tls';

export interface NaptrAnswer {
  flags: string;
  service: string;
  regexp: string;
  replacement: string;
  order: number;
  preference: number;
}

export interface SrvAnswer {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The DNS queries RFC 3263 needs; `node:dns/promises` satisfies it. Errors mean "no answer". */
export interface DnsResolver {
  resolveNaptr(name: string): Promise<NaptrAnswer[]>;
  resolveSrv(name: string): Promise<SrvAnswer[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export const systemResolver: DnsResolver = {
  resolveNaptr: (n) => nodeDns.resolveNaptr(n),
  resolveSrv: (n) => nodeDns.resolveSrv(n),
  resolve4: (n) => nodeDns.resolve4(n),
  resolve6: (n) => nodeDns.resolve6(n),
};

export interface NextHop {
  transport: SipTransport;
  /** IP address to connect/send to. */
  address: string;
  port: number;
  /** The host name the address came from (for TLS server name checks and logs). */
  host: string;
}

export interface ResolveOptions {
  /** Enabled transports in preference order (default udp, tcp, tls). */
  transports?: readonly SipTransport[];
  resolver?: DnsResolver;
  /** Address families to look up (default [4]: the original resolves A records only). */
  families?: readonly (4 | 6)[];
  /** Random source for SRV weights and the final pick (tests make it deterministic). */
  random?: () => number;
}

const DEFAULT_TRANSPORTS: readonly SipTransport[] = ['udp', 'tcp', 'tls'];
const NAPTR_SERVICES: Record<string, SipTransport> = Object.assign(Object.create(null) as Record<string, SipTransport>, { 'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls' });
const SRV_PREFIX: Record<SipTransport, string> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };

export function defaultPort(t: SipTransport): number {
  return t === 'tls' ? 5061 : 5060;
}

function isTransport(s: string): s is SipTransport {
  return s === 'udp' || s === 'tcp' || s === 'tls';
}

async function quietly<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch {
    return [];
  }
}

async function addresses(host: string, o: Required<Pick<ResolveOptions, 'families'>> & { resolver: DnsResolver }): Promise<string[]> {
  const out: string[] = [];
  for (const f of o.families) out.push(...(await quietly(f === 4 ? o.resolver.resolve4(host) : o.resolver.resolve6(host))));
  return out;
}

/** Order SRV records by priority, and by weighted random choice within a priority (RFC 2782). */
export function orderSrv(records: readonly SrvAnswer[], random: () => number = Math.random): SrvAnswer[] {
  const byPriority = new Map<number, SrvAnswer[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: SrvAnswer[] = [];
  for (const prio of [...byPriority.keys()].sort((a, b) => a - b)) {
    // zero-weight records first, as RFC 2782 suggests, then weighted draws
    const pool = [...byPriority.get(prio)!].sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      let pick = 0;
      if (total > 0) {
        let x = random() * total;
        pick = pool.findIndex((r) => (x -= r.weight) < 0);
        if (pick < 0) pick = pool.length - 1;
      }
      out.push(pool.splice(pick, 1)[0]!);
    }
  }
  return out;
}

/** A target given as a SIP URI string/object, or host/port/transport. */
export interface Target {
  host: string;
  port?: number;
  transport?: SipTransport;
  /** sips: URI → TLS only. */
  secure?: boolean;
}

/** The target of a SIP URI (`sip:bob@example.com;transport=tcp`), or undefined for non-SIP URIs. */
export function targetOfUri(uri: string | SipUri): Target | undefined {
  const u = typeof uri === 'string' ? parseUri(uri.includes(':') ? uri : `sip:${uri}`) : uri;
  if (!u || u.kind !== 'sip') return undefined;
  let host = u.params.get('maddr') ?? u.host;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const t: Target = { host, secure: u.scheme === 'sips' };
  if (u.port !== undefined) t.port = u.port;
  const tp = u.params.get('transport')?.toLowerCase();
  if (tp !== undefined && isTransport(tp)) t.transport = tp;
  return t;
}

/**
 * RFC 3263 §4 resolution of `target` to an ordered list of next hops, restricted to the enabled
 * transports. Never rejects: a DNS failure yields an empty list (the caller fails the request).
 */
export async function resolveNextHops(target: Target | string, options: ResolveOptions = {}): Promise<NextHop[]> {
  const t = typeof target === 'string' ? targetOfUri(target) : target;
  if (!t) return [];
  const resolver = options.resolver ?? systemResolver;
  const families = options.families ?? [4];
  const random = options.random ?? Math.random;
  let enabled = [...(options.transports ?? DEFAULT_TRANSPORTS)];
  if (t.secure) enabled = enabled.filter((x) => x === 'tls');
  if (t.transport) enabled = enabled.filter((x) => x === t.transport);
  if (enabled.length === 0) return [];
  const host = t.host.startsWith('[') && t.host.endsWith(']') ? t.host.slice(1, -1) : t.host;

  // Numeric IP: no DNS at all.
  if (isIP(host) !== 0) return enabled.map((tr) => ({ transport: tr, address: host, port: t.port ?? defaultPort(tr), host }));

  const ctx = { resolver, families };
  // Explicit port: A/AAAA only (RFC 3263 §4.2).
  if (t.port !== undefined) {
    const addrs = await addresses(host, ctx);
    return enabled.flatMap((tr) => addrs.map((a) => ({ transport: tr, address: a, port: t.port!, host })));
  }

  // No transport given: NAPTR first (§4.1).
  if (!t.transport) {
    const naptr = (await quietly(resolver.resolveNaptr(host)))
      .filter((r) => r.flags.toLowerCase() === 's' && NAPTR_SERVICES[r.service.toUpperCase()] !== undefined)
      .filter((r) => enabled.includes(NAPTR_SERVICES[r.service.toUpperCase()]!))
      .sort((a, b) => a.order - b.order || a.preference - b.preference);
    const out: NextHop[] = [];
    for (const r of naptr) {
      const tr = NAPTR_SERVICES[r.service.toUpperCase()]!;
      for (const srv of orderSrv(await quietly(resolver.resolveSrv(r.replacement)), random)) {
        for (const a of await addresses(srv.name, ctx)) out.push({ transport: tr, address: a, port: srv.port, host: srv.name });
      }
    }
    if (out.length > 0) return out;
  }

  // SRV for each enabled transport, in preference order (§4.1 without NAPTR, §4.2).
  const out: NextHop[] = [];
  for (const tr of enabled) {
    for (const srv of orderSrv(await quietly(resolver.resolveSrv(SRV_PREFIX[tr] + host)), random)) {
      for (const a of await addresses(srv.name, ctx)) out.push({ transport: tr, address: a, port: srv.port, host: srv.name });
    }
  }
  if (out.length > 0) return out;

  // Plain A/AAAA: UDP port 5060 when UDP is enabled, else the first enabled transport's default.
  const tr = enabled.includes('udp') ? 'udp' : enabled[0]!;
  return (await addresses(host, ctx)).map((a) => ({ transport: tr, address: a, port: defaultPort(tr), host }));
}

/**
 * Step 3 of spec §6.2: keep the hops whose transport equals the first (most preferred) hop's and
 * pick one at random. Undefined for an empty list.
 */
export function pickNextHop(hops: readonly NextHop[], random: () => number = Math.random): NextHop | undefined {
  const first = hops[0];
  if (!first) return undefined;
  const same = hops.filter((h) => h.transport === first.transport);
  return same[Math.min(same.length - 1, Math.floor(random() * same.length))];
}

export interface ProxyAddress {
  host: string;
  port: number;
  transport: SipTransport;
}

/**
 * Parse `[General] outbound_sip_proxy`: `host[:port][;transport=udp|tcp|tls]` (a leading `sip:` is
 * tolerated; IPv6 as `[addr]`). Defaults: port 5060, transport udp (even for tls — the original's
 * behaviour). Undefined for malformed input or an unknown transport.
 */
export function parseProxyAddress(text: string): ProxyAddress | undefined {
  let s = text.trim();
  if (/^sips?:/i.test(s)) s = s.slice(s.indexOf(':') + 1);
  let transport: SipTransport = 'udp';
  const semi = s.indexOf(';');
  if (semi >= 0) {
    for (const p of s.slice(semi + 1).split(';')) {
      const [k, v] = p.split('=').map((x) => x.trim().toLowerCase());
      if (k === 'transport') {
        if (v === undefined || !isTransport(v)) return undefined;
        transport = v;
      } else if (k !== '' && k !== 'lr') return undefined;
    }
    s = s.slice(0, semi);
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    host = s.slice(1, close);
    if (isIP(host) !== 6) return undefined;
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portText = rest.slice(1);
    }
  } else {
    const colon = s.indexOf(':');
    host = colon >= 0 ? s.slice(0, colon) : s;
    if (colon >= 0) portText = s.slice(colon + 1);
    if (!/^[A-Za-z0-9.-]+$/.test(host)) return undefined;
  }
  let port = 5060;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
    if (port < 1 || port > 65535) return undefined;
  }
  return { host, port, transport };
}

/** Resolve an outbound proxy address: a numeric host directly, a name with plain A/AAAA lookups. */
export async function resolveProxy(proxy: ProxyAddress, options: Pick<ResolveOptions, 'resolver' | 'families'> = {}): Promise<NextHop[]> {
  if (isIP(proxy.host) !== 0) return [{ transport: proxy.transport, address: proxy.host, port: proxy.port, host: proxy.host }];
  const addrs = await addresses(proxy.host, { resolver: options.resolver ?? systemResolver, families: options.families ?? [4] });
  return addrs.map((a) => ({ transport: proxy.transport, address: a, port: proxy.port, host: proxy.host }));
}
