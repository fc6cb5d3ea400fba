/**
 * The one home of AOR (address-of-record) vocabulary. Two contracts really differ, so they have two
 * names:
 *
 * - {@link normalizeWireAor}: the sylkRTC API's normalisation (`sylkrtc-websocket.md` §2.1): a
 *   leading `sip:`/`sips:` removed, the rest kept exactly as the client wrote it (no lower-casing,
 *   ports and parameters kept) once `sip:` + it parses as a SIP URI. Echoed in events (§1.8).
 * - {@link canonicalAor}: the messaging/journal key (`sip-messaging.md` §1): `user@host`, host
 *   lower-cased, no scheme, port or parameters (RFC 3261 §19.1.4 via the SIP layer's `aorOf`).
 *
 * Plus the helpers both sides use: {@link stripScheme}, {@link splitAor}, {@link aorKey}.
 */
import { aorOf, parseSipUri } from '../sip/message/uri.js';

/** Strip a leading `sip:`/`sips:` in any letter case (journal keys, canonical AORs). */
export function stripScheme(value: string): string {
  const c = value.charCodeAt(0);
  return c === 115 || c === 83 ? value.replace(/^sips?:/i, '') : value; // only an `s`/`S` can start one
}

/** sylkRTC §2.1 step 1: strip exactly `sip:` or `sips:` (lower case, as the original). */
export function stripWireScheme(value: string): string {
  if (value.startsWith('sip:')) return value.slice(4);
  if (value.startsWith('sips:')) return value.slice(5);
  return value;
}

/** sylkRTC §2.1: the normalised AOR, or null when `sip:` + it is not a SIP URI (step 2). */
export function normalizeWireAor(value: string): string | null {
  const rest = stripWireScheme(value);
  if (rest.length === 0 || rest.length > 1024) return null;
  return parseSipUri(`sip:${rest}`) !== undefined ? rest : null;
}

/** Messaging/journal key of an AOR given by a client or JSON body: scheme removed, host lower-cased. */
export function canonicalAor(value: string): string | undefined {
  return aorOf(stripScheme(value));
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
 * The routing key of an AOR (`sylkrtc-websocket.md` §2.1 recommendation): domain part compared
 * case-insensitively, user part exactly.
 */
export function aorKey(aor: string): string {
  const at = aor.lastIndexOf('@');
  return at >= 0 ? aor.slice(0, at + 1) + aor.slice(at + 1).toLowerCase() : aor.toLowerCase();
}

/**
 * SylkServer's own (username, domain) columns (Cassandra tables, `push.md` §2.2): the stored AOR split
 * at its FIRST `@`, a missing domain kept empty — unlike {@link splitAor}, which parses a user's AOR.
 */
export function splitUsernameDomain(aor: string): [username: string, domain: string] {
  const i = aor.indexOf('@');
  return i < 0 ? [aor, ''] : [aor.slice(0, i), aor.slice(i + 1)];
}

/** The inverse of {@link splitUsernameDomain}. */
export function joinUsernameDomain(username: string, domain: string): string {
  return domain === '' ? username : `${username}@${domain}`;
}
