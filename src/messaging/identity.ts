/**
 * Identities of the messaging layer (`sip-messaging.md` §1): the AOR of a SIP `From`/`To` header
 * (`user@host`, host lower-cased, no scheme, port or parameters — the spec's recommended fix of the
 * original's quirk), and the JSON identity object `{"uri", "display_name"}`.
 *
 * The name-addr split (`"Display" <uri>;params` or `uri;params`) is a few lines here; the URI itself
 * is parsed by the SIP stack's `sip/uri.ts` (`aorOf`).
 */
import { aorOf } from '../sip/uri.js';
import type { Identity } from './events.js';

export interface NameAddr {
  displayName: string | null;
  /** The URI as written (with scheme). */
  uri: string;
}

/** Strip surrounding double quotes and spaces from a display name; empty → null (§1). */
export function cleanDisplayName(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const s = raw.replace(/\\(.)/g, '$1').replace(/^[\s"]+|[\s"]+$/g, '');
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

/** The AOR of a header value or URI, or undefined for garbage / non-SIP URIs. */
export function aorOfHeader(value: string): string | undefined {
  const na = parseNameAddr(value);
  return na ? aorOf(na.uri) : undefined;
}

/** Normalise an AOR given by a client or JSON body: `sip:`/`sips:` removed, host lower-cased. */
export function normalizeAor(value: string): string | undefined {
  return aorOf(value.replace(/^sips?:/i, ''));
}

export function identity(aor: string, displayName: string | null): Identity {
  return { uri: aor, display_name: displayName };
}
