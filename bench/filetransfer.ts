/**
 * Benchmark of the HTTP file transfer (issue 13): upload and download throughput on loopback of the
 * real `sylk-server` (child process: streaming to disk with SHA-1, limits, journal entries, notices)
 * beside a plain Node HTTP server writing the same bytes to disk (bench/filetransfer-plain-server.ts,
 * also a child process), in the same run, alternating which goes first, dirty pages flushed before
 * each transfer; goal ≥ 70 % of the plain server. Then the
 * server's RSS during a 1 GiB upload (goal: growth < 50 MiB).
 *
 *   npx tsx bench/filetransfer.ts [MiB per transfer=256] [rounds=3]
 */
import { execFileSync, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/storage/index.js';
import { startSylk } from '../test/helpers/e2e-server.js';
import { startRecorder } from '../test/helpers/sip-recorder.js';

const MIB = 1024 * 1024;
const SIZE = Number(process.argv[2] ?? 256) * MIB;
const ROUNDS = Number(process.argv[3] ?? 3);
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const TOKEN = 'bench-token-0123456789';
const agent = new Agent({ keepAlive: true });
const block = randomBytes(MIB);

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU time (ms) of a process (all threads) and of its main thread (the event loop). */
function cpu(pid: number): { total: number; main: number } {
  const ticks = (path: string): number => {
    const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  };
  return { total: ticks(`/proc/${pid}/stat`) * TICK_MS, main: ticks(`/proc/${pid}/task/${pid}/stat`) * TICK_MS };
}

function rss(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** POST `size` bytes; resolves with the seconds taken. */
function upload(port: number, path: string, size: number, headers: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'Content-Length': size, 'Content-Type': 'video/mp4', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve((performance.now() - t0) / 1000) : reject(new Error(`upload: ${res.statusCode}`))));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const n = Math.min(MIB, size - sent);
        sent += n;
        if (!req.write(n === MIB ? block : block.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** GET `path`; resolves with the seconds taken (and checks the length). */
function download(port: number, path: string, size: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => (n === size ? resolve((performance.now() - t0) / 1000) : reject(new Error(`download: ${n} of ${size} bytes`))));
    })
      .on('error', reject)
      .end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ft-bench-'));
const sqlitePath = join(dir, 'journal.sqlite');
const store = await openStore({ engine: 'sqlite', path: sqlitePath });
await store.addAccount(ALICE);
await store.addAccount(BOB);
await store.setApiToken(ALICE, TOKEN, new Date(Date.now() + 86_400_000));
await store.close();
const sink = await startRecorder(0);
const sylk = await startSylk({
  name: 'ft-bench',
  sipPort: 0,
  proxyPort: sink.port,
  storage: { sqlitePath },
  general: [`file_transfer_dir = ${join(dir, 'files')}`, 'filetransfer_max_size = 4G', 'filetransfer_quota = 0'],
});
const sylkPort = Number(new URL(sylk.httpUrl).port);
const plain = fork(fileURLToPath(new URL('./filetransfer-plain-server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
const { port: plainPort, pid: plainPid } = await new Promise<{ port: number; pid: number }>((r) => plain.once('message', (m) => r(m as { port: number; pid: number })));

const results = { sylkUp: [] as number[], plainUp: [] as number[], sylkDown: [] as number[], plainDown: [] as number[] };
/** CPU ms per GiB, per server and direction: all threads, and the event-loop thread. */
const cost = { sylkUp: [] as number[][], plainUp: [] as number[][], sylkDown: [] as number[][], plainDown: [] as number[][] };
async function measured(key: keyof typeof cost, pid: number, run: () => Promise<number>): Promise<number> {
  const c0 = cpu(pid);
  const seconds = await run();
  const c1 = cpu(pid);
  const perGib = (1024 * MIB) / SIZE;
  cost[key].push([(c1.total - c0.total) * perGib, (c1.main - c0.main) * perGib]);
  return SIZE / MIB / seconds;
}
const auth = { Authorization: `Apikey ${TOKEN}` };
// Warm-up of both.
await upload(sylkPort, `/webrtcgateway/filetransfer/${ALICE}/${BOB}/${randomUUID()}/warm.mp4`, 16 * MIB, auth);
await upload(plainPort, '/warm', 16 * MIB);
/** Flush dirty pages first, so one transfer does not pay for the previous one's writeback. */
const settle = (): void => void execFileSync('sync');
async function sylkRound(r: number): Promise<void> {
  const id = randomUUID();
  settle();
  results.sylkUp.push(await measured('sylkUp', sylk.pid, () => upload(sylkPort, `/webrtcgateway/filetransfer/${ALICE}/${BOB}/${id}/f${r}.mp4`, SIZE, auth)));
  const db = await openStore({ engine: 'sqlite', path: sqlitePath });
  const entry = (await db.query(BOB, { limit: 1000 })).entries.find((e) => e.messageId === id)!;
  await db.close();
  const url = new URL((JSON.parse(entry.content) as { url: string }).url);
  settle();
  results.sylkDown.push(await measured('sylkDown', sylk.pid, () => download(sylkPort, url.pathname, SIZE)));
}
async function plainRound(r: number): Promise<void> {
  settle();
  results.plainUp.push(await measured('plainUp', plainPid, () => upload(plainPort, `/f${r}`, SIZE)));
  settle();
  results.plainDown.push(await measured('plainDown', plainPid, () => download(plainPort, '/', SIZE)));
}
// Alternating which server goes first.
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2 === 0) {
    await sylkRound(r);
    await plainRound(r);
  } else {
    await plainRound(r);
    await sylkRound(r);
  }
}

// RSS during a 1 GiB upload.
settle();
const baseline = rss(sylk.pid);
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, rss(sylk.pid))), 20);
const gibSeconds = await upload(sylkPort, `/webrtcgateway/filetransfer/${ALICE}/${BOB}/${randomUUID()}/gib.mp4`, 1024 * MIB, auth);
clearInterval(sampler);
peak = Math.max(peak, rss(sylk.pid));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const row = (name: string, s: number[], p: number[]): string =>
  `${name.padEnd(9)} sylk-server ${median(s).toFixed(0).padStart(5)} MiB/s   plain node ${median(p).toFixed(0).padStart(5)} MiB/s   ratio ${((100 * median(s)) / median(p)).toFixed(0)} %   (runs: ${s.map((x) => x.toFixed(0)).join(', ')} / ${p.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`file transfer on loopback, ${SIZE / MIB} MiB per transfer, ${ROUNDS} rounds, medians (goal ≥ 70 %):`);
console.log(row('upload', results.sylkUp, results.plainUp));
console.log(row('download', results.sylkDown, results.plainDown));
const cpuRow = (name: string, s: number[][], p: number[][]): string =>
  `${name.padEnd(9)} CPU per GiB: sylk-server ${median(s.map((x) => x[0]!)).toFixed(0)} ms (event loop ${median(s.map((x) => x[1]!)).toFixed(0)} ms)   plain node ${median(p.map((x) => x[0]!)).toFixed(0)} ms (event loop ${median(p.map((x) => x[1]!)).toFixed(0)} ms)`;
console.log(cpuRow('upload', cost.sylkUp, cost.plainUp));
console.log(cpuRow('download', cost.sylkDown, cost.plainDown));
console.log(`load average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${(await import('node:os')).cpus().length} cores)`);
console.log(
  `1 GiB upload: ${(1024 / gibSeconds).toFixed(0)} MiB/s; server RSS baseline ${(baseline / MIB).toFixed(1)} MiB, peak ${(peak / MIB).toFixed(1)} MiB, growth ${((peak - baseline) / MIB).toFixed(1)} MiB (goal < 50)`,
);

plain.send('stop');
await sylk.stop();
await sink.close();
agent.destroy();
rmSync(dir, { recursive: true, force: true });
