/**
 * Socket plumbing of the transport layer (`layer.ts`, RFC 3261 §18): UDP sockets without a lookup per
 * datagram, listening and closing servers, socket buffer sizes, and IPv4-mapped address
 * normalisation.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import type { Server as HttpServer } from 'node:http';
import { isIP, type Server as TcpServer } from 'node:net';
import { logger } from '../../util/logger.js';

const log = logger.child({ module: 'sip.transport' });

export function socketBufferSizes(sock: UdpSocket): { receive: number; send: number } | undefined {
  try {
    return { receive: sock.getRecvBufferSize(), send: sock.getSendBufferSize() };
  } catch {
    return undefined; // not bound (yet), or closed
  }
}

/**
 * A UDP socket whose sends to an IP literal (every UDP target here: `received` addresses and resolved
 * next hops) skip dgram's default lookup, which answers literals only on the next tick (a tick and an
 * async-hooks scope per datagram). Names still go to `dns.lookup`, and so does the bind, so that
 * 'listening' stays asynchronous.
 */
export function createUdpSocket(type: 'udp4' | 'udp6'): UdpSocket {
  let bound = false;
  const sock = createSocket({
    type,
    lookup: (hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void) => {
      const family = bound ? isIP(hostname) : 0;
      if (family !== 0) callback(null, hostname, family);
      else dnsLookup(hostname, options, callback);
    },
  });
  sock.once('listening', () => {
    bound = true;
  });
  return sock;
}

export function listen(server: TcpServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, so IPv4 peers on dual-stack sockets look like IPv4. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && /^[\d.]+$/.test(address.slice(7)) ? address.slice(7) : address;
}

/**
 * Ask for larger socket buffers than the kernel default (~208 KiB), which drops datagrams under a
 * burst; best effort: the kernel caps the sizes at net.core.rmem_max / wmem_max (and Linux reports
 * twice the size set), and a failure never stops the start-up.
 */
export function sizeUdpBuffers(sock: UdpSocket, receive: number, send: number): void {
  const failures: string[] = [];
  try {
    if (receive > 0) sock.setRecvBufferSize(receive);
  } catch (err) {
    failures.push(`receive: ${(err as Error).message}`);
  }
  try {
    if (send > 0) sock.setSendBufferSize(send);
  } catch (err) {
    failures.push(`send: ${(err as Error).message}`);
  }
  log.debug({ requested: { receive, send }, effective: socketBufferSizes(sock), failures }, 'UDP socket buffer sizes');
}
