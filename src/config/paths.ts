/**
 * Where configuration files are looked for and the machine facts defaults depend on
 * (`configuration.md` §1, §2.2): the system, user and local configuration directories, the
 * "var directory" rule, and the host's default-route IPv4 address.
 */
import { readFileSync } from 'node:fs';
import { homedir, networkInterfaces } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export const SYSTEM_CONFIG_DIR = '/etc/sylkserver';

export function userConfigDir(): string {
  return join(homedir(), '.config', 'sylkserver');
}

const SYSTEM_BIN_DIRS = new Set(['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);

/** True for a system binary directory (the local config directory is not used for those). */
export function isSystemBinDir(dir: string): boolean {
  return SYSTEM_BIN_DIRS.has(resolve(dir));
}

/**
 * The local configuration directory when `--config-dir` is not given: the directory containing the
 * started script, unless that is a system binary directory (then there is none).
 */
export function defaultLocalConfigDir(scriptPath: string | undefined): string | null {
  if (!scriptPath) return null;
  const dir = dirname(resolve(scriptPath));
  return isSystemBinDir(dir) ? null : dir;
}

/**
 * The var directory: `/var` for an installed server (program started from a `bin` directory),
 * otherwise `./var` relative to the working directory (returned absolute).
 */
export function varDirectory(scriptPath: string | undefined, cwd: string = process.cwd()): string {
  if (scriptPath && basename(dirname(resolve(scriptPath))) === 'bin') return '/var';
  return resolve(cwd, 'var');
}

/** Name of the interface carrying the IPv4 default route, from the kernel's table (Linux only). */
function defaultRouteInterface(): string | undefined {
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    let best: { iface: string; metric: number } | undefined;
    for (const line of lines) {
      const [iface, destination, , , , , metric, mask] = line.trim().split(/\s+/);
      if (!iface || destination !== '00000000' || mask !== '00000000') continue;
      const m = Number(metric ?? 0);
      if (!best || m < best.metric) best = { iface, metric: m };
    }
    return best?.iface;
  } catch {
    return undefined;
  }
}

/**
 * The host's default-route IPv4 address, found without network traffic: the IPv4 address of the
 * interface holding the default route (Linux `/proc/net/route`), else the first non-internal IPv4
 * address of `os.networkInterfaces()`, else `127.0.0.1`.
 */
export function defaultRouteIPv4(): string {
  const ifaces = networkInterfaces();
  const v4 = (name: string): string | undefined => ifaces[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const routeIface = defaultRouteInterface();
  const viaRoute = routeIface ? v4(routeIface) : undefined;
  if (viaRoute) return viaRoute;
  for (const name of Object.keys(ifaces)) {
    const a = v4(name);
    if (a) return a;
  }
  return '127.0.0.1';
}
