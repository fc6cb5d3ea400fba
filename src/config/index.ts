/**
 * `loadConfig()`: the effective configuration of a `sylk-server` / `sylk-db` process
 * (`configuration.md` §1, DESIGN.md "Configuration contract").
 *
 * Reads `config.ini`, `webrtcgateway.ini` and `auth.ini` from the system directory
 * (`/etc/sylkserver`), the user directory (`~/.config/sylkserver`) and the local directory
 * (`--config-dir`, else the started script's directory unless it is a system bin directory); every
 * existing copy is read, later ones overriding earlier ones key by key. Values are validated with the
 * tables in `schema.ts`; an invalid value is logged as a warning naming file, section and key and is
 * ignored (the earlier value or the default stays). Unknown sections and keys are warned about and
 * ignored. The result is a deeply frozen, fully typed object with, in `meta`, where each value came
 * from (file path or `default`), which files were read, and the warnings.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { logger } from '../util/logger.js';
import { parseIni, type IniDocument } from './ini.js';
import { SYSTEM_CONFIG_DIR, defaultLocalConfigDir, defaultRouteIPv4, userConfigDir, varDirectory } from './paths.js';
import { IGNORED_SECTIONS, SCHEMA, authDomainSection, roomSection, type ConfigFileName } from './schema.js';
import { ConfigValueError, type DefaultContext, type Field } from './values.js';

export * from './values.js';
export { SCHEMA, APPLICATIONS, LOG_LEVELS, STORAGE_BACKENDS, type ConfigFileName } from './schema.js';
export { webBaseUrl, enabledSipTransports, configAdvice } from './derived.js';
export { formatConfig } from './print.js';
export { resolveNetworkList, networkListContains, type CidrEntry } from './network.js';

export type * from './types.js';
import type { Config, ConfigWarning, ValueSource } from './types.js';

export interface LoadConfigOptions {
  /** The local directory (`--config-dir`); default: the script's directory rule. */
  configDir?: string;
  /** Default `/etc/sylkserver`; `null` skips it. */
  systemDir?: string | null;
  /** Default `~/.config/sylkserver`; `null` skips it. */
  userDir?: string | null;
  /** The started script (for the local-directory and var-directory rules); default `process.argv[1]`. */
  scriptPath?: string;
  /** Working directory for `./var`; default `process.cwd()`. */
  cwd?: string;
  /** Override the detected default-route IPv4 (tests). */
  defaultIp?: string;
  /** Log warnings through the process logger (default true); they are always in `meta.warnings`. */
  log?: boolean;
}

interface RawValue {
  value: unknown;
  source: ValueSource;
}

type AnyFields = Record<string, Field<unknown>>;

const log = logger.child({ module: 'config' });

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const scriptPath = options.scriptPath ?? process.argv[1];
  const dirs = {
    system: options.systemDir === undefined ? SYSTEM_CONFIG_DIR : options.systemDir,
    user: options.userDir === undefined ? userConfigDir() : options.userDir,
    local: options.configDir !== undefined ? resolve(options.configDir) : defaultLocalConfigDir(scriptPath),
  };
  const varDir = varDirectory(scriptPath, options.cwd);
  const defaultIp = options.defaultIp ?? defaultRouteIPv4();
  const warnings: ConfigWarning[] = [];
  const warn = (w: ConfigWarning): void => {
    warnings.push(w);
    if (options.log !== false) log.warn({ file: w.file, section: w.section, key: w.key, line: w.line }, w.message);
  };

  const searchDirs: string[] = [];
  for (const d of [dirs.system, dirs.user, dirs.local]) {
    if (d === null) continue;
    const abs = resolve(d);
    if (!searchDirs.includes(abs) && isDir(abs)) searchDirs.push(abs);
  }

  const filesRead: string[] = [];
  const sections: Record<string, Record<string, unknown>> = {};
  const sources: Record<string, Record<string, ValueSource>> = {};
  const rooms: Record<string, Record<string, unknown>> = {};
  const authDomains: Record<string, Record<string, unknown>> = {};

  // Explicit values, per "section" (fixed section name, or a dynamic one), later files overriding.
  const explicit = new Map<string, Map<string, RawValue>>();
  const take = (file: ConfigFileName, path: string, doc: IniDocument, sectionName: string, fields: AnyFields, warnUnknown: boolean, bucket: string): void => {
    const sec = doc.sections.get(sectionName);
    if (!sec) return;
    let values = explicit.get(bucket);
    if (!values) explicit.set(bucket, (values = new Map()));
    for (const [key, entry] of sec.entries) {
      const f = fields[key];
      if (!f) {
        if (warnUnknown) warn({ file: path, section: sectionName, key, line: entry.line, message: `${path}: [${sectionName}] unknown key ${key} ignored` });
        continue;
      }
      try {
        values.set(key, { value: f.parse(entry.value), source: { file, origin: path, line: entry.line } });
      } catch (err) {
        if (!(err instanceof ConfigValueError)) throw err;
        const previous = values.get(key);
        const kept = previous ? `keeping the value from ${previous.source.origin}` : 'keeping the default';
        warn({
          file: path,
          section: sectionName,
          key,
          line: entry.line,
          message: `${path}: [${sectionName}] ${key} = ${JSON.stringify(entry.value)} is invalid (${err.message}); ${kept}`,
        });
      }
    }
  };

  const dynamicNames = { rooms: new Set<string>(), authDomains: new Set<string>() };
  for (const file of Object.keys(SCHEMA) as ConfigFileName[]) {
    const fixed = SCHEMA[file] as Record<string, AnyFields>;
    for (const dir of searchDirs) {
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        warn({ file: path, message: `${path}: cannot be read (${(err as Error).message}); skipped` });
        continue;
      }
      filesRead.push(path);
      const doc = parseIni(text);
      for (const d of doc.diagnostics) warn({ file: path, line: d.line, message: `${path}:${d.line}: ${d.message}` });
      for (const name of doc.sections.keys()) {
        if (fixed[name]) take(file, path, doc, name, fixed[name], true, name);
        else if (file === 'webrtcgateway.ini' && name.includes('@')) {
          dynamicNames.rooms.add(name);
          take(file, path, doc, name, roomSection, false, `room:${name}`);
        } else if (file === 'auth.ini') {
          dynamicNames.authDomains.add(name);
          take(file, path, doc, name, authDomainSection, true, `auth:${name}`);
        } else if (!IGNORED_SECTIONS[file].includes(name)) {
          warn({ file: path, section: name, message: `${path}: unknown section [${name}] ignored` });
        }
      }
    }
  }

  // Resolve: explicit values, else defaults (derived defaults see everything resolved before them).
  const ctx: DefaultContext = {
    varDir,
    defaultIp,
    get(section, key) {
      const v = sections[section];
      if (!v || !(key in v)) throw new Error(`config schema: ${section}.${key} read before it is resolved`);
      return v[key];
    },
  };
  const resolveSection = (
    file: ConfigFileName,
    fields: AnyFields,
    bucket: string,
    values: Record<string, unknown> = {},
  ): { values: Record<string, unknown>; src: Record<string, ValueSource> } => {
    const src: Record<string, ValueSource> = {};
    const given = explicit.get(bucket);
    for (const [key, f] of Object.entries(fields)) {
      const e = given?.get(key);
      if (e) {
        values[key] = e.value;
        src[key] = e.source;
      } else {
        values[key] = typeof f.default === 'function' ? (f.default as (c: DefaultContext) => unknown)(ctx) : f.default;
        src[key] = { file, origin: 'default' };
      }
    }
    return { values, src };
  };
  for (const file of Object.keys(SCHEMA) as ConfigFileName[]) {
    for (const [name, fields] of Object.entries(SCHEMA[file] as Record<string, AnyFields>)) {
      // Registered before resolving, so a default may read a key listed earlier in the same section.
      sections[name] = {};
      const r = resolveSection(file, fields, name, sections[name]);
      sources[name] = r.src;
    }
  }
  for (const name of dynamicNames.rooms) {
    const r = resolveSection('webrtcgateway.ini', roomSection, `room:${name}`);
    rooms[name] = r.values;
    sources[name] = r.src;
  }
  for (const name of dynamicNames.authDomains) {
    const r = resolveSection('auth.ini', authDomainSection, `auth:${name}`);
    authDomains[name] = r.values;
    sources[name] = r.src;
  }

  const config = {
    ...sections,
    rooms,
    authDomains,
    meta: { dirs, varDir, defaultIp, filesRead, sources, warnings },
  };
  return deepFreeze(config) as unknown as Config;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
