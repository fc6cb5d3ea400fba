/**
 * The grammar of individual SIP header values (RFC 3261 §20, §25.1; RFC 2617/7616 auth parameters;
 * RFC 8599 push parameters): name-addr / addr-spec with display names, generic parameters,
 * CSeq, Max-Forwards, Call-ID, Contact lists (incl. `*`), Route lists, Content-Type, a comma split
 * that respects quoted strings and angle brackets, and the lexical scanners that `via-header.ts`
 * (Via) and `auth-header.ts` (challenges and credentials) build on.
 *
 * Header values arrive here already unfolded (the parser turned every CRLF+WSP into a space), so
 * LWS/SWS in the ABNF is just runs of SP/HTAB. Every function is a hand-written index scanner
 * (no regex per character) and never throws: malformed input yields `undefined`. Hand-written
 * because no maintained npm package provides a server-side SIP stack (SIP.js's PEG grammar is
 * client-side and generated); the parser calls these lazily, only for the headers it must check.
 */
import { isIP } from 'node:net';
import * as cs from './charset.js';
import * as uris from './uri.js';
import type { SipUri, Uri } from './uri.js';

// Local aliases: module bindings read in hot loops cost a getter call under some loaders (tsx).
const { C_TOKEN, C_WORD, CHARS } = cs;
const allIn = cs.allIn;
const formatUri = uris.formatUri;
const parseUri = uris.parseUri;
const checkUri = uris.checkUri;

/** Header / URI parameters: names lower-cased; values unquoted; null for a parameter without value. */
export type Params = Map<string, string | null>;

export function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

function isTokenChar(c: number): boolean {
  return c < 128 && (CHARS[c]! & C_TOKEN) !== 0;
}

export function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Scan a quoted-string starting at `s[i] === '"'`; returns the index after the closing quote and the
 * unescaped content, or undefined when unterminated or containing a forbidden character.
 */
export function scanQuoted(s: string, i: number): { end: number; value: string } | undefined {
  let out = '';
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 34) return { end: j + 1, value: out + s.slice(from, j) };
    if (c === 92) {
      if (j + 1 >= s.length) return undefined;
      const n = s.charCodeAt(j + 1);
      if (n === 10 || n === 13 || n > 127) return undefined;
      out += s.slice(from, j) + s[j + 1];
      j++;
      from = j + 1;
      continue;
    }
    if ((c < 32 && c !== 9) || c === 127) return undefined;
  }
  return undefined;
}

/**
 * Surround with double quotes, escaping `"`, `\` and control characters as quoted-pairs (RFC 3261
 * quoted-string). CR and LF cannot be represented in a header value and become spaces.
 */
export function quote(s: string): string {
  return '"' + s.replace(/[\r\n]/g, ' ').replace(/["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '\\$&') + '"';
}

/** Remove surrounding quotes and quoted-pair escapes when `s` is a quoted-string; else return `s`. */
export function unquote(s: string): string {
  if (s.length >= 2 && s.charCodeAt(0) === 34) {
    const q = scanQuoted(s, 0);
    if (q && q.end === s.length) return q.value;
  }
  return s;
}

/**
 * Split a header value at top-level commas: commas inside quoted strings or angle brackets don't
 * split. Parts are trimmed; empty parts are dropped unless `keepEmpty`.
 */
export function splitCommaList(value: string, keepEmpty = false): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let angle = false;
  const push = (end: number): void => {
    const part = value.slice(start, end).trim();
    if (part.length > 0 || keepEmpty) out.push(part);
  };
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) angle = true;
    else if (c === 62) angle = false;
    else if (c === 44 && !angle) {
      push(i);
      start = i + 1;
    }
  }
  push(value.length);
  return out;
}

/** End index of the quoted-string starting at `s[i] === '"'`, or -1 (validation only, no copy). */
function scanQuotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c === 92) {
      const n = s.charCodeAt(j + 1);
      if (j + 1 >= s.length || n === 10 || n === 13 || n > 127) return -1;
      j++;
      continue;
    }
    if ((c < 32 && c !== 9) || c === 127) return -1;
  }
  return -1;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/**
 * Scan `*( SWS ";" SWS generic-param )` from `s[i]` into `params` (or only validate when null);
 * gen-value = token / host / quoted-string. Stops at the first character that is neither
 * whitespace nor ";" and returns its index, or -1 when malformed.
 */
export function scanParamsInto(s: string, i: number, params: Params | null): number {
  for (;;) {
    const j = skipWs(s, i);
    if (s.charCodeAt(j) !== 59) return j;
    const k = skipWs(s, j + 1);
    const nameEnd = scanToken(s, k);
    if (nameEnd === k) return -1;
    let m = skipWs(s, nameEnd);
    let value: string | null = null;
    if (s.charCodeAt(m) === 61) {
      m = skipWs(s, m + 1);
      const c = s.charCodeAt(m);
      if (c === 34) {
        if (params) {
          const q = scanQuoted(s, m);
          if (!q) return -1;
          value = q.value;
          i = q.end;
        } else {
          i = scanQuotedEnd(s, m);
          if (i < 0) return -1;
        }
      } else if (c === 91) {
        const close = s.indexOf(']', m);
        if (close < 0 || isIP(s.slice(m + 1, close)) !== 6) return -1;
        i = close + 1;
        if (params) value = s.slice(m, i);
      } else {
        i = scanToken(s, m);
        if (i === m) return -1;
        if (params) value = s.slice(m, i);
      }
    } else i = nameEnd;
    if (params) {
      const name = s.slice(k, nameEnd);
      params.set(hasUpper(name) ? name.toLowerCase() : name, value);
    }
  }
}

/**
 * Parse `*( SWS ";" SWS generic-param )` from `s[i]`; stops (without error) at the first character
 * that is neither whitespace nor ";" (e.g. "," or the end). Returns the params and the stop index.
 */
export function scanParams(s: string, i: number, params: Params = new Map()): { params: Params; end: number } | undefined {
  const end = scanParamsInto(s, i, params);
  return end < 0 ? undefined : { params, end };
}

/** Parse a whole `;a=b;c` parameter string (leading ";" required unless empty). */
export function parseParams(s: string): Params | undefined {
  const r = scanParams(s, 0);
  return r && skipWs(s, r.end) === s.length ? r.params : undefined;
}

export interface NameAddr {
  /** Display name without quotes/escapes; undefined when absent. */
  displayName?: string;
  /** The URI text as written inside the angle brackets (or the bare addr-spec). */
  uri: string;
  /** Header parameters after the address (`tag`, `expires`, `q`, ...). */
  params: Params;
}

/**
 * Scan one name-addr / addr-spec followed by its parameters, from `s[i]`, filling `out` (or only
 * validating when null). `inList` makes a bare addr-spec end at a comma (Contact/Route lists).
 * Returns the index after the parameters, or -1 when malformed.
 */
function scanNameAddrInto(s: string, i: number, inList: boolean, out: NameAddr | null): number {
  i = skipWs(s, i);
  let c = s.charCodeAt(i);
  if (c === 34) {
    let qEnd: number;
    if (out) {
      const q = scanQuoted(s, i);
      if (!q) return -1;
      out.displayName = q.value;
      qEnd = q.end;
    } else {
      qEnd = scanQuotedEnd(s, i);
      if (qEnd < 0) return -1;
    }
    i = skipWs(s, qEnd);
    if (s.charCodeAt(i) !== 60) return -1;
    c = 60;
  } else if (c !== 60) {
    // Either *(token LWS) "<" or a bare addr-spec: look for "<" before any character that cannot
    // belong to a token display name.
    let j = i;
    while (j < s.length && (isTokenChar(s.charCodeAt(j)) || isWs(s.charCodeAt(j)))) j++;
    if (s.charCodeAt(j) === 60) {
      if (out) out.displayName = s.slice(i, j).trim().replace(/[ \t]+/g, ' ');
      i = j;
      c = 60;
    }
  }
  let uri: string;
  if (c === 60) {
    const close = s.indexOf('>', i + 1);
    if (close < 0) return -1;
    uri = s.slice(i + 1, close);
    i = close + 1;
  } else {
    let j = i;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === 59 || d === 32 || d === 9 || (inList && d === 44)) break;
      j++;
    }
    uri = s.slice(i, j);
    i = j;
  }
  if (checkUri(uri) === 0) return -1;
  if (out) out.uri = uri;
  return scanParamsInto(s, i, out ? out.params : null);
}

function scanNameAddr(s: string, i: number, inList: boolean): { value: NameAddr; end: number } | undefined {
  const value: NameAddr = { uri: '', params: new Map() };
  const end = scanNameAddrInto(s, i, inList, value);
  return end < 0 ? undefined : { value, end };
}

/** Parse a single name-addr / addr-spec header value (From, To, Refer-To, P-Asserted-Identity). */
export function parseNameAddr(value: string): NameAddr | undefined {
  const r = scanNameAddr(value, 0, false);
  if (!r || skipWs(value, r.end) !== value.length) return undefined;
  return r.value;
}

/** True when `value` is a valid single name-addr / addr-spec with parameters (builds nothing). */
export function isValidNameAddr(value: string): boolean {
  const end = scanNameAddrInto(value, 0, false, null);
  return end >= 0 && skipWs(value, end) === value.length;
}

/** Parse a comma-separated list of name-addr / addr-spec (Route, Record-Route, Contact entries). */
export function parseNameAddrList(value: string): NameAddr[] | undefined {
  const out: NameAddr[] = [];
  let i = 0;
  for (;;) {
    const r = scanNameAddr(value, i, true);
    if (!r) return undefined;
    out.push(r.value);
    i = skipWs(value, r.end);
    if (i === value.length) return out;
    if (value.charCodeAt(i) !== 44) return undefined;
    i++;
  }
}

export interface ContactEntry extends NameAddr {
  /** The `expires` header parameter as a number, when present and valid. */
  expires?: number;
  /** The `q` header parameter, when present and valid. */
  q?: number;
}

export type ContactValue = { star: true } | { star: false; contacts: ContactEntry[] };

/** Parse a Contact header value: `*` or a list of addresses with `expires`/`q` read out. */
export function parseContact(value: string): ContactValue | undefined {
  if (value.trim() === '*') return { star: true };
  const list = parseNameAddrList(value);
  if (!list) return undefined;
  const contacts = list.map((na): ContactEntry => {
    const e: ContactEntry = na;
    const ex = na.params.get('expires');
    if (ex != null && /^\d{1,10}$/.test(ex)) e.expires = Math.min(Number(ex), 0xffffffff);
    const q = na.params.get('q');
    if (q != null && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) e.q = Number(q);
    return e;
  });
  return { star: false, contacts };
}

/** Contact values of all Contact header fields, flattened (a `*` anywhere yields `'*'`). */
export function parseContacts(values: string[]): ContactEntry[] | '*' | undefined {
  const out: ContactEntry[] = [];
  for (const v of values) {
    const c = parseContact(v);
    if (!c) return undefined;
    if (c.star) return '*';
    out.push(...c.contacts);
  }
  return out;
}

/**
 * Push-notification parameters of a contact (RFC 8599 `pn-provider`, `pn-prid`, `pn-param`, and the
 * Sylk mobile clients' `pn-tok`/`pn_tok`, `pn-type`, `pn-app`, `pn-device`, `pn-silent`, ...), read
 * from the Contact URI parameters and then the header parameters (the latter win). Names are
 * normalised to lower case with `-` (`pn_tok` → `pn-tok`).
 */
export function pushParams(contact: NameAddr): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (params: Map<string, string | null>): void => {
    for (const [k, v] of params) {
      if (k.length > 3 && k.startsWith('pn') && (k[2] === '-' || k[2] === '_')) out['pn-' + k.slice(3).replace(/_/g, '-')] = v ?? '';
    }
  };
  const uri = parseUri(contact.uri);
  if (uri && uri.kind === 'sip') add(uri.params);
  add(contact.params);
  return out;
}

/** A decimal number of at most 12 digits, at most `max`; undefined otherwise. */
export function parseDigits(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 12) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= max ? n : undefined;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** CSeq = 1*DIGIT LWS Method; the number must fit 32 bits (RFC 3261 §8.1.1.5: < 2**31 when sent). */
export function parseCSeq(value: string): CSeq | undefined {
  let i = skipWs(value, 0);
  const ds = i;
  while (i < value.length && value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) i++;
  // strip leading zeros before bounding the length
  let z = ds;
  while (z < i - 1 && value.charCodeAt(z) === 48) z++;
  const seq = parseDigits(value.slice(z, i), 0xffffffff);
  if (seq === undefined) return undefined;
  const ms = skipWs(value, i);
  if (ms === i) return undefined;
  const me = scanToken(value, ms);
  if (me === ms || skipWs(value, me) !== value.length) return undefined;
  return { seq, method: value.slice(ms, me) };
}

/** Max-Forwards = 1*DIGIT in 0..255 (RFC 3261 §20.22). */
export function parseMaxForwards(value: string): number | undefined {
  const t = value.trim();
  let z = 0;
  while (z < t.length - 1 && t.charCodeAt(z) === 48) z++;
  return parseDigits(t.slice(z), 255);
}

/** Content-Length / Expires style non-negative integer (bounded by `max`). */
export function parseUnsigned(value: string, max = 0xffffffff): number | undefined {
  const t = value.trim();
  let z = 0;
  while (z < t.length - 1 && t.charCodeAt(z) === 48) z++;
  return parseDigits(t.slice(z), max);
}

/** Call-ID = word [ "@" word ]. */
export function isValidCallId(value: string): boolean {
  const at = value.indexOf('@');
  if (at < 0) return allIn(value, 0, value.length, C_WORD);
  return allIn(value, 0, at, C_WORD) && allIn(value, at + 1, value.length, C_WORD);
}

export interface ContentType {
  /** `type/subtype`, lower-cased. */
  mediaType: string;
  type: string;
  subtype: string;
  params: Params;
}

/** Content-Type = m-type SLASH m-subtype *( SEMI m-parameter ) (RFC 3261 §20.15). */
export function parseContentType(value: string): ContentType | undefined {
  let i = skipWs(value, 0);
  const te = scanToken(value, i);
  if (te === i) return undefined;
  const type = value.slice(i, te).toLowerCase();
  i = skipWs(value, te);
  if (value.charCodeAt(i) !== 47) return undefined;
  i = skipWs(value, i + 1);
  const se = scanToken(value, i);
  if (se === i) return undefined;
  const subtype = value.slice(i, se).toLowerCase();
  const p = scanParams(value, se);
  if (!p || skipWs(value, p.end) !== value.length) return undefined;
  return { mediaType: `${type}/${subtype}`, type, subtype, params: p.params };
}


/** Format a name-addr: `"Display" <uri>;params` (display name quoted when present). */
export function formatNameAddr(na: { displayName?: string; uri: string | Uri; params?: Map<string, string | null> }): string {
  const uri = typeof na.uri === 'string' ? na.uri : formatUri(na.uri);
  let out = na.displayName !== undefined && na.displayName !== '' ? `${quote(na.displayName)} <${uri}>` : `<${uri}>`;
  if (na.params) out += formatParams(na.params);
  return out;
}

/** Format header parameters `;name=value`, quoting values that are not tokens. */
export function formatParams(params: Map<string, string | null>): string {
  let out = '';
  // forEach rather than for-of: no [key, value] entry array per parameter.
  params.forEach((v, k) => {
    out += ';' + k;
    if (v !== null) out += '=' + (v.length > 0 && allIn(v, 0, v.length, C_TOKEN) ? v : v.startsWith('[') && isIP(v.slice(1, -1)) === 6 ? v : quote(v));
  });
  return out;
}

/** Tag parameter of a From/To value, if any. */
export function tagOf(value: string): string | undefined {
  const tag = parseNameAddr(value)?.params.get('tag');
  return tag ?? undefined;
}

export type { SipUri };
