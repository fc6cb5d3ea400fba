/**
 * Canonical SIP header names (RFC 3261 §7.3.1, §7.3.3): compact forms expanded, case-insensitive
 * spellings mapped to one canonical spelling (cached), for the parser (`parser.ts`).
 */
import * as cs from './charset.js';

// Local aliases: module bindings read in hot loops cost a getter call under some loaders (tsx).
const { C_TOKEN, CHARS } = cs;
/** Compact header forms (RFC 3261 §7.3.3 and the registry: RFC 3265, 3515, 3892, 4028, 3841, 8224). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
});

/** Raw header name → canonical name, memoised (bounded so odd names can't grow it forever). */
const nameCache = new Map<string, string>();
const NAME_CACHE_MAX = 2048;

/**
 * Fast path for the usual spellings of common headers, indexed by first character and length
 * (`KNOWN_NAMES[c * 32 + length]`, names up to 31 characters): lets the header loop find a
 * canonical name without slicing or hashing a string, usually comparing against one candidate.
 */
const KNOWN_NAMES: Array<Array<[string, string]> | undefined> = [];
function addKnownName(spelling: string, canonical: string): void {
  (KNOWN_NAMES[spelling.charCodeAt(0) * 32 + spelling.length] ??= []).push([spelling, canonical]);
}
for (const wire of [
  'Via', 'From', 'To', 'Call-ID', 'Call-Id', 'CSeq', 'Max-Forwards', 'Content-Type', 'Content-Length', 'Contact',
  'Route', 'Record-Route', 'Expires', 'User-Agent', 'Server', 'Allow', 'Supported', 'Require', 'Event',
  'Authorization', 'Proxy-Authorization', 'WWW-Authenticate', 'Proxy-Authenticate', 'Date', 'Accept',
  'X-Sylk-From-Sip', 'X-Sylk-To-Sip', 'X-Sylk-App', 'X-Replicated-Message',
]) {
  const lower = wire.toLowerCase();
  for (const spelling of new Set([wire, lower])) addKnownName(spelling, lower);
}
for (const [short, long] of Object.entries(COMPACT_FORMS)) {
  addKnownName(short, long);
  addKnownName(short.toUpperCase(), long);
}
for (let i = 0; i < 128 * 32; i++) KNOWN_NAMES[i] ??= undefined; // dense array, no holes

/** Canonical name of the header name at `text[start, end)`, or undefined if not a token. */
export function headerNameAt(text: string, start: number, end: number): string | undefined {
  const c = text.charCodeAt(start);
  const len = end - start;
  if (c < 128 && len < 32) {
    const cands = KNOWN_NAMES[c * 32 + len];
    if (cands !== undefined) {
      for (let i = 0; i < cands.length; i++) {
        const cand = cands[i]!;
        const spelling = cand[0];
        // A char loop: String#startsWith with a position is a builtin call per candidate.
        let k = 1;
        while (k < len && text.charCodeAt(start + k) === spelling.charCodeAt(k)) k++;
        if (k === len) return cand[1];
      }
    }
  }
  return canonicalHeaderName(text.slice(start, end));
}

/** Canonical header name (lower case, compact form expanded), or undefined if not a token. */
export function canonicalHeaderName(raw: string): string | undefined {
  const hit = nameCache.get(raw);
  if (hit !== undefined) return hit;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & C_TOKEN) === 0) return undefined;
  }
  if (raw.length === 0) return undefined;
  const lower = raw.toLowerCase();
  const canon = lower.length === 1 && Object.hasOwn(COMPACT_FORMS, lower) ? COMPACT_FORMS[lower]! : lower;
  if (nameCache.size < NAME_CACHE_MAX) nameCache.set(raw, canon);
  return canon;
}
