/**
 * Identities of the messaging layer (`sip-messaging.md` §1): the AOR of a SIP `From`/`To` header
 * (`user@host`, host lower-cased, no scheme, port or parameters — the spec's recommended fix of the
 * original's quirk), and the JSON identity object `{"uri", "display_name"}`.
 *
 * The name-addr split (`"Display" <uri>;params` or `uri;params`) is a few lines here; the URI itself
 * is parsed by the SIP stack's `sip/message/uri.ts` (`aorOf`). `aorOfUri` remembers the AORs of the last few
 * thousand URIs: every MESSAGE needs the AOR of its From, To and CPIM From, and the same parties write
 * again and again.
 */
import { trimDisplayName, unescapeBackslashes } from '../payload/cpim.js';
import { aorOf } from '../sip/message/uri.js';
import type { Identity } from './events.js';

export interface NameAddr {
  displayName: string | null;
  /** The URI as written (with scheme). */
  uri: string;
}

/** Strip surrounding double quotes and spaces from a display name; empty → null (§1). */
export function cleanDisplayName(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const s = trimDisplayName(unescapeBackslashes(raw));
  return s === '' ? null : s;
}

/** Split a From/To/Contact header value into display name and URI (parameters after `>` dropped). */
export function parseNameAddr(value: string): NameAddr | null {
  const v = value.trim();
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return null;
    const uri = v.slice(lt + 1, gt).trim();
    if (uri === '') return null;
    return { displayName: cleanDisplayName(v.slice(0, lt)), uri };
  }
  // addr-spec form: header parameters follow the first ';' (RFC 3261 §20.10)
  const uri = (v.split(';')[0] ?? '').trim();
  if (uri === '') return null;
  return { displayName: null, uri };
}

const AOR_CACHE_MAX = 4096;
/** Longer URIs are not remembered (the cache's memory stays small whatever senders write). */
const AOR_CACHE_MAX_URI = 256;
const aorCache = new Map<string, string | null>();

/**
 * A copy of `s` that shares no memory with the string it was sliced from: a slice of a request would
 * otherwise keep the whole request text alive for as long as the cache holds it.
 */
function detached(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** `aorOf(uri)` for a URI string, from a bounded cache (a pure function of the string). */
export function aorOfUri(uri: string): string | undefined {
  const hit = aorCache.get(uri);
  if (hit !== undefined) return hit ?? undefined;
  const aor = aorOf(uri);
  if (uri.length > AOR_CACHE_MAX_URI) return aor;
  if (aorCache.size >= AOR_CACHE_MAX) aorCache.clear();
  const kept = aor === undefined ? undefined : detached(aor);
  aorCache.set(detached(uri), kept ?? null);
  return kept;
}

/** The AOR of a header value or URI, or undefined for garbage / non-SIP URIs. */
export function aorOfHeader(value: string): string | undefined {
  const na = parseNameAddr(value);
  return na ? aorOfUri(na.uri) : undefined;
}

/** Normalise an AOR given by a client or JSON body: `sip:`/`sips:` removed, host lower-cased (`util/aor.ts`). */
export { canonicalAor as normalizeAor } from '../util/aor.js';

export function identity(aor: string, displayName: string | null): Identity {
  return { uri: aor, display_name: displayName };
}
