/**
 * Fuzzing at scale (issue 15 item 11): mutated inputs through the SIP parser in this process and
 * through the whole running daemon (`sylk-server`, a child process with a real SQLite journal) — SIP
 * over UDP and over TCP, sylkRTC JSON frames over the WebSocket API, raw HTTP requests to the web
 * routes. Every `checkEvery` inputs the daemon must still be alive and answer an OPTIONS (UDP) and
 * `GET /health`; its RSS is sampled. Any exception out of the parser, a daemon exit or a missed
 * liveness check is a failure (with the input that preceded it).
 *
 * Seeds: the RFC 4475 torture messages (`test/fixtures/rfc4475/`, or `SYLK_RFC4475_DIR`), the SIP
 * messages of the sipp scenarios in `test/fixtures/sipp/` (real client traffic, keywords filled in), well-formed MESSAGE/OPTIONS/REGISTER requests of our own,
 * sylkRTC requests of every kind and HTTP requests for every route. Mutations (seeded PRNG, so a run
 * is reproducible with `--seed`): bit flips, byte insert/delete/overwrite with interesting bytes,
 * chunk duplication and removal, splices of two seeds, header-line shuffles, number replacement
 * (0, -1, huge), truncation; JSON inputs also get value/type swaps of their members.
 *
 *   npx tsx scripts/fuzz.ts [--count 1000000] [--seed 1] [--check-every 5000]
 *
 * `runFuzz()` is what `test/fuzz/fuzz.test.ts` runs on a small slice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { parseMessage } from '../src/sip/message/parser.js';
import { StreamFramer } from '../src/sip/transport/framer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ------------------------------------------------------------------------------------------ PRNG

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ----------------------------------------------------------------------------------------- seeds

function rfc4475Dir(): string | null {
  for (const d of [join(ROOT, 'test/fixtures/rfc4475'), process.env.SYLK_RFC4475_DIR ?? '']) {
    if (d && existsSync(d) && readdirSync(d).filter((f) => f.endsWith('.dat')).length >= 40) return d;
  }
  return null;
}

function sippMessages(): Buffer[] {
  const out: Buffer[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (name.name.endsWith('.xml')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/<send[^>]*>\s*<!\[CDATA\[([\s\S]*?)\]\]>/g)) {
          const lines = m[1]!.split('\n').map((l) => l.trim());
          while (lines.length > 0 && lines[0] === '') lines.shift();
          const blank = lines.indexOf('');
          const head = blank < 0 ? lines : lines.slice(0, blank);
          const body = blank < 0 ? '' : lines.slice(blank + 1).join('\r\n').trim();
          const fill = (s: string): string =>
            s
              .replace(/\[transport\]/g, 'UDP')
              .replace(/\[local_ip\]|\[remote_ip\]/g, '127.0.0.1')
              .replace(/\[local_port\]|\[remote_port\]/g, '5060')
              .replace(/\[branch\]/g, 'z9hG4bKfuzz')
              .replace(/\[call_id\]/g, 'fuzz-call@127.0.0.1')
              .replace(/\[len\]/g, String(Buffer.byteLength(body)))
              .replace(/\[[a-z_0-9:.-]+\]/gi, '1');
          out.push(Buffer.from(`${head.map(fill).join('\r\n')}\r\n\r\n${fill(body)}`));
        }
      }
    }
  };
  const dir = join(ROOT, 'test/fixtures/sipp');
  if (existsSync(dir)) walk(dir);
  return out;
}

function ownSipSeeds(): Buffer[] {
  const cpim = [
    'From: <sip:alice@example.com>',
    'To: <sip:bob@example.com>',
    'DateTime: 2024-05-01T10:00:00.000Z',
    'NS: imdn <urn:ietf:params:imdn>',
    'imdn.Message-ID: fuzz-1',
    'imdn.Disposition-Notification: positive-delivery, display',
    '',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'hello ☕',
  ].join('\r\n');
  const imdn =
    '<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>fuzz-1</message-id><datetime>2024-05-01T10:00:00Z</datetime>' +
    '<display-notification><status><displayed/></status></display-notification></imdn>';
  const req = (method: string, ctype: string | null, body: string, extra = ''): Buffer =>
    Buffer.from(
      `${method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKseed;rport\r\nMax-Forwards: 70\r\n` +
        `From: "Alice" <sip:alice@example.com>;tag=seed\r\nTo: <sip:bob@example.com>\r\nCall-ID: seed@127.0.0.1\r\nCSeq: 1 ${method}\r\n${extra}` +
        (ctype ? `Content-Type: ${ctype}\r\n` : '') +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  return [
    req('MESSAGE', 'message/cpim', cpim, 'X-Sylk-App: webrtcgateway\r\n'),
    req('MESSAGE', 'message/cpim', cpim.replace('text/plain; charset=utf-8', 'message/imdn+xml').replace('hello ☕', imdn), 'X-Sylk-App: webrtcgateway\r\n'),
    req('MESSAGE', 'text/plain', 'plain hello', 'X-Sylk-App: webrtcgateway\r\nX-Sylk-From-Sip: yes\r\n'),
    req('MESSAGE', 'application/sylk-api-token', '', 'X-Sylk-App: webrtcgateway\r\n'),
    req('MESSAGE', 'application/sylk-api-message-remove', 'fuzz-1', 'X-Sylk-App: webrtcgateway\r\n'),
    req('OPTIONS', null, ''),
    req('REGISTER', null, '', 'Contact: <sip:alice@127.0.0.1:5060>;expires=60\r\n'),
    req('INVITE', 'application/sdp', 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n'),
  ];
}

function jsonSeeds(): string[] {
  const a = 'alice@example.com';
  const reqs: Array<Record<string, unknown>> = [
    { sylkrtc: 'ping' },
    { sylkrtc: 'account-add', account: a, password: 'secret', display_name: 'Alice', user_agent: 'fuzz', incoming_header_prefixes: ['X-'] },
    { sylkrtc: 'account-register', account: a },
    { sylkrtc: 'account-unregister', account: a },
    { sylkrtc: 'account-remove', account: a },
    { sylkrtc: 'account-devicetoken', account: a, token: 'tok', platform: 'android', device: 'd1', silent: true, app: 'com.agprojects.sylk' },
    { sylkrtc: 'account-message', account: a, uri: 'bob@example.com', message_id: 'm1', content: 'hi', content_type: 'text/plain', timestamp: '2024-05-01T10:00:00.000Z' },
    { sylkrtc: 'account-disposition-notification', account: a, uri: 'bob@example.com', message_id: 'm1', state: 'displayed', timestamp: '2024-05-01T10:00:00.000Z' },
    { sylkrtc: 'account-sync-conversations', account: a, message_id: null, since: '2024-05-01T10:00:00.000Z', limit: 10 },
    { sylkrtc: 'account-mark-conversation-read', account: a, contact: 'bob@example.com' },
    { sylkrtc: 'account-remove-message', account: a, message_id: 'm1', contact: 'bob@example.com' },
    { sylkrtc: 'account-remove-conversation', account: a, contact: 'bob@example.com' },
    { sylkrtc: 'account-fetch-addressbook', account: a },
    {
      sylkrtc: 'account-update-addressbook',
      account: a,
      action: 'add',
      type: 'contact',
      data: { id: 'c1', name: 'Bob', uris: [{ id: 'u1', uri: 'sip:bob@example.com' }], dialog: { policy: 'allow', subscribe: true }, presence: { policy: 'allow', subscribe: false } },
    },
    { sylkrtc: 'lookup-public-key', uri: 'bob@example.com' },
    { sylkrtc: 'session-create', account: a, session: 's1', uri: 'bob@example.com', sdp: 'v=0' },
  ];
  return reqs.map((r, i) => JSON.stringify({ ...r, transaction: `t${i}` }));
}

function httpSeeds(): string[] {
  const h = (line: string, extra = ''): string => `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fuzz\r\nAccept: */*\r\n${extra}Connection: close\r\n\r\n`;
  return [
    h('GET /'),
    h('GET /health'),
    h('GET /metrics'),
    h('GET /webrtcgateway/messages/history/alice@example.com'),
    h('GET /webrtcgateway/messages/history/alice@example.com/m1?limit=10', 'Authorization: Bearer abcdef\r\n'),
    h('OPTIONS /webrtcgateway/messages/history/alice@example.com', 'Origin: https://example.com\r\nAccess-Control-Request-Method: GET\r\n'),
    h('GET /webrtcgateway/ws', 'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sylkRTC-2\r\n'),
    `POST /webrtcgateway/messages/history/alice@example.com HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{"limit": 10}`,
  ];
}

// ------------------------------------------------------------------------------------- mutations

const INTERESTING = [0x00, 0x0a, 0x0d, 0x20, 0x22, 0x25, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x40, 0x5c, 0x7f, 0x80, 0xc0, 0xff];
const NUMBERS = ['0', '-1', '4294967296', '99999999999999999999', '1e9', '65536', '2147483648', ''];

export function mutate(seed: Buffer, rnd: () => number, other: Buffer): Buffer {
  let b = Buffer.from(seed);
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(rnd() * (b.length + 1));
    switch (Math.floor(rnd() * 10)) {
      case 0: // bit flip
        if (b.length > 0) b[pos % b.length]! ^= 1 << Math.floor(rnd() * 8);
        break;
      case 1: // insert an interesting byte
        b = Buffer.concat([b.subarray(0, pos), Buffer.from([INTERESTING[Math.floor(rnd() * INTERESTING.length)]!]), b.subarray(pos)]);
        break;
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1 + Math.floor(rnd() * 16))]);
        break;
      case 3: // duplicate a chunk (repeated headers, long values)
        {
          const len = Math.floor(rnd() * 64);
          const chunk = b.subarray(pos, pos + len);
          const times = 1 + Math.floor(rnd() * (rnd() < 0.1 ? 200 : 3));
          b = Buffer.concat([b.subarray(0, pos), ...Array<Buffer>(times).fill(chunk), b.subarray(pos)]);
        }
        break;
      case 4: // splice with another seed
        {
          const at = Math.floor(rnd() * (other.length + 1));
          b = Buffer.concat([b.subarray(0, pos), other.subarray(at)]);
        }
        break;
      case 5: // replace a number
        {
          const text = b.toString('latin1');
          const nums = [...text.matchAll(/\d+/g)];
          if (nums.length > 0) {
            const m = nums[Math.floor(rnd() * nums.length)]!;
            const rep = NUMBERS[Math.floor(rnd() * NUMBERS.length)]!;
            b = Buffer.from(text.slice(0, m.index) + rep + text.slice(m.index! + m[0].length), 'latin1');
          }
        }
        break;
      case 6: // shuffle two lines
        {
          const lines = b.toString('latin1').split('\r\n');
          if (lines.length > 2) {
            const i = Math.floor(rnd() * lines.length);
            const j = Math.floor(rnd() * lines.length);
            [lines[i], lines[j]] = [lines[j]!, lines[i]!];
            b = Buffer.from(lines.join('\r\n'), 'latin1');
          }
        }
        break;
      case 7: // truncate
        b = b.subarray(0, pos);
        break;
      case 8: // overwrite with random bytes
        for (let i = 0; i < 1 + Math.floor(rnd() * 8) && b.length > 0; i++) b[(pos + i) % b.length] = Math.floor(rnd() * 256);
        break;
      default: // swap CRLF for LF or CR somewhere
        {
          const text = b.toString('latin1');
          const idx = text.indexOf('\r\n', pos);
          if (idx >= 0) b = Buffer.from(text.slice(0, idx) + (rnd() < 0.5 ? '\n' : '\r') + text.slice(idx + 2), 'latin1');
        }
    }
  }
  return b;
}

const JSON_VALUES: unknown[] = [null, true, 0, -1, 1e308, '', 'x'.repeat(5000), [], {}, [1, 'a'], { sylkrtc: 'ping' }, '\u0000\r\n', 'sip:', '@', 'a@b'];

/** A JSON input: structural mutation of a parsed seed half of the time, byte mutation otherwise. */
export function mutateJson(seed: string, rnd: () => number, other: string): string {
  if (rnd() < 0.5) return mutate(Buffer.from(seed), rnd, Buffer.from(other)).toString('utf8');
  const obj = JSON.parse(seed) as Record<string, unknown>;
  const keys = Object.keys(obj);
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const k = keys[Math.floor(rnd() * keys.length)]!;
    const r = rnd();
    if (r < 0.2) delete obj[k];
    else if (r < 0.9) obj[k] = JSON_VALUES[Math.floor(rnd() * JSON_VALUES.length)];
    else obj[`extra${i}`] = JSON_VALUES[Math.floor(rnd() * JSON_VALUES.length)];
  }
  return JSON.stringify(obj);
}

// ----------------------------------------------------------------------------------------- daemon

interface Daemon {
  child: ChildProcess;
  sipPort: number;
  httpPort: number;
  exited: () => string | null;
  rssMiB: () => number;
  log: () => string;
  stop: () => Promise<void>;
}

async function startDaemon(): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-fuzz-'));
  writeFileSync(
    join(dir, 'config.ini'),
    '[Server]\ndefault_application = webrtcgateway\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port = 0\nlocal_tls_port =\ntrusted_peers = 127.0.0.1\n' +
      'max_connections_per_address = 1000\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n',
  );
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    `[General]\nhttp_management_interface = 127.0.0.1:0\nwebsocket_max_connections_per_address = 1000\n[FileStorage]\nstorage_dir = ${dir}\n[Storage]\nbackend = sqlite\nsqlite_path = ${join(dir, 'journal.sqlite')}\n`,
  );
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', join(ROOT, 'src/cli/sylk-server.ts'), '--config-dir', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_TEST_CONTEXT: '', SYLK_LOG_LEVEL: 'info', SYLK_SYSTEM_CONFIG_DIR: '', SYLK_USER_CONFIG_DIR: '' },
  });
  let tail = '';
  const keep = (d: Buffer): void => {
    tail = (tail + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exit: string | null = null;
  child.on('exit', (code, signal) => (exit = `exit code ${code} signal ${signal}`));
  // The ports come from the "sylk-server started" log line (info level).
  const ports = await new Promise<{ sip: number; http: number }>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const m = /"web":"http:\/\/127\.0\.0\.1:(\d+)","sip":\{"udp":(\d+),"tcp":(\d+)/.exec(tail);
      if (m) {
        clearInterval(iv);
        resolve({ http: Number(m[1]), sip: Number(m[2]) });
      } else if (exit !== null || Date.now() - t0 > 60_000) {
        clearInterval(iv);
        reject(new Error(`daemon did not start (${exit ?? 'timeout'}):\n${tail}`));
      }
    }, 50);
  });
  return {
    child,
    sipPort: ports.sip,
    httpPort: ports.http,
    exited: () => exit,
    log: () => tail,
    rssMiB: () => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : 0;
      } catch {
        return 0;
      }
    },
    stop: async () => {
      if (exit === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------------- run

export interface FuzzOptions {
  count: number;
  seed?: number;
  checkEvery?: number;
  /** Progress lines (the CLI prints them). */
  progress?: (line: string) => void;
}

export interface FuzzResult {
  inputs: number;
  byTarget: Record<string, number>;
  parserExceptions: string[];
  daemonFailures: string[];
  livenessChecks: number;
  rssStartMiB: number;
  rssMaxMiB: number;
  rssEndMiB: number;
  seconds: number;
  seeds: { sip: number; json: number; http: number };
}

/** Share of the inputs per target (sums to 1). */
const SHARES: Array<[string, number]> = [
  ['parser', 0.4],
  ['sip-udp', 0.3],
  ['sip-tcp', 0.1],
  ['sylkrtc-json', 0.15],
  ['http', 0.05],
];

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const rnd = prng(options.seed ?? 1);
  const dir = rfc4475Dir();
  const sipSeeds = [...(dir ? readdirSync(dir).filter((f) => f.endsWith('.dat')).sort().map((f) => readFileSync(join(dir, f))) : []), ...sippMessages(), ...ownSipSeeds()];
  const json = jsonSeeds();
  const http = httpSeeds();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const checkEvery = options.checkEvery ?? 5000;
  const t0 = Date.now();
  const byTarget: Record<string, number> = Object.fromEntries(SHARES.map(([k]) => [k, 0]));
  const parserExceptions: string[] = [];
  const daemonFailures: string[] = [];
  const daemon = await startDaemon();
  const rssStart = daemon.rssMiB();
  let rssMax = rssStart;
  let checks = 0;

  const udp: UdpSocket = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  udp.on('message', () => undefined);
  const tcp: Socket[] = [];
  const tcpConn = (i: number): Socket => {
    const s = tcp[i];
    if (s && !s.destroyed) return s;
    const c = connect({ host: '127.0.0.1', port: daemon.sipPort });
    c.on('error', () => undefined);
    c.on('data', () => undefined);
    tcp[i] = c;
    return c;
  };
  const wsUrl = `ws://127.0.0.1:${daemon.httpPort}/webrtcgateway/ws`;
  const wss: Array<WebSocket | undefined> = [];
  const wsConn = async (i: number): Promise<WebSocket> => {
    const w = wss[i];
    if (w && w.readyState === WebSocket.OPEN) return w;
    const c = new WebSocket(wsUrl, 'sylkRTC-2');
    c.on('error', () => undefined);
    c.on('message', () => undefined);
    wss[i] = c;
    await new Promise<void>((resolve) => {
      c.once('open', () => resolve());
      c.once('close', () => resolve());
    });
    return c;
  };

  const options200 = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = createSocket('udp4');
      const id = `live-${checks}-${Date.now()}`;
      const timer = setTimeout(() => {
        s.close();
        resolve(false);
      }, 10_000);
      s.on('message', (m) => {
        if (m.toString('latin1').includes(id) && / 200 /.test(m.subarray(0, 16).toString('latin1'))) {
          clearTimeout(timer);
          s.close();
          resolve(true);
        }
      });
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.send(
          `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${p};branch=z9hG4bK${id};rport\r\nMax-Forwards: 70\r\nFrom: <sip:m@example.com>;tag=${id}\r\n` +
            `To: <sip:127.0.0.1>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
          daemon.sipPort,
          '127.0.0.1',
        );
      });
    });
  const live = async (last: string): Promise<void> => {
    checks++;
    rssMax = Math.max(rssMax, daemon.rssMiB());
    const exited = daemon.exited();
    if (exited !== null) throw new Error(`daemon died (${exited}) after input ${JSON.stringify(last.slice(0, 400))}:\n${daemon.log().slice(-4000)}`);
    const ok = await options200();
    let health: number;
    try {
      health = (await fetch(`http://127.0.0.1:${daemon.httpPort}/health`, { signal: AbortSignal.timeout(10_000) })).status;
    } catch {
      health = 0;
    }
    if (!ok || health !== 200) daemonFailures.push(`liveness check ${checks}: OPTIONS ${ok ? 200 : 'no answer'}, /health ${health}; last input ${JSON.stringify(last.slice(0, 200))}`);
  };

  let last = '';
  try {
    for (let i = 0; i < options.count; i++) {
      let r = rnd();
      let target = SHARES[SHARES.length - 1]![0];
      for (const [k, share] of SHARES) {
        if (r < share) {
          target = k;
          break;
        }
        r -= share;
      }
      byTarget[target]!++;
      if (target === 'parser') {
        const input = mutate(pick(sipSeeds), rnd, pick(sipSeeds));
        last = input.toString('latin1');
        try {
          parseMessage(input);
          const framer = new StreamFramer();
          const cut = Math.floor(rnd() * (input.length + 1));
          framer.push(input.subarray(0, cut));
          framer.push(input.subarray(cut));
        } catch (err) {
          parserExceptions.push(`${(err as Error).stack ?? String(err)} for ${JSON.stringify(last.slice(0, 300))}`);
        }
      } else if (target === 'sip-udp') {
        const input = mutate(pick(sipSeeds), rnd, pick(sipSeeds)).subarray(0, 65_000);
        last = input.toString('latin1');
        udp.send(input, daemon.sipPort, '127.0.0.1');
      } else if (target === 'sip-tcp') {
        const input = mutate(pick(sipSeeds), rnd, pick(sipSeeds));
        last = input.toString('latin1');
        const c = tcpConn(Math.floor(rnd() * 8));
        if (c.writableLength < 1_000_000) c.write(input);
      } else if (target === 'sylkrtc-json') {
        const input = mutateJson(pick(json), rnd, pick(json));
        last = input;
        const c = await wsConn(Math.floor(rnd() * 8));
        if (c.readyState === WebSocket.OPEN && c.bufferedAmount < 1_000_000) c.send(rnd() < 0.02 ? Buffer.from(input) : input, { binary: false });
      } else {
        const input = mutate(Buffer.from(pick(http)), rnd, Buffer.from(pick(http)));
        last = input.toString('latin1');
        const s = connect({ host: '127.0.0.1', port: daemon.httpPort });
        s.on('error', () => undefined);
        s.on('data', () => undefined);
        s.setTimeout(2000, () => s.destroy());
        s.end(input);
      }
      // Let the daemon keep up: a bounded amount in flight between yields.
      if (i % 50 === 49) await new Promise((r2) => setTimeout(r2, target === 'parser' ? 0 : 2));
      if ((i + 1) % checkEvery === 0) {
        await live(last);
        options.progress?.(`${i + 1} inputs, ${((Date.now() - t0) / 1000).toFixed(0)} s, daemon RSS ${daemon.rssMiB().toFixed(0)} MiB (max ${rssMax.toFixed(0)}), failures ${parserExceptions.length + daemonFailures.length}`);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    await live(last);
  } catch (err) {
    daemonFailures.push((err as Error).message);
  } finally {
    udp.close();
    for (const s of tcp) s?.destroy();
    for (const w of wss) w?.terminate();
  }
  const rssEnd = daemon.rssMiB();
  await daemon.stop();
  return {
    inputs: options.count,
    byTarget,
    parserExceptions,
    daemonFailures,
    livenessChecks: checks,
    rssStartMiB: Math.round(rssStart),
    rssMaxMiB: Math.round(rssMax),
    rssEndMiB: Math.round(rssEnd),
    seconds: Math.round((Date.now() - t0) / 1000),
    seeds: { sip: sipSeeds.length, json: json.length, http: http.length },
  };
}

// ------------------------------------------------------------------------------------------- CLI

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, def: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
  };
  const result = await runFuzz({
    count: Number(arg('count', '1000000')),
    seed: Number(arg('seed', '1')),
    checkEvery: Number(arg('check-every', '5000')),
    progress: (l) => console.log(l),
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(result.parserExceptions.length + result.daemonFailures.length === 0 ? 0 : 1);
}
