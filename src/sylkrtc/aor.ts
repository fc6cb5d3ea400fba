/**
 * AOR normalisation for the sylkRTC API (`sylkrtc-websocket.md` §2.1): every `account`, `uri`,
 * `contact` value loses a leading `sip:`/`sips:` and must then be a valid SIP URI once `sip:` is put
 * back in front. No lower-casing, no removal of parameters or ports (the normalised string is what
 * we echo in events, so the client's exact `account` string matches, §1.8).
 * The SIP URI check is the SIP layer's parser (`sip/uri.ts`, RFC 3261 §25.1).
 */

import { parseSipUri } from '../sip/message/uri.js';

/** Strip `sip:`/`sips:` (§2.1 step 1). */
export function stripScheme(value: string): string {
  if (value.startsWith('sip:')) return value.slice(4);
  if (value.startsWith('sips:')) return value.slice(5);
  return value;
}

/** The normalised AOR, or null when `sip:` + it is not a SIP URI (§2.1 step 2). */
export function normalizeAor(value: string): string | null {
  const rest = stripScheme(value);
  if (rest.length === 0 || rest.length > 1024) return null;
  return parseSipUri(`sip:${rest}`) !== undefined ? rest : null;
}

/** `user@domain` → `{ user, domain }`; a bare domain has an empty user. Domain without port/params. */
export function splitAor(aor: string): { user: string; domain: string } {
  const at = aor.lastIndexOf('@');
  const user = at >= 0 ? aor.slice(0, at) : '';
  let domain = at >= 0 ? aor.slice(at + 1) : aor;
  domain = domain.split(/[;?]/, 1)[0]!;
  if (!domain.startsWith('[')) domain = domain.split(':', 1)[0]!;
  return { user, domain };
}

/**
 * The key under which connections of an AOR are registered for routing (§2.1 recommendation):
 * domain part compared case-insensitively, user part exactly. Events still echo each binding's own
 * string.
 */
export function aorKey(aor: string): string {
  const at = aor.lastIndexOf('@');
  return at >= 0 ? aor.slice(0, at + 1) + aor.slice(at + 1).toLowerCase() : aor.toLowerCase();
}
