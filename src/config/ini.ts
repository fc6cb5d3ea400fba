/**
 * The INI reader for SylkServer's configuration files (`configuration.md` §1).
 *
 * Written by hand because the syntax is small and must match the original's reader (Python's
 * `ConfigParser` without interpolation, as used by python-application) exactly, which generic npm INI
 * packages do not (they interpolate, nest dotted sections, coerce types or treat `;` inline):
 *
 * - `[Section]` headers; section names are kept verbatim (case-sensitive).
 * - `key = value` or `key : value` (the first `=` or `:` splits); whitespace around key and value is
 *   trimmed. Keys are case-sensitive and a `-` in a key is read as `_`.
 * - Whole-line comments start with `;` or `#` (after optional indentation). There are no inline
 *   comments: `key = a ; b` has the value `a ; b`, as in the original.
 * - An indented line directly after a key line continues that value (joined with `\n`).
 * - No interpolation: `%(x)s` is kept literally.
 * - Syntax problems (a key outside any section, a line without `=`/`:`) and duplicate keys are
 *   reported as diagnostics; parsing continues (the original refuses the file, we skip the line).
 */

export interface IniEntry {
  readonly value: string;
  /** 1-based line number of the key. */
  readonly line: number;
}

export interface IniSection {
  readonly name: string;
  /** Keys in file order (normalized: `-` → `_`); a key repeated in the file keeps its last value. */
  readonly entries: Map<string, IniEntry>;
}

export interface IniDiagnostic {
  readonly line: number;
  readonly message: string;
}

export interface IniDocument {
  /** Sections in file order; a section header repeated in the file merges into the first one. */
  readonly sections: Map<string, IniSection>;
  readonly diagnostics: IniDiagnostic[];
}

/** `-` in a key name is treated as `_` (`configuration.md` §1). */
export function normalizeKey(key: string): string {
  return key.replace(/-/g, '_');
}

/** As ConfigParser's SECTCRE: text after the closing bracket (e.g. a comment) is ignored. */
const SECTION_RE = /^\[([^\]]+)\]/;

export function parseIni(text: string): IniDocument {
  const sections = new Map<string, IniSection>();
  const diagnostics: IniDiagnostic[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let current: IniSection | undefined;
  // The entry being continued by indented lines: section, key, accumulated value, line.
  let pending: { section: IniSection; key: string; value: string; line: number } | undefined;

  const flush = (): void => {
    if (!pending) return;
    pending.section.entries.set(pending.key, { value: pending.value, line: pending.line });
    pending = undefined;
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') {
      flush();
      return;
    }
    if (trimmed.startsWith(';') || trimmed.startsWith('#')) return;
    if (pending && /^\s/.test(raw)) {
      pending.value = pending.value === '' ? trimmed : `${pending.value}\n${trimmed}`;
      return;
    }
    flush();
    const header = SECTION_RE.exec(trimmed);
    if (header) {
      const name = header[1]!;
      current = sections.get(name);
      if (current) diagnostics.push({ line: lineNo, message: `section [${name}] repeated; merged` });
      else {
        current = { name, entries: new Map() };
        sections.set(name, current);
      }
      return;
    }
    const delim = trimmed.search(/[=:]/);
    if (delim <= 0) {
      diagnostics.push({ line: lineNo, message: `not a "key = value" line: ${JSON.stringify(trimmed)}` });
      return;
    }
    if (!current) {
      diagnostics.push({ line: lineNo, message: `key outside any [Section]: ${JSON.stringify(trimmed)}` });
      return;
    }
    const key = normalizeKey(trimmed.slice(0, delim).trim());
    const value = trimmed.slice(delim + 1).trim();
    if (current.entries.has(key)) {
      diagnostics.push({ line: lineNo, message: `key ${key} repeated in [${current.name}]; the last value wins` });
      current.entries.delete(key);
    }
    pending = { section: current, key, value, line: lineNo };
  });
  flush();
  return { sections, diagnostics };
}
