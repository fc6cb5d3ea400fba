/**
 * First sync of a large account (issue 17 goal: under 1 s server side for 100,000 entries): the whole
 * journal of one account fetched from scratch, to the last byte, the two ways clients do it —
 *   1. `account-sync-conversations` over the sylkRTC WebSocket (`sylkrtc-websocket.md` §5.3, §7.3),
 *      paged as the apps page (no cursor, then the last id of each batch until `[]`);
 *   2. the HTTP history (`http-api.md` §2), `GET …/history/{account}` then the `Link: rel="next"` page
 *      until `"more": false`.
 * The server (real store, messaging service, web server, sylkRTC gateway, history routes) runs in this
 * process; the client runs in a child process and does as little as it can with the bytes (the next
 * cursor is read from the end of the frame, not by parsing it), so the time is the server's. Each run
 * prints the wall time from the first request to the last byte of the last answer, the server
 * process's CPU time during it, the pages and the largest WebSocket frame (must stay ≤ 1 MiB, §1.7).
 * Baseline in the same run, in the server process: the raw read of the same rows with one SELECT
 * through the driver (`better-sqlite3` / `pg`), and that SELECT plus `JSON.stringify` of the rows.
 *
 *   npx tsx bench/first-sync.ts [--store sqlite|postgres|both] [--entries 100000] [--runs 5] [--content 80]
 *   (postgres: SYLK_TEST_PG_URL, else a durable throw-away server from scripts/services/postgres.mjs)
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ACCOUNT = 'bob@example.com';
const GOAL_MS = 1000;

interface ClientArgs {
  wsUrl: string;
  httpBase: string;
  token: string;
  runs: number;
  password: string;
}

interface RunResult {
  kind: 'ws' | 'http';
  ms: number;
  entries: number;
  pages: number;
  bytes: number;
  maxFrame: number;
}

type ToParent = { type: 'begin' } | { type: 'end'; result: RunResult } | { type: 'done' };

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// ------------------------------------------------------------------------------- client (child)

/** The `message_id` of the last entry of a serialized batch, without parsing it. */
function lastMessageId(frame: string): string | null {
  const k = frame.lastIndexOf('"message_id":"');
  if (k < 0) return null;
  const start = k + 14;
  return JSON.parse(frame.slice(start - 1, frame.indexOf('"', start) + 1)) as string;
}

async function client(a: ClientArgs): Promise<void> {
  const WebSocket = (await import('ws')).default;
  const http = await import('node:http');
  const send = (m: ToParent): void => void process.send!(m);
  const go = (): Promise<void> => new Promise((resolve) => process.once('message', () => resolve()));

  const ws = new WebSocket(a.wsUrl, 'sylkRTC-2', { maxPayload: 1024 * 1024 }); // a Node client's limit (§1.7)
  const waiters = new Set<(s: string) => void>();
  ws.on('message', (d: Buffer) => {
    const s = d.toString('utf8');
    for (const w of [...waiters]) w(s);
  });
  const next = (pred: (s: string) => boolean): Promise<string> =>
    new Promise((resolve) => {
      const w = (s: string): void => {
        if (!pred(s)) return;
        waiters.delete(w);
        resolve(s);
      };
      waiters.add(w);
    });
  await next((s) => s.includes('"ready-event"'));
  const registered = next((s) => s.includes('"registered"'));
  for (const [req, tx] of [
    [{ sylkrtc: 'account-add', account: ACCOUNT, password: a.password, display_name: 'bob' }, 'a'],
    [{ sylkrtc: 'account-register', account: ACCOUNT }, 'r'],
  ] as const) {
    const p = next((s) => s.includes(`"transaction":"${tx}"`));
    ws.send(JSON.stringify({ ...req, transaction: tx }));
    const r = await p;
    if (!r.includes('"ack"')) throw new Error(`${req.sylkrtc}: ${r}`);
  }
  await registered;

  const wsRun = async (): Promise<RunResult> => {
    let cursor: string | null = null;
    let pages = 0;
    let entries = 0;
    let bytes = 0;
    let maxFrame = 0;
    const t0 = performance.now();
    for (;;) {
      const p = next((s) => s.includes('"sync-conversations"') || s.startsWith('{"sylkrtc":"error"'));
      ws.send(JSON.stringify({ sylkrtc: 'account-sync-conversations', account: ACCOUNT, message_id: cursor, transaction: `s${pages}` }));
      const frame = await p;
      if (frame.startsWith('{"sylkrtc":"error"')) throw new Error(frame);
      const size = Buffer.byteLength(frame);
      maxFrame = Math.max(maxFrame, size);
      bytes += size;
      pages++;
      const last = lastMessageId(frame);
      if (last === null) break; // `[]`: the client knows it has everything
      entries += frame.split('"message_id":"').length - 1;
      cursor = last;
    }
    return { kind: 'ws', ms: performance.now() - t0, entries, pages, bytes, maxFrame };
  };

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string): Promise<{ body: string; link: string | undefined }> =>
    new Promise((resolve, reject) => {
      http
        .get(`${a.httpBase}${path}`, { agent, headers: { authorization: `Apikey ${a.token}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`history: HTTP ${res.statusCode}`));
            else resolve({ body: Buffer.concat(chunks).toString('utf8'), link: res.headers.link as string | undefined });
          });
        })
        .on('error', reject);
    });
  const httpRun = async (): Promise<RunResult> => {
    let path: string | null = `/webrtcgateway/messages/history/${ACCOUNT}`;
    let pages = 0;
    let entries = 0;
    let bytes = 0;
    const t0 = performance.now();
    while (path !== null) {
      const { body, link } = await get(path);
      pages++;
      bytes += Buffer.byteLength(body);
      entries += body.split('"message_id":"').length - 1;
      const m = link ? /^<([^>]+)>; rel="next"$/.exec(link) : null;
      path = m ? m[1]! : null;
    }
    return { kind: 'http', ms: performance.now() - t0, entries, pages, bytes, maxFrame: 0 };
  };

  for (const run of [wsRun, httpRun]) {
    await run(); // warm-up, not reported
    for (let i = 0; i < a.runs; i++) {
      send({ type: 'begin' });
      await go();
      send({ type: 'end', result: await run() });
    }
  }
  ws.close();
  send({ type: 'done' });
}

// ------------------------------------------------------------------------------- server side

interface Engine {
  name: string;
  store: import('../src/journal/store.js').JournalStore;
  /** One SELECT of the account's rows through the driver; resolves the rows. */
  rawSelect(): Promise<unknown[]>;
  /** After the fill: what a live server would have done by itself meanwhile (PostgreSQL: autovacuum's ANALYZE). */
  afterFill(): Promise<void>;
  cleanup(): Promise<void>;
}

const COLUMNS = 'seq, account, message_id, created_at, contact, direction, content_type, content, disposition, state, msg_timestamp';

const PG_COLUMNS = COLUMNS.replace(/\b(created_at|msg_timestamp)\b/g, 'floor(extract(epoch FROM $1) * 1000)::float8 AS $1');

async function openEngine(kind: string): Promise<Engine> {
  if (kind === 'sqlite') {
    const { openSqliteStore } = await import('../src/storage/sqlite/index.js');
    const Database = (await import('better-sqlite3')).default;
    const dir = mkdtempSync(join(tmpdir(), 'sylk-first-sync-'));
    const path = join(dir, 'journal.sqlite');
    const store = openSqliteStore({ path, retentionDays: 0 });
    let raw: import('better-sqlite3').Database | null = null;
    return {
      name: 'sqlite',
      store,
      rawSelect: async () => {
        if (!raw) {
          raw = new Database(path, { readonly: true });
          raw.pragma('cache_size = -65536'); // the store's own page cache (connection.ts)
        }
        return raw.prepare(`SELECT ${COLUMNS} FROM entries WHERE account = ? ORDER BY seq`).all(ACCOUNT);
      },
      afterFill: async () => undefined,
      cleanup: async () => {
        raw?.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { openPostgresStore } = await import('../src/storage/postgres/index.js');
  const pg = (await import('pg')).default;
  const { benchPostgres } = await import('./journal-common.js');
  const server = await benchPostgres();
  const url = server.url;
  const schema = `bench_sync_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = await openPostgresStore({ url, schema, retentionDays: 0 });
  const raw = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await raw.connect();
  return {
    name: `postgres (${server.local ? 'local durable server' : 'SYLK_TEST_PG_URL'})`,
    store,
    // The times as epoch milliseconds, as the store reads them (the driver's Date parsing costs more).
    rawSelect: async () => (await raw.query(`SELECT ${PG_COLUMNS} FROM entries WHERE account = $1 ORDER BY seq`, [ACCOUNT])).rows,
    // Autovacuum analyzes a table within a minute of 10 % of it changing; without statistics the
    // planner takes the account's range for a few rows and reads all of it (bitmap scan + sort) per page.
    afterFill: async () => {
      await raw.query('ANALYZE entries');
      await raw.query('ANALYZE message_ids');
    },
    cleanup: async () => {
      await store.close();
      await raw.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await raw.end();
      await server.stop();
    },
  };
}

async function fill(store: Engine['store'], n: number, contentBytes: number): Promise<void> {
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor ünïcödé ✓ '.repeat(
    Math.ceil(contentBytes / 80),
  );
  const start = Date.now() - 365 * 86_400_000;
  const others = Math.round(n / 10); // other accounts' entries in the same store, interleaved
  const batch: import('../src/journal/types.js').NewJournalEntry[] = [];
  for (let i = 0; i < n + others; i++) {
    const mine = i % 11 !== 10;
    const k = i;
    batch.push({
      account: mine ? ACCOUNT : `other${k % 7}@example.com`,
      contact: `contact${k % 100}@example.com`,
      direction: k % 2 ? 'incoming' : 'outgoing',
      contentType: 'text/plain',
      content: `${k} ${text}`.slice(0, contentBytes),
      messageId: randomUUID(),
      disposition: k % 3 ? [] : ['positive-delivery', 'display'],
      state: k % 2 ? 'received' : 'delivered',
      msgTimestamp: new Date(start + k * 300),
      createdAt: new Date(start + k * 300),
    });
    if (batch.length === 5000) await store.addMany(batch.splice(0));
  }
  if (batch.length) await store.addMany(batch.splice(0));
}

async function serve(engineKind: string, n: number, runs: number, contentBytes: number): Promise<void> {
  process.env.SYLK_LOG_LEVEL ??= 'error';
  const { loadConfig } = await import('../src/config/index.js');
  const { createMessaging } = await import('../src/messaging/index.js');
  const { messagingOptionsFromConfig } = await import('../src/cli/server/messaging.js');
  const { SipStack } = await import('../src/sip/stack.js');
  const { createHttpServer } = await import('../src/http/server.js');
  const { registerHistoryRoutes } = await import('../src/http/history.js');
  const { SylkRtcGateway } = await import('../src/sylkrtc/server.js');
  const { LocalCredentialAuthenticator } = await import('../src/sylkrtc/auth.js');
  const { ConnectionRegistry } = await import('../src/sylkrtc/registry.js');
  const { computeHa1 } = await import('../src/sip/digest.js');

  const engine = await openEngine(engineKind);
  const dir = mkdtempSync(join(tmpdir(), 'sylk-first-sync-cfg-'));
  const cleanups: (() => Promise<void> | void)[] = [() => engine.cleanup(), () => rmSync(dir, { recursive: true, force: true })];
  try {
    let t = performance.now();
    const total = n + Math.round(n / 10);
    await fill(engine.store, n, contentBytes);
    await engine.afterFill();
    const count = await engine.store.countEntries(ACCOUNT);
    console.log(`${engine.name}: ${count} entries of ${ACCOUNT} (${total - count} of other accounts), ${contentBytes} B content, filled in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const token = randomUUID().replace(/-/g, '');
    await engine.store.addAccount(ACCOUNT);
    if (!(await engine.store.setApiToken(ACCOUNT, token, new Date(Date.now() + 86_400_000)))) throw new Error('setApiToken failed');

    const config = loadConfig({ configDir: join(dir, 'config'), systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false });
    const stack = new SipStack({ host: '127.0.0.1', udpPort: 0 });
    await stack.start();
    cleanups.unshift(() => stack.stop());
    const messaging = createMessaging({ options: messagingOptionsFromConfig(config), store: engine.store, client: stack, webBaseUrl: () => 'http://127.0.0.1' });
    const [user, domain] = ACCOUNT.split('@') as [string, string];
    const ha1 = (alg: string): string => computeHa1(user, domain, 'secret', alg);
    const httpServer = createHttpServer({ host: '127.0.0.1', port: 0, serverHeader: 'bench' });
    const gw = new SylkRtcGateway({
      service: messaging.service,
      events: messaging.events,
      store: engine.store,
      authenticator: new LocalCredentialAuthenticator({ lookup: async (aor) => ({ aor, ha1Md5: ha1('MD5'), ha1Sha256: ha1('SHA-256'), disabled: false }) }),
      registry: new ConnectionRegistry(),
      pingIntervalSec: 0,
    });
    gw.attach(httpServer);
    await registerHistoryRoutes(httpServer.app, { store: engine.store });
    const { port } = await httpServer.listen();
    cleanups.unshift(async () => {
      await gw.close();
      await httpServer.close();
    });

    // Baselines: the same rows with one SELECT (and that plus JSON.stringify), medians of `runs`.
    const select: number[] = [];
    const selectJson: number[] = [];
    const selectCpu: number[] = [];
    let rawBytes = 0;
    await engine.rawSelect(); // warm
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      const c0 = process.cpuUsage();
      const rows = await engine.rawSelect();
      select.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      selectCpu.push((c.user + c.system) / 1000);
      if (rows.length !== count) throw new Error(`baseline read ${rows.length} rows, expected ${count}`);
      const json = JSON.stringify(rows);
      selectJson.push(performance.now() - t);
      rawBytes = Buffer.byteLength(json);
    }

    const results: { r: RunResult; cpuMs: number }[] = [];
    const args: ClientArgs = { wsUrl: `ws://127.0.0.1:${port}/webrtcgateway/ws`, httpBase: `http://127.0.0.1:${port}`, token, runs, password: ha1('MD5') };
    await new Promise<void>((resolve, reject) => {
      const child = fork(fileURLToPath(import.meta.url), ['--client', JSON.stringify(args)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let cpu0 = process.cpuUsage();
      child.on('message', (m: ToParent) => {
        if (m.type === 'begin') {
          cpu0 = process.cpuUsage();
          child.send('go');
        } else if (m.type === 'end') {
          const c = process.cpuUsage(cpu0);
          results.push({ r: m.result, cpuMs: (c.user + c.system) / 1000 });
          const r = m.result;
          if (r.entries !== count) reject(new Error(`${r.kind}: received ${r.entries} entries, expected ${count}`));
          if (r.maxFrame > 1024 * 1024) reject(new Error(`ws: frame of ${r.maxFrame} B is over 1 MiB (§1.7)`));
        } else resolve();
      });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client exited with ${code}`))));
    });

    const line = (label: string, kind: 'ws' | 'http'): void => {
      const rs = results.filter((x) => x.r.kind === kind);
      const ms = median(rs.map((x) => x.r.ms));
      const cpu = median(rs.map((x) => x.cpuMs));
      const r = rs[0]!.r;
      console.log(
        `${label.padEnd(34)} median ${ms.toFixed(0).padStart(5)} ms to the last byte (runs: ${rs.map((x) => x.r.ms.toFixed(0)).join(', ')}), ` +
          `server CPU ${cpu.toFixed(0)} ms, ${r.pages} pages, ${(r.bytes / 1048576).toFixed(1)} MiB` +
          (kind === 'ws' ? `, largest frame ${(r.maxFrame / 1024).toFixed(0)} KiB` : '') +
          `  — goal < ${GOAL_MS} ms: ${ms < GOAL_MS ? 'met' : 'NOT met'}; ${(ms / median(select)).toFixed(1)}× the raw SELECT's time, ${(cpu / median(selectCpu)).toFixed(1)}× its CPU`,
      );
    };
    console.log(`baseline: one SELECT of the ${count} rows            median ${median(select).toFixed(0).padStart(5)} ms (CPU ${median(selectCpu).toFixed(0)} ms); with JSON.stringify of the rows ${median(selectJson).toFixed(0)} ms (${(rawBytes / 1048576).toFixed(1)} MiB)`);
    line('account-sync-conversations (WS)', 'ws');
    line('HTTP history', 'http');
  } finally {
    for (const c of cleanups.splice(0)) await c();
  }
}

if (process.argv[2] === '--client') {
  client(JSON.parse(process.argv[3]!) as ClientArgs).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  const which = arg('store', 'sqlite');
  const n = Number(arg('entries', '100000'));
  const runs = Number(arg('runs', '5'));
  const content = Number(arg('content', '80'));
  console.log(`first-sync benchmark: ${n} entries, ${runs} runs each, node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  for (const kind of which === 'both' ? ['sqlite', 'postgres'] : [which]) await serve(kind, n, runs, content);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  process.exit(0);
}
