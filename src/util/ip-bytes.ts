/**
 * An IP address in network byte order: 4 bytes for IPv4, 16 for IPv6 (RFC 4291 §2.2 text forms:
 * `::` compression and an embedded IPv4 tail). The one home of this conversion, used where bytes or
 * numbers of an address are needed: STUN's XOR-MAPPED-ADDRESS, `/proc/net/udp`'s address spelling,
 * subnet matching of `trusted_peers`. Returns undefined for anything `net.isIP` rejects.
 */
import { isIP } from 'node:net';

export function ipAddressBytes(address: string): Buffer | undefined {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) return undefined;
  const [head = '', tail] = address.split('::');
  const groups = (s: string): string[] =>
    (s === '' ? [] : s.split(':')).flatMap((g) => {
      if (!g.includes('.')) return [g];
      const n = g.split('.').map(Number); // an embedded IPv4 tail is two groups
      return [((n[0]! << 8) | n[1]!).toString(16), ((n[2]! << 8) | n[3]!).toString(16)];
    });
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
