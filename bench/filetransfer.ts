/**
 * Benchmark of the HTTP file transfer (issue 13): upload and download throughput on loopback of the
 * real `sylk-server` (child process: streaming to disk with SHA-1, limits, journal entries, notices)
 * beside a plain Node HTTP server writing the same bytes to disk (bench/filetransfer-plain-server.ts,
 * also a child process), in the same run, rotating which goes first, dirty pages flushed before
 * each transfer; goal ≥ 70 % of the plain server. A second upload baseline is the plain server that
 * also computes the SHA-1 (on its event loop, the obvious way), to show what the hash alone costs.
 * CPU per GiB is measured per process (all threads, and the event-loop thread). Then the server's RSS
 * during a 1 GiB upload (goal: growth < 50 MiB).
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
function startPlain(args: string[]): Promise<{ child: ReturnType<typeof fork>; port: number; pid: number }> {
  const child = fork(fileURLToPath(new URL('./filetransfer-plain-server.ts', import.meta.url)), args, { execArgv: ['--import', 'tsx'] });
  return new Promise((r) => child.once('message', (m) => r({ child, ...(m as { port: number; pid: number }) })));
}
const plain = await startPlain([]);
const plainSha1 = await startPlain(['sha1']);

const results = { sylkUp: [] as number[], plainUp: [] as number[], sha1Up: [] as number[], sylkDown: [] as number[], plainDown: [] as number[] };
/** CPU ms per GiB, per server and direction: all threads, and the event-loop thread. */
const cost = { sylkUp: [] as number[][], plainUp: [] as number[][], sha1Up: [] as number[][], sylkDown: [] as number[][], plainDown: [] as number[][] };
/** CPU ms per GiB of this process (the load generator, on the same two cores) during the uploads. */
const clientCost: number[] = [];
async function measured(key: keyof typeof cost, pid: number, run: () => Promise<number>): Promise<number> {
  const c0 = cpu(pid);
  const own0 = process.cpuUsage();
  const seconds = await run();
  const c1 = cpu(pid);
  const own = process.cpuUsage(own0);
  const perGib = (1024 * MIB) / SIZE;
  cost[key].push([(c1.total - c0.total) * perGib, (c1.main - c0.main) * perGib]);
  if (key.endsWith('Up')) clientCost.push(((own.user + own.system) / 1000) * perGib);
  return SIZE / MIB / seconds;
}
const auth = { Authorization: `Apikey ${TOKEN}` };
// Warm-up of all three.
await upload(sylkPort, `/webrtcgateway/filetransfer/${ALICE}/${BOB}/${randomUUID()}/warm.mp4`, 16 * MIB, auth);
await upload(plain.port, '/warm', 16 * MIB);
await upload(plainSha1.port, '/warm', 16 * MIB);
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
  results.plainUp.push(await measured('plainUp', plain.pid, () => upload(plain.port, `/f${r}`, SIZE)));
  settle();
  results.plainDown.push(await measured('plainDown', plain.pid, () => download(plain.port, '/', SIZE)));
}
async function sha1Round(r: number): Promise<void> {
  settle();
  results.sha1Up.push(await measured('sha1Up', plainSha1.pid, () => upload(plainSha1.port, `/f${r}`, SIZE)));
}
// Rotating which server goes first.
const order = [sylkRound, plainRound, sha1Round];
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < order.length; i++) await order[(r + i) % order.length]!(r);
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
const runs = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)} %`;
const [up, upPlain, upSha1] = [median(results.sylkUp), median(results.plainUp), median(results.sha1Up)];
const [down, downPlain] = [median(results.sylkDown), median(results.plainDown)];
const cpuOf = (c: number[][]): string => `${median(c.map((x) => x[0]!)).toFixed(0)} ms (event loop ${median(c.map((x) => x[1]!)).toFixed(0)} ms)`;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`file transfer on loopback, ${SIZE / MIB} MiB per transfer, ${ROUNDS} rounds, medians; load average ${load} (${(await import('node:os')).cpus().length} cores)`);
console.log(`goal: sylk-server ≥ 70 % of the plain Node server (upload and download), RSS growth < 50 MiB during a 1 GiB upload`);
console.log(`upload    sylk-server ${up.toFixed(0).padStart(5)} MiB/s = ${pct(up, upPlain)} of plain node ${upPlain.toFixed(0)} MiB/s (goal ≥ 70 %)   runs ${runs(results.sylkUp)} / ${runs(results.plainUp)}`);
console.log(`          second baseline, plain node + SHA-1 on its event loop: ${upSha1.toFixed(0)} MiB/s = ${pct(upSha1, upPlain)} of plain node; sylk-server = ${pct(up, upSha1)} of it   runs ${runs(results.sha1Up)}`);
console.log(`download  sylk-server ${down.toFixed(0).padStart(5)} MiB/s = ${pct(down, downPlain)} of plain node ${downPlain.toFixed(0)} MiB/s (goal ≥ 70 %)   runs ${runs(results.sylkDown)} / ${runs(results.plainDown)}`);
console.log(`upload    CPU per GiB: sylk-server ${cpuOf(cost.sylkUp)}   plain node ${cpuOf(cost.plainUp)}   plain node + SHA-1 ${cpuOf(cost.sha1Up)}`);
console.log(`download  CPU per GiB: sylk-server ${cpuOf(cost.sylkDown)}   plain node ${cpuOf(cost.plainDown)}`);
const cpuTotal = (c: number[][]): number => median(c.map((x) => x[0]!));
console.log(
  `upload    CPU ratio (steadier than wall clock on a shared machine): plain node / sylk-server = ${pct(cpuTotal(cost.plainUp), cpuTotal(cost.sylkUp))}, plain node + SHA-1 / sylk-server = ${pct(cpuTotal(cost.sha1Up), cpuTotal(cost.sylkUp))}`,
);
console.log(`load generator (this process, same cores) CPU per GiB uploaded: ${median(clientCost).toFixed(0)} ms`);
console.log(
  `1 GiB upload: ${(1024 / gibSeconds).toFixed(0)} MiB/s; server RSS baseline ${(baseline / MIB).toFixed(1)} MiB, peak ${(peak / MIB).toFixed(1)} MiB, growth ${((peak - baseline) / MIB).toFixed(1)} MiB (goal < 50)`,
);

plain.child.send('stop');
plainSha1.child.send('stop');
await sylk.stop();
await sink.close();
agent.destroy();
rmSync(dir, { recursive: true, force: true });
