/**
 * sipp step ramp (issue 17): the real sipp (Debian's sip-tester) sends MESSAGEs over UDP on loopback
 * at stepped rates (default 1k, 2k, 3k, 4k, 5k, 6k, 8k, 10k/s, 8 s per step) to 1,000 recipients,
 * each an account with storage, so every MESSAGE is one journal write before its 200. The same ramp
 * runs, step by step in the same run, against the baseline: the real Kamailio 5.6 with msilo storing
 * every MESSAGE in SQLite (WAL) before its 200 (`bench/sipp/kamailio-msilo.cfg`). Per step and
 * server it prints the offered and achieved rate, p50 / p99 of the MESSAGE→200 round trip (sipp's
 * response times, 1 ms resolution), failed calls (no 200 within 5 s after sipp's retransmissions, or
 * another final answer), the server's CPU per MESSAGE and the load average; at the end, the rows
 * each store holds against the 200s counted (one per acknowledged MESSAGE). A server that fails more
 * than 10 % of a step is not run at higher rates. Kamailio's SQLite commits with SQLite's default
 * `synchronous = FULL` (an fsync per MESSAGE; db_sqlite has no setting for it), sylk-server's with
 * `NORMAL`; msilo has no idempotency, so sipp's retransmissions are stored twice there.
 *
 *   npx tsx bench/sipp-ramp.ts [--rates 1000,2000,3000,4000,5000,6000,8000,10000] [--seconds 8]
 *     [--recipients 1000] [--targets sylk,kamailio] [--kamailio-children 1]
 *
 * A target `sylk@<flags>` runs sylk-server with those Node flags (`+` between two of them) instead of
 * those of `npm run sylk-server`, so that settings are compared step by step in one run, e.g.
 * `--targets sylk,sylk@--max-semi-space-size=16,kamailio`.
 *
 * Goals printed with it: p99 ≤ 20 ms up to 4k/s, ≥ 8k/s sustained without failures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStore } from '../src/storage/index.js';
import { daemonNodeFlags } from './daemon-flags.js';
import { freeUdpPort } from '../test/helpers/free-port.js';
import { repoFileUrl } from './repo-path.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const RATES = arg('rates', '1000,2000,3000,4000,5000,6000,8000,10000').split(',').map(Number);
const SECONDS = Number(arg('seconds', '8'));
const RECIPIENTS = Number(arg('recipients', '1000'));
const TARGETS = arg('targets', 'sylk,kamailio').split(',');
const KAMAILIO_CHILDREN = Number(arg('kamailio-children', '1'));
const SCENARIO = fileURLToPath(repoFileUrl('bench/sipp/ramp-message.xml'));
const KAMAILIO_CFG = fileURLToPath(repoFileUrl('bench/sipp/kamailio-msilo.cfg'));

const dir = mkdtempSync(join(tmpdir(), 'sylk-sipp-ramp-'));
const users = Array.from({ length: RECIPIENTS }, (_, i) => `user${i}`);
const fieldsCsv = join(dir, 'recipients.csv');
writeFileSync(fieldsCsv, 'RANDOM\n' + users.join('\n') + '\n');

interface Target {
  name: string;
  port: number;
  /** Every process of the server (CPU accounting). */
  pids(): number[];
  /** Whether the first of `pids()` is a process whose main thread is the server's event loop. */
  eventLoop: boolean;
  /** Rows stored so far (read after stop). */
  stored(): Promise<number>;
  stop(): Promise<void>;
}

function logOf(child: ChildProcess): () => string {
  let out = '';
  const add = (d: Buffer): void => {
    if (out.length < 1_000_000) out += d.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** The daemon (`sylk-server`, a child process, proxy mode, SQLite), with the process flags of `npm start`. */
async function startSylk(nodeFlags: string | undefined, index: number): Promise<Target> {
  const sdir = join(dir, `sylk-${index}`);
  const dbPath = join(sdir, 'journal.sqlite');
  mkdirSync(sdir);
  writeFileSync(
    join(sdir, 'config.ini'),
    `[Server]\ndefault_application = webrtcgateway\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port =\nlocal_tls_port =\ntrusted_peers = 127.0.0.1\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n`,
  );
  writeFileSync(
    join(sdir, 'webrtcgateway.ini'),
    `[General]\nhttp_management_interface = 127.0.0.1:0\n[FileStorage]\nstorage_dir = ${sdir}\n[Storage]\nbackend = sqlite\nsqlite_path = ${dbPath}\n`,
  );
  {
    const store = await openStore({ engine: 'sqlite', path: dbPath });
    for (const u of users) await store.addAccount(`${u}@example.com`);
    await store.close();
  }
  // The V8 flags of `npm run sylk-server`, so the bench runs what ships.
  const flags = nodeFlags !== undefined ? nodeFlags.split(' ').filter(Boolean) : daemonNodeFlags();
  const entry = fileURLToPath(repoFileUrl('src/cli/sylk-server.ts'));
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', entry, '--config-dir', sdir], {
    cwd: fileURLToPath(repoFileUrl('.')),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SYLK_LOG_FORMAT: 'json', SYLK_SYSTEM_CONFIG_DIR: '', SYLK_USER_CONFIG_DIR: '' },
  });
  const out = logOf(child);
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sylk-server did not start:\n${out()}`)), 60_000);
    const timer = setInterval(() => {
      const m = /"sip":\{"udp":(\d+)/.exec(out());
      if (m) {
        clearTimeout(t);
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 50);
  });
  return {
    name: `sylk-server #${index} (${flags.join(' ') || 'no flags'})`,
    port,
    pids: () => [child.pid!],
    eventLoop: true,
    async stored() {
      const db = new Database(dbPath, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    stop: () => stopChild(child),
  };
}

/** Kamailio 5.6 + msilo on a fresh SQLite database in WAL mode. */
async function startKamailio(): Promise<Target> {
  const kdir = mkdtempSync(join(dir, 'kamailio-'));
  const dbPath = join(kdir, 'msilo.sqlite');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  for (const f of ['standard-create.sql', 'msilo-create.sql']) db.exec(readFileSync(`/usr/share/kamailio/db_sqlite/${f}`, 'utf8'));
  db.close();
  const port = await freeUdpPort();
  const child = spawn(
    'kamailio',
    ['-f', KAMAILIO_CFG, '-DD', '-E', '-m', '256', '-M', '16', '-Y', kdir, '-w', kdir, '-l', `udp:127.0.0.1:${port}`, '-A', `DBURL="sqlite:///${dbPath}"`, '-A', `CHILDREN=${KAMAILIO_CHILDREN}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = logOf(child);
  const deadline = Date.now() + 15_000;
  while (!/Listening on/.test(out()) || !/udp: 127\.0\.0\.1/.test(out())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kamailio did not start:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  return {
    name: `Kamailio ${KAMAILIO_CHILDREN} worker(s) + msilo (SQLite WAL)`,
    port,
    pids: () => [child.pid!, ...childrenOf(child.pid!)],
    eventLoop: false,
    async stored() {
      const d = new Database(dbPath, { readonly: true });
      try {
        return (d.prepare('SELECT count(*) AS n FROM silo').get() as { n: number }).n;
      } finally {
        d.close();
      }
    },
    stop: () => stopChild(child),
  };
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * utime + stime of the processes, in seconds (clock ticks of 100 Hz); with `thread`, only that
 * thread of the first process (its main thread, the event loop, when `thread` is its pid).
 */
function cpuSeconds(pids: number[], thread = false): number {
  let ticks = 0;
  for (const pid of thread ? pids.slice(0, 1) : pids) {
    try {
      const stat = readFileSync(thread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

interface StepResult {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
  cpuUsPerMsg: number;
  /** The event loop's share (sylk-server; NaN for Kamailio, whose workers are processes). */
  loopUsPerMsg: number;
  /** sipp's MESSAGE retransmissions, and the 100 Trying it received. */
  retrans: number;
  trying: number;
  load: number;
}

/**
 * Waits until the server is idle again (under 10 % of a core over 250 ms, 15 s at most), so that a
 * backlog left by one server's step does not take CPU from the next server's step.
 */
async function settle(target: Target): Promise<void> {
  const until = performance.now() + 15_000;
  for (;;) {
    const before = cpuSeconds(target.pids());
    await new Promise((res) => setTimeout(res, 250));
    if (cpuSeconds(target.pids()) - before < 0.025 || performance.now() > until) return;
  }
}

/**
 * When sipp had made its `made`-th call, in seconds after its start, interpolated between two rows of
 * its statistics file (one a second): if sipp could not keep up with the rate, the offered rate is
 * the calls over that time, not over the step's nominal length.
 */
function sendSeconds(head: string[], rows: string[], made: number): number {
  const iStart = head.indexOf('StartTime');
  const iNow = head.indexOf('CurrentTime');
  const iMade = head.indexOf('OutgoingCall(C)');
  const epoch = (field: string | undefined): number => Number(field?.split('\t').at(-1));
  let prevT = 0;
  let prevN = 0;
  for (const row of rows) {
    const f = row.split(';');
    const t = epoch(f[iNow]) - epoch(f[iStart]);
    const n = Number(f[iMade]);
    if (n >= made) return n === prevN ? t : prevT + ((made - prevN) / (n - prevN)) * (t - prevT);
    prevT = t;
    prevN = n;
  }
  return prevT;
}

const pct = (xs: number[], p: number): number => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!);

async function step(target: Target, rate: number, seconds: number, localPort: number): Promise<StepResult> {
  const sdir = mkdtempSync(join(dir, 'step-'));
  const calls = Math.round(rate * seconds);
  const pids = target.pids();
  const cpu0 = cpuSeconds(pids);
  const loop0 = cpuSeconds(pids, true);
  const t0 = performance.now();
  const child = spawn(
    'sipp',
    [
      '-sf', SCENARIO, '-inf', fieldsCsv, '-i', '127.0.0.1', '-p', String(localPort), '-t', 'u1',
      '-r', String(rate), '-rp', '1000', '-m', String(calls), '-l', String(calls),
      '-recv_timeout', '5000', '-timeout', `${seconds + 30}s`, '-nostdin', '-buff_size', String(8 * 1024 * 1024),
      '-max_recv_loops', '10000', '-max_sched_loops', '10000',
      '-trace_rtt', '-rtt_freq', '1', '-trace_screen', '-trace_stat', '-fd', '1', '-stf', join(sdir, 'stat.csv'),
      `127.0.0.1:${target.port}`,
    ],
    { cwd: sdir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = logOf(child);
  await new Promise((r) => child.once('exit', r));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pids) - cpu0;
  const loop = cpuSeconds(pids, true) - loop0;
  const rttFile = readdirSync(sdir).find((f) => f.endsWith('_rtt.csv'));
  const rows = rttFile ? readFileSync(join(sdir, rttFile), 'utf8').trim().split('\n').slice(1) : [];
  const rtts: number[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const row of rows) {
    const [date, rtt] = row.split(';').map(Number) as [number, number];
    rtts.push(rtt);
    first = Math.min(first, date - rtt);
    last = Math.max(last, date);
  }
  rtts.sort((a, b) => a - b);
  // The last cumulative line of the statistics file: calls made and failed.
  const stat = readFileSync(join(sdir, 'stat.csv'), 'utf8').trim().split('\n');
  const head = stat[0]!.split(';');
  const lastRow = stat.at(-1)!.split(';');
  const col = (name: string): number => Number(lastRow[head.indexOf(name)]);
  const made = col('OutgoingCall(C)');
  const failed = col('FailedCall(C)') + Math.max(0, calls - made);
  const screenFile = readdirSync(sdir).find((f) => f.endsWith('_screen.log'));
  const screen = screenFile ? readFileSync(join(sdir, screenFile), 'utf8') : '';
  const retrans = Number(/MESSAGE -+>\s+B-RTD1\s+\d+\s+(\d+)/.exec(screen)?.[1] ?? NaN);
  const trying = Number(/ 100 <-+\s+(\d+)/.exec(screen)?.[1] ?? NaN);
  if (!rttFile && calls > 0) process.stderr.write(`sipp wrote no response times:\n${out().slice(-2000)}\n`);
  rmSync(sdir, { recursive: true, force: true });
  // Offered: the calls sipp made over the step's length; achieved: 200s over the span from the first
  // request to the last 200 (sipp's own clock, ms).
  const span = rows.length > 1 ? (last - first) / 1000 : elapsed;
  return {
    offered: made / Math.max(seconds, sendSeconds(head, stat.slice(1), made)),
    achieved: rtts.length / Math.max(span, seconds),
    p50: pct(rtts, 0.5),
    p99: pct(rtts, 0.99),
    ok: rtts.length,
    failed,
    cpuUsPerMsg: rtts.length > 0 ? (cpu * 1e6) / rtts.length : NaN,
    retrans,
    trying,
    loopUsPerMsg: rtts.length > 0 && target.eventLoop ? (loop * 1e6) / rtts.length : NaN,
    load: loadavg()[0]!,
  };
}

const COL = 90;
const fmt = (r: StepResult | undefined): string =>
  r === undefined
    ? '—'.padEnd(COL)
    : `${r.achieved.toFixed(0).padStart(6)}/s p50 ${r.p50.toFixed(0).padStart(4)} p99 ${r.p99.toFixed(0).padStart(5)} ms fail ${String(r.failed).padStart(5)} ${r.cpuUsPerMsg.toFixed(0).padStart(4)}/${Number.isNaN(r.loopUsPerMsg) ? '  -' : r.loopUsPerMsg.toFixed(0).padStart(3)} µs rtx ${String(r.retrans).padStart(5)} 100s ${String(r.trying).padStart(5)}`;

const targets: Target[] = [];
const results = new Map<string, StepResult[]>();
const stopped = new Set<string>();
const acked = new Map<string, number>();
try {
  for (const [i, t] of TARGETS.entries()) {
    if (t === 'sylk') targets.push(await startSylk(undefined, i));
    else if (t.startsWith('sylk@')) targets.push(await startSylk(t.slice('sylk@'.length).replaceAll('+', ' '), i));
    else if (t === 'kamailio') targets.push(await startKamailio());
    else throw new Error(`unknown target ${t}`);
  }
  const localPort = await freeUdpPort();
  console.log(`sipp step ramp: MESSAGE over UDP, ${SECONDS} s per step, ${RECIPIENTS} recipients, one store write per MESSAGE before its 200; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`goals: p99 ≤ 20 ms up to 4000/s; ≥ 8000/s sustained without failures. Columns per server: achieved rate, p50, p99, failed calls, server CPU per MESSAGE (all threads / main thread), sipp's retransmissions, 100 Trying received`);
  // Warm-up (JIT, caches), not reported.
  for (const t of targets) acked.set(t.name, (await step(t, 500, 2, localPort)).ok);
  console.log(`${'offered'.padStart(8)}  ${targets.map((t) => t.name.padEnd(COL)).join('  ')}  load`);
  for (const rate of RATES) {
    const row: (StepResult | undefined)[] = [];
    for (const t of targets) {
      if (stopped.has(t.name)) {
        row.push(undefined);
        continue;
      }
      const r = await step(t, rate, SECONDS, localPort);
      row.push(r);
      results.set(t.name, [...(results.get(t.name) ?? []), r]);
      acked.set(t.name, acked.get(t.name)! + r.ok);
      if (r.failed > 0.1 * rate * SECONDS) stopped.add(t.name);
      await settle(t);
    }
    const offered = row.find((r) => r !== undefined)?.offered ?? rate;
    console.log(`${offered.toFixed(0).padStart(6)}/s  ${row.map(fmt).join('  ')}  ${loadavg()[0]!.toFixed(2)}`);
  }
  for (const t of targets) {
    const rs = results.get(t.name) ?? [];
    const upTo4k = rs.filter((r) => r.offered <= 4100);
    const worstP99 = Math.max(...upTo4k.map((r) => r.p99));
    const sustained = Math.max(0, ...rs.filter((r) => r.failed === 0).map((r) => r.achieved));
    console.log(`${t.name}: worst p99 up to 4000/s ${worstP99.toFixed(0)} ms (goal ≤ 20), highest rate without failures ${sustained.toFixed(0)}/s (goal ≥ 8000)`);
  }
} finally {
  for (const t of targets) {
    await t.stop();
    const stored = await t.stored().catch(() => NaN);
    if (acked.has(t.name)) console.log(`${t.name}: ${stored} rows stored for ${acked.get(t.name)!} MESSAGEs answered 200 (warm-up included)`);
  }
  rmSync(dir, { recursive: true, force: true });
}
