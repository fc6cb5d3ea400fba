/**
 * Who may upload (`http-api.md` §3.2 step 2 and §7.4, made stricter — issue 13 "who may upload"):
 * - the sender is *authenticated* (registered, not merely added) on a sylkRTC WebSocket connection
 *   of this instance whose remote address is the HTTP client's address (IPv4-mapped IPv6 addresses
 *   compare equal to their IPv4 form, the original's IPv6 quirk fixed); or
 * - the request carries the sender's current API token as `Authorization: Apikey <token>` (the token
 *   of the journal history, `http-api.md` §2; the newest original accepts it as well), so SIP devices
 *   and scripts can upload.
 * Anything else is refused (403).
 */
import { parseApikey } from '../http/auth.js';
import { secretsEqual } from '../util/secrets.js';

export interface UploaderDirectory {
  /** Is `account` authenticated on a WebSocket connection from `address` (on this instance)? */
  authenticatedFrom(account: string, address: string): boolean;
  /** The account's current API token, if any. */
  apiToken(account: string): Promise<string | null>;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; other addresses unchanged (lower case). */
export function canonicalAddress(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export async function mayUpload(dir: UploaderDirectory, sender: string, address: string, authorization: string | string[] | undefined): Promise<boolean> {
  if (dir.authenticatedFrom(sender, canonicalAddress(address))) return true;
  const token = parseApikey(authorization);
  if (token === null) return false;
  const stored = await dir.apiToken(sender);
  // Compared even without a stored token, so both cases cost the same.
  return secretsEqual(token, stored ?? '') && stored !== null;
}
