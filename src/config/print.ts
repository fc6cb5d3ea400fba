/**
 * `sylk-server --print-config`: the effective configuration in INI syntax, file by file, each value
 * preceded by a comment line naming where it came from (a file path and line, or `default`). The output
 * is itself a valid configuration: split at the `;;; file` markers, it reads back to the same values,
 * except secrets, which are masked (so the output can be pasted into a bug report): shared secrets
 * print as `<hidden>`, and a password inside `[Storage] postgres_url` as `***`.
 */
import { SCHEMA, authDomainSection, roomSection, type ConfigFileName } from './schema.js';
import type { Config, ValueSource } from './types.js';
import type { Field } from './values.js';
import { configAdvice } from './derived.js';

type AnyFields = Record<string, Field<unknown>>;

const HIDDEN = new Set(['General.http_management_auth_secret', 'Janus.api_secret']);

function masked(section: string, key: string, text: string): string {
  if (text === '') return text;
  if (HIDDEN.has(`${section}.${key}`)) return '<hidden>';
  if (section === 'Storage' && key === 'postgres_url') {
    try {
      const u = new URL(text);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return '<hidden>';
    }
  }
  return text;
}

function sectionLines(name: string, fields: AnyFields, values: Readonly<Record<string, unknown>>, sources: Readonly<Record<string, ValueSource>> | undefined): string[] {
  const out = [`[${name}]`];
  for (const [key, f] of Object.entries(fields)) {
    const src = sources?.[key];
    // The syntax has no inline comments, so the source goes on its own line above the value.
    out.push(`; ${!src || src.origin === 'default' ? 'default' : `${src.origin}${src.line ? `:${src.line}` : ''}`}`);
    out.push(`${key} = ${masked(name, key, f.format(values[key]))}`.trimEnd());
  }
  out.push('');
  return out;
}

export function formatConfig(config: Config): string {
  const out: string[] = [];
  const m = config.meta;
  out.push(`; sylk-server effective configuration`);
  out.push(`; configuration directories: system=${m.dirs.system ?? '-'} user=${m.dirs.user ?? '-'} local=${m.dirs.local ?? '-'}`);
  out.push(`; files read: ${m.filesRead.length === 0 ? 'none (all defaults)' : m.filesRead.join(', ')}`);
  out.push(`; var directory: ${m.varDir}`);
  for (const w of m.warnings) out.push(`; warning: ${w.message}`);
  for (const a of configAdvice(config)) out.push(`; warning: ${a}`);
  out.push('');
  const all = config as unknown as Record<string, Readonly<Record<string, unknown>>>;
  for (const file of Object.keys(SCHEMA) as ConfigFileName[]) {
    out.push(`;;; ${file}`, '');
    for (const [name, fields] of Object.entries(SCHEMA[file] as Record<string, AnyFields>)) {
      if (Object.keys(fields).length === 0) continue;
      out.push(...sectionLines(name, fields, all[name] ?? {}, m.sources[name]));
    }
    if (file === 'webrtcgateway.ini') {
      for (const [name, room] of Object.entries(config.rooms)) out.push(...sectionLines(name, roomSection, room, m.sources[name]));
    }
    if (file === 'auth.ini') {
      for (const [name, dom] of Object.entries(config.authDomains)) out.push(...sectionLines(name, authDomainSection, dom, m.sources[name]));
    }
  }
  return out.join('\n');
}
