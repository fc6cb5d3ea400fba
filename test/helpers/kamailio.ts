/**
 * Starts a real Kamailio (Debian's kamailio 5.6) with deploy/kamailio/kamailio.cfg on 127.0.0.1 for
 * the end-to-end tests: a fresh SQLite database with the subscriber and location tables (schemas
 * from the kamailio-sqlite-modules package), the given subscribers (HA1 = MD5(user:domain:password)),
 * and the defines that point the proxy at the sylk-server under test. `stop()` ends it and removes
 * its directory.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';
import Database from 'better-sqlite3';
import { superviseChild } from './child.js';

const CFG = fileURLToPath(new URL('../../deploy/kamailio/kamailio.cfg', import.meta.url));
const SCHEMA_DIR = '/usr/share/kamailio/db_sqlite';

export interface Subscriber {
  username: string;
  password: string;
}

export interface KamailioOptions {
  domain: string;
  udpPort: number;
  tcpPort: number;
  wsPort?: number;
  sylkPort: number;
  /** SIP port of a second sylk-server instance on 127.0.0.1 (define SYLK_PORT2), trusted like the first. */
  sylkPort2?: number;
  sylkTransport?: 'udp' | 'tcp';
  subscribers: Subscriber[];
}

export interface Location {
  username: string;
  domain: string;
  contact: string;
  user_agent: string;
}

export interface KamailioHandle {
  readonly dir: string;
  /** The registered contacts, as the proxy's location table has them (written back every second). */
  locations(username?: string): Location[];
  /** Polls the location table until `check` holds for it (5 s at most), and returns it. */
  waitForLocations(check: (locations: Location[]) => boolean, username?: string): Promise<Location[]>;
  /** Everything Kamailio logged so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export function ha1(username: string, domain: string, password: string): string {
  return createHash('md5').update(`${username}:${domain}:${password}`).digest('hex');
}

function createDatabase(path: string, opts: KamailioOptions): void {
  const db = new Database(path);
  try {
    // WAL (persistent in the file): Kamailio's children read the subscriber table while another writes
    // the location table (usrloc db_mode 1); with the default rollback journal such a read fails with
    // "database is locked" and auth_db challenges a correct REGISTER again.
    db.pragma('journal_mode = WAL');
    for (const file of ['standard-create.sql', 'auth_db-create.sql', 'usrloc-create.sql']) {
      db.exec(readFileSync(join(SCHEMA_DIR, file), 'utf8'));
    }
    const insert = db.prepare('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)');
    for (const s of opts.subscribers) {
      insert.run(s.username, opts.domain, '', ha1(s.username, opts.domain, s.password), '');
    }
  } finally {
    db.close();
  }
}

/** Sends OPTIONS over UDP until the proxy answers (its keepalive reply), or gives up. */
async function waitForOptions(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  try {
    for (let n = 1; Date.now() < deadline; n++) {
      const local = sock.address().port;
      const msg =
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKwait${n}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p${n}\r\nTo: <sip:127.0.0.1:${port}>\r\n` +
        `Call-ID: wait-${n}-${Date.now()}\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          sock.off('message', onMessage);
          resolve(false);
        }, 300);
        const onMessage = (buf: Buffer): void => {
          if (buf.toString('latin1').startsWith('SIP/2.0 200')) {
            clearTimeout(timer);
            sock.off('message', onMessage);
            resolve(true);
          }
        };
        sock.on('message', onMessage);
        sock.send(msg, port, '127.0.0.1');
      });
      if (answered) return;
    }
    throw new Error(`Kamailio did not answer OPTIONS on udp 127.0.0.1:${port}`);
  } finally {
    sock.close();
  }
}

export async function startKamailio(opts: KamailioOptions): Promise<KamailioHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-kamailio-'));
  const dbPath = join(dir, 'kamailio.sqlite');
  createDatabase(dbPath, opts);
  const transport = opts.sylkTransport ?? 'udp';
  const defines = [
    `DBURL="sqlite:///${dbPath}"`,
    `SIP_DOMAIN="${opts.domain}"`,
    `LISTEN_UDP=udp:127.0.0.1:${opts.udpPort}`,
    `LISTEN_TCP=tcp:127.0.0.1:${opts.tcpPort}`,
    `SYLK_IP="127.0.0.1"`,
    `SYLK_PORT="${opts.sylkPort}"`,
    `SYLK_TRANSPORT="${transport}"`,
    'SYLK_TRUST_PORT',
    // Write the location table back every second (the tests read it).
    'USRLOC_TIMER=1',
  ];
  if (opts.sylkPort2 !== undefined) defines.push(`SYLK_PORT2="${opts.sylkPort2}"`);
  if (opts.wsPort) defines.push('WITH_WS', `LISTEN_WS=tcp:127.0.0.1:${opts.wsPort}`);
  const args = ['-f', CFG, '-DD', '-E', '-m', '64', '-M', '8', '-Y', dir, '-w', dir];
  for (const d of defines) args.push('-A', d);
  const proc = superviseChild(spawn('kamailio', args, { stdio: ['ignore', 'pipe', 'pipe'] }), dir, 5000, 1_000_000);
  const output = proc.output;
  const exited = proc.exited;
  const stop = proc.stop;

  try {
    await Promise.race([
      waitForOptions(opts.udpPort, 15_000),
      exited.then(() => {
        throw new Error(`Kamailio exited at start-up:\n${output().slice(-4000)}`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }

  const handle: KamailioHandle = {
    dir,
    locations(username?: string): Location[] {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        const sql = 'SELECT username, domain, contact, user_agent FROM location' + (username ? ' WHERE username = ?' : '');
        const stmt = db.prepare<unknown[], Location>(sql);
        return username ? stmt.all(username) : stmt.all();
      } finally {
        db.close();
      }
    },
    async waitForLocations(check, username) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = handle.locations(username);
        if (check(found)) return found;
        if (Date.now() > deadline) throw new Error(`the location table did not reach the expected state: ${JSON.stringify(found)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    log: output,
    stop,
  };
  return handle;
}
