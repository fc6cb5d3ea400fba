// Test service: a throw-away PostgreSQL 15 server for the storage, CLI and integration tests (used by
// scripts/test.mjs; also by bench/journal-*.ts when SYLK_TEST_PG_URL is not set).
//
// start(): initdb into a fresh temporary directory, run the server on 127.0.0.1:15432 (the PostgreSQL
// port of the test-port plan) with its unix socket in that directory, create database `sylk_test`, and
// hand back SYLK_TEST_PG_URL. PostgreSQL refuses to run as root, so when we are root the directory is
// given to the `postgres` OS user and every server binary runs through `runuser -u postgres`.
// Tests run with fsync off (nothing here must survive a power cut); start({ durable: true }) keeps the
// defaults, for benchmarks. Each test file creates its own schema, so files can run in parallel.
// stop(): fast shutdown, remove the directory.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portInUse } from '../lib/port.mjs';

export const envVar = 'SYLK_TEST_PG_URL';

const BIN = '/usr/lib/postgresql/15/bin';
const HOST = '127.0.0.1';
// SYLK_TEST_PG_PORT: another port, for test runs side by side on one machine.
const PORT = Number(process.env.SYLK_TEST_PG_PORT ?? 15432);
const DB = 'sylk_test';

/** Test files that use PostgreSQL: storage engine tests, integration and CLI tests. */
export function needed(files) {
  return files.some((f) => f.includes('postgres') || f.includes('integration') || f.includes('cli'));
}

/** Temporary directory (owned by `postgres`): socket, log, and the cluster in `data/`. @type {string | undefined} */
let rootDir;
let exitHookInstalled = false;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function pgUid() {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no `postgres` OS user: install the postgresql package (scripts/install-deps.sh)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Run a PostgreSQL binary, as the `postgres` user when we are root. */
function pg(bin, args, options = {}) {
  const cmd = join(BIN, bin);
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
}

function stopSync(mode) {
  if (!rootDir) return;
  const dir = rootDir;
  rootDir = undefined;
  try {
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) pg('pg_ctl', ['-D', join(dir, 'data'), '-m', mode, '-w', '-t', '30', 'stop']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start the server; resolves the environment the tests need. */
export async function start(options = {}) {
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(`PostgreSQL 15 binaries not found in ${BIN}`);
  if (await portInUse(HOST, PORT)) throw new Error(`port ${PORT} is already in use (a PostgreSQL left running? set ${envVar} to reuse it)`);
  const dir = mkdtempSync(join(tmpdir(), 'sylk-pg-'));
  rootDir = dir;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => stopSync('immediate'));
  }
  try {
    if (isRoot) {
      const { uid, gid } = pgUid();
      chownSync(dir, uid, gid);
    }
    const dataDir = join(dir, 'data');
    pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const durable = options.durable === true;
    const opts = [
      `-c listen_addresses=${HOST}`,
      `-p ${PORT}`,
      `-k ${dir}`,
      '-c max_connections=200',
      '-c shared_buffers=64MB',
      ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    pg('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
    pg('createdb', ['-h', HOST, '-p', String(PORT), '-U', 'postgres', DB]);
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000) : '';
    stopSync('immediate');
    throw new Error(`starting PostgreSQL failed: ${err instanceof Error ? err.message : String(err)}\n${log}`, { cause: err });
  }
  return { [envVar]: `postgres://postgres@${HOST}:${PORT}/${DB}` };
}

/** Fast shutdown, then remove the temporary directory. */
export async function stop() {
  stopSync('fast');
}
