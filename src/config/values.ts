/**
 * Value syntaxes of SylkServer's configuration (`configuration.md` §1–§3) and the `Field` type the
 * section tables in `schema.ts` are built from.
 *
 * Each field knows how to parse its raw INI string (throwing `ConfigValueError` with a reason when
 * the value is invalid), its default (a value, or a function of the values resolved before it, for
 * defaults such as `file_transfer_dir = <application_dir>/file_transfers`) and how to print a value
 * back in INI syntax (`sylk-server --print-config`). The data types mirror the original's
 * `configuration/datatypes.py`: booleans, comma lists, ports (empty disables), network lists,
 * SIP proxy addresses, `IP[:PORT]` endpoints.
 */
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export class ConfigValueError extends Error {}

/** What a derived default may look at: the values resolved so far, the var dir and the default IP. */
export interface DefaultContext {
  readonly varDir: string;
  /** The host's default-route IPv4 address (see `paths.ts`). */
  readonly defaultIp: string;
  /** A value resolved earlier (sections and keys resolve in table order). */
  get(section: string, key: string): unknown;
}

export interface Field<T> {
  /** Short description of the syntax, for messages and `--print-config`. */
  readonly kind: string;
  parse(raw: string): T;
  readonly default: T | ((ctx: DefaultContext) => T);
  format(value: T): string;
}

/** The value type of a field. */
export type FieldValue<F> = F extends Field<infer T> ? T : never;

function field<T>(kind: string, parse: (raw: string) => T, def: T | ((ctx: DefaultContext) => T), format: (v: T) => string): Field<T> {
  return { kind, parse, default: def, format };
}

const plain = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

// ---------------------------------------------------------------------------------------------------
// Scalars

const TRUE = new Set(['yes', 'true', 'on', '1']);
const FALSE = new Set(['no', 'false', 'off', '0']);

export function parseBool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigValueError('expected a boolean (yes/true/on/1 or no/false/off/0)');
}

export const bool = (def: boolean): Field<boolean> => field('boolean', parseBool, def, (v) => (v ? 'yes' : 'no'));

/** Any string (possibly empty). */
export const str = (def: string): Field<string> => field('string', (raw) => raw, def, plain);

/** A string where empty means "not set" (`null`). */
export const optStr = (): Field<string | null> => field('string', (raw) => (raw === '' ? null : raw), null, plain);

/** One of a fixed set of words (compared case-insensitively, returned as listed). */
export function oneOf<const V extends string>(values: readonly V[], def: V | ((ctx: DefaultContext) => V)): Field<V> {
  return field(
    values.join('|'),
    (raw) => {
      const found = values.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
      if (found === undefined) throw new ConfigValueError(`expected one of ${values.join(', ')}`);
      return found;
    },
    def,
    plain,
  );
}

export function parseInteger(raw: string, min: number, max: number): number {
  const v = raw.trim();
  if (!/^[-+]?\d+$/.test(v)) throw new ConfigValueError('expected an integer');
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigValueError(`expected an integer between ${min} and ${max}`);
  return n;
}

export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER): Field<number> =>
  field(`integer ${min}..${max}`, (raw) => parseInteger(raw, min, max), def, plain);

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A byte count: an integer, optionally with a binary unit (`100M`, `1GiB`, `512k`; K/M/G/T = 1024^n). */
export function parseByteSize(raw: string, min: number, max: number): number {
  const m = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(raw.trim());
  if (!m) throw new ConfigValueError('expected a size in bytes, optionally with a unit (K, M, G, T)');
  const n = Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigValueError(`expected a size between ${min} and ${max} bytes`);
  return n;
}

/** Print a byte count with the largest binary unit that divides it (`104857600` → `100M`). */
function formatByteSize(n: number): string {
  for (const [unit, f] of [['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) if (n >= f && n % f === 0) return `${n / f}${unit}`;
  return String(n);
}

export const byteSize = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER): Field<number> =>
  field('size (bytes, or with K/M/G/T)', (raw) => parseByteSize(raw, min, max), def, formatByteSize);

/** A non-negative number of seconds (fractions allowed), e.g. `[Push] retry_base_delay = 0.5`. */
export const seconds = (def: number): Field<number> =>
  field(
    'seconds',
    (raw) => {
      const v = raw.trim();
      const n = v === '' ? Number.NaN : Number(v);
      if (!Number.isFinite(n) || n < 0) throw new ConfigValueError('expected a non-negative number of seconds');
      return n;
    },
    def,
    plain,
  );

/** A TCP/UDP port 0–65535 (0 = pick any free port). */
export const port = (def: number): Field<number> => field('port', (raw) => parseInteger(raw, 0, 65535), def, plain);

/** A port where an empty value disables the listener (`null`), e.g. `[SIP] local_udp_port`. */
export const optPort = (def: number | null): Field<number | null> =>
  field('port or empty', (raw) => (raw.trim() === '' ? null : parseInteger(raw, 0, 65535)), def, plain);

export const ip = (def: string | ((ctx: DefaultContext) => string), family?: 4 | 6): Field<string> =>
  field(family === 4 ? 'IPv4 address' : 'IP address', (raw) => parseIp(raw, family), def, plain);

export const optIp = (): Field<string | null> =>
  field('IP address or empty', (raw) => (raw.trim() === '' ? null : parseIp(raw)), null, plain);

function parseIp(raw: string, family?: 4 | 6): string {
  const v = raw.trim();
  const f = isIP(v);
  if (f === 0 || (family !== undefined && f !== family)) throw new ConfigValueError(family === 4 ? 'expected an IPv4 address' : 'expected an IP address');
  return v;
}

/** A URL (`http:`, `https:`, `ws:`, `wss:`), or empty for none. */
export const optUrl = (): Field<string | null> =>
  field(
    'URL or empty',
    (raw) => {
      const v = raw.trim();
      if (v === '') return null;
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new ConfigValueError('expected a URL');
      }
      if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) throw new ConfigValueError('expected an http(s) or ws(s) URL');
      return v;
    },
    null,
    plain,
  );

// ---------------------------------------------------------------------------------------------------
// Paths

/** Expand `~` and make the path absolute (relative paths are relative to the working directory). */
export function normalizePath(raw: string): string {
  let v = raw.trim();
  if (v === '~' || v.startsWith('~/')) v = homedir() + v.slice(1);
  return isAbsolute(v) ? resolve(v) : resolve(process.cwd(), v);
}

export const path = (def: string | ((ctx: DefaultContext) => string)): Field<string> =>
  field(
    'path',
    (raw) => {
      if (raw.trim() === '') throw new ConfigValueError('expected a path');
      return normalizePath(raw);
    },
    def,
    plain,
  );

/** A path where empty means none (`null`). */
export const optPath = (): Field<string | null> => field('path or empty', (raw) => (raw.trim() === '' ? null : normalizePath(raw)), null, plain);

// ---------------------------------------------------------------------------------------------------
// Lists

/** Split a comma list: whitespace around elements ignored, empty elements dropped, `none` → []. */
export function parseList(raw: string): string[] {
  const v = raw.trim();
  if (v === '' || v.toLowerCase() === 'none') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const formatList = (v: readonly string[]): string => (v.length === 0 ? 'none' : v.join(', '));

export const list = (def: readonly string[]): Field<readonly string[]> => field('comma list', parseList, def, formatList);

/** `[Server] application_map`: `key:application` pairs; a Record from key to application. */
export const appMap = (def: Readonly<Record<string, string>>): Field<Readonly<Record<string, string>>> =>
  field(
    'list of key:application',
    (raw) => {
      const out: Record<string, string> = {};
      for (const item of parseList(raw)) {
        const i = item.indexOf(':');
        const key = item.slice(0, i).trim();
        const app = item.slice(i + 1).trim();
        if (i <= 0 || key === '' || app === '') throw new ConfigValueError(`expected key:application, got ${JSON.stringify(item)}`);
        out[key] = app;
      }
      return out;
    },
    def,
    (v) => {
      const items = Object.entries(v).map(([k, a]) => `${k}:${a}`);
      return items.length === 0 ? 'none' : items.join(', ');
    },
  );

// ---------------------------------------------------------------------------------------------------
// Network lists (`[SIP] trusted_peers`)

/** One element of a network list: a CIDR block, or a hostname to be resolved (to a /32) at use time. */
export type NetworkEntry =
  | { readonly kind: 'cidr'; readonly address: string; readonly prefix: number; readonly family: 4 | 6 }
  | { readonly kind: 'host'; readonly host: string };

const HOSTNAME_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\.?$/;

export function isHostname(v: string): boolean {
  return HOSTNAME_RE.test(v) && !/^[\d.]+$/.test(v);
}

export function parseNetworkEntry(item: string): NetworkEntry {
  const v = item.trim();
  if (v.toLowerCase() === 'any') return { kind: 'cidr', address: '0.0.0.0', prefix: 0, family: 4 };
  const slash = v.indexOf('/');
  if (slash >= 0) {
    const address = v.slice(0, slash);
    const family = isIP(address);
    const bits = v.slice(slash + 1);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new ConfigValueError(`invalid network ${JSON.stringify(v)}`);
    return { kind: 'cidr', address, prefix: Number(bits), family: family as 4 | 6 };
  }
  const family = isIP(v);
  if (family !== 0) return { kind: 'cidr', address: v, prefix: family === 6 ? 128 : 32, family: family as 4 | 6 };
  if (isHostname(v)) return { kind: 'host', host: v };
  throw new ConfigValueError(`invalid network, IP or hostname ${JSON.stringify(v)}`);
}

/** A network list: CIDR, IP, hostname, `any` (0.0.0.0/0); `none` or empty → empty list. */
export function parseNetworkList(raw: string): NetworkEntry[] {
  return parseList(raw).map(parseNetworkEntry);
}

export function formatNetworkEntry(e: NetworkEntry): string {
  if (e.kind === 'host') return e.host;
  if (e.family === 4 && e.prefix === 0 && e.address === '0.0.0.0') return 'any';
  return `${e.address}/${e.prefix}`;
}

export const networkList = (def: readonly NetworkEntry[]): Field<readonly NetworkEntry[]> =>
  field('network list', parseNetworkList, def, (v) => (v.length === 0 ? 'none' : v.map(formatNetworkEntry).join(', ')));

// ---------------------------------------------------------------------------------------------------
// Addresses

export type SipTransportName = 'udp' | 'tcp' | 'tls';

/** A SIP next hop `host[:port][;transport=udp|tcp|tls]`. */
export interface ProxyAddress {
  readonly host: string;
  /** Default 5060, also for TLS (`configuration.md` §3.1). */
  readonly port: number;
  /** Default udp. */
  readonly transport: SipTransportName;
}

function splitHostPort(v: string): { host: string; port: string | undefined } {
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) throw new ConfigValueError('unterminated [IPv6] address');
    const rest = v.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new ConfigValueError('junk after [IPv6] address');
    return { host: v.slice(1, end), port: rest === '' ? undefined : rest.slice(1) };
  }
  const i = v.lastIndexOf(':');
  if (i >= 0 && v.indexOf(':') === i) return { host: v.slice(0, i), port: v.slice(i + 1) };
  return { host: v, port: undefined };
}

function checkHost(host: string): string {
  if (isIP(host) === 0 && !isHostname(host)) throw new ConfigValueError(`invalid host ${JSON.stringify(host)}`);
  return host;
}

export function parseProxyAddress(raw: string): ProxyAddress {
  const v = raw.trim();
  const semi = v.indexOf(';');
  const hostPort = semi >= 0 ? v.slice(0, semi) : v;
  let transport: SipTransportName = 'udp';
  if (semi >= 0) {
    const m = /^transport=(udp|tcp|tls)$/i.exec(v.slice(semi + 1).trim());
    if (!m) throw new ConfigValueError('expected ;transport=udp|tcp|tls');
    transport = m[1]!.toLowerCase() as SipTransportName;
  }
  const { host, port: p } = splitHostPort(hostPort.trim());
  return { host: checkHost(host), port: p === undefined ? 5060 : parseInteger(p, 1, 65535), transport };
}

export function formatProxyAddress(p: ProxyAddress): string {
  const host = isIP(p.host) === 6 ? `[${p.host}]` : p.host;
  return `${host}:${p.port};transport=${p.transport}`;
}

export const optProxy = (): Field<ProxyAddress | null> =>
  field('host[:port][;transport=udp|tcp|tls] or empty', (raw) => (raw.trim() === '' ? null : parseProxyAddress(raw)), null, (v) =>
    v === null ? '' : formatProxyAddress(v),
  );

/** An `IP[:PORT]` endpoint such as `[General] http_management_interface`. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export const endpoint = (def: Endpoint): Field<Endpoint> =>
  field(
    'IP[:PORT]',
    (raw) => {
      const { host, port: p } = splitHostPort(raw.trim());
      if (isIP(host) === 0) throw new ConfigValueError('expected IP[:PORT]');
      return { host, port: p === undefined ? def.port : parseInteger(p, 0, 65535) };
    },
    def,
    (v) => `${isIP(v.host) === 6 ? `[${v.host}]` : v.host}:${v.port}`,
  );
