/**
 * The UDP socket's kernel receive queue, measured (issue 15 item 9). Beyond the sustainable rate the
 * requests wait in the kernel's receive buffer, not in the process: the event loop reads at most a
 * few dozen datagrams per turn and never looks late, yet an OPTIONS read now may have waited a second.
 * Linux lists every UDP socket of the network namespace in `/proc/self/net/udp` (`udp6`) with its
 * `rx_queue`: the bytes the kernel holds for it (each datagram counts its size plus ~700 bytes of
 * buffer overhead). This reads our socket's line, found by local address and port, at most once per
 * `maxAgeMs`, through one open file descriptor (a positioned read regenerates the table: ~15 µs).
 * Where the table is missing (not Linux) or our socket is not in its first 64 KiB (~450 sockets), the
 * queue reads as 0: no shedding on this signal, as before it existed.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { ipAddressBytes } from '../../util/ip-bytes.js';

/** `/proc/net/udp`'s spelling of a local address: the address's 32-bit words in host byte order, hex. */
export function procNetAddress(address: string): string {
  const bytes = [...(ipAddressBytes(address) ?? [])];
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const word = endianness() === 'LE' ? bytes.slice(i, i + 4).reverse() : bytes.slice(i, i + 4);
    for (const b of word) out += b.toString(16).padStart(2, '0').toUpperCase();
  }
  return out;
}

export class UdpBacklog {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(64 * 1024);
  /** ` ADDR:PORT ` as the table writes our socket's local address. */
  private readonly key: string;
  private bytes = 0;
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(family: 'udp4' | 'udp6', address: string, port: number, private readonly maxAgeMs = 2) {
    this.key = ` ${procNetAddress(address)}:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    try {
      this.fd = openSync(family === 'udp6' ? '/proc/self/net/udp6' : '/proc/self/net/udp', 'r');
    } catch {
      this.fd = undefined; // not Linux: no measurement
    }
  }

  /** Bytes queued in the kernel for the socket, at most `maxAgeMs` old. */
  queued(now = performance.now()): number {
    if (now - this.readAt < this.maxAgeMs || this.fd === undefined) return this.bytes;
    this.readAt = now;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      const text = this.buf.toString('latin1', 0, n);
      const at = text.indexOf(this.key);
      if (at < 0) return (this.bytes = 0);
      // `sl local_address rem_address st tx_queue:rx_queue …`: the fourth field after ours.
      const fields = text.slice(at, text.indexOf('\n', at)).trim().split(/\s+/, 4);
      const rx = fields[3]?.split(':')[1];
      this.bytes = rx ? parseInt(rx, 16) || 0 : 0;
    } catch {
      this.bytes = 0;
    }
    return this.bytes;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
