/**
 * Using a network list (`[SIP] trusted_peers`, `configuration.md` §2.2): resolving hostname entries
 * (the original resolves them once at start-up, to /32 networks) and testing whether a source
 * address belongs to the list. IPv4-mapped IPv6 sources (`::ffff:a.b.c.d`) match IPv4 networks.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { NetworkEntry } from './values.js';

export type CidrEntry = Extract<NetworkEntry, { kind: 'cidr' }>;

/** Replace hostname entries by the /32 (/128) of every address they resolve to; unresolvable ones are dropped. */
export async function resolveNetworkList(entries: readonly NetworkEntry[], onError?: (host: string, err: unknown) => void): Promise<CidrEntry[]> {
  const out: CidrEntry[] = [];
  for (const e of entries) {
    if (e.kind === 'cidr') {
      out.push(e);
      continue;
    }
    try {
      for (const a of await lookup(e.host, { all: true })) {
        const family = a.family === 6 ? 6 : 4;
        out.push({ kind: 'cidr', address: a.address, prefix: family === 6 ? 128 : 32, family });
      }
    } catch (err) {
      onError?.(e.host, err);
    }
  }
  return out;
}

function toBigInt(address: string): { family: 4 | 6; value: bigint } | undefined {
  const f = isIP(address);
  if (f === 4) return { family: 4, value: address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (f !== 6) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return toBigInt(mapped[1]!);
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parts = (s: string | undefined): string[] => (s ? s.split(':') : []);
  let h = parts(head);
  let t = parts(tail);
  // An embedded IPv4 tail counts as two groups.
  const fix = (groups: string[]): string[] =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const n = g.split('.').map(Number);
      return [((n[0]! << 8) | n[1]!).toString(16), ((n[2]! << 8) | n[3]!).toString(16)];
    });
  h = fix(h);
  t = fix(t);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
}

/** True if `address` lies in one of the (resolved) networks. */
export function networkListContains(entries: readonly CidrEntry[], address: string): boolean {
  const a = toBigInt(address);
  if (!a) return false;
  for (const e of entries) {
    const n = toBigInt(e.address);
    if (!n || n.family !== a.family) continue;
    const bits = a.family === 4 ? 32 : 128;
    const shift = BigInt(bits - e.prefix);
    if (a.value >> shift === n.value >> shift) return true;
  }
  return false;
}
