/**
 * Using a network list (`[SIP] trusted_peers`, `configuration.md` §2.2): resolving hostname entries
 * (the original resolves them once at start-up, to /32 networks) and testing whether a source
 * address belongs to the list. IPv4-mapped IPv6 sources (`::ffff:a.b.c.d`) match IPv4 networks.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ipAddressBytes } from '../util/ip-bytes.js';
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
  const bytes = ipAddressBytes(address)!;
  return { family: 6, value: bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n) };
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
