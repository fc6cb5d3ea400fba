/**
 * Ids and digests the client makes: UUID v4 message and transaction ids (sylkrtc-websocket.md §2.4)
 * and the HA1 sent as the password of `account-add` (§4.1: lowercase hex MD5 of
 * `user:realm:password`, realm = the domain). MD5 is not in WebCrypto, hence @noble/hashes; and
 * `crypto.randomUUID` exists only in secure contexts, hence UUIDs from `getRandomValues`, which
 * exists everywhere (a server on plain http with a LAN address is not a secure context).
 */
import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** HA1 of `user@domain` with realm = domain. */
export function ha1(address: string, password: string): string {
  const at = address.lastIndexOf('@');
  const user = address.slice(0, at);
  const domain = address.slice(at + 1);
  return bytesToHex(md5(utf8ToBytes(`${user}:${domain}:${password}`)));
}

/** `user@domain` with a non-empty user and domain, no scheme, no spaces. */
export function isAddress(s: string): boolean {
  return /^[^@\s:]+@[^@\s]+$/.test(s);
}

/** Strip `sip:`/`sips:`, trim, lower-case the domain. */
export function normalizeAddress(s: string): string {
  const t = s.trim().replace(/^sips?:/i, '');
  const at = t.lastIndexOf('@');
  return at < 0 ? t : `${t.slice(0, at)}@${t.slice(at + 1).toLowerCase()}`;
}
