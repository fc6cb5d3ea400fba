/**
 * Overload benchmark (issue 15 item 9): the real daemon (`sylk-server`, a child process, SQLite) gets
 * MESSAGEs over UDP on loopback at a paced rate for a few seconds per phase — the base rate, then
 * several times it — while OPTIONS pings run beside them every 10 ms. Per phase it prints the final
 * statuses (200 / 503 with Retry-After / none), the OPTIONS p50/p99/max, and the daemon's largest RSS;
 * at the end, after stopping the daemon, it checks that every MESSAGE answered 200 is in the journal
 * ("acknowledged lost" must be 0). The generator does not retransmit: a request without an answer
 * within 3 s counts as unanswered.
 *
 *   npx tsx bench/overload.ts [--rate 2000] [--multipliers 1,3,6] [--seconds 5] [--max-pending 2000]
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseMessage } from '../src/sip/message/parser.js';
import { openStore } from '../src/storage/index.js';
import { repoFileUrl } from './repo-path.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const RATE = Number(arg('rate', '2000'));
const MULTIPLIERS = arg('multipliers', '1,3,6').split(',').map(Number);
const SECONDS = Number(arg('seconds', '5'));
const MAX_PENDING = Number(arg('max-pending', '2000'));

const dir = mkdtempSync(join(tmpdir(), 'sylk-overload-'));
const dbPath = join(dir, 'journal.sqlite');
writeFileSync(
  join(dir, 'config.ini'),
  `[Server]\ndefault_application = webrtcgateway\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port =\nlocal_tls_port =\ntrusted_peers = 127.0.0.1\nmax_pending_requests = ${MAX_PENDING}\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n`,
);
writeFileSync(
  join(dir, 'webrtcgateway.ini'),
  `[General]\nhttp_management_interface = 127.0.0.1:0\n[FileStorage]\nstorage_dir = ${dir}\n[Storage]\nbackend = sqlite\nsqlite_path = ${dbPath}\n`,
);
// bob is an account with storage, so every MESSAGE is a journal write.
{
  const store = await openStore({ engine: 'sqlite', path: dbPath });
  await store.addAccount('bob@example.com');
  await store.close();
}

const entry = fileURLToPath(repoFileUrl('src/cli/sylk-server.ts'));
const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', entry, '--config-dir', dir], {
  cwd: fileURLToPath(repoFileUrl('.')),
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, SYLK_LOG_LEVEL: 'info', SYLK_SYSTEM_CONFIG_DIR: '', SYLK_USER_CONFIG_DIR: '' },
});
let out = ''; // the daemon's log until it has started (the start line names the SIP port)
child.stdout.on('data', (d: Buffer) => {
  if (out.length < 1_000_000) out += d.toString();
});
child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
const port = await new Promise<number>((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`daemon did not start:\n${out}`)), 60_000);
  const timer = setInterval(() => {
    const m = /"sip":\{"udp":(\d+)/.exec(out);
    if (m) {
      clearTimeout(t);
      clearInterval(timer);
      resolve(Number(m[1]));
    }
  }, 50);
});

function rssMiB(): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function bind(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.setRecvBufferSize(16 * 1024 * 1024);
  s.setSendBufferSize(16 * 1024 * 1024);
  return s;
}

let seq = 0;
function message(lport: number, id: string): Buffer {
  const body = `From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: ${id}\r\n\r\nContent-Type: text/plain\r\n\r\nload ${id}`;
  return Buffer.from(
    `MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lport};branch=z9hG4bK${id};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:alice@example.com>;tag=${id}\r\nTo: <sip:bob@example.com>\r\nCall-ID: ${id}\r\nCSeq: 1 MESSAGE\r\n` +
      `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const load = await bind();
/**
 * The OPTIONS pinger runs on a thread of its own, so its round-trip times are not delayed by this
 * process parsing the load's responses (plain JavaScript: a regex finds the Call-ID).
 */
const PINGER = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const sock = dgram.createSocket('udp4');
const sent = new Map();
let rtts = [];
let n = 0;
let timer;
sock.on('message', (m) => {
  const id = /\\r\\nCall-ID: (\\S+)\\r\\n/i.exec(m.toString('latin1'));
  const t0 = id && sent.get(id[1]);
  if (t0 !== undefined && / 200 /.test(m.subarray(0, 16).toString('latin1'))) { rtts.push(performance.now() - t0); sent.delete(id[1]); }
});
sock.bind(0, '127.0.0.1', () => parentPort.postMessage({ ready: true }));
parentPort.on('message', (cmd) => {
  if (cmd === 'start') {
    rtts = []; n = 0; sent.clear();
    const lport = sock.address().port;
    timer = setInterval(() => {
      const id = 'ping-' + (n++) + '-' + Math.random().toString(36).slice(2);
      sent.set(id, performance.now());
      sock.send(Buffer.from('OPTIONS sip:127.0.0.1 SIP/2.0\\r\\nVia: SIP/2.0/UDP 127.0.0.1:' + lport + ';branch=z9hG4bK' + id + ';rport\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:monitor@example.com>;tag=' + id + '\\r\\nTo: <sip:127.0.0.1>\\r\\nCall-ID: ' + id + '\\r\\nCSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n'), workerData.port, '127.0.0.1');
    }, 10);
  } else if (cmd === 'stop') {
    clearInterval(timer);
    parentPort.postMessage({ rtts, sent: n });
  } else if (cmd === 'exit') { sock.close(); process.exit(0); }
});
`;
const pinger = new Worker(PINGER, { eval: true, workerData: { port } });
await new Promise((r) => pinger.once('message', r));
const pingResult = (): Promise<{ rtts: number[]; sent: number }> =>
  new Promise((resolve) => {
    pinger.once('message', resolve);
    pinger.postMessage('stop');
  });
const finals = new Map<string, number>();
const retryAfter = new Set<string>();
load.on('message', (m) => {
  const r = parseMessage(m);
  if (!r.ok || r.message.kind !== 'response' || r.message.status < 200) return;
  const id = r.message.headers.get('call-id')!;
  finals.set(id, r.message.status);
  if (r.message.status === 503 && r.message.headers.has('retry-after')) retryAfter.add(id);
});

const pct = (xs: number[], p: number): number => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!);
const rows: string[] = [];
const allIds: string[] = [];
for (const mult of MULTIPLIERS) {
  const rate = RATE * mult;
  const ids: string[] = [];
  let maxRss = 0;
  const t0 = performance.now();
  pinger.postMessage('start');
  const rss = setInterval(() => (maxRss = Math.max(maxRss, rssMiB())), 100);
  let sent = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    for (; sent < due; sent++) {
      const id = `m${mult}x${seq++}`;
      ids.push(id);
      load.send(message(load.address().port, id), port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const { rtts, sent: pings } = await pingResult();
  await new Promise((r) => setTimeout(r, 3000));
  clearInterval(rss);
  maxRss = Math.max(maxRss, rssMiB());
  const n200 = ids.filter((i) => finals.get(i) === 200).length;
  const n503 = ids.filter((i) => finals.get(i) === 503).length;
  const nRa = ids.filter((i) => retryAfter.has(i)).length;
  const none = ids.length - ids.filter((i) => finals.has(i)).length;
  rtts.sort((a, b) => a - b);
  rows.push(
    `${String(mult).padStart(3)}x ${String(rate).padStart(6)}/s  sent ${String(ids.length).padStart(6)}  200 ${String(n200).padStart(6)} (${(n200 / SECONDS).toFixed(0)}/s)  503 ${String(n503).padStart(6)} (Retry-After ${nRa})  unanswered ${String(none).padStart(5)}  ` +
      `OPTIONS ${rtts.length}/${pings} p50 ${pct(rtts, 0.5).toFixed(1)} p99 ${pct(rtts, 0.99).toFixed(1)} max ${(rtts.at(-1) ?? NaN).toFixed(1)} ms  RSS max ${maxRss.toFixed(0)} MiB`,
  );
  console.log(rows.at(-1));
  allIds.push(...ids);
}

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
const store = await openStore({ engine: 'sqlite', path: dbPath });
let lost = 0;
let acked = 0;
for (const id of allIds) {
  if (finals.get(id) !== 200) continue;
  acked++;
  if ((await store.getEntry('bob@example.com', id)) === null) lost++;
}
await store.close();
load.close();
pinger.postMessage('exit');
rmSync(dir, { recursive: true, force: true });
console.log(`acknowledged ${acked}, acknowledged but not in the journal: ${lost}`);
