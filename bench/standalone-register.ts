/**
 * Benchmark: REGISTER with digest per second in standalone mode (`standalone.md` §3), on SQLite (or
 * PostgreSQL with `SYLK_BENCH_PG_URL`). The real sipp (`test/fixtures/sipp/standalone/register-auth.xml`)
 * registers over UDP at a fixed call rate: each call is REGISTER → 401 challenge → REGISTER with
 * credentials (MD5, qop=auth, a fresh nonce) → 200 after the binding is written to the store. One
 * account, one contact (sipp 3.6 takes digest credentials only from -au/-ap), so every call rewrites
 * the same binding row: the cost measured is the registrar's (two transactions, two digest
 * computations, a nonce check, an account read, a binding upsert and a binding list per call).
 *
 *   npx tsx bench/standalone-register.ts [rate=5000] [seconds=10]
 *
 * Baseline in the same run: the same sipp client against sipp itself playing the registrar
 * (`bench/sipp/register-uas.xml`: a fixed 401 then 200, nothing checked or stored) — what this
 * machine's loopback and sipp allow at that rate.
 *
 * Prints, for both, the calls completed per second and failures (goal ≥ 5k/s on SQLite), and the
 * server's CPU time per call (both REGISTERs), the figure that carries over from a loaded machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort } from '../test/helpers/free-port.js';
import { startStandalone } from '../test/helpers/standalone.js';

process.env.SYLK_LOG_LEVEL ??= 'warn';
const rate = Number(process.argv[2] ?? 5000);
const seconds = Number(process.argv[3] ?? 10);
const scenario = fileURLToPath(new URL('../test/fixtures/sipp/standalone/register-auth.xml', import.meta.url));

interface Run {
  successful: number;
  failed: number;
  retransmissions: number;
  seconds: number;
  perSecond: number;
  output: string;
}

/** Run the sipp client against `target` at the offered rate; parse its final statistics. */
async function runClient(target: string, dir: string): Promise<Run> {
  const total = rate * seconds;
  const args = ['-sf', scenario, '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-t', 'u1', '-r', String(rate), '-rp', '1000', '-m', String(total), '-l', String(Math.max(1000, rate)), '-inf', join(dir, 'f.csv'), '-au', 'bench', '-ap', 'bench-password', '-nostdin', '-timeout', `${seconds * 3 + 30}s`, '-recv_timeout', '10000', target];
  const t0 = performance.now();
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((r) => child.once('exit', r));
  const elapsed = (performance.now() - t0) / 1000;
  const stat = (name: string): number => Number(new RegExp(`${name}\\s*\\|[^|]*\\|\\s*([^\\s|]+)`).exec(out)?.[1] ?? 0);
  const retrans = [...out.matchAll(/REGISTER ---------->\s+\d+\s+(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const successful = stat('Successful call');
  return { successful, failed: stat('Failed call'), retransmissions: retrans, seconds: Number(elapsed.toFixed(2)), perSecond: Math.round(successful / elapsed), output: out };
}

const dir = mkdtempSync(join(tmpdir(), 'sylk-bench-sipp-'));
writeFileSync(join(dir, 'f.csv'), 'SEQUENTIAL\nbench;example.com\n');
const show = (r: Run): Omit<Run, 'output'> => ({ successful: r.successful, failed: r.failed, retransmissions: r.retransmissions, seconds: r.seconds, perSecond: r.perSecond });

// Baseline: sipp answering itself.
const uasPort = await freeUdpPort();
const uas = spawn('sipp', ['-sf', fileURLToPath(new URL('./sipp/register-uas.xml', import.meta.url)), '-i', '127.0.0.1', '-p', String(uasPort), '-t', 'u1', '-nostdin'], { cwd: dir, stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));
const baseline = await runClient(`127.0.0.1:${uasPort}`, dir);
uas.kill('SIGTERM');
await new Promise((r) => uas.once('exit', r));

const srv = await startStandalone({ name: 'bench', ...(process.env.SYLK_BENCH_PG_URL ? { postgresUrl: process.env.SYLK_BENCH_PG_URL } : {}) });
await srv.addAccount('bench@example.com', 'bench-password');
const cpu0 = process.cpuUsage();
const run = await runClient(`127.0.0.1:${srv.udpPort}`, dir);
const cpu = process.cpuUsage(cpu0);
const bindings = await srv.server.store.registrations!.listBindings('bench@example.com', new Date());
console.log(
  JSON.stringify({
    offeredRate: rate,
    calls: rate * seconds,
    baseline: show(baseline),
    sylk: { engine: srv.server.store.engine, ...show(run), serverCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / run.seconds) * 100), serverCpuUsPerRegister: Math.round((cpu.user + cpu.system) / Math.max(1, run.successful)), bindings: bindings.length },
  }),
);
if (run.failed > 0 || run.successful === 0 || process.env.SYLK_BENCH_VERBOSE) console.log(run.output.slice(-2500));
rmSync(dir, { recursive: true, force: true });
await srv.stop();
