/**
 * Ingest benchmark: MESSAGEs alice → bob with `X-Sylk-App` and `X-Sylk-From-Sip` over UDP on loopback
 * into the real server path (SIP stack → messaging pipeline → journal store), two journal writes each
 * (sender and receiver copy), the `200 OK` sent after the group commit. A load generator in a separate
 * process keeps a window of outstanding requests (no retransmissions; a request without an answer
 * after 2 s counts as lost) and measures:
 *   1. sustained msgs/s with the window full (closed loop);
 *   2. p50/p99 latency at a paced 10 000 msgs/s (open loop, capped by the window);
 *   3. the raw UDP echo rate of the same generator against a trivial echo socket in the server process
 *      (same machine, same run), and the ratio messages/echo.
 * Beside each phase, the server's side: CPU per request (all threads, and split by thread: the event
 * loop, the SQLite write thread, the other worker threads — the WAL checkpointer — and V8's helpers), the
 * event loop's delay, the messaging handler's p99 (pipeline + group commit + COMMIT: the latency the
 * server adds, as opposed to the UDP path and CPU contention with the generator), and GC pauses.
 *
 *   npx tsx bench/ingest.ts [--seconds 10] [--window 256] [--rate 10000] [--store sqlite|postgres]
 *                           [--phases warm,max,paced,echo]   (a subset, e.g. `--phases max` under --cpu-prof;
 *                                                            `echo-paced`: the echo at --rate, off by default)
 *                           [--writer thread|inline]         (SQLite: where write batches run, see writer.ts)
 *                           [--checkpoint-ms 200]            (SQLite: checkpointer thread period; 0 = in COMMIT)
 *                           [--commit-interval-ms N]         (SQLite: shortest time between commits)
 *                           [--wal-pages N]                  (SQLite: WAL pages at which a COMMIT checkpoints itself)
 *                           [--wal-rewind-frames N]          (SQLite: WAL size from which the writer helps rewind it)
 *                           [--uuid-ids]                     (random UUID message ids, as real clients send;
 *                                                            default: sequential ids, kinder to the id index)
 *   (postgres: SYLK_TEST_PG_URL, else a durable throw-away server from scripts/services/postgres.mjs)
 *   At the end: issue 17's goals (ratio to the echo ≥ 0.35, ≤ 80 µs of server CPU per MESSAGE, nothing
 *   lost, two entries per acknowledged MESSAGE), stated for `--uuid-ids`, each with its measured value.
 *   Run the server side as the daemon runs: `node --max-semi-space-size=64 dist/bench/ingest.js` (the
 *   load generator is a child process with its own flags).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

interface LoadArgs {
  port: number;
  seconds: number;
  window: number;
  /** 0 = as fast as the window allows. */
  rate: number;
  kind: 'sip' | 'echo';
  /** CPIM Message-IDs: random UUIDs (as real clients send) instead of sequential strings. */
  uuidIds: boolean;
}

interface LoadResult {
  sent: number;
  ok: number;
  other: number;
  lost: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  /** The generator's own event-loop delay p99 (ms) and CPU per request (µs): its share of the latency. */
  genDelayP99: number;
  genCpuUs: number;
}

interface Measured extends LoadResult {
  /** Server process CPU (all threads) per answered request, µs. */
  cpuUs: number;
  /** Server event-loop thread CPU per answered request, µs. */
  loopUs: number;
  /** Of the rest, per answered request (µs): the SQLite write thread, other worker threads (the WAL
   * checkpointer), V8's helper threads (concurrent GC, compiler). NaN where /proc is missing. */
  writerUs: number;
  workersUs: number;
  v8Us: number;
  /** 99th percentile and maximum of the server's event-loop delay during the phase, ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Garbage-collection pauses of the server's event loop during the phase: total and longest, ms. */
  gcTotalMs: number;
  gcMaxMs: number;
  /** 99th percentile of the messaging handler's time (request handed over → 200 decided: pipeline,
   * group commit, COMMIT), ms: the part of the latency the server's own code and store add. */
  handlerP99: number;
  /** PostgreSQL (a local server): the database server's CPU (all its processes) per answered request, µs. */
  dbCpuUs: number;
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

// ------------------------------------------------------------------------------- load generator

function message(n: number, localPort: number, uuidIds: boolean): Buffer {
  const callId = `bench-${process.pid}-${n}`;
  const messageId = uuidIds ? randomUUID() : callId;
  const body =
    'From: Alice <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nDateTime: 2024-05-01T10:00:00Z\r\n' +
    `NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: ${messageId}\r\nimdn.Disposition-Notification: positive-delivery, display\r\n\r\n` +
    `Content-Type: text/plain\r\n\r\nHello Bob, this is message number ${n}.`;
  const head =
    `MESSAGE sip:bob@example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK${callId};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: "Alice" <sip:alice@example.com>;tag=${n}\r\nTo: <sip:bob@example.com>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nX-Sylk-App: webrtcgateway\r\nX-Sylk-From-Sip: yes\r\n` +
    `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.from(head + body);
}

async function runLoad(a: LoadArgs): Promise<LoadResult> {
  // A window of answers can arrive in one burst: a bigger buffer than the default 208 KiB so the
  // generator's own socket drops nothing (the kernel caps it at net.core.rmem_max).
  const sock: Socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const localPort = sock.address().port;
  const outstanding = new Map<string, number>();
  const latencies: number[] = [];
  let sent = 0, ok = 0, other = 0, lost = 0, next = 0;
  const genDelay = monitorEventLoopDelay({ resolution: 1 });
  genDelay.enable();
  const genCpu0 = process.cpuUsage();
  const started = performance.now();
  const end = started + a.seconds * 1000;
  let done = false;

  sock.on('message', (buf) => {
    let key: string;
    let status = 200;
    if (a.kind === 'echo') key = buf.toString('latin1', 0, 24).trim();
    else {
      const text = buf.toString('latin1');
      status = Number(text.slice(8, 11));
      if (status < 200) return;
      const i = text.indexOf('Call-ID: ') >= 0 ? text.indexOf('Call-ID: ') + 9 : text.indexOf('i: ') + 3;
      key = text.slice(i, text.indexOf('\r\n', i));
    }
    const t0 = outstanding.get(key);
    if (t0 === undefined) return;
    outstanding.delete(key);
    if (status === 200) ok++;
    else other++;
    latencies.push(performance.now() - t0);
    pump();
  });

  const sendOne = (): void => {
    const n = next++;
    let buf: Buffer;
    let key: string;
    if (a.kind === 'echo') {
      key = `echo-${n}`;
      buf = Buffer.alloc(600, 32);
      buf.write(key, 0, 'latin1');
    } else {
      key = `bench-${process.pid}-${n}`;
      buf = message(n, localPort, a.uuidIds);
    }
    outstanding.set(key, performance.now());
    sent++;
    sock.send(buf, a.port, '127.0.0.1');
  };

  function pump(): void {
    if (done) return;
    const now = performance.now();
    if (now >= end) return;
    if (a.rate > 0) {
      const due = Math.floor(((now - started) / 1000) * a.rate);
      while (sent < due && outstanding.size < a.window) sendOne();
    } else {
      while (outstanding.size < a.window) sendOne();
    }
  }

  const ticker = setInterval(() => {
    const now = performance.now();
    for (const [k, t0] of outstanding) {
      if (now - t0 > 2000) {
        outstanding.delete(k);
        lost++;
      }
    }
    pump();
  }, 1);
  pump();
  await new Promise((r) => setTimeout(r, a.seconds * 1000));
  const measured = (performance.now() - started) / 1000;
  const answered = ok + other;
  // Let stragglers arrive (not counted in the rate).
  await new Promise((r) => setTimeout(r, 300));
  done = true;
  clearInterval(ticker);
  lost += outstanding.size;
  sock.close();
  latencies.sort((x, y) => x - y);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  genDelay.disable();
  const genCpu = process.cpuUsage(genCpu0);
  return {
    sent,
    ok,
    other,
    lost,
    seconds: measured,
    rate: answered / measured,
    p50: pct(0.5),
    p99: pct(0.99),
    max: latencies.at(-1) ?? NaN,
    genDelayP99: genDelay.percentile(99) / 1e6,
    genCpuUs: (genCpu.user + genCpu.system) / Math.max(1, sent),
  };
}

function runChild(a: LoadArgs): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--loadgen', JSON.stringify(a)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

// ------------------------------------------------------------------------------- server side

async function main(): Promise<void> {
  process.env.SYLK_LOG_LEVEL ??= 'error';
  const { loadConfig } = await import('../src/config/index.js');
  const { createMessaging } = await import('../src/messaging/index.js');
  const { messagingOptionsFromConfig } = await import('../src/cli/server/messaging.js');
  const { SipStack } = await import('../src/sip/stack.js');
  const { openSqliteStore } = await import('../src/storage/sqlite/index.js');
  const { WRITE_THREAD_NAME } = await import('../src/storage/sqlite/writer.js');
  type Store = import('../src/journal/store.js').JournalStore;

  const seconds = Number(arg('seconds', '10'));
  const window = Number(arg('window', '256'));
  const rate = Number(arg('rate', '10000'));
  const engine = arg('store', 'sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'sylk-bench-'));
  let store: Store;
  let cleanup = async (): Promise<void> => undefined;
  let dbCpu: (() => number) | null = null;
  if (engine === 'postgres') {
    const { openPostgresStore } = await import('../src/storage/postgres/index.js');
    const { benchPostgres } = await import('./journal-common.js');
    const server = await benchPostgres();
    const url = server.url;
    cleanup = server.local
      ? () => server.stop()
      : async () => {
          const pg = (await import('pg')).default;
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS "bench_ingest_${process.pid}" CASCADE`);
          await c.end();
        };
    store = await openPostgresStore({ url, schema: `bench_ingest_${process.pid}`, retentionDays: 0 });
    const pg = (await import('pg')).default;
    const meterClient = new pg.Client({ connectionString: url });
    await meterClient.connect();
    dbCpu = await (await import('./pg-cpu.js')).postgresCpuMeter(meterClient);
    const inner = cleanup;
    cleanup = async () => {
      await meterClient.end();
      await inner();
    };
  } else {
    store = openSqliteStore({
      path: join(dir, 'journal.sqlite'),
      writer: arg('writer', 'thread') === 'inline' ? 'inline' : 'thread',
      checkpointMs: Number(arg('checkpoint-ms', '200')),
      ...(arg('commit-interval-ms', '') ? { commitIntervalMs: Number(arg('commit-interval-ms', '')) } : {}),
      ...(arg('wal-pages', '') ? { walAutocheckpointPages: Number(arg('wal-pages', '')) } : {}),
      ...(arg('wal-rewind-frames', '') ? { walRewindFrames: Number(arg('wal-rewind-frames', '')) } : {}),
    });
  }
  await store.addAccount('alice@example.com');
  await store.addAccount('bob@example.com');
  const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false });
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0 });
  const messaging = createMessaging({ options: messagingOptionsFromConfig(config), store, client: stack, webBaseUrl: () => 'http://127.0.0.1:10888' });
  // Handler time, in µs: request handed to the messaging layer → its answer (after COMMIT).
  const handlerUs = createHistogram();
  stack.setHandler((req) => {
    const t0 = performance.now();
    return messaging.handler(req).then((res) => {
      handlerUs.record(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      return res;
    });
  });
  await stack.start();
  const sipPort = stack.ports().udp!;

  const echo = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  echo.on('message', (buf, rinfo) => echo.send(buf, rinfo.port, rinfo.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  const echoPort = echo.address().port;

  const fmt = (r: LoadResult): string =>
    `${r.rate.toFixed(0).padStart(7)} /s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(1)} ms  (sent ${r.sent}, 200 ${r.ok}, other ${r.other}, lost ${r.lost})`;

  console.log(`ingest benchmark: store=${engine}, window=${window}, ${seconds}s per phase, node ${process.version}`);
  // Server CPU per answered request: robust against other processes competing for the cores.
  // Process CPU covers every thread (event loop, SQLite write and checkpoint threads); the event
  // loop thread's own CPU time is what bounds one process's rate (Linux: /proc/self/task/<pid>/stat,
  // 10 ms ticks; elsewhere NaN).
  // CPU per thread kind (µs): the event loop, the SQLite write thread (named by writer.ts), the other
  // worker threads (the WAL checkpointer) and V8's helpers; threads that exited are not counted.
  type ThreadCpu = { loop: number; writer: number; workers: number; v8: number };
  const threadCpuUs = (): ThreadCpu => {
    const out: ThreadCpu = { loop: 0, writer: 0, workers: 0, v8: 0 };
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        const f = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
        const name = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'));
        const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
        const us = (Number(v[11]) + Number(v[12])) * 10_000; // utime + stime, in clock ticks of 10 ms
        if (Number(tid) === process.pid) out.loop += us;
        else if (name === WRITE_THREAD_NAME) out.writer += us;
        else if (name === 'WorkerThread') out.workers += us;
        else if (name === 'V8Worker') out.v8 += us;
      }
    } catch {
      return { loop: NaN, writer: NaN, workers: NaN, v8: NaN };
    }
    return out;
  };
  const phase = async (a: LoadArgs): Promise<Measured> => {
    const c0 = process.cpuUsage();
    const t0 = threadCpuUs();
    const db0 = dbCpu ? dbCpu() : NaN;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    handlerUs.reset();
    let gcTotalMs = 0;
    let gcMaxMs = 0;
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcTotalMs += e.duration;
        gcMaxMs = Math.max(gcMaxMs, e.duration);
      }
    });
    gc.observe({ entryTypes: ['gc'] });
    const r = await runChild(a);
    gc.disconnect();
    delay.disable();
    const c = process.cpuUsage(c0);
    const n = Math.max(1, r.ok + r.other);
    const t1 = threadCpuUs();
    return { ...r, dbCpuUs: dbCpu ? (dbCpu() - db0) / n : NaN, cpuUs: (c.user + c.system) / n, loopUs: (t1.loop - t0.loop) / n, writerUs: (t1.writer - t0.writer) / n, workersUs: (t1.workers - t0.workers) / n, v8Us: (t1.v8 - t0.v8) / n, loopDelayP99: delay.percentile(99) / 1e6, loopDelayMax: delay.max / 1e6, handlerP99: handlerUs.count ? handlerUs.percentile(99) / 1000 : NaN, gcTotalMs, gcMaxMs };
  };
  const cpu = (r: Measured): string =>
    (Number.isNaN(r.dbCpuUs) ? '' : `  database CPU ${r.dbCpuUs.toFixed(0)} us/req`) +
    `  server CPU ${r.cpuUs.toFixed(0)} us/req (event loop ${r.loopUs.toFixed(0)}, SQLite writer ${r.writerUs.toFixed(0)}, other workers ${r.workersUs.toFixed(0)}, V8 helpers ${r.v8Us.toFixed(0)}; loop delay p99 ${r.loopDelayP99.toFixed(1)} max ${r.loopDelayMax.toFixed(0)} ms, handler p99 ${r.handlerP99.toFixed(1)} ms, GC ${r.gcTotalMs.toFixed(0)} ms max ${r.gcMaxMs.toFixed(1)})` +
    `  generator ${r.genCpuUs.toFixed(0)} us/req, loop delay p99 ${r.genDelayP99.toFixed(1)} ms`;
  const phases = new Set(arg('phases', 'warm,max,paced,echo').split(','));
  const uuidIds = process.argv.includes('--uuid-ids');
  const none: Measured = { sent: 0, ok: 0, other: 0, lost: 0, seconds: 0, rate: NaN, p50: NaN, p99: NaN, max: NaN, genDelayP99: NaN, genCpuUs: NaN, cpuUs: NaN, loopUs: NaN, writerUs: NaN, workersUs: NaN, v8Us: NaN, loopDelayP99: NaN, loopDelayMax: NaN, handlerP99: NaN, gcTotalMs: NaN, gcMaxMs: NaN, dbCpuUs: NaN };
  const run = async (name: string, label: string, a: LoadArgs): Promise<Measured> => {
    if (!phases.has(name)) return none;
    const r = await phase(a);
    console.log(`${label.padEnd(18)} ${fmt(r)}${cpu(r)}`);
    return r;
  };
  const warm = await run('warm', 'warm-up', { port: sipPort, seconds: 2, window, rate: 0, kind: 'sip', uuidIds });
  const max = await run('max', 'MESSAGE sustained', { port: sipPort, seconds, window, rate: 0, kind: 'sip', uuidIds });
  const paced = await run('paced', `MESSAGE @${rate}/s`, { port: sipPort, seconds, window, rate, kind: 'sip', uuidIds });
  const raw = await run('echo', 'raw UDP echo', { port: echoPort, seconds, window, rate: 0, kind: 'echo', uuidIds });
  // The same pace against the echo socket: the latency the generator and the kernel add by themselves.
  await run('echo-paced', `raw UDP echo @${rate}/s`, { port: echoPort, seconds, window, rate, kind: 'echo', uuidIds });
  if (phases.has('max') && phases.has('echo')) {
    console.log(`ratio MESSAGE/echo ${(max.rate / raw.rate).toFixed(3)} (rate), ${(raw.cpuUs / max.cpuUs).toFixed(3)} (CPU per request)`);
  }
  // Issue 17's goals for `--uuid-ids` (two journal writes per MESSAGE, 200 after commit).
  if (phases.has('max')) {
    const ratio = phases.has('echo') ? max.rate / raw.rate : NaN;
    const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    console.log(
      `goals: rate ratio to the echo >= 0.35: ${ratio.toFixed(3)} (${Number.isNaN(ratio) ? 'needs the echo phase' : met(ratio >= 0.35)}); ` +
        `server CPU <= 80 us per MESSAGE (all threads): ${max.cpuUs.toFixed(0)} (${met(max.cpuUs <= 80)}); ` +
        `nothing lost: ${max.lost} lost (${met(max.lost === 0)})${uuidIds ? '' : '; the goals are stated for --uuid-ids'}`,
    );
  }
  console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
  const entries = (await store.countEntries('bob@example.com')) + (await store.countEntries('alice@example.com'));
  const expected = 2 * (warm.ok + max.ok + paced.ok);
  console.log(`journal entries written: ${entries} (2 per acknowledged MESSAGE: ${expected}; ${entries === expected ? 'met' : 'NOT met'})`);
  echo.close();
  await stack.stop();
  await store.close();
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--loadgen') {
  runLoad(JSON.parse(process.argv[3]!) as LoadArgs).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
