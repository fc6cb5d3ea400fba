/**
 * Benchmark: server memory per idle, authenticated sylkRTC connection (goal < 10 kB). The server runs
 * in a child process (bench/ws-memory-server.ts, `--expose-gc`); this process opens N `ws` clients,
 * each doing ready → account-add → account-register → registered, then idles. Prints the heap
 * (+ external) and RSS growth of the server divided by N.
 *
 *   npx tsx bench/ws-memory.ts [connections=10000]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { ha1Of } from '../test/sylkrtc/harness.js';

const N = Number(process.argv[2] ?? 10_000);
const child = fork(fileURLToPath(new URL('./ws-memory-server.ts', import.meta.url)), [], {
  execArgv: ['--expose-gc', '--import', 'tsx'],
  env: { ...process.env, SYLK_LOG_LEVEL: 'silent' },
});
type Mem = { heapUsed: number; external: number; arrayBuffers: number; rss: number };
const replies: Array<(m: Record<string, unknown>) => void> = [];
child.on('message', (m) => replies.shift()?.(m as Record<string, unknown>));
const next = () => new Promise<Record<string, unknown>>((r) => replies.push(r));
const { url } = (await next()) as { url: string };
const ask = async () => {
  const p = next();
  child.send({ cmd: 'mem' });
  return (await p) as { mem: Mem; connections: number; bindings: number };
};

/** One client: connect, add, register; resolves the open socket once registered. */
function login(i: number): Promise<WebSocket> {
  const account = `user${i}@example.com`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'sylkRTC-2', { perMessageDeflate: false });
    ws.on('error', reject);
    ws.on('message', (d) => {
      const s = String(d);
      if (s.includes('ready-event')) {
        ws.send(JSON.stringify({ sylkrtc: 'account-add', account, password: ha1Of(account), transaction: 'a' }));
        ws.send(JSON.stringify({ sylkrtc: 'account-register', account, transaction: 'r' }));
      } else if (s.includes('"registered"')) {
        ws.removeAllListeners('message');
        resolve(ws);
      } else if (s.includes('"failed"')) reject(new Error(s));
    });
  });
}

// warm-up connections (JIT, lazily allocated pools), then the baseline
const warm = await Promise.all(Array.from({ length: 50 }, (_, i) => login(1_000_000 + i)));
const base = await ask();
const sockets: WebSocket[] = [];
const t0 = Date.now();
for (let i = 0; i < N; i += 200) {
  const batch = await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, k) => login(i + k)));
  sockets.push(...batch);
}
const setup = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 2000));
const after = await ask();
const per = (a: number, b: number) => ((a - b) / N / 1024).toFixed(2);
console.log(`ws-memory: ${N} idle authenticated connections (set up in ${setup.toFixed(1)} s; server sees ${after.connections} connections, ${after.bindings - base.bindings} new bindings)`);
console.log(`  per connection: heap ${per(after.mem.heapUsed, base.mem.heapUsed)} kB, heap+external ${per(after.mem.heapUsed + after.mem.external, base.mem.heapUsed + base.mem.external)} kB, RSS ${per(after.mem.rss, base.mem.rss)} kB`);

for (const ws of [...sockets, ...warm]) ws.terminate();
const done = new Promise((r) => child.once('exit', r));
child.send({ cmd: 'stop' });
await done;
process.exit(0);
