// Shared by the test services (scripts/services/*.mjs): is something already listening on a TCP port?
import { createConnection } from 'node:net';

/** Resolves true when a TCP connection to host:port succeeds. */
export function portInUse(host, port) {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
