/**
 * Size limits applied by the SIP parser and the stream framer (RFC 3261 §18.1.1, §21.4.14, §21.5.14).
 *
 * Owns: the configurable bounds that keep one peer from making the server buffer or parse without
 * end, with defaults that fit instant messaging (a MESSAGE body is small; RFC 3428 §8 keeps page-mode
 * messages under 1300 bytes unless congestion-controlled, a stream transport may carry up to 64 KiB).
 * The parser reports a violated limit as a typed error carrying the status a transport should answer:
 * 513 Message Too Large for the message / header section, 413 Request Entity Too Large for the body.
 */

export interface SipLimits {
  /** Largest whole message (start line + headers + body) accepted on a stream (TCP/TLS/WS). */
  maxStreamMessageBytes: number;
  /** Largest datagram accepted on UDP (the IPv4 UDP payload maximum). */
  maxDatagramBytes: number;
  /** Largest header section (start line + header lines, without the empty line), in bytes. */
  maxHeaderBytes: number;
  /** Most header fields (lines after unfolding) in one message. */
  maxHeaderCount: number;
  /** Largest body (Content-Length), in bytes. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxStreamMessageBytes: 64 * 1024,
  maxDatagramBytes: 65507,
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 64 * 1024,
});

/** Objects returned by `resolveLimits` (complete and validated), so hot paths can skip resolving again. */
const resolved = new WeakSet<object>([DEFAULT_LIMITS]);

/** True when `limits` came from `resolveLimits` (per-message callers pass the stack's resolved limits). */
export function isResolvedLimits(limits: Partial<SipLimits>): limits is SipLimits {
  return resolved.has(limits);
}

/**
 * Fill in the defaults for the limits a caller did not set; rejects nonsense values. The result is
 * frozen (it is shared by every message parsed with it).
 */
export function resolveLimits(partial?: Partial<SipLimits>): SipLimits {
  if (!partial) return DEFAULT_LIMITS;
  if (resolved.has(partial)) return partial as SipLimits;
  const out: SipLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof SipLimits)[]) {
    const v = partial[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`SIP limit ${key} must be a positive integer, got ${String(v)}`);
    out[key] = v;
  }
  Object.freeze(out);
  resolved.add(out);
  return out;
}
