/**
 * A loopback port free right now, for a child process that cannot be told to bind port 0 and report
 * it (sipp's `-p`, baresip's configuration). The kernel picks it; the socket is closed before the
 * port is handed over, so start the child soon after (and wait for it with `port-bound.ts`).
 */
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';

/** A UDP port on 127.0.0.1 nobody holds right now. */
export async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
