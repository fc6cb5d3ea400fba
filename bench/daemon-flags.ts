/**
 * The Node flags the daemon runs with (those of `npm run sylk-server` in package.json, e.g.
 * `--max-semi-space-size=64`), for benchmarks: one that starts the daemon passes them, and one that
 * runs the server in its own process re-runs itself with them (`withDaemonFlags`), so that a bench
 * measures the V8 settings that ship.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { repoFileUrl } from './repo-path.js';

export function daemonNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(fileURLToPath(repoFileUrl('package.json')), 'utf8')) as { scripts: Record<string, string> };
  const m = /^node ((?:--\S+ )*)dist\/src\/cli\/sylk-server\.js/.exec(pkg.scripts['sylk-server'] ?? '');
  return (m?.[1] ?? '').trim().split(' ').filter(Boolean);
}

/**
 * Unless this process already runs with the daemon's flags, runs this script again in a child process
 * with them (same loader flags, arguments and stdio) and exits with its status; otherwise returns.
 */
export function withDaemonFlags(): void {
  const flags = daemonNodeFlags().filter((f) => !process.execArgv.includes(f));
  if (flags.length === 0) return;
  const r = spawnSync(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
