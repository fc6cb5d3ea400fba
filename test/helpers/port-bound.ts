/**
 * Waits until some process holds a local port, without touching the port: it reads the kernel's
 * socket tables (/proc/net/udp, udp6, tcp, tcp6; Linux, where the tests run). A test that starts sipp
 * or another server in a child process uses it instead of a sleep (too short on a slow machine) or a
 * trial bind (which holds the port for a moment and can make the child's own bind fail with
 * EADDRINUSE, the race that once broke CI).
 */
import { readFile } from 'node:fs/promises';

const TCP_LISTEN = '0A';

/** True when a socket of `protocol` is bound to `port` (for TCP: listening on it). */
export async function isPortBound(port: number, protocol: 'udp' | 'tcp'): Promise<boolean> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of [protocol, `${protocol}6`]) {
    let text: string;
    try {
      text = await readFile(`/proc/net/${table}`, 'latin1');
    } catch {
      continue; // no IPv6 table on this machine
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || !local.endsWith(`:${hexPort}`)) continue;
      if (protocol === 'tcp' && fields[3] !== TCP_LISTEN) continue;
      return true;
    }
  }
  return false;
}

/**
 * Resolves once `port` is bound; rejects after `timeoutMs`, or as soon as `failed()` returns an error
 * message (the child exited, say).
 */
export async function waitForPortBound(
  port: number,
  protocol: 'udp' | 'tcp',
  opts: { timeoutMs?: number; failed?: () => string | null } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    const failure = opts.failed?.();
    if (failure) throw new Error(failure);
    if (await isPortBound(port, protocol)) return;
    if (Date.now() > deadline) throw new Error(`nothing bound ${protocol} port ${port} within ${opts.timeoutMs ?? 5000} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
