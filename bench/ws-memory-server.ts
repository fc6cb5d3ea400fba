/**
 * Child process of bench/ws-memory.ts: the server under measurement (real SQLite store, messaging
 * service, gateway; credentials checked locally so no SIP traffic). Talks to the parent over IPC:
 * `{"cmd":"mem"}` → `{"mem":{heapUsed, external, arrayBuffers, rss}, "connections": n}` after a full GC.
 */
import { startHarness } from '../test/sylkrtc/harness.js';

const h = await startHarness({ proxyPort: 15610 });
const gc = (globalThis as { gc?: () => void }).gc;

function measure() {
  for (let i = 0; i < 4; i++) gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'mem') process.send?.({ mem: measure(), connections: h.gw.connections, bindings: h.gw.ctx.registry.size });
  if (msg.cmd === 'stop') void h.close().then(() => process.exit(0));
});
process.send?.({ ready: true, url: h.url });
