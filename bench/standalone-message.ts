/**
 * Benchmark: a MESSAGE from one registered device to another in standalone mode (`standalone.md`
 * §3), stored and delivered: latency from the moment the sending device sends it to the moment the
 * receiving device has it, at a fixed rate (goal: p99 < 10 ms at 1 000/s), on SQLite (or PostgreSQL
 * with `SYLK_BENCH_PG_URL`).
 *
 * The server runs in this process; both devices run in a child process (one clock for send and
 * receive times), each a SIP stack of its own registered over TCP with digest. The sender's MESSAGEs
 * travel on the connection it registered over (authenticated by it, no 407 round trip); the server
 * writes both journal copies (group commit), answers 200, and SIP delivery sends it to the
 * recipient's connection. Baseline in the same run: the same devices, the sender sending straight to
 * the recipient (no server) — the cost of the devices and the loopback on this machine.
 *
 *   npx tsx bench/standalone-message.ts [rate=1000] [seconds=10] [--in-process]
 *
 * `--in-process`: the devices run in the server's process (one event loop for all; no second
 * process to schedule — on a machine with more runnable threads than cores, the child process's
 * scheduling delays dominate otherwise).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);

interface Result {
  sent: number;
  received: number;
  answered: number;
  /** Median time to the sender's 200 (stored). */
  answerP50: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const inProcess = process.argv.includes('--in-process');
if (process.env.SYLK_BENCH_ROLE === 'devices') {
  const r = await devices(Number(process.env.SYLK_BENCH_SERVER_PORT));
  process.send!(r);
  process.exit(0);
} else await main();

async function main(): Promise<void> {
  process.env.SYLK_LOG_LEVEL ??= 'warn';
  const { startStandalone } = await import('../test/helpers/standalone.js');
  const baseline = await runDevices(0);
  const srv = await startStandalone({ name: 'bench', ...(process.env.SYLK_BENCH_PG_URL ? { postgresUrl: process.env.SYLK_BENCH_PG_URL } : {}) });
  await srv.addAccount('alice@example.com', 'alice-password');
  await srv.addAccount('bob@example.com', 'bob-password');
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sylk = await runDevices(srv.tcpPort);
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  const stored = await srv.server.store.countEntries('bob@example.com');
  if (process.env.SYLK_BENCH_VERBOSE) {
    const { registry } = await import('../src/util/metrics.js');
    console.log(await registry.getSingleMetricAsString('sylk_messaging_sip_handle_seconds'));
  }
  console.log(
    JSON.stringify({
      rate,
      seconds,
      baselineDirect: baseline,
      sylk: { engine: srv.server.store.engine, ...sylk, serverLoopDelayP99: Number((loop.percentile(99) / 1e6).toFixed(1)), storedForRecipient: stored, serverCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100) },
      unit: 'ms, sent → received',
    }),
  );
  await srv.stop();
}

/** Run the devices in a child process; `serverPort` 0 = baseline (sender → recipient directly). */
function runDevices(serverPort: number): Promise<Result> {
  if (inProcess) return devices(serverPort);
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [String(rate), String(seconds)], {
      env: { ...process.env, SYLK_BENCH_ROLE: 'devices', SYLK_BENCH_SERVER_PORT: String(serverPort), SYLK_LOG_LEVEL: 'silent' },
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (m) => resolve(m as Result));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`devices exited with ${code}`))));
  });
}

async function devices(serverPort: number): Promise<Result> {
  const { SipStack } = await import('../src/sip/stack.js');
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const bob = new SipStack({ host: '127.0.0.1', tcpPort: 0 }, async (incoming) => {
    const seq = Number(/seq (\d+)/.exec(incoming.request.body.toString())?.[1]);
    const t = sentAt.get(seq);
    if (t !== undefined) {
      latencies.push(performance.now() - t);
      sentAt.delete(seq);
    }
    return { status: 200 };
  });
  const alice = new SipStack({ host: '127.0.0.1', tcpPort: 0 });
  await bob.start();
  await alice.start();
  const bobPort = bob.ports().tcp!;
  const hop = serverPort ? `127.0.0.1:${serverPort};transport=tcp` : `127.0.0.1:${bobPort};transport=tcp`;
  if (serverPort) {
    for (const [stack, user] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      const r = await stack.send({
        method: 'REGISTER',
        uri: 'sip:example.com',
        from: `<sip:${user}@example.com>`,
        to: `<sip:${user}@example.com>`,
        headers: [['Contact', `<sip:${user}@127.0.0.1:${stack.ports().tcp};transport=tcp>`]],
        nextHop: hop,
        credentials: { username: user, password: `${user}-password` },
      });
      if (r.response.status !== 200) throw new Error(`REGISTER ${user}: ${r.response.status}`);
    }
  }
  let answered = 0;
  const answerTimes: number[] = [];
  let seq = 0;
  const total = rate * seconds;
  const tickMs = 5;
  const start = performance.now();
  let credit = 0;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const due = ((performance.now() - start) / 1000) * rate;
      credit = Math.min(total, Math.floor(due)) - seq;
      for (let i = 0; i < credit; i++) {
        const n = ++seq;
        const t = performance.now();
        sentAt.set(n, t);
        void alice
          .send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: `hello bob, seq ${n}`, nextHop: hop })
          .then((r) => {
            if (r.response.status === 200) answered++;
            answerTimes.push(performance.now() - t);
          });
      }
      if (seq < total) setTimeout(tick, tickMs - ((performance.now() - start) % tickMs));
      else done();
    };
    tick();
  });
  const deadline = performance.now() + 10_000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(2));
  answerTimes.sort((a, b) => a - b);
  const answerP50 = Number((answerTimes[Math.floor(answerTimes.length / 2)] ?? NaN).toFixed(2));
  const result: Result = { sent: seq, received: latencies.length, answered, answerP50, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) };
  await alice.stop();
  await bob.stop();
  return result;
}
