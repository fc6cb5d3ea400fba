/**
 * Transaction identifiers (RFC 3261 §17.1.3 client matching, §17.2.3 server matching).
 *
 * Owns the string keys the transaction layer files transactions under:
 * - server side, RFC 3261 branch (magic cookie `z9hG4bK`): branch + sent-by + method, where ACK is
 *   filed with the INVITE it acknowledges and CANCEL separately from the request it cancels;
 * - server side, RFC 2543 fallback (branch missing or without the cookie, RFC 4475 §3.2.1 `badbranch`):
 *   Request-URI, From tag, Call-ID, CSeq number, top Via (sent-by and branch) and method. The To tag
 *   is left out so that an ACK (which carries the tag of our final response) matches its INVITE;
 * - client side: branch + CSeq method of the response.
 * The caller extracts the header parts with the grammar (`../message/grammar.ts`, `../message/via-header.ts`); this module only combines them.
 */

export const MAGIC_COOKIE = 'z9hG4bK';

/** What identifies a request for server transaction matching. */
export interface RequestKeyParts {
  method: string;
  /** The branch parameter of the top Via, if any. */
  branch?: string;
  /** sent-by of the top Via (`host[:port]`, lower-cased host). */
  sentBy: string;
  callId: string;
  cseqNumber: number;
  fromTag?: string;
  requestUri: string;
}

/** True for an RFC 3261 branch: it starts with the magic cookie and has something after it. */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}

function keyMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/** `RequestKeyParts.sentBy` of a top Via: `host:port`, the host lower-cased (port empty if absent). */
export function viaSentBy(via: { host: string; port?: number | undefined }): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

/** The server transaction key of a request (ACK maps to its INVITE's key). */
export function serverKey(p: RequestKeyParts): string {
  const m = keyMethod(p.method);
  if (isRfc3261Branch(p.branch)) return rfc3261ServerKey(p.branch, p.sentBy, m);
  // Array.join builds a new flat string (see rfc3261ServerKey).
  return ['2543', p.requestUri, p.fromTag ?? '', p.callId, String(p.cseqNumber), p.sentBy, p.branch ?? '', m].join('\x00');
}

/**
 * `serverKey` for an RFC 3261 branch (the caller checked `isRfc3261Branch`), without building the
 * parts object. `sentBy` is `host:port` as in `RequestKeyParts`.
 *
 * The key is built by `Array.join`, which copies the parts into one new flat string: a concatenation
 * would be a rope of slices, and slices keep the whole header text of the request alive for as long
 * as the transaction lives (timer J: 32 s).
 */
export function rfc3261ServerKey(branch: string, sentBy: string, method: string): string {
  return [branch, sentBy, keyMethod(method)].join('\x00');
}

/** The client transaction key: branch of the top Via + CSeq method (§17.1.3). */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}\x00${cseqMethod === 'ACK' ? 'INVITE' : cseqMethod}`;
}
