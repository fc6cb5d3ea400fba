/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966 minimal): parse, serialize, compare
 * (§19.1.4), and the AOR normalisation used for journal keys (`aorOf`: `user@host`, host lower-cased,
 * no scheme/port/parameters — the fix of the original's quirk described in spec/sip-messaging.md §1).
 *
 * Hand-written as part of our own SIP stack: no maintained npm package provides a server-side SIP
 * stack, and the URI grammar is small enough to scan with character tables (see `charset.ts`).
 * Parsing never throws: an invalid URI yields `undefined`. Escapes are decoded in the parsed form
 * (`%75ser` → `user`) and re-applied by `formatUri`, so equivalent URIs serialize the same way.
 */
import { isIP } from 'node:net';
import * as cs from './charset.js';

// Local aliases: module bindings read in hot loops cost a getter call under some loaders (tsx).
const { C_ALNUM, C_HNV, C_PARAM, C_PASSWORD, C_UNRESERVED, C_URIC, C_USER, CHARS } = cs;
const escapePct = cs.escapePct;
const isEscapedRun = cs.isEscapedRun;
const unescapePct = cs.unescapePct;

export interface SipUri {
  readonly kind: 'sip';
  /** `sip` or `sips`, lower case. */
  scheme: 'sip' | 'sips';
  /** The user part, unescaped; undefined when the URI has no userinfo. */
  user?: string;
  /** The password, unescaped (deprecated by RFC 3261 but part of the grammar). */
  password?: string;
  /** The host as written: a hostname, an IPv4 address, or an IPv6 reference with brackets. */
  host: string;
  port?: number;
  /** URI parameters in order; names lower-cased and unescaped, values unescaped, null = no value. */
  params: Map<string, string | null>;
  /** URI headers (`?name=value&...`), unescaped. */
  headers: Array<[string, string]>;
}

export interface TelUri {
  readonly kind: 'tel';
  scheme: 'tel';
  /** The telephone-subscriber number as written (`+1-201-555-0123`). */
  number: string;
  params: Map<string, string | null>;
}

/** Any other absolute URI (`http:`, `urn:`, `isbn:` ...), kept opaque. */
export interface OtherUri {
  readonly kind: 'other';
  /** Lower-cased scheme. */
  scheme: string;
  /** Everything after the first colon, as written. */
  opaque: string;
}

export type Uri = SipUri | TelUri | OtherUri;

/** RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); returns the colon index or -1. */
function schemeEnd(s: string): number {
  const c0 = s.charCodeAt(0);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122))) return -1;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) return i;
    if (c >= 128 || !((CHARS[c]! & C_ALNUM) !== 0 || c === 43 || c === 45 || c === 46)) return -1;
  }
  return -1;
}

/** hostname = *( domainlabel "." ) toplabel [ "." ] — we accept alphanum and "-" labels (IPv4 too). */
/**
 * End of the host starting at `hp`: after the `]` of an IPv6 reference, else at the first `:` (port),
 * `;` (parameters) or `?` (headers), else the end of the string; -1 for an unclosed `[`.
 */
function hostEnd(s: string, hp: number): number {
  if (s.charCodeAt(hp) === 91) {
    const close = s.indexOf(']', hp);
    return close < 0 ? -1 : close + 1;
  }
  let i = hp;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 58 || c === 59 || c === 63) break;
    i++;
  }
  return i;
}

export function isValidHost(host: string): boolean {
  return isValidHostAt(host, 0, host.length);
}

/** `isValidHost` of `s[start, end)`, without slicing it out. */
function isValidHostAt(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  if (s.charCodeAt(start) === 91) {
    if (s.charCodeAt(end - 1) !== 93) return false;
    return isIP(s.slice(start + 1, end - 1)) === 6;
  }
  let labelLen = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return false;
      labelLen = 0;
      continue;
    }
    if (c >= 128 || ((CHARS[c]! & C_ALNUM) === 0 && c !== 45)) return false;
    labelLen++;
  }
  return true;
}

function parsePort(s: string): number | undefined {
  return parsePortAt(s, 0, s.length);
}

/** `parsePort` of `s[start, end)`. */
function parsePortAt(s: string, start: number, end: number): number | undefined {
  if (end <= start || end - start > 5) return undefined;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : undefined;
}

/** Parse `;name[=value]` pairs of a URI (`paramchar` escapes); returns undefined when malformed. */
function parseUriParams(s: string, flag: number): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  let start = 0;
  while (start <= s.length) {
    let end = s.indexOf(';', start);
    if (end < 0) end = s.length;
    const eq = s.indexOf('=', start);
    if (eq >= 0 && eq < end) {
      if (!isEscapedRun(s, start, eq, flag) || !isEscapedRun(s, eq + 1, end, flag)) return undefined;
      params.set(unescapePct(s.slice(start, eq)).toLowerCase(), unescapePct(s.slice(eq + 1, end)));
    } else {
      if (!isEscapedRun(s, start, end, flag)) return undefined;
      params.set(unescapePct(s.slice(start, end)).toLowerCase(), null);
    }
    start = end + 1;
  }
  return params;
}

function parseSipRest(scheme: 'sip' | 'sips', s: string): SipUri | undefined {
  // userinfo ends at the first "@": neither parameters, headers nor the password may contain one.
  const at = s.indexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let hp = 0;
  if (at >= 0) {
    let colon = s.indexOf(':');
    if (colon > at) colon = -1;
    const userEnd = colon >= 0 ? colon : at;
    if (!isEscapedRun(s, 0, userEnd, C_USER)) return undefined;
    user = unescapePct(s.slice(0, userEnd));
    if (colon >= 0) {
      if (colon + 1 < at && !isEscapedRun(s, colon + 1, at, C_PASSWORD)) return undefined;
      password = unescapePct(s.slice(colon + 1, at));
    }
    hp = at + 1;
  }
  let i = hostEnd(s, hp);
  if (i < 0) return undefined;
  const host = s.slice(hp, i);
  if (!isValidHost(host)) return undefined;
  let port: number | undefined;
  if (s.charCodeAt(i) === 58) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) !== 59 && s.charCodeAt(j) !== 63) j++;
    port = parsePort(s.slice(i + 1, j));
    if (port === undefined) return undefined;
    i = j;
  }
  let q = s.indexOf('?', i);
  if (q < 0) q = s.length;
  let params = new Map<string, string | null>();
  if (s.charCodeAt(i) === 59) {
    const p = parseUriParams(s.slice(i + 1, q), C_PARAM);
    if (!p) return undefined;
    params = p;
  } else if (i !== q) return undefined;
  const headers: Array<[string, string]> = [];
  if (q < s.length) {
    for (const part of s.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return undefined;
      if (!isEscapedRun(part, 0, eq, C_HNV)) return undefined;
      if (eq + 1 < part.length && !isEscapedRun(part, eq + 1, part.length, C_HNV)) return undefined;
      headers.push([unescapePct(part.slice(0, eq)), unescapePct(part.slice(eq + 1))]);
    }
  }
  const uri: SipUri = { kind: 'sip', scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

function parseTelUri(s: string): TelUri | undefined {
  const semi = s.indexOf(';');
  const number = semi < 0 ? s : s.slice(0, semi);
  if (number.length === 0) return undefined;
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    // phonedigit-hex / visual separators / "+" / "*" / "#"
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 43 || c === 45 || c === 46 || c === 40 || c === 41 || c === 42 || c === 35)) return undefined;
  }
  const params = semi < 0 ? new Map<string, string | null>() : parseUriParams(s.slice(semi + 1), C_PARAM);
  if (!params) return undefined;
  return { kind: 'tel', scheme: 'tel', number, params };
}

/** Validate `;name[=value]` pairs in `s[start, end)` without building anything. */
function checkParams(s: string, start: number, end: number): boolean {
  while (start <= end) {
    let e = s.indexOf(';', start);
    if (e < 0 || e > end) e = end;
    const eq = s.indexOf('=', start);
    if (eq >= 0 && eq < e) {
      if (!isEscapedRun(s, start, eq, C_PARAM) || !isEscapedRun(s, eq + 1, e, C_PARAM)) return false;
    } else if (!isEscapedRun(s, start, e, C_PARAM)) return false;
    start = e + 1;
  }
  return true;
}

/** Validate the part of a SIP URI after `sip:` (at `s[off]`); same grammar as `parseSipRest`. */
function checkSipAt(s: string, off: number): URI_CHECK {
  const at = s.indexOf('@', off);
  let hp = off;
  if (at >= 0) {
    let colon = s.indexOf(':', off);
    if (colon > at) colon = -1;
    if (!isEscapedRun(s, off, colon >= 0 ? colon : at, C_USER)) return URI_INVALID;
    if (colon >= 0 && colon + 1 < at && !isEscapedRun(s, colon + 1, at, C_PASSWORD)) return URI_INVALID;
    hp = at + 1;
  }
  let i = hostEnd(s, hp);
  if (i < 0) return URI_INVALID;
  if (!isValidHostAt(s, hp, i)) return URI_INVALID;
  if (s.charCodeAt(i) === 58) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) !== 59 && s.charCodeAt(j) !== 63) j++;
    if (parsePortAt(s, i + 1, j) === undefined) return URI_INVALID;
    i = j;
  }
  let q = s.indexOf('?', i);
  if (q < 0) q = s.length;
  if (s.charCodeAt(i) === 59) {
    if (!checkParams(s, i + 1, q)) return URI_INVALID;
  } else if (i !== q) return URI_INVALID;
  if (q === s.length) return URI_VALID;
  let start = q + 1;
  while (start <= s.length) {
    let e = s.indexOf('&', start);
    if (e < 0) e = s.length;
    const eq = s.indexOf('=', start);
    if (eq <= start || eq >= e) return URI_INVALID;
    if (!isEscapedRun(s, start, eq, C_HNV)) return URI_INVALID;
    if (eq + 1 < e && !isEscapedRun(s, eq + 1, e, C_HNV)) return URI_INVALID;
    start = e + 1;
  }
  return URI_SIP_WITH_HEADERS;
}

export const URI_INVALID = 0;
export const URI_VALID = 1;
/** A SIP/SIPS URI with a `?headers` part (not allowed in a Request-URI). */
export const URI_SIP_WITH_HEADERS = 2;
export type URI_CHECK = typeof URI_INVALID | typeof URI_VALID | typeof URI_SIP_WITH_HEADERS;

/**
 * Validate an absolute URI without building its parsed form (the parser's fast path); agrees with
 * `parseUri` on what is valid.
 */
export function checkUri(text: string): URI_CHECK {
  const colon = schemeEnd(text);
  if (colon < 0) return URI_INVALID;
  if (colon === 3 || colon === 4) {
    const c0 = text.charCodeAt(0) | 32;
    const c1 = text.charCodeAt(1) | 32;
    const c2 = text.charCodeAt(2) | 32;
    if (c0 === 115 && c1 === 105 && c2 === 112 && (colon === 3 || (text.charCodeAt(3) | 32) === 115)) return checkSipAt(text, colon + 1);
  }
  return parseUri(text) ? URI_VALID : URI_INVALID;
}

/** Parse any absolute URI; SIP/SIPS and tel are structured, other schemes kept opaque. */
export function parseUri(text: string): Uri | undefined {
  const colon = schemeEnd(text);
  if (colon < 0) return undefined;
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipRest(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  let ok = rest.length > 0;
  for (let i = 0; ok && i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & (C_URIC | C_UNRESERVED)) === 0) ok = false;
  }
  return ok ? { kind: 'other', scheme, opaque: rest } : undefined;
}

/** Parse a SIP or SIPS URI only (undefined for other schemes or malformed input). */
export function parseSipUri(text: string): SipUri | undefined {
  const u = parseUri(text);
  return u && u.kind === 'sip' ? u : undefined;
}

function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += ';' + escapePct(k, C_PARAM) + (v === null ? '' : '=' + escapePct(v, C_PARAM));
  return out;
}

/** Serialize a parsed URI (escaping what needs escaping). */
export function formatUri(uri: Uri): string {
  if (uri.kind === 'other') return `${uri.scheme}:${uri.opaque}`;
  if (uri.kind === 'tel') return `tel:${uri.number}${formatParams(uri.params)}`;
  let out = uri.scheme + ':';
  if (uri.user !== undefined) {
    out += escapePct(uri.user, C_USER);
    if (uri.password !== undefined) out += ':' + escapePct(uri.password, C_PASSWORD);
    out += '@';
  }
  out += uri.host;
  if (uri.port !== undefined) out += ':' + uri.port;
  out += formatParams(uri.params);
  if (uri.headers.length > 0) out += '?' + uri.headers.map(([k, v]) => escapePct(k, C_HNV) + '=' + escapePct(v, C_HNV)).join('&');
  return out;
}

/**
 * Address of record `user@host` (host lower-cased; user kept case-sensitive as RFC 3261 says), or
 * the lower-cased host alone for a URI without user part. Accepts a URI string (with or without
 * `sip:`), or a parsed URI; undefined for non-SIP URIs or garbage.
 */
export function aorOf(uri: string | Uri): string | undefined {
  let u: Uri | undefined;
  if (typeof uri === 'string') {
    const t = uri.trim();
    u = parseUri(t);
    if (!u || (u.kind === 'other' && t.indexOf('@') > 0)) u = parseUri('sip:' + t);
  } else u = uri;
  if (!u || u.kind !== 'sip') return undefined;
  let host = u.host.toLowerCase();
  if (host.endsWith('.') && host.length > 1) host = host.slice(0, -1);
  return u.user !== undefined && u.user !== '' ? `${u.user}@${host}` : host;
}

/** Parameters whose presence in one URI but not the other makes them differ (§19.1.4). */
const STRICT_PARAMS = ['user', 'ttl', 'method', 'maddr'];
const CASE_INSENSITIVE_PARAMS = new Set(['transport', 'user', 'ttl', 'method', 'maddr']);

function paramEq(name: string, a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return CASE_INSENSITIVE_PARAMS.has(name) ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** URI equality per RFC 3261 §19.1.4 (SIP/SIPS); other schemes compare case-insensitively as text. */
export function uriEquals(a: string | Uri, b: string | Uri): boolean {
  const ua = typeof a === 'string' ? parseUri(a) : a;
  const ub = typeof b === 'string' ? parseUri(b) : b;
  if (!ua || !ub) return false;
  if (ua.kind !== ub.kind || ua.scheme !== ub.scheme) return false;
  if (ua.kind === 'other' && ub.kind === 'other') return ua.opaque.toLowerCase() === ub.opaque.toLowerCase();
  if (ua.kind === 'tel' && ub.kind === 'tel') return ua.number.replace(/[-.()]/g, '') === ub.number.replace(/[-.()]/g, '');
  if (ua.kind !== 'sip' || ub.kind !== 'sip') return false;
  if (ua.user !== ub.user || ua.password !== ub.password) return false;
  if (ua.host.toLowerCase() !== ub.host.toLowerCase() || ua.port !== ub.port) return false;
  for (const name of STRICT_PARAMS) if (ua.params.has(name) !== ub.params.has(name)) return false;
  for (const [k, v] of ua.params) {
    if (!ub.params.has(k)) continue;
    if (!paramEq(k, v, ub.params.get(k)!)) return false;
  }
  if (ua.headers.length !== ub.headers.length) return false;
  const hb = new Map(ub.headers.map(([k, v]) => [k.toLowerCase(), v]));
  for (const [k, v] of ua.headers) if (hb.get(k.toLowerCase()) !== v) return false;
  return true;
}
